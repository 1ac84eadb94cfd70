package ingest

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"testing"
)

// genCSV writes a survey-like CSV of rows records and cols columns
// (id, a municipality name, integers, decimals and quoted free text),
// deterministic for given arguments. With ragged, every 1000th record
// lacks its last field.
func genCSV(t testing.TB, path string, rows, cols int, ragged bool) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	w.WriteString("id,kommune")
	for c := 2; c < cols; c++ {
		fmt.Fprintf(w, ",q%d", c)
	}
	w.WriteByte('\n')
	kommuner := []string{"Frøya", "Tromsø", "Åfjord", "Hitra", "Bodø", "Ørland"}
	x := uint64(42)
	var buf []byte
	for r := 1; r <= rows; r++ {
		buf = strconv.AppendInt(buf[:0], int64(r), 10)
		buf = append(buf, ',')
		buf = append(buf, kommuner[r%len(kommuner)]...)
		last := cols
		if ragged && r%1000 == 0 {
			last--
		}
		for c := 2; c < last; c++ {
			x = x*6364136223846793005 + 1442695040888963407
			v := x >> 33
			buf = append(buf, ',')
			switch c % 5 {
			case 0:
				buf = strconv.AppendFloat(buf, float64(v%100000)/100, 'f', -1, 64)
			case 1:
				if v%7 == 0 {
					buf = append(buf, `"fritt, svar ""sitert"""`...)
				}
			default:
				buf = strconv.AppendUint(buf, v%11, 10)
			}
		}
		buf = append(buf, '\n')
		w.Write(buf)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}
