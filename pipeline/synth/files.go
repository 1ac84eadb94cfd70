package synth

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
)

// The file formats WriteDir writes.
const (
	FormatCSV     = "csv"
	FormatParquet = "parquet"
	FormatXLSX    = "xlsx"
)

// Formats lists the supported formats.
func Formats() []string { return []string{FormatCSV, FormatParquet, FormatXLSX, FormatSAV, FormatDTA} }

// Files are the paths WriteDir wrote.
type Files struct {
	Waves   []string // wave1.FORMAT, wave2.FORMAT
	Truth   string   // truth.json
	Margins string   // margins.csv
}

// fileWriter is a RowWriter over a file that must be closed.
type fileWriter interface {
	RowWriter
	Close() error
}

// WriteDir generates the survey into dir (created if needed): one file per
// wave in format, truth.json and margins.csv.
func WriteDir(opts Options, dir, format string) (*Truth, *Files, error) {
	open, ok := openers[format]
	if !ok {
		return nil, nil, fmt.Errorf("synth: format %q: want one of %v", format, Formats())
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, fmt.Errorf("synth: %w", err)
	}
	files := &Files{Truth: filepath.Join(dir, "truth.json"), Margins: filepath.Join(dir, "margins.csv")}
	var writers []RowWriter
	var closers []fileWriter
	closeAll := func() error {
		var errs []error
		for _, c := range closers {
			errs = append(errs, c.Close())
		}
		return errors.Join(errs...)
	}
	for w := 1; w <= opts.Waves; w++ {
		path := filepath.Join(dir, "wave"+strconv.Itoa(w)+"."+format)
		fw, err := open(path)
		if err != nil {
			closeAll()
			return nil, nil, fmt.Errorf("synth: %s: %w", path, err)
		}
		files.Waves = append(files.Waves, path)
		writers, closers = append(writers, fw), append(closers, fw)
	}
	truth, err := Generate(opts, writers)
	if cerr := closeAll(); err == nil && cerr != nil {
		err = fmt.Errorf("synth: %w", cerr)
	}
	if err != nil {
		return nil, nil, err
	}
	if err := writeFile(files.Truth, truth.WriteJSON); err != nil {
		return nil, nil, err
	}
	if err := writeFile(files.Margins, truth.WriteMargins); err != nil {
		return nil, nil, err
	}
	return truth, files, nil
}

var openers = map[string]func(path string) (fileWriter, error){
	FormatCSV:     openCSV,
	FormatParquet: openParquet,
	FormatXLSX:    openXLSX,
	FormatSAV:     openSAV,
	FormatDTA:     openDTA,
}

// csvFile is a CSVWriter over its own file.
type csvFile struct {
	*CSVWriter
	f *os.File
}

func openCSV(path string) (fileWriter, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	cw, err := NewCSVWriter(f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &csvFile{cw, f}, nil
}

func (c *csvFile) Close() error {
	return errors.Join(c.Flush(), c.f.Close())
}

func writeFile(path string, write func(w io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("synth: %w", err)
	}
	bw := bufio.NewWriter(f)
	err = errors.Join(write(bw), bw.Flush(), f.Close())
	if err != nil {
		return fmt.Errorf("synth: %s: %w", path, err)
	}
	return nil
}
