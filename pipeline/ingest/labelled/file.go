package labelled

import (
	"fmt"
	"io"
	"os"
)

// Closer, embedded in a reader, gives it its Close method: it closes the
// file Open opened, and nothing for a reader made on the caller's
// io.ReaderAt.
type Closer struct{ file io.Closer }

// Close closes the file opened by Open; it does nothing for NewReader.
func (c *Closer) Close() error {
	if c.file == nil {
		return nil
	}
	return c.file.Close()
}

// closes makes Close close f.
func (c *Closer) closes(f io.Closer) { c.file = f }

// Open opens the file at path and reads it with newReader, which gets the
// file, its size and path as the name for errors. The reader's Close (from
// its embedded Closer) closes the file; when newReader fails, Open does.
func Open[R interface{ closes(io.Closer) }](path string, newReader func(ra io.ReaderAt, size int64, name string) (R, error)) (R, error) {
	var none R
	f, err := os.Open(path)
	if err != nil {
		return none, fmt.Errorf("read %s: %w", path, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return none, fmt.Errorf("read %s: %w", path, err)
	}
	r, err := newReader(f, st.Size(), path)
	if err != nil {
		f.Close()
		return none, err
	}
	r.closes(f)
	return r, nil
}
