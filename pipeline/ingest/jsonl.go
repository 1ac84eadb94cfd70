package ingest

import (
	"bufio"
	"bytes"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// jsonLines reads JSON lines: one object per line. The columns are the
// union of the objects' keys in order of first appearance (a first pass
// over the file finds them). Strings land as they are, numbers as written
// in the file, true/false as text, null as NULL, and nested arrays or
// objects as compact JSON. A line that is not a JSON object lands with a
// _problem.
type jsonLines struct {
	f     *os.File
	br    *bufio.Reader
	cols  []Column
	index map[string]int
}

func openJSONLines(path string) (*jsonLines, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("ingest %s: %w", path, err)
	}
	j := &jsonLines{f: f, br: bufio.NewReaderSize(f, 1<<20), index: map[string]int{}}
	if err := j.collectKeys(); err != nil {
		f.Close()
		return nil, fmt.Errorf("ingest %s: %w", path, err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, fmt.Errorf("ingest %s: %w", path, err)
	}
	j.br.Reset(f)
	return j, nil
}

// collectKeys reads every object's keys in order, skipping lines that are
// not objects (Read reports those).
func (j *jsonLines) collectKeys() error {
	for {
		line, err := j.nextLine()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		dec := json.NewDecoder(bytes.NewReader(line))
		if t, err := dec.Token(); err != nil || t != json.Delim('{') {
			continue
		}
		for dec.More() {
			t, err := dec.Token()
			if err != nil {
				break
			}
			key := t.(string)
			if _, ok := j.index[key]; !ok {
				j.index[key] = len(j.cols)
				j.cols = append(j.cols, Column{Name: key, Type: "text"})
			}
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				break
			}
		}
	}
}

// nextLine returns the next non-blank line.
func (j *jsonLines) nextLine() ([]byte, error) {
	for {
		line, err := j.br.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			return line, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

func (j *jsonLines) Columns() []Column { return j.cols }

func (j *jsonLines) Read(values []driver.Value) (string, error) {
	line, err := j.nextLine()
	if err != nil {
		return "", err
	}
	if !json.Valid(line) {
		var v any
		return fmt.Sprintf("invalid JSON: %v", json.Unmarshal(line, &v)), nil
	}
	line = bytes.TrimSpace(line)
	if line[0] != '{' {
		return fmt.Sprintf("not a JSON object: line starts with %q", line[0]), nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(line, &obj); err != nil {
		return fmt.Sprintf("invalid JSON: %v", err), nil
	}
	for k, raw := range obj {
		i, ok := j.index[k]
		if !ok {
			continue
		}
		switch raw[0] {
		case 'n':
			values[i] = nil
		case '"':
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return fmt.Sprintf("key %q: %v", k, err), nil
			}
			values[i] = s
		case '{', '[':
			var buf bytes.Buffer
			if err := json.Compact(&buf, raw); err != nil {
				return fmt.Sprintf("key %q: %v", k, err), nil
			}
			values[i] = buf.String()
		default:
			values[i] = string(raw)
		}
	}
	return "", nil
}

func (j *jsonLines) Close() error { return j.f.Close() }
