// Package notebooks holds Jupyter notebooks (R kernel) that re-derive socap's
// exported numbers with R's survey, psych and lavaan packages. This test runs
// socap on the built-in example (and on ESS round 9 Norway when the shared
// datasets are beside the checkout) and executes every notebook on its exports.
package notebooks

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"socap/internal/shareddata"
)

// notebook is one notebook and whether it reads the ESS project.
type notebook struct {
	file string
	ess  bool
}

var notebooks = []notebook{
	{"check-against-r.ipynb", false},
	{"networks-and-employment.ipynb", false},
	{"invariance.ipynb", false},
	{"ess9-norway.ipynb", true},
}

// TestNotebookList keeps the list above and the folder's notebooks the same,
// so that no notebook goes unexecuted.
func TestNotebookList(t *testing.T) {
	files, err := filepath.Glob("*.ipynb")
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, nb := range notebooks {
		want = append(want, nb.file)
	}
	slices.Sort(want)
	if !slices.Equal(files, want) {
		t.Errorf("notebooks in the folder %v, executed by the test %v", files, want)
	}
}

// TestNotebooksWithoutOutputs checks that every notebook is committed without
// outputs and execution counts, for the R kernel, with its cells' ids.
func TestNotebooksWithoutOutputs(t *testing.T) {
	for _, nb := range notebooks {
		t.Run(nb.file, func(t *testing.T) {
			data, err := os.ReadFile(nb.file)
			if err != nil {
				t.Fatal(err)
			}
			var doc struct {
				Cells []struct {
					ID             string            `json:"id"`
					Type           string            `json:"cell_type"`
					Outputs        []json.RawMessage `json:"outputs"`
					ExecutionCount *int              `json:"execution_count"`
				} `json:"cells"`
				Metadata struct {
					Kernelspec struct {
						Name string `json:"name"`
					} `json:"kernelspec"`
				} `json:"metadata"`
			}
			if err := json.Unmarshal(data, &doc); err != nil {
				t.Fatal(err)
			}
			if doc.Metadata.Kernelspec.Name != "ir" {
				t.Errorf("kernel %q, want ir (IRkernel)", doc.Metadata.Kernelspec.Name)
			}
			code := 0
			for i, c := range doc.Cells {
				if c.ID == "" {
					t.Errorf("cell %d has no id", i+1)
				}
				if c.Type != "code" {
					continue
				}
				code++
				if len(c.Outputs) > 0 || c.ExecutionCount != nil {
					t.Errorf("cell %d (%s) is committed with outputs; clear them (jupyter nbconvert --clear-output --inplace %s)", i+1, c.ID, nb.file)
				}
			}
			if code == 0 {
				t.Error("no code cells")
			}
		})
	}
}

// rPackages are the R packages the notebooks load, with their Debian packages.
var rPackages = [][2]string{
	{"survey", "r-cran-survey"}, {"haven", "r-cran-haven"}, {"lavaan", "r-cran-lavaan"},
	{"psych", "r-cran-psych"}, {"ggplot2", "r-cran-ggplot2"},
}

// missing names the Debian packages the notebooks need that are not installed.
func missing() []string {
	var out []string
	if err := exec.Command("jupyter", "nbconvert", "--version").Run(); err != nil {
		out = append(out, "jupyter-nbconvert", "python3-ipykernel")
	} else if !hasRKernel() {
		out = append(out, "r-cran-irkernel")
	}
	if _, err := exec.LookPath("Rscript"); err != nil {
		out = append(out, "r-base-core")
		for _, p := range rPackages {
			out = append(out, p[1])
		}
		return out
	}
	names := make([]string, len(rPackages))
	for i, p := range rPackages {
		names[i] = strconv.Quote(p[0])
	}
	expr := fmt.Sprintf("cat(sapply(c(%s), requireNamespace, quietly = TRUE))", strings.Join(names, ", "))
	res, _ := exec.Command("Rscript", "-e", expr).Output()
	have := strings.Fields(string(res))
	for i, p := range rPackages {
		if i >= len(have) || have[i] != "TRUE" {
			out = append(out, p[1])
		}
	}
	return out
}

// hasRKernel says whether Jupyter finds IRkernel's kernel spec ("ir") in one of
// its data directories.
func hasRKernel() bool {
	res, err := exec.Command("jupyter", "--paths", "--json").Output()
	if err != nil {
		return false
	}
	var paths struct {
		Data []string `json:"data"`
	}
	if json.Unmarshal(res, &paths) != nil {
		return false
	}
	for _, d := range paths.Data {
		if _, err := os.Stat(filepath.Join(d, "kernels", "ir", "kernel.json")); err == nil {
			return true
		}
	}
	return false
}

// TestNotebooks runs socap demo (and the ESS project) into a temporary
// directory and executes every notebook on its exports; a cell that fails (a
// number that differs from R's, an export that lacks a column) fails the test.
func TestNotebooks(t *testing.T) {
	if m := missing(); len(m) > 0 {
		t.Skipf("the notebooks need Jupyter with the R kernel; missing Debian packages: %s (apt-get install -y %s)",
			strings.Join(m, ", "), strings.Join(m, " "))
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "socap")
	run(t, "..", "go", "build", "-o", bin, "./cmd/socap")
	demo := filepath.Join(dir, "demo")
	run(t, dir, bin, "demo", "--dir", demo, "--quiet")
	ess := essProject(t, dir, bin)

	nbDir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, nb := range notebooks {
		t.Run(nb.file, func(t *testing.T) {
			if nb.ess && ess == "" {
				t.Skip("ESS round 9 (../shared/datasets/ess9no/ESS9NO.sav) is absent beside the checkout")
			}
			cmd := exec.Command("jupyter", "nbconvert", "--execute", "--to", "notebook",
				"--ExecutePreprocessor.timeout=900", "--output-dir", filepath.Join(dir, "executed"),
				filepath.Join(nbDir, nb.file))
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "SOCAP_DEMO_DIR="+demo, "SOCAP_ESS_DIR="+ess)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("jupyter nbconvert --execute %s: %v\n%s", nb.file, err, tail(string(out), 4000))
			}
		})
	}
}

// essProject writes and runs the ESS round 9 project (builtin ess codebook,
// regions as areas) into dir/ess and returns its directory, or "" when the
// dataset is absent.
func essProject(t *testing.T, dir, bin string) string {
	t.Helper()
	base := shareddata.Dir()
	if base == "" {
		return ""
	}
	sav := filepath.Join(base, "ess9no", "ESS9NO.sav")
	if _, err := os.Stat(sav); err != nil {
		return ""
	}
	ess := filepath.Join(dir, "ess")
	if err := os.Mkdir(ess, 0o755); err != nil {
		t.Fatal(err)
	}
	yaml := "project: ESS9 Norway\ncodebook: builtin:ess\nlanguage: en\n" +
		"groups: [[background], [gender], [region], [region, gender]]\ncompare: {areas: region}\n" +
		"sources:\n  - {id: ess9, path: " + strconv.Quote(sav) + ", wave: 1}\n"
	if err := os.WriteFile(filepath.Join(ess, "socap.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, ess, bin, "run", "-c", "socap.yaml", "--quiet")
	return ess
}

// run runs a command in dir and fails t with its output when it fails.
func run(t *testing.T, dir, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, tail(string(out), 4000))
	}
}

// tail is the last n bytes of s, where a failing cell's traceback is.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
