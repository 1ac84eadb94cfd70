package ingest

import (
	"context"
	"reflect"
	"testing"
	"time"

	"socap/internal/shareddata"
)

// TestDescribe runs with the one-query form (describeWide) and the
// unpivoted form (describeLong), which must agree.
func TestDescribe(t *testing.T) {
	for _, wide := range []int{64, 0} {
		defer func(w int) { wideColumns = w }(wideColumns)
		wideColumns = wide
		t.Run(map[int]string{64: "wide", 0: "long"}[wide], testDescribe)
	}
}

func testDescribe(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, "")
	path := writeFile(t, "d.csv", []byte("id;score;dato;kommune;tom;tid\n1;3,5;2024-03-01;Frøya;;2024-03-01T10:30:00\n2;;2024-01-15;Frøya;;\n3;-1,25;2023-12-31;Hitra;;\n4;x;5\n"))
	if _, err := LoadFile(ctx, st, path, FileOptions{}, "d"); err != nil {
		t.Fatal(err)
	}
	got, err := Describe(ctx, st, "d")
	if err != nil {
		t.Fatal(err)
	}
	// Row 4 is ragged and left out; "3,5" is a number, not an integer; a
	// timestamp is not a date.
	want := []Summary{
		{Column: Column{Name: "id", Type: "text"}, Detected: TypeInteger, Values: 3, Distinct: 3, Min: "1", Max: "3"},
		{Column: Column{Name: "score", Type: "text"}, Detected: TypeNumber, Values: 2, Missing: 1, Distinct: 2, Min: "-1.25", Max: "3.5"},
		{Column: Column{Name: "dato", Type: "text"}, Detected: TypeDate, Values: 3, Distinct: 3, Min: "2023-12-31", Max: "2024-03-01"},
		{Column: Column{Name: "kommune", Type: "text"}, Detected: TypeText, Values: 3, Distinct: 2},
		{Column: Column{Name: "tom", Type: "text"}, Detected: TypeEmpty, Missing: 3},
		{Column: Column{Name: "tid", Type: "text"}, Detected: TypeText, Values: 1, Missing: 2, Distinct: 1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Describe:\n got %+v\nwant %+v", got, want)
	}
	sel := TypedSelect(got, ",")
	var id int64
	var score float64
	var kommune string
	if err := st.DB().QueryRow("SELECT "+sel+" FROM raw_d WHERE _row = 3").Scan(&id, &score, new(any), &kommune, new(any), new(any)); err != nil {
		t.Fatal(err)
	}
	if id != 3 || score != -1.25 || kommune != "Hitra" {
		t.Errorf("typed row 3 = %d %g %q", id, score, kommune)
	}
}

// TestDescribeWideFile checks the two forms of describeColumns agree on a
// wide file (ESS9NO.sav, ~560 variables).
func TestDescribeWideFile(t *testing.T) {
	path := shareddata.Path(t, "ess9no/ESS9NO.sav")
	ctx := context.Background()
	st := openStore(t, "")
	if _, err := LoadFile(ctx, st, path, FileOptions{}, "ess"); err != nil {
		t.Fatal(err)
	}
	info, err := LoadedSource(ctx, st, "ess")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	long, err := describeLong(ctx, st, info)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("describeLong: %d columns in %v", len(info.Columns), time.Since(start))
	// describeWide over the whole file is what took tens of seconds; check
	// it on a stretch of columns.
	part := *info
	part.Columns = info.Columns[100:160]
	wide, err := describeWide(ctx, st, &part)
	if err != nil {
		t.Fatal(err)
	}
	if got := long[100*perColumn : 160*perColumn]; !reflect.DeepEqual(got, wide) {
		for i := range wide {
			if got[i] != wide[i] {
				t.Errorf("%s figure %d: long %v, wide %v", part.Columns[i/perColumn].Name, i%perColumn, got[i], wide[i])
			}
		}
	}
}
