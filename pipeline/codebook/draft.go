package codebook

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
)

// FileVariable is what a data file says about one of its variables: the
// input to Draft. It is deliberately independent of the readers, so that any
// source of metadata (SPSS, Stata, a CSV's detected types) can fill it.
type FileVariable struct {
	Name    string
	Label   string
	Numeric bool
	// Measure is SPSS's measurement level: nominal, ordinal, scale or "".
	Measure string
	// MissingCodes are declared user-missing codes as the ingest stage
	// records them: values and inclusive lo..hi ranges, ", "-separated
	// ("97..99, -1"); LO and HI stand for open ends.
	MissingCodes string
	ValueLabels  []FileValueLabel
}

// FileValueLabel is one labelled value of a FileVariable.
type FileValueLabel struct {
	Value, Label string
}

// maxExpandedRange is the widest integer missing-code range Draft lists code
// by code; a wider one is left out with a note in the variable's label.
const maxExpandedRange = 100

var idName = regexp.MustCompile(`(?i)^(id|idno|respid|resp_id|respondent|respondent_id|lopenr|lnr|case_?id)$`)

// Draft writes a first codebook for the variables of one source file: types
// from the measurement level and labels (two labels 0/1 → binary; a code
// labelled with its own number → ordinal rating scale; labelled nominal →
// categorical; other labelled codes → ordinal; scale or unlabelled →
// continuous; text → text), value labels in English (nb
// left for the researcher), declared missing codes, and canonical names in
// lower case with the file's name kept under columns[sourceID] when it
// differs. The respondent id is the first variable named like one (id, idno,
// respid …), else the first variable. Weights and design variables are left
// for the researcher to mark.
// The researcher is expected to edit the result: set dimensions, ranges,
// reverse coding and Norwegian labels.
func Draft(name, sourceID string, vars []FileVariable) (*Codebook, error) {
	if len(vars) == 0 {
		return nil, fmt.Errorf("draft codebook: the file has no variables")
	}
	cb := &Codebook{Name: canonicalName(name, "survey"), Version: 1,
		Title: Text{EN: "Codebook drafted from " + sourceID + "; review before use"}}
	idIndex := 0
	for i, v := range vars {
		if idName.MatchString(v.Name) {
			idIndex = i
			break
		}
	}
	used := map[string]bool{}
	for i, fv := range vars {
		v := Variable{Name: uniqueName(canonicalName(fv.Name, "v"+strconv.Itoa(i+1)), used), Label: Text{EN: fv.Label}}
		if v.Name != fv.Name {
			v.Columns = map[string]string{sourceID: fv.Name}
		}
		missing, note := missingCodes(fv.MissingCodes)
		v.Missing = missing
		if note != "" {
			v.Label.EN = strings.TrimSpace(v.Label.EN + " (" + note + ")")
		}
		isMissing := map[string]bool{}
		for _, m := range missing {
			isMissing[string(m)] = true
		}
		for _, l := range fv.ValueLabels {
			code := Code(l.Value)
			if fv.Numeric {
				if f, err := strconv.ParseFloat(l.Value, 64); err == nil {
					code = Code(strconv.FormatFloat(f, 'f', -1, 64))
				} else {
					continue // a Stata missing-value label such as ".a"
				}
			}
			if !isMissing[string(code)] {
				v.Values = append(v.Values, Value{Code: code, EN: l.Label})
			}
		}
		v.Type = draftType(fv, v.Values)
		if i == idIndex {
			v.Type = ID
		}
		if v.Type == ID || v.Type == TextType {
			v.Values = nil
		}
		cb.Variables = append(cb.Variables, v)
	}
	return cb, nil
}

func draftType(fv FileVariable, values []Value) Type {
	if !fv.Numeric {
		if len(values) > 0 {
			return Categorical
		}
		return TextType
	}
	if len(values) == 2 && isZeroOne(values) {
		return Binary
	}
	if labelsAreScalePoints(values) {
		// Labels such as 0 "Not at all", 1 "1", …, 10 "Completely": a
		// rating scale, whatever measurement level the file declares
		// (ESS files declare every variable nominal).
		return Ordinal
	}
	switch fv.Measure {
	case "nominal":
		if len(values) > 0 {
			return Categorical
		}
	case "scale":
		return Continuous
	}
	if len(values) > 0 {
		return Ordinal
	}
	return Continuous
}

// labelsAreScalePoints reports whether some labelled code is labelled with
// its own number, the mark of a numbered rating scale.
func labelsAreScalePoints(values []Value) bool {
	for _, v := range values {
		if v.EN == string(v.Code) {
			return true
		}
	}
	return false
}

func isZeroOne(values []Value) bool {
	a, b := values[0].Code, values[1].Code
	return (a == "0" && b == "1") || (a == "1" && b == "0")
}

// missingCodes expands "97..99, -1" into codes; a range wider than
// maxExpandedRange, open-ended or not integral, is described in the returned
// note instead.
func missingCodes(s string) ([]Code, string) {
	if strings.TrimSpace(s) == "" {
		return nil, ""
	}
	var codes []Code
	var notes []string
	for _, part := range strings.Split(s, ", ") {
		lo, hi, isRange := strings.Cut(part, "..")
		if !isRange {
			codes = append(codes, Code(part))
			continue
		}
		a, errA := strconv.ParseFloat(lo, 64)
		b, errB := strconv.ParseFloat(hi, 64)
		if errA != nil || errB != nil || a != math.Trunc(a) || b != math.Trunc(b) || b-a > maxExpandedRange {
			notes = append(notes, "file declares missing range "+part)
			continue
		}
		for x := a; x <= b; x++ {
			codes = append(codes, Code(strconv.FormatFloat(x, 'f', -1, 64)))
		}
	}
	return codes, strings.Join(notes, "; ")
}

var nonName = regexp.MustCompile(`[^a-z0-9_]+`)

// canonicalName lower-cases s and replaces what a codebook name may not
// hold with _, prefixing a letter when needed; fallback when nothing is left.
func canonicalName(s, fallback string) string {
	n := strings.Trim(nonName.ReplaceAllString(strings.ToLower(s), "_"), "_")
	if n == "" {
		return fallback
	}
	if n[0] < 'a' || n[0] > 'z' {
		n = "v_" + n
	}
	return n
}

func uniqueName(n string, used map[string]bool) string {
	name := n
	for k := 2; used[name]; k++ {
		name = n + "_" + strconv.Itoa(k)
	}
	used[name] = true
	return name
}

// MarshalYAML writes a code as a number when it is one (an integer when
// integral).
func (c Code) MarshalYAML() (any, error) {
	if i, err := strconv.ParseInt(string(c), 10, 64); err == nil {
		return i, nil
	}
	if f, ok := c.Float(); ok && strconv.FormatFloat(f, 'f', -1, 64) == string(c) {
		return f, nil
	}
	return string(c), nil
}

// Marshal renders the codebook as YAML that Parse accepts.
func (cb *Codebook) Marshal() ([]byte, error) {
	return yaml.MarshalWithOptions(cb, yaml.Indent(2), yaml.IndentSequence(true), yaml.OmitEmpty())
}
