package synth

import (
	"errors"
	"math"
	"socap/pipeline/ingest/labelled"
	"strconv"
	"time"

	"socap/pipeline/codebook"
	"socap/pipeline/ingest/spss"
	"socap/pipeline/ingest/stata"
)

// The formats of the labelled files WriteDir writes besides CSV, Parquet
// and XLSX.
const (
	FormatSAV = "sav"
	FormatDTA = "dta"
)

// idWidth is the width of the id string in SPSS and Stata files: ids are
// wave-municipality-area-person, at most 1+4+6+9 digits and 3 dashes.
const idWidth = 32

// labelledCreated is the creation time written into SPSS and Stata
// files, fixed so that the bytes are a function of the seed.
var labelledCreated = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// described is a column as the builtin:ilag codebook describes it: its
// Norwegian label (English where there is none), the value labels of its
// codes and its missing codes ("don't know", "refused").
type described struct {
	name, label string
	labels      []labelled.ValueLabel
	missing     []float64
}

// codebookColumns describes the id and the numeric columns in the order
// written.
func codebookColumns() ([]described, error) {
	cb, err := codebook.Load("builtin:ilag")
	if err != nil {
		return nil, err
	}
	names := []string{IDColumn}
	for _, c := range Columns {
		names = append(names, c.Name)
	}
	cols := make([]described, len(names))
	for j, name := range names {
		cols[j].name = name
		v := cb.Variable(name)
		if v == nil {
			continue
		}
		cols[j].label = v.Label.In("nb")
		for _, val := range v.Values {
			x, err := strconv.ParseFloat(string(val.Code), 64)
			if err != nil {
				continue
			}
			label := val.NB
			if label == "" {
				label = val.EN
			}
			cols[j].labels = append(cols[j].labels, labelled.ValueLabel{Value: x, Label: label})
		}
		for _, m := range v.Missing {
			if x, err := strconv.ParseFloat(string(m), 64); err == nil {
				cols[j].missing = append(cols[j].missing, x)
			}
		}
	}
	return cols, nil
}

// openSAV creates a bytecode-compressed .sav file whose variables carry
// the codebook's labels, value labels and missing codes (as user-missing
// values); codes get the format F8.0 (F12.0 for PSU ids), the weight
// F12.6.
func openSAV(path string) (fileWriter, error) {
	cols, err := codebookColumns()
	if err != nil {
		return nil, err
	}
	vars := []spss.Variable{{Name: IDColumn, Label: cols[0].label, Kind: labelled.String, Width: idWidth}}
	for j, c := range Columns {
		col := cols[j+1]
		format := map[Kind]string{Int32: "F8.0", Int64: "F12.0", Float64: "F12.6"}[c.Kind]
		vars = append(vars, spss.Variable{Name: c.Name, Label: col.label, Format: format, ValueLabels: col.labels, Missing: spss.Missing{Values: col.missing}})
	}
	w, err := spss.Create(path, vars, spss.WriterOptions{Label: "socap synth", Weight: Columns[colWeight].Name, Created: labelledCreated})
	if err != nil {
		return nil, err
	}
	return newLabelledFile(w, w.NewBatch(4096)), nil
}

// openDTA creates a format-118 .dta file whose variables carry the
// codebook's labels and value labels (Stata has no user-missing values:
// missing codes stay codes); codes are stored as long, PSU ids and the
// weight as double.
func openDTA(path string) (fileWriter, error) {
	cols, err := codebookColumns()
	if err != nil {
		return nil, err
	}
	vars := []stata.Variable{{Name: IDColumn, Label: cols[0].label, Kind: labelled.String, Width: idWidth}}
	for j, c := range Columns {
		storage := map[Kind]string{Int32: "long", Int64: "double", Float64: "double"}[c.Kind]
		vars = append(vars, stata.Variable{Name: c.Name, Label: cols[j+1].label, Storage: storage, ValueLabels: cols[j+1].labels})
	}
	w, err := stata.Create(path, vars, stata.WriterOptions{Label: "socap synth", Created: labelledCreated})
	if err != nil {
		return nil, err
	}
	return newLabelledFile(w, w.NewBatch(4096)), nil
}

// batchWriter is an spss.Writer or a stata.Writer.
type batchWriter interface {
	Write(b *labelled.Batch) error
	Close() error
}

// labelledFile collects respondents in a batch for an SPSS or Stata
// writer: the id as a string, the numeric columns with NaN as missing.
type labelledFile struct {
	w batchWriter
	b *labelled.Batch
}

func newLabelledFile(w batchWriter, b *labelled.Batch) *labelledFile {
	return &labelledFile{w: w, b: b}
}

// WriteRow adds one respondent, writing the batch when it is full.
func (f *labelledFile) WriteRow(r *Row) error {
	i := f.b.Len
	f.b.Columns[0].Strings[i], f.b.Columns[0].Valid[i] = r.ID, true
	for j, v := range r.Values {
		c := &f.b.Columns[j+1]
		c.Floats[i], c.Valid[i] = v, !math.IsNaN(v)
	}
	if f.b.Len++; f.b.Len < f.b.Cap() {
		return nil
	}
	err := f.w.Write(f.b)
	f.b.Len = 0
	return err
}

// Close writes the last rows and closes the file.
func (f *labelledFile) Close() error {
	var err error
	if f.b.Len > 0 {
		err = f.w.Write(f.b)
	}
	return errors.Join(err, f.w.Close())
}
