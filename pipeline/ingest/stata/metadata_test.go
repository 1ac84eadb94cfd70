package stata

import (
	"reflect"
	"testing"

	"socap/internal/shareddata"
	"socap/pipeline/ingest/labelled"
)

// TestFixtureMetadata checks the metadata of sample.dta against what
// ReadStat's extract_metadata and Stata's describe report for it.
func TestFixtureMetadata(t *testing.T) {
	r, err := Open(shareddata.Path(t, "readstat/basic/sample.dta"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.File.Version != 117 || r.File.Rows != 5 || r.File.Timestamp != "17 Dec 2018 14:53" {
		t.Errorf("file info %+v", r.File)
	}
	type meta struct {
		Name, Label, Storage, Format, LabelSet string
		Kind                                   labelled.Kind
	}
	want := []meta{
		{"mychar", "character", "str1", "%-1s", "", labelled.String},
		{"mynum", "numeric", "double", "%16.2f", "", labelled.Numeric},
		{"mydate", "date", "double", "%td", "", labelled.Date},
		{"dtime", "datetime", "double", "%tc", "", labelled.DateTime},
		{"mylabl", "labeled", "byte", "%16.0f", "mylabl", labelled.Numeric},
		{"myord", "ordinal", "byte", "%16.0f", "myord", labelled.Numeric},
		{"mytime", "time", "double", "%tcHH:MM:SS", "", labelled.Time},
	}
	var got []meta
	for _, v := range r.Variables {
		got = append(got, meta{v.Name, v.Label, v.Storage, v.Format, v.LabelSet, v.Kind})
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("variables\n%+v\nwant\n%+v", got, want)
	}
	if l := r.Variables[5].ValueLabels; !reflect.DeepEqual(l, []labelled.ValueLabel{{Value: 1, Label: "low"}, {Value: 2, Label: "medium"}, {Value: 3, Label: "high"}}) {
		t.Errorf("myord labels %+v", l)
	}
}

// TestKindOfFormat covers the display formats that select dates, times
// and timestamps.
func TestKindOfFormat(t *testing.T) {
	for f, want := range map[string]labelled.Kind{
		"%td": labelled.Date, "%tdDD/NN/CCYY": labelled.Date, "%-td": labelled.Date, "%d": labelled.Date, "%dD_m_Y": labelled.Date,
		"%tc": labelled.DateTime, "%tC": labelled.DateTime, "%tcDD_Mon_CCYY_HH:MM": labelled.DateTime, "%tcHH:MM:SS": labelled.Time, "%tcHH:MM": labelled.Time,
		"%tm": labelled.Numeric, "%tq": labelled.Numeric, "%ty": labelled.Numeric, "%9.0g": labelled.Numeric, "%-12s": labelled.Numeric, "%10.2fc": labelled.Numeric,
	} {
		if got := kindOfFormat(f); got != want {
			t.Errorf("%s: %v, want %v", f, got, want)
		}
	}
}
