package ingest

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"socap/pipeline"
	"socap/pipeline/store"
)

// killChildEnv makes the test binary a child that loads one file
// ("STORE|FILE") as source "big" and is killed mid-load by its parent.
const killChildEnv = "SOCAP_INGEST_KILL_CHILD"

// TestKillMidLoad loads a small version of a source, then kills (SIGKILL) a
// child process while it loads a large version: the store must open with
// the small version intact and no trace of the large one, and a re-run must
// load exactly the large file's rows. Both load paths are covered: read_csv
// (a clean file) and the Appender (a file with ragged rows).
func TestKillMidLoad(t *testing.T) {
	if spec := os.Getenv(killChildEnv); spec != "" {
		killChild(spec)
		return
	}
	if testing.Short() {
		t.Skip("generates and loads large files")
	}
	const rows = 200_000
	for _, tc := range []struct {
		name   string
		ragged bool
	}{{"read_csv", false}, {"appender", true}} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			dbPath := filepath.Join(dir, "socap.duckdb")
			csvPath := filepath.Join(dir, "big.csv")
			genCSV(t, csvPath, 10, 20, false)
			st := openStore(t, dbPath)
			small, err := LoadFile(ctx, st, csvPath, FileOptions{}, "big")
			if err != nil {
				t.Fatal(err)
			}
			st.Close()

			genCSV(t, csvPath, rows, 20, tc.ragged)
			killDuringLoad(t, dbPath, csvPath)

			st = openStore(t, dbPath)
			got, err := LoadedSource(ctx, st, "big")
			if err != nil {
				t.Fatal(err)
			}
			var n int64
			if err := st.DB().QueryRow(`SELECT count(*) FROM raw_big`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if got.SHA256 != small.SHA256 || got.Rows != 10 || n != 10 {
				t.Fatalf("after the kill: source %s with %d rows, raw table %d rows; want the small version (%s, 10 rows)",
					got.SHA256, got.Rows, n, small.SHA256)
			}

			stage := &Stage{}
			cfg := &pipeline.Config{Dir: dir, Sources: []pipeline.Source{{ID: "big", Path: "big.csv", Wave: 1}}}
			if err := stage.Run(ctx, &pipeline.Env{Store: st, Config: cfg, Now: fixedNow}); err != nil {
				t.Fatal(err)
			}
			var problems int64
			if err := st.DB().QueryRow(`SELECT count(*), count(_problem) FROM raw_big`).Scan(&n, &problems); err != nil {
				t.Fatal(err)
			}
			wantProblems := int64(0)
			if tc.ragged {
				wantProblems = rows / 1000
			}
			if info := stage.Sources()[0]; info.Rows != rows || n != rows || problems != wantProblems || info.ProblemRows != wantProblems {
				t.Errorf("re-run: %d rows recorded, %d in raw_big, %d problems; want %d rows, %d problems", info.Rows, n, problems, rows, wantProblems)
			}
		})
	}
}

// killDuringLoad starts the child and kills it once the store has grown by
// a few megabytes, that is, in the middle of writing the load.
func killDuringLoad(t *testing.T, dbPath, csvPath string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestKillMidLoad$")
	// the child's temporary files (which a kill leaves behind) go where the test's go
	cmd.Env = append(os.Environ(), killChildEnv+"="+dbPath+"|"+csvPath, "TMPDIR="+t.TempDir())
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		if strings.TrimSpace(line) != "loading" {
			exited <- fmt.Errorf("child said %q", line)
			return
		}
		exited <- nil
	}()
	if err := <-exited; err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatal(err)
	}
	base := storeSize(dbPath)
	deadline := time.Now().Add(2 * time.Minute)
	for storeSize(dbPath) < base+2<<20 {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatal("the store did not grow within 2 minutes")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err = cmd.Wait()
	ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("child was not killed mid-load: %v", err)
	}
}

// storeSize is the size of the database file and its write-ahead log.
func storeSize(dbPath string) int64 {
	return fileSize(dbPath) + fileSize(dbPath+".wal")
}

// killChild loads the file as source "big", saying "loading" once the
// pre-scan is done, then exits.
func killChild(spec string) {
	dbPath, csvPath, _ := strings.Cut(spec, "|")
	ctx := context.Background()
	st, err := store.Open(ctx, dbPath, store.Options{Threads: 2})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	p, err := prepare(ctx, csvPath, FileOptions{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	fmt.Println("loading")
	if _, err := p.load(ctx, st, "big"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	os.Exit(0)
}
