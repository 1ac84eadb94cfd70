package labelled

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"unicode/utf8"
)

// ByteOrder reads and appends numbers: binary.LittleEndian or
// binary.BigEndian.
type ByteOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

// OrderOf returns binary.BigEndian for binary.BigEndian and
// binary.LittleEndian for anything else (nil included).
func OrderOf(o binary.ByteOrder) ByteOrder {
	if o == binary.BigEndian {
		return binary.BigEndian
	}
	return binary.LittleEndian
}

// Cut shortens s to at most n bytes at a character boundary.
func Cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// Output, embedded in a writer, is where it writes: the name for errors,
// the io.WriteSeeker to patch counts through (nil when the output cannot
// seek) and the file Create opened, which CloseFile closes.
type Output struct {
	name   string
	seeker io.WriteSeeker
	file   *os.File
}

// NewOutput describes out, named name in errors.
func NewOutput(out io.Writer, name string) Output {
	ws, _ := out.(io.WriteSeeker)
	return Output{name: name, seeker: ws}
}

// Seeker returns the output as an io.WriteSeeker, or nil.
func (o *Output) Seeker() io.WriteSeeker { return o.seeker }

// Errorf formats an error of writing the output: "write NAME: …".
func (o *Output) Errorf(format string, args ...any) error {
	return fmt.Errorf("write %s: "+format, append([]any{o.name}, args...)...)
}

// Patch overwrites the bytes at offset at and seeks back to the end.
func (o *Output) Patch(at int64, b []byte) error {
	if _, err := o.seeker.Seek(at, io.SeekStart); err != nil {
		return err
	}
	if _, err := o.seeker.Write(b); err != nil {
		return err
	}
	_, err := o.seeker.Seek(0, io.SeekEnd)
	return err
}

// CloseFile closes the file Create opened, if any, and returns err or,
// when err is nil, the error of closing.
func (o *Output) CloseFile(err error) error {
	if o.file == nil {
		return err
	}
	if cerr := o.file.Close(); err == nil && cerr != nil {
		err = o.Errorf("%w", cerr)
	}
	return err
}

func (o *Output) created(f *os.File) { o.file = f }

// Create creates the file at path and makes a writer to it with
// newWriter; the writer's CloseFile closes the file. When newWriter fails,
// Create removes the file.
func Create[W interface{ created(*os.File) }](path string, newWriter func(f *os.File) (W, error)) (W, error) {
	var none W
	f, err := os.Create(path)
	if err != nil {
		return none, fmt.Errorf("write %s: %w", path, err)
	}
	w, err := newWriter(f)
	if err != nil {
		f.Close()
		os.Remove(path)
		return none, err
	}
	w.created(f)
	return w, nil
}
