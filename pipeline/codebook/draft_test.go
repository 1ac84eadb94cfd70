package codebook

import (
	"slices"
	"testing"
)

func TestDraftTypesNamesAndMissingCodes(t *testing.T) {
	vars := []FileVariable{
		{Name: "Kommune", Label: "Municipality", Numeric: true, Measure: "nominal",
			ValueLabels: []FileValueLabel{{"5014", "Frøya"}, {"5001", "Trondheim"}}},
		{Name: "IDNO", Label: "Respondent id", Numeric: true, Measure: "scale"},
		{Name: "ppltrst", Numeric: true, Measure: "nominal", MissingCodes: "77, 88, 99",
			ValueLabels: []FileValueLabel{{"0", "Can't be too careful"}, {"1", "1"}, {"10", "Most can be trusted"}, {"77", "Refusal"}}},
		{Name: "pdwrk", Numeric: true, ValueLabels: []FileValueLabel{{"0", "Not marked"}, {"1", "Marked"}}},
		{Name: "agea", Numeric: true, Measure: "scale", MissingCodes: "999..1005, LO..-1"},
		{Name: "comment", Numeric: false},
		{Name: "kommune", Numeric: false}, // clashes with Kommune once lower-cased
	}
	cb, err := Draft("ESS9 Norway", "ess9no", vars)
	if err != nil {
		t.Fatal(err)
	}
	yml, err := cb.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := Parse("draft.yaml", yml)
	if err != nil {
		t.Fatalf("drafted codebook does not parse: %v\n%s", err, yml)
	}
	want := []struct {
		name   string
		typ    Type
		column string
	}{
		{"kommune", Categorical, "Kommune"},
		{"idno", ID, "IDNO"},
		{"ppltrst", Ordinal, "ppltrst"},
		{"pdwrk", Binary, "pdwrk"},
		{"agea", Continuous, "agea"},
		{"comment", TextType, "comment"},
		{"kommune_2", TextType, "kommune"},
	}
	if len(parsed.Variables) != len(want) {
		t.Fatalf("%d variables, want %d", len(parsed.Variables), len(want))
	}
	for i, w := range want {
		v := parsed.Variables[i]
		if v.Name != w.name || v.Type != w.typ || v.Column("ess9no") != w.column {
			t.Errorf("variable %d = %s %s (column %s), want %s %s (column %s)", i, v.Name, v.Type, v.Column("ess9no"), w.name, w.typ, w.column)
		}
	}
	trust := parsed.Variable("ppltrst")
	if got := trust.Missing; !slices.Equal(got, []Code{"77", "88", "99"}) {
		t.Errorf("ppltrst missing = %v", got)
	}
	for _, v := range trust.Values {
		if v.Code == "77" {
			t.Errorf("missing code 77 kept as a value label")
		}
	}
	age := parsed.Variable("agea")
	if len(age.Missing) != 7 || age.Missing[0] != "999" || age.Missing[6] != "1005" {
		t.Errorf("agea missing = %v, want 999..1005 expanded", age.Missing)
	}
	if age.Label.EN == "" {
		t.Errorf("agea: the open range LO..-1 should be noted in the label")
	}
}

func TestDraftNeedsVariables(t *testing.T) {
	if _, err := Draft("x", "x", nil); err == nil {
		t.Fatal("want an error for a file without variables")
	}
}
