package ingest

import (
	"bytes"
	"testing"
	"time"
)

func TestProgressBar(t *testing.T) {
	var out bytes.Buffer
	b := newProgressBar(&out, "load raw_w1", unitBytes, 4e6)
	clock := b.start
	b.now = func() time.Time { return clock }

	b.add(1e6) // before the delay: nothing
	b.finish()
	if out.Len() != 0 {
		t.Fatalf("a short load drew %q", out.String())
	}
	clock = clock.Add(2 * time.Second)
	b.add(1e6)
	clock = clock.Add(50 * time.Millisecond)
	b.add(1e6) // too soon after the last redraw
	clock = clock.Add(time.Second)
	b.finish()
	want := "\rload raw_w1 [===============               ]  50%  2.0 MB  2s " +
		"\rload raw_w1 [======================        ]  75%  3.0 MB  3s \n"
	if out.String() != want {
		t.Errorf("drew %q\nwant %q", out.String(), want)
	}

	// A nil bar (no writer) is silent and safe.
	none := newProgressBar(nil, "x", unitRows, 0)
	none.add(1)
	none.spin()()
	none.finish()
	if none != nil {
		t.Error("a bar without a writer is not nil")
	}
}
