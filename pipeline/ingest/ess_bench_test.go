package ingest

import (
	"context"
	"testing"

	"socap/internal/shareddata"
)

// BenchmarkLoadESS9NO loads the wide ESS9NO.sav (1,406 rows × 572
// variables) into an in-memory store, as describe and estimate do.
//
//	go test ./pipeline/ingest -run '^$' -bench LoadESS9NO -benchtime 3x
func BenchmarkLoadESS9NO(b *testing.B) {
	path := shareddata.Path(b, "ess9no/ESS9NO.sav")
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st := openStore(b, "")
		b.StartTimer()
		if _, err := LoadFile(ctx, st, path, FileOptions{}, "ess"); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		st.Close()
	}
}
