package jobmatch_test

import (
	"testing"

	"socap/indicators/core/coretest"
	"socap/indicators/jobmatch"
)

// TestTestdata computes the module on testdata/input.csv and compares with
// the values worked out by hand in testdata/expected.csv.
func TestTestdata(t *testing.T) { coretest.Check(t, jobmatch.New, nil) }
