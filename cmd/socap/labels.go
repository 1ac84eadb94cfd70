package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"socap/indicators/survey"
)

// fileLabels are the value labels of a file's columns (SPSS and Stata files
// carry them): column → value as the frame names it ("2", not "2.0") → label.
type fileLabels map[string]map[string]string

// label is the label of value in column, or "" when it has none.
func (vl fileLabels) label(column, value string) string { return vl[column][value] }

// has reports whether column has value labels.
func (vl fileLabels) has(column string) bool { return len(vl[column]) > 0 }

// frameValue writes a labelled value as the frame's codes name it: numbers in
// their shortest form ("2" for "2.0"), text as it is.
func frameValue(v string) string {
	v = strings.TrimSpace(v)
	if x, err := strconv.ParseFloat(v, 64); err == nil {
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	return v
}

// resolveLevel finds the value of column that level names: a value that
// occurs in the data, or else the value whose label is level (compared
// without regard to case), so that --prop brncntr=No selects the code labelled
// "No". A level that is neither is bad input, with the values listed.
func resolveLevel(frame *survey.Frame, labels fileLabels, column, level string) (string, error) {
	_, values, err := frame.Codes(column)
	if err != nil {
		return "", usageError{err}
	}
	if slices.Contains(values, level) {
		return level, nil
	}
	if v := frameValue(level); slices.Contains(values, v) {
		return v, nil
	}
	for _, v := range values {
		if l := labels.label(column, v); l != "" && strings.EqualFold(strings.TrimSpace(l), strings.TrimSpace(level)) {
			return v, nil
		}
	}
	return "", usageErrorf("column %q has no value or value label %q; its values: %s", column, level, strings.Join(firstN(labelledValues(labels, column, values), 20), ", "))
}

// labelledValues lists values as "2 (No)" where they have a label.
func labelledValues(labels fileLabels, column string, values []string) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = v
		if l := labels.label(column, v); l != "" {
			out[i] = fmt.Sprintf("%s (%s)", v, l)
		}
	}
	return out
}

// How group values and levels are shown (--labels).
const (
	labelsLabels = "labels" // the label where there is one, else the code
	labelsCodes  = "codes"  // the code only
	labelsBoth   = "both"   // the code column, and beside it <name>_label
)

// addLabelsFlag registers --labels on cmd.
func addLabelsFlag(cmd *cobra.Command, dest *string) {
	cmd.Flags().StringVar(dest, "labels", "", "group values and levels as value labels, codes or both (default: labels in a table, both in CSV; JSON always has codes and labels)")
}

// labelsMode is --labels checked, with the default of format: labels for a
// table, both for CSV (the code column keeps its name, the label column is
// <name>_label).
func labelsMode(flag, format string) (string, error) {
	switch flag {
	case "":
		if format == formatCSV {
			return labelsBoth, nil
		}
		return labelsLabels, nil
	case labelsLabels, labelsCodes, labelsBoth:
		return flag, nil
	}
	return "", usageErrorf("--labels %q: want labels, codes or both", flag)
}

// labelColumns adds the columns of a coded variable to a table header:
// name, and name_label beside it in mode both.
func labelColumns(mode string, names ...string) []string {
	var out []string
	for _, n := range names {
		out = append(out, n)
		if mode == labelsBoth {
			out = append(out, n+"_label")
		}
	}
	return out
}

// labelCells are the cells of value of column as labelColumns laid them out.
func labelCells(mode string, labels fileLabels, column, value string) []any {
	l := labels.label(column, value)
	switch mode {
	case labelsBoth:
		return []any{value, l}
	case labelsLabels:
		if l != "" {
			return []any{l}
		}
	}
	return []any{value}
}

// byLabels is the labels of a record's group values, nil when none has one.
func byLabels(labels fileLabels, by map[string]string) map[string]string {
	var out map[string]string
	for k, v := range by {
		if l := labels.label(k, v); l != "" {
			if out == nil {
				out = map[string]string{}
			}
			out[k] = l
		}
	}
	return out
}
