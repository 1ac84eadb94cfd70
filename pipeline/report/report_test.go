package report

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"socap/pipeline"
	"socap/pipeline/compare"
	"socap/pipeline/design"
	"socap/pipeline/estimate"
	"socap/pipeline/evaluate"
	"socap/pipeline/example/exampletest"
	"socap/pipeline/model"
	"socap/pipeline/score"
)

// full is the example run through every stage and the report, shared by
// the tests of the package (the pipeline takes seconds).
var full struct {
	once  sync.Once
	env   *pipeline.Env
	stage *Stage
	err   error
}

// fullRun returns the example's environment after the whole pipeline and
// the report stage.
func fullRun(t *testing.T) (*pipeline.Env, *Stage) {
	t.Helper()
	full.once.Do(func() {
		full.env = exampletest.Env(t)
		full.stage = &Stage{}
		full.err = pipeline.Run(context.Background(), full.env, &design.Stage{}, &score.Stage{}, &estimate.Stage{},
			&compare.Stage{}, &model.Stage{}, &evaluate.Stage{}, full.stage)
	})
	if full.err != nil {
		t.Fatal(full.err)
	}
	return full.env, full.stage
}

func TestReportFiles(t *testing.T) {
	_, st := fullRun(t)
	files := st.Files()
	if len(files) != 16 { // index, sample, researcher, 13 municipalities
		t.Fatalf("%d files: %v", len(files), files)
	}
	if st.Index() != files[0] || filepath.Base(st.Index()) != "index.html" {
		t.Errorf("index %q", st.Index())
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d bytes", filepath.Base(f), len(b))
	}
}
