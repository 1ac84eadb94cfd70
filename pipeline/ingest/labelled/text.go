package labelled

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
)

// Text decodes a file's text to UTF-8.
type Text struct {
	// Decoder converts from the file's character encoding; nil means the
	// text is UTF-8.
	Decoder *encoding.Decoder
	// Sniff takes text that is valid UTF-8 as UTF-8 despite the Decoder
	// (other programs write UTF-8 into formats meant for a code page).
	Sniff bool
}

// Decode converts b to UTF-8. ASCII needs no conversion. In UTF-8 text a
// multi-byte character cut off by the end of a fixed-width field is
// dropped (as ReadStat does) and other invalid bytes become U+FFFD.
// (golang.org/x/text decoders replace what they cannot decode, so Decoder
// does not fail; if it did, the text would be taken as UTF-8.)
func (t Text) Decode(b []byte) string {
	ascii := true
	for _, c := range b {
		if c >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return string(b)
	}
	if t.Decoder != nil && !(t.Sniff && utf8.Valid(b)) {
		if out, err := t.Decoder.Bytes(b); err == nil {
			return string(out)
		}
	}
	return strings.ToValidUTF8(string(trimPartialRune(b)), "\uFFFD")
}

// trimPartialRune drops an incomplete UTF-8 sequence at the end of b: at
// most the last three bytes, when they start a multi-byte character that
// needs more bytes than remain.
func trimPartialRune(b []byte) []byte {
	for k := 1; k <= 3 && k <= len(b); k++ {
		if utf8.RuneStart(b[len(b)-k]) {
			if !utf8.FullRune(b[len(b)-k:]) {
				return b[:len(b)-k]
			}
			return b
		}
	}
	return b
}
