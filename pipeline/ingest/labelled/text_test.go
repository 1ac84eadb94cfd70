package labelled

import (
	"testing"

	"golang.org/x/text/encoding/charmap"
)

// TestText covers the decoding of text: UTF-8 with a character cut off
// by the field width, invalid bytes, and a legacy encoding with and
// without sniffing for UTF-8.
func TestText(t *testing.T) {
	utf := Text{}
	legacy := Text{Decoder: charmap.Windows1252.NewDecoder(), Sniff: true}
	latin1 := Text{Decoder: charmap.Windows1252.NewDecoder()}
	for _, tt := range []struct {
		t        Text
		in, want string
	}{
		{utf, "abc", "abc"},
		{utf, "Tromsø", "Tromsø"},
		{utf, "Troms\xc3", "Troms"},        // ø cut in half
		{utf, "\xe2\x82\xac\xe2\x82", "€"}, // € then a cut-off €
		{utf, "a\xffb", "a\uFFFDb"},
		{legacy, "Troms\xf8", "Tromsø"},
		{legacy, "Gr\xc3\xbcne", "Grüne"}, // valid UTF-8 stays UTF-8
		{latin1, "Gr\xc3\xbcne", "GrÃ¼ne"},
		{latin1, "\x80", "€"},
	} {
		if got := tt.t.Decode([]byte(tt.in)); got != tt.want {
			t.Errorf("Decode(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
