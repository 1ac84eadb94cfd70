package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestProducerNotes checks that socap estimate says the same on stderr with either
// producer about what a reader must know beside the numbers — rows in no group, a
// --by column with many groups — and gives the same table for a semicolon CSV with
// decimal commas (which the duckdb producer reads in place).
func TestProducerNotes(t *testing.T) {
	data := filepath.Join(t.TempDir(), "komma.csv")
	csv := "id;w;x;g\n1;1,5;2,25;a\n2;2,0;3,5;b\n3;1,0;4,75;\n4;1,0;1,0;b\n5;1;2;a\n6;0,5;3,25;b\n"
	if err := os.WriteFile(data, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	var tables []string
	for _, producer := range []string{"memory", "duckdb"} {
		code, stdout, stderr := runCLI(t, "estimate", data, "--weight", "w", "--mean", "x", "--by", "g", "--producer", producer)
		if code != exitOK {
			t.Fatalf("--producer %s: exit %d: %s", producer, code, stderr)
		}
		for _, want := range []string{
			"socap: note: 1 of 6 rows of " + data + " have no value of g and are in no group",
			"socap: warning: --by g has 2 groups for 6 rows (3.0 rows a group)",
		} {
			if !strings.Contains(stderr, want) {
				t.Errorf("--producer %s: stderr lacks %q:\n%s", producer, want, stderr)
			}
		}
		if !strings.Contains(stdout, " 2.75 ") { // group b: (2·3.5 + 1 + 0.5·3.25) / 3.5
			t.Errorf("--producer %s: group b's mean is not 2.75:\n%s", producer, stdout)
		}
		tables = append(tables, stdout)
	}
	if tables[0] != tables[1] {
		t.Errorf("memory:\n%s\nduckdb:\n%s", tables[0], tables[1])
	}
}
