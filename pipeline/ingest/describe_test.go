package ingest

import (
	"context"
	"fmt"
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

// TestDescribeNA checks R's NA (and blank cells) count as missing, in both
// forms of describeColumns, so that the column keeps its type; and that a
// typed select reads them as NULL.
func TestDescribeNA(t *testing.T) {
	for _, wide := range []int{64, 0} {
		defer func(w int) { wideColumns = w }(wideColumns)
		wideColumns = wide
		t.Run(map[int]string{64: "wide", 0: "long"}[wide], func(t *testing.T) {
			ctx := context.Background()
			st := openStore(t, "")
			path := writeFile(t, "na.csv", []byte("trust,age,kommune,na\n5,NA,Oslo,NA\nNA,34.5,NA,NA\n 7 , NA ,Bergen,\n5,61,Oslo,NA\n  ,20,Oslo,NA\n"))
			if _, err := LoadFile(ctx, st, path, FileOptions{}, "na"); err != nil {
				t.Fatal(err)
			}
			got, err := Describe(ctx, st, "na")
			if err != nil {
				t.Fatal(err)
			}
			want := []Summary{
				{Column: Column{Name: "trust", Type: "text"}, Detected: TypeInteger, Values: 3, Missing: 2, Distinct: 2, Min: "5", Max: "7"},
				{Column: Column{Name: "age", Type: "text"}, Detected: TypeNumber, Values: 3, Missing: 2, Distinct: 3, Min: "20", Max: "61"},
				{Column: Column{Name: "kommune", Type: "text"}, Detected: TypeText, Values: 4, Missing: 1, Distinct: 2},
				{Column: Column{Name: "na", Type: "text"}, Detected: TypeEmpty, Missing: 5},
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("Describe:\n got %+v\nwant %+v", got, want)
			}
			var n int
			var sum float64
			if err := st.DB().QueryRow("SELECT count(trust), sum(age) FROM (SELECT "+TypedSelect(got, ".")+" FROM raw_na)").Scan(&n, &sum); err != nil {
				t.Fatal(err)
			}
			if n != 3 || sum != 34.5+61+20 {
				t.Errorf("typed: count(trust) %d, sum(age) %g", n, sum)
			}
			if err := TopValues(ctx, st, "na", got, 5); err != nil {
				t.Fatal(err)
			}
			// " 7 " is a value as the file has it; NA and blanks are not.
			wantTop := [][]TopValue{
				{{Value: "5", Count: 2}, {Value: " 7 ", Count: 1}},
				{{Value: "20", Count: 1}, {Value: "34.5", Count: 1}, {Value: "61", Count: 1}},
				{{Value: "Oslo", Count: 3}, {Value: "Bergen", Count: 1}},
				nil,
			}
			for i, s := range got {
				if !reflect.DeepEqual(s.Top, wantTop[i]) {
					t.Errorf("%s top = %+v, want %+v", s.Name, s.Top, wantTop[i])
				}
			}
		})
	}
}

// TestDescribeTopValues checks the most frequent values with their labels
// and counts, ties in numeric order, the limit, and which columns count as
// categorical.
func TestDescribeTopValues(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, "")
	var b []byte
	b = append(b, "id,g,many,x\n"...)
	for i := range 30 {
		g := []string{"1", "2", "2", "10", "10", "3"}[i%6]
		b = fmt.Appendf(b, "%d,%s,%d,%s\n", i, g, i%13, []string{"a", "b", "b"}[i%3])
	}
	path := writeFile(t, "top.csv", b)
	if _, err := LoadFile(ctx, st, path, FileOptions{}, "top"); err != nil {
		t.Fatal(err)
	}
	got, err := Describe(ctx, st, "top")
	if err != nil {
		t.Fatal(err)
	}
	got[1].ValueLabels = []ValueLabel{{Value: "2", Label: "Two"}, {Value: "10.0", Label: "Ten"}}
	if err := TopValues(ctx, st, "top", got, 3); err != nil {
		t.Fatal(err)
	}
	want := [][]TopValue{
		nil, // 30 distinct values: not categorical
		{{Value: "2", Label: "Two", Count: 10}, {Value: "10", Label: "Ten", Count: 10}, {Value: "1", Count: 5}},
		nil, // 13 distinct values, more than FewDistinct
		{{Value: "b", Count: 20}, {Value: "a", Count: 10}},
	}
	for i, s := range got {
		if !reflect.DeepEqual(s.Top, want[i]) {
			t.Errorf("%s top = %+v, want %+v", s.Name, s.Top, want[i])
		}
	}
}

// TestDescribeESSNA checks ESS9NO.csv, written by R with NA for missing
// values: ppltrst and agea are integers with their NAs counted as missing
// (as in ESS9NO.sav, where they are system-missing).
func TestDescribeESSNA(t *testing.T) {
	path := shareddata.Path(t, "ess9no/ESS9NO.csv")
	ctx := context.Background()
	st := openStore(t, "")
	if _, err := LoadFile(ctx, st, path, FileOptions{}, "ess"); err != nil {
		t.Fatal(err)
	}
	got, err := Describe(ctx, st, "ess")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Summary{
		"ppltrst": {Detected: TypeInteger, Values: 1401, Missing: 5, Distinct: 11, Min: "0", Max: "10"},
		"agea":    {Detected: TypeInteger, Values: 1374, Missing: 32, Distinct: 75, Min: "15", Max: "90"},
		"gndr":    {Detected: TypeInteger, Values: 1406, Missing: 0, Distinct: 2, Min: "1", Max: "2"},
	}
	seen := 0
	for _, s := range got {
		w, ok := want[s.Name]
		if !ok {
			continue
		}
		seen++
		w.Column = s.Column
		if !reflect.DeepEqual(s, w) {
			t.Errorf("%s: got %+v, want %+v", s.Name, s, w)
		}
	}
	if seen != len(want) {
		t.Errorf("found %d of %d columns", seen, len(want))
	}
}
