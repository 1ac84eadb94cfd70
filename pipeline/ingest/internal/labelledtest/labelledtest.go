// Package labelledtest holds the test helpers that the spss and stata
// readers' tests share: reading a file to the end, comparing what was read
// with CSV conversions made by other programs (ReadStat, R's haven,
// pyreadstat, R's write.csv), and checking the readers' errors.
package labelledtest

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"socap/internal/shareddata"
	"socap/internal/testcsv"
	"socap/pipeline/ingest/labelled"
)

// Reader is an SPSS or Stata reader.
type Reader interface {
	NewBatch(capacity int) *labelled.Batch
	Next(b *labelled.Batch) (int, error)
}

// MemFile is an in-memory io.WriteSeeker for the writers' tests; B
// holds what was written.
type MemFile struct {
	B   []byte
	pos int
}

func (m *MemFile) Write(p []byte) (int, error) {
	if need := m.pos + len(p); need > len(m.B) {
		m.B = append(m.B, make([]byte, need-len(m.B))...)
	}
	m.pos += copy(m.B[m.pos:], p)
	return len(p), nil
}

// Seek moves the position of the next Write.
func (m *MemFile) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
		m.pos = int(off)
	case io.SeekCurrent:
		m.pos += int(off)
	case io.SeekEnd:
		m.pos = len(m.B) + int(off)
	}
	return int64(m.pos), nil
}

// ReadFile opens path with open and reads every row into one batch.
func ReadFile[R interface {
	Reader
	Close() error
}](t testing.TB, path string, open func(path string) (R, error)) (R, *labelled.Batch) {
	t.Helper()
	r, err := open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	return r, ReadAll(t, r)
}

// ReadAll reads every row of r into one batch, three rows at a time
// (small batches exercise the batch boundaries).
func ReadAll(t testing.TB, r Reader) *labelled.Batch {
	t.Helper()
	b := r.NewBatch(3)
	all := &labelled.Batch{Columns: make([]labelled.Column, len(b.Columns))}
	for {
		n, err := r.Next(b)
		if errors.Is(err, io.EOF) {
			return all
		}
		if err != nil {
			t.Fatal(err)
		}
		for i := range b.Columns {
			c, a := &b.Columns[i], &all.Columns[i]
			a.Valid = append(a.Valid, c.Valid[:n]...)
			if c.Strings != nil {
				a.Strings = append(a.Strings, c.Strings[:n]...)
				continue
			}
			a.Floats = append(a.Floats, c.Floats[:n]...)
			if c.Tags != nil {
				a.Tags = append(a.Tags, c.Tags[:n]...)
			}
		}
		all.Len += n
	}
}

// FirstError reads r to the end in batches of capacity rows and returns
// the first error, or nil at io.EOF.
func FirstError(r Reader, capacity int) error {
	b := r.NewBatch(capacity)
	for {
		if _, err := r.Next(b); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

// Readstat returns the path of the readstat command (ReadStat, Debian
// package readstat), or skips t when it is not installed.
func Readstat(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("readstat")
	if err != nil {
		t.Skip("readstat not on PATH (apt-get install -y readstat)")
	}
	return bin
}

// ReadstatCSV converts path with the readstat command and returns its
// CSV, or skips when readstat is absent. ReadStat writes missing values
// as empty cells, numbers with six decimals (14 when six lose digits) and
// dates and times in the units of the file.
func ReadstatCSV(t *testing.T, path string) [][]string {
	t.Helper()
	var out, stderr bytes.Buffer
	cmd := exec.Command(Readstat(t), path, "-")
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("readstat %s: %v: %s", path, err, stderr.String())
	}
	cr := csv.NewReader(&out)
	cr.FieldsPerRecord = -1
	recs, err := cr.ReadAll()
	if err != nil {
		t.Fatalf("readstat %s output: %v", path, err)
	}
	return recs
}

// ReadstatWrite has the readstat command write the file name (its
// extension says the format) from records, a CSV with a header, and meta,
// ReadStat's metadata JSON, in a temporary directory. It returns the
// file's path, or skips t when readstat is absent.
func ReadstatWrite(t *testing.T, records [][]string, meta, name string) string {
	t.Helper()
	bin := Readstat(t)
	dir := t.TempDir()
	var data bytes.Buffer
	cw := csv.NewWriter(&data)
	if err := cw.WriteAll(records); err != nil {
		t.Fatal(err)
	}
	csvPath, metaPath, path := filepath.Join(dir, "in.csv"), filepath.Join(dir, "meta.json"), filepath.Join(dir, name)
	if err := os.WriteFile(csvPath, data.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(metaPath, []byte(meta), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(bin, csvPath, metaPath, path).CombinedOutput(); err != nil {
		t.Fatalf("readstat: %v: %s", err, out)
	}
	return path
}

// Fraction is row i of the fractional column of generated files:
// i×1.25−50, missing in every seventh row; text is its CSV cell, empty
// when missing.
func Fraction(i int) (x float64, valid bool, text string) {
	x, valid = float64(i)*1.25-50, i%7 != 0
	if valid {
		text = strconv.FormatFloat(x, 'g', -1, 64)
	}
	return x, valid, text
}

// Corpus returns the directory of the shared datasets and its files that
// match patterns. It skips t when the datasets are absent and fails it
// when fewer than least files match.
func Corpus(t *testing.T, least int, patterns ...string) (string, []string) {
	t.Helper()
	ds := shareddata.Path(t, ".")
	var files []string
	for _, pat := range patterns {
		m, _ := filepath.Glob(filepath.Join(ds, pat))
		files = append(files, m...)
	}
	if len(files) < least {
		t.Fatalf("found only %d files matching %q under %s", len(files), patterns, ds)
	}
	return ds, files
}

// SameAsReadstat compares x, a value of kind kind in the units of the
// file, with a cell of ReadStat's CSV. Dates and times (kinds other than
// Numeric) may differ by rel relative.
func SameAsReadstat(kind labelled.Kind, x float64, cell string, rel float64) bool {
	w, err := strconv.ParseFloat(cell, 64)
	if err != nil {
		return false
	}
	return x == w || strconv.FormatFloat(x, 'f', 6, 64) == cell || strconv.FormatFloat(x, 'f', 14, 64) == cell ||
		(kind != labelled.Numeric && math.Abs(x-w) <= rel*math.Abs(w))
}

// Haven runs the R script haven_csv.R (in package spss's
// testdata/reference) with an output directory and args, and returns the
// directory. It skips in -short mode (starting R takes seconds) and when
// R's haven is not installed.
func Haven(t *testing.T, script string, args []string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("starting R takes seconds; skipped in -short mode")
	}
	rscript, err := exec.LookPath("Rscript")
	if err != nil {
		t.Skip("Rscript not on PATH (apt-get install -y r-base-core r-cran-haven)")
	}
	if err := exec.Command(rscript, "-e", "library(haven)").Run(); err != nil {
		t.Skip("R package haven not installed (apt-get install -y r-cran-haven)")
	}
	dir := t.TempDir()
	if out, err := exec.Command(rscript, append([]string{script, dir}, args...)...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v: %s", script, err, out)
	}
	return dir
}

// HavenLabels runs the R script haven_labels.R (in package spss's
// testdata/reference) on the file at path and returns the dictionary
// haven reads from it: a header, then per variable its name, label,
// value labels, user-missing values and range. It skips as Haven does.
func HavenLabels(t *testing.T, script, path string) [][]string {
	t.Helper()
	return testcsv.Read(t, filepath.Join(Haven(t, script, []string{path}), "1.labels.csv"))
}

// SameAsHaven compares x, a value of kind kind, with a number of
// haven_csv.R. Dates and times are compared to 1e-12 relative: haven
// divides before shifting the epoch.
func SameAsHaven(kind labelled.Kind, x float64, cell string) bool {
	w, err := strconv.ParseFloat(cell, 64)
	return err == nil && (x == w || (kind != labelled.Numeric && math.Abs(x-w) <= 1e-12*math.Abs(w)))
}

// SameAsR compares value i of c, of kind kind, with a cell of R's
// write.csv: na for a missing value, numbers with 15 significant digits.
func SameAsR(kind labelled.Kind, c labelled.Column, i int, cell, na string) bool {
	if !c.Valid[i] {
		return cell == na
	}
	if kind == labelled.String {
		return c.Strings[i] == cell
	}
	w, err := strconv.ParseFloat(cell, 64)
	return err == nil && strconv.FormatFloat(c.Floats[i], 'g', 15, 64) == strconv.FormatFloat(w, 'g', 15, 64)
}

// Calendar spells a value of kind kind as the pyreadstat companion CSVs
// do: dates as 2006-01-02, timestamps with microseconds, durations as
// hours:minutes:seconds, other numbers in the shortest form.
func Calendar(kind labelled.Kind, x float64) string {
	switch kind {
	case labelled.Date:
		return time.Unix(int64(math.Floor(x))*86400, 0).UTC().Format("2006-01-02")
	case labelled.DateTime:
		return time.Unix(int64(x), 0).UTC().Format("2006-01-02T15:04:05.000000")
	case labelled.Time:
		s := int64(x)
		return strconv.FormatInt(s/3600, 10) + time.Unix(s%3600, 0).UTC().Format(":04:05.000000")
	}
	return strconv.FormatFloat(x, 'g', -1, 64)
}

// sameCell compares a rendered value with the CSV text, numerically when
// both are numbers (the CSVs write 1.10 or 1.0 for 1.1 and 1) and with the
// hour written as 0 or 00.
func sameCell(got, want string) bool {
	if got == want {
		return true
	}
	g, err1 := strconv.ParseFloat(got, 64)
	w, err2 := strconv.ParseFloat(want, 64)
	if err1 == nil && err2 == nil {
		return g == w
	}
	return strings.TrimLeft(got, "0") == strings.TrimLeft(want, "0")
}

// CompareTable compares b, the rows of the variables names, with want, a
// CSV conversion made by from: a header of the same names in the same
// order, then a record per row. same reports whether value i of variable
// j matches the cell, and show spells the value for the failure. At most
// 20 differing cells are reported.
func CompareTable(t *testing.T, from string, names []string, b *labelled.Batch, want [][]string, same func(i, j int, cell string) bool, show func(i, j int) string) {
	t.Helper()
	if len(want) == 0 {
		t.Fatalf("%s wrote nothing", from)
	}
	if len(want[0]) != len(names) {
		t.Fatalf("%d variables, %s has %d columns", len(names), from, len(want[0]))
	}
	for j, name := range names {
		if name != want[0][j] {
			t.Errorf("variable %d is %q, %s says %q", j, name, from, want[0][j])
		}
	}
	if b.Len != len(want)-1 {
		t.Fatalf("%d rows, %s has %d", b.Len, from, len(want)-1)
	}
	bad := 0
	for i := 0; i < b.Len && bad < 20; i++ {
		for j, name := range names {
			if !same(i, j, want[i+1][j]) {
				bad++
				t.Errorf("row %d %s: got %q, %s %q", i+1, name, show(i, j), from, want[i+1][j])
			}
		}
	}
}

// CompareCSV compares b, the rows of the variables names, with the
// pyreadstat companion CSV at path, cell by cell with sameCell; show
// spells value i of variable j as the CSV does.
func CompareCSV(t *testing.T, path string, names []string, b *labelled.Batch, show func(i, j int) string) {
	t.Helper()
	same := func(i, j int, cell string) bool { return sameCell(show(i, j), cell) }
	CompareTable(t, "the CSV", names, b, testcsv.Read(t, path), same, show)
}

// Names lists the names of vars, whose name says.
func Names[V any](vars []V, name func(V) string) []string {
	names := make([]string, len(vars))
	for i, v := range vars {
		names[i] = name(v)
	}
	return names
}

// MatchRows pairs the records of want, a CSV with a header, with the rows
// of b, the rows of the variables names, by the numeric variable id. It
// returns the CSV's column of each name and, per record, the row of b
// with the same id.
func MatchRows(t *testing.T, names []string, b *labelled.Batch, want [][]string, id string) (map[string]int, []int) {
	t.Helper()
	col := map[string]int{}
	for j, name := range want[0] {
		col[name] = j
	}
	j := slices.Index(names, id)
	if j < 0 {
		t.Fatalf("no %s variable", id)
	}
	row := map[float64]int{}
	for i := 0; i < b.Len; i++ {
		row[b.Columns[j].Floats[i]] = i
	}
	if b.Len != len(want)-1 {
		t.Errorf("%d respondents, CSV has %d", b.Len, len(want)-1)
	}
	rows := make([]int, len(want)-1)
	for k, rec := range want[1:] {
		x, _ := strconv.ParseFloat(rec[col[id]], 64)
		i, ok := row[x]
		if !ok {
			t.Fatalf("%s %v of the CSV not in the file", id, x)
		}
		rows[k] = i
	}
	return col, rows
}

// CheckCut checks err, from reading the first n bytes of a file named
// name: a FormatError inside those bytes (or inside the decompressed
// data) that wraps io.ErrUnexpectedEOF or errFormat. what says which cut
// failed.
func CheckCut(t *testing.T, what string, err error, name string, n int, errFormat error) {
	t.Helper()
	var fe *labelled.FormatError
	if !errors.As(err, &fe) {
		t.Fatalf("%s: got %v, want a FormatError", what, err)
	}
	if fe.File != name || fe.Offset < 0 || (!fe.Decompressed && fe.Offset > int64(n)) || fe.Expected == "" {
		t.Fatalf("%s: badly placed error %q", what, err)
	}
	if !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, errFormat) {
		t.Fatalf("%s: %v wraps neither io.ErrUnexpectedEOF nor ErrFormat", what, err)
	}
}

// CheckMessage checks the wording of err.
func CheckMessage(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil || err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}
}

// CheckSticky checks that Next, after first, keeps returning first and no
// rows.
func CheckSticky(t *testing.T, r Reader, b *labelled.Batch, first error) {
	t.Helper()
	if n, err := r.Next(b); n != 0 || err != first || b.Len != 0 {
		t.Errorf("second Next: %d rows, %v, want 0, %v", n, err, first)
	}
}

// index returns a function that finds pattern in data, failing t when it
// is not there; what names the test case.
func index(t *testing.T, what string, data []byte) func(pattern []byte) int {
	return func(pattern []byte) int {
		t.Helper()
		i := bytes.Index(data, pattern)
		if i < 0 {
			t.Fatalf("%s: no %q in the test file", what, pattern)
		}
		return i
	}
}

// Lie patches a valid file so that a count or length claims more than
// the file holds.
type Lie struct {
	Name  string
	Want  string // part of the error
	Patch func(b []byte, at func(pattern []byte) int)
}

// CheckLie patches data, a valid file, with lie and checks that read
// (which reads data as the file name) refuses it with a FormatError
// naming the file and saying lie.Want. what names the case in failures;
// CheckLie returns the error.
func CheckLie(t *testing.T, what string, lie Lie, data []byte, name string, read func(data []byte, name string) error) error {
	t.Helper()
	lie.Patch(data, index(t, what, data))
	err := read(data, name)
	var fe *labelled.FormatError
	if !errors.As(err, &fe) || fe.File != name || !strings.Contains(err.Error(), lie.Want) {
		t.Errorf("%s: %v, want a FormatError saying %q", what, err, lie.Want)
	}
	return err
}

// AddSeeds adds the files of the shared datasets, when present, that
// match patterns and are smaller than 64 KiB to the seed corpus of f.
func AddSeeds(f *testing.F, patterns ...string) {
	ds := shareddata.Dir()
	if ds == "" {
		return
	}
	for _, pat := range patterns {
		m, _ := filepath.Glob(filepath.Join(ds, pat))
		for _, p := range m {
			if data, err := os.ReadFile(p); err == nil && len(data) < 64<<10 {
				f.Add(data)
			}
		}
	}
}

// CheckRead reads r, a reader of the fuzzed file name, to the end in
// batches of 64 rows: it must hand out at most most rows and end at
// io.EOF or with a FormatError naming the file.
func CheckRead(t *testing.T, r Reader, name string, most int64) {
	t.Helper()
	b := r.NewBatch(64)
	var rows int64
	for {
		n, err := r.Next(b)
		rows += int64(n)
		if rows > most {
			t.Fatalf("%d rows from a file that can hold %d", rows, most)
		}
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			var fe *labelled.FormatError
			if !errors.As(err, &fe) || fe.File != name {
				t.Fatalf("data error without place: %v", err)
			}
			return
		}
	}
}

// FuzzInput hands out the bytes of a fuzz input; past its end, zeros.
type FuzzInput struct{ Data []byte }

// Next returns the next byte.
func (in *FuzzInput) Next() byte {
	if len(in.Data) == 0 {
		return 0
	}
	b := in.Data[0]
	in.Data = in.Data[1:]
	return b
}

// Text returns up to k of the next bytes as text, cut to whole UTF-8
// characters.
func (in *FuzzInput) Text(k int) string {
	k = min(k, len(in.Data))
	s := string(in.Data[:k])
	in.Data = in.Data[k:]
	for !utf8.ValidString(s) && len(s) > 0 {
		s = s[:len(s)-1]
	}
	return s
}

// FillFuzzBatch fills n rows of b, whose columns have the given kinds and
// (text) widths, from in: about one value in five missing, numbers from any
// bit pattern with set high and low bytes, text of any length up to the width,
// made readable-back by text (the format's padding rule).
func FillFuzzBatch(b *labelled.Batch, n int, kinds []labelled.Kind, widths []int, in *FuzzInput, text func(string) string) {
	for i := range n {
		for j, kind := range kinds {
			c := &b.Columns[j]
			c.Valid[i] = in.Next()%5 != 0
			if kind == labelled.String {
				c.Strings[i] = text(in.Text(int(in.Next()) % (widths[j] + 1)))
				continue
			}
			c.Floats[i] = math.Float64frombits(uint64(in.Next())<<56 | uint64(in.Next())<<48 | uint64(in.Next())<<8 | uint64(in.Next()))
		}
	}
	b.Len = n
}

// CompareFuzzBatch checks that got holds the n rows of wrote: the same text
// (empty for a missing one), the same numbers as stored (stored maps a
// column's value to what its storage keeps) and the same missing values.
func CompareFuzzBatch(t *testing.T, wrote, got *labelled.Batch, n int, kinds []labelled.Kind, stored func(j int, x float64) float64) {
	t.Helper()
	for i := range n {
		for j, kind := range kinds {
			c, g := &wrote.Columns[j], &got.Columns[j]
			if kind == labelled.String {
				want := ""
				if c.Valid[i] {
					want = c.Strings[i]
				}
				if g.Strings[i] != want {
					t.Fatalf("case %d, column %d: %q, wrote %q", i+1, j+1, g.Strings[i], want)
				}
				continue
			}
			x := stored(j, c.Floats[i])
			missing := !c.Valid[i] || math.IsNaN(x)
			if g.Valid[i] == missing || (!missing && g.Floats[i] != x) {
				t.Fatalf("case %d, column %d: %v (valid %v), wrote %v (valid %v)", i+1, j+1, g.Floats[i], g.Valid[i], x, !missing)
			}
		}
	}
}
