package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// reportCLI runs socap report (newReportCmd)
// and returns the exit code and output as the binary would.
func reportCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := newReportCmd()
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&errb)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	if err := cmd.ExecuteContext(context.Background()); err != nil {
		return exitCode(err), out.String(), errb.String()
	}
	return exitOK, out.String(), errb.String()
}

// TestReportCommand: after socap demo, socap report writes the index and
// prints its path; --municipality picks one page by name, --lang en writes
// English, and an unknown municipality or language is a usage error.
func TestReportCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	if code, _, stderr := runCLI(t, "demo", "--dir", dir, "--quiet"); code != exitOK {
		t.Fatalf("demo: %s", stderr)
	}
	cfg := filepath.Join(dir, "socap.yaml")
	index := filepath.Join(dir, "out", "report", "index.html")
	code, stdout, stderr := reportCLI(t, "-c", cfg, "--quiet", "--municipality", "frøya", "--lang", "en")
	if code != exitOK {
		t.Fatalf("report: exit %d: %s", code, stderr)
	}
	if !strings.HasSuffix(strings.TrimSpace(stdout), index) || !strings.Contains(stdout, "wrote 4 reports") {
		t.Errorf("stdout %q, want 4 reports and %s", stdout, index)
	}
	page, err := os.ReadFile(filepath.Join(dir, "out", "report", "5014-froya.html"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(page, []byte(`<html lang="en">`)) || !bytes.Contains(page, []byte("Whole sample")) {
		t.Error("--lang en: the page is not in English")
	}
	mentor := bytes.Index(page, []byte("Mentoring: share of employed immigrants in a job matching their qualifications"))
	if mentor < 0 {
		t.Error("the programme section has no mentoring table (mentor_effects)")
	}
	if chart := bytes.Index(page, []byte(`id="fig-programme"`)); chart < 0 || chart > mentor {
		t.Errorf("the programme chart (at %d) should come before the mentoring table (at %d)", chart, mentor)
	}
	researcher, err := os.ReadFile(filepath.Join(dir, "out", "report", "researcher.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Mentoring: share of employed immigrants", `<th scope="col">Estimate</th>`, `<th scope="col">Group set</th>`} {
		if !bytes.Contains(researcher, []byte(want)) {
			t.Errorf("--lang en: researcher.html lacks %q", want)
		}
	}
	for _, nb := range []string{`<th scope="col">Estimat</th>`, `<th scope="col">Runde</th>`, `<th scope="col">statistic</th>`} {
		if bytes.Contains(researcher, []byte(nb)) {
			t.Errorf("--lang en: researcher.html shows %q", nb)
		}
	}
	for _, bad := range [][]string{{"--municipality", "Atlantis"}, {"--lang", "de"}} {
		if code, _, stderr := reportCLI(t, append([]string{"-c", cfg, "--quiet"}, bad...)...); code != exitBadUse {
			t.Errorf("%v: exit %d, want %d (%s)", bad, code, exitBadUse, stderr)
		}
	}
}
