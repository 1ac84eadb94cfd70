package cognitive_test

import (
	"testing"

	"socap/indicators/cognitive"
	"socap/indicators/core/coretest"
)

// TestTestdata computes the module on testdata/input.csv and compares with
// the values worked out by hand in testdata/expected.csv.
func TestTestdata(t *testing.T) { coretest.Check(t, cognitive.New, nil) }
