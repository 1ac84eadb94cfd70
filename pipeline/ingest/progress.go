package ingest

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Units a progress bar counts.
const (
	unitBytes = "bytes"
	unitRows  = "rows"
	unitNone  = "" // elapsed time only
)

// progressDelay is how long a load runs before its bar appears: short loads
// print nothing.
const progressDelay = time.Second

// progressBar draws one line of progress on a terminal, redrawn in place.
// A nil *progressBar does nothing, so callers need not check.
type progressBar struct {
	w     io.Writer
	label string
	unit  string
	total int64 // 0 when unknown
	n     int64
	start time.Time
	drawn time.Time // last redraw; zero before the first
	now   func() time.Time
}

// newProgressBar returns a bar for label counting unit up to total (0 when
// unknown), or nil when w is nil.
func newProgressBar(w io.Writer, label, unit string, total int64) *progressBar {
	if w == nil {
		return nil
	}
	return &progressBar{w: w, label: label, unit: unit, total: total, start: time.Now(), now: time.Now}
}

// add counts n more units and redraws at most ten times a second.
func (b *progressBar) add(n int64) {
	if b == nil {
		return
	}
	b.n += n
	if b.unit == unitRows && b.n%1024 != 0 {
		return
	}
	t := b.now()
	if t.Sub(b.start) < progressDelay || t.Sub(b.drawn) < 100*time.Millisecond {
		return
	}
	b.drawn = t
	b.draw(t)
}

// finish draws the final state and ends the line, if the bar was shown.
func (b *progressBar) finish() {
	if b == nil || b.drawn.IsZero() {
		return
	}
	b.draw(b.now())
	fmt.Fprintln(b.w)
}

func (b *progressBar) draw(t time.Time) {
	elapsed := t.Sub(b.start).Round(time.Second)
	var count string
	switch b.unit {
	case unitBytes:
		count = fmt.Sprintf("%.1f MB", float64(b.n)/1e6)
	case unitRows:
		count = fmt.Sprintf("%d rows", b.n)
	}
	if b.total <= 0 {
		fmt.Fprintf(b.w, "\r%s  %s  %s ", b.label, count, elapsed)
		return
	}
	const width = 30
	frac := min(float64(b.n)/float64(b.total), 1)
	done := int(frac * width)
	fmt.Fprintf(b.w, "\r%s [%s%s] %3.0f%%  %s  %s ", b.label,
		strings.Repeat("=", done), strings.Repeat(" ", width-done), 100*frac, count, elapsed)
}

// spin redraws the bar every 200ms until the returned stop is called, for
// work whose progress cannot be measured (use unitNone).
func (b *progressBar) spin() (stop func()) {
	if b == nil {
		return func() {}
	}
	done, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				b.add(0)
			}
		}
	}()
	return func() {
		close(done)
		<-exited
		b.finish()
	}
}

// countingReader counts the bytes read through it on a progress bar.
type countingReader struct {
	r   io.Reader
	bar *progressBar
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.bar.add(int64(n))
	return n, err
}
