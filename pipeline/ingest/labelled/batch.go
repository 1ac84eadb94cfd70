package labelled

import "io"

// Batch holds up to Cap() rows (cases, observations) column by column;
// Columns[i] belongs to the reader's Variables[i]. The reader's Next
// overwrites it.
type Batch struct {
	Len     int
	Columns []Column
}

// Column holds one variable's values for the rows of a batch. Floats is
// used by every kind but String, Strings by String. Valid[i] is false for
// a missing value. Stata's numeric columns say which one in Tags[i]: '.'
// for system missing, 'a'–'z' for the extended missing values .a–.z (R's
// haven calls these tagged NA); SPSS's have no Tags.
type Column struct {
	Floats  []float64
	Strings []string
	Valid   []bool
	Tags    []byte
}

// NewBatch allocates a batch of n columns, column i of kind kind(i), for
// capacity rows; a capacity below 1 counts as 1, and one above most (the
// rows the file can hold) as most.
func NewBatch(n int, kind func(i int) Kind, capacity int, most int64) *Batch {
	capacity = int(min(int64(max(capacity, 1)), most))
	b := &Batch{Columns: make([]Column, n)}
	for i := range b.Columns {
		c := &b.Columns[i]
		c.Valid = make([]bool, capacity)
		if kind(i) == String {
			c.Strings = make([]string, capacity)
		} else {
			c.Floats = make([]float64, capacity)
		}
	}
	return b
}

// Cap is the number of rows the batch can hold.
func (b *Batch) Cap() int {
	if len(b.Columns) == 0 {
		return 0
	}
	return len(b.Columns[0].Valid)
}

// Fill implements a reader's Next: it fills b with rows decoded by next,
// which decodes the next row into row i of b or reports false at the end
// of the data, and returns how many it read. At the end of the data it
// returns 0, io.EOF. On an error it returns the rows decoded before the
// error together with the error, which it keeps in *sticky and returns,
// with no rows, from then on.
func (b *Batch) Fill(sticky *error, next func(b *Batch, i int) (bool, error)) (int, error) {
	if *sticky != nil {
		b.Len = 0
		return 0, *sticky
	}
	n := 0
	for capacity := b.Cap(); n < capacity; n++ {
		ok, err := next(b, n)
		if err != nil {
			b.Len, *sticky = n, err
			return n, err
		}
		if !ok {
			break
		}
	}
	b.Len = n
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}
