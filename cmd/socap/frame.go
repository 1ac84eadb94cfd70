package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"socap/indicators/survey"
	"socap/pipeline/dataerr"
)

// csvRecords is a CSV file held as text: the header and the data rows.
type csvRecords struct {
	path   string
	header []string
	rows   [][]string
}

// readCSV reads a whole CSV file; rows must all have the header's width.
func readCSV(ctx context.Context, path string) (*csvRecords, error) {
	if ext := strings.ToLower(filepath.Ext(path)); ext != ".csv" {
		return nil, usageErrorf("%s: reading %s files needs the ingest stage; give a .csv file", path, ext)
	}
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	r := csv.NewReader(fh)
	r.ReuseRecord = false
	header, err := r.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &dataerr.DataError{File: path, Err: errors.New("empty file: no header")}
		}
		return nil, &dataerr.DataError{File: path, Err: err}
	}
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff")
	}
	out := &csvRecords{path: path, header: header}
	for {
		if len(out.rows)%65536 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		row, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, &dataerr.DataError{File: path, Row: int64(len(out.rows) + 1), Err: err}
		}
		out.rows = append(out.rows, row)
	}
	return out, nil
}

func isMissingText(s string) bool { return s == "" || s == "NA" }

// frame builds a Frame from the named columns (all when nil), typing each as above.
func (c *csvRecords) frame(columns []string) (*survey.Frame, error) {
	index := make(map[string]int, len(c.header))
	for j, h := range c.header {
		index[h] = j
	}
	if columns == nil {
		columns = c.header
	}
	f := survey.NewFrame()
	for _, name := range columns {
		if name == "" || f.Has(name) {
			continue // an unnamed column holds R's row names
		}
		j, ok := index[name]
		if !ok {
			return nil, &dataerr.DataError{File: c.path, Column: name, Err: survey.ErrUnknownColumn}
		}
		num := make([]float64, len(c.rows))
		numeric := true
		for i, row := range c.rows {
			s := strings.TrimSpace(row[j])
			if isMissingText(s) {
				num[i] = math.NaN()
				continue
			}
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				numeric = false
				break
			}
			num[i] = v
		}
		var err error
		if numeric {
			err = f.AddFloat(name, num)
		} else {
			txt := make([]string, len(c.rows))
			for i, row := range c.rows {
				if s := row[j]; !isMissingText(s) {
					txt[i] = s
				}
			}
			err = f.AddString(name, txt)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.path, err)
		}
	}
	return f, nil
}
