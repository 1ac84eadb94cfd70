package spss

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/ianaindex"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
)

// codePages maps the character_code of the machine integer info record
// (subtype 3) to an encoding, for files without a character encoding record
// (subtype 20). The codes are Windows code page numbers; 2 and 3 mean 7-bit
// and 8-bit ASCII (PSPP "System File Format", Machine Integer Info Record).
var codePages = map[int32]string{
	2: "US-ASCII", 3: "windows-1252", 437: "IBM437", 850: "IBM850",
	874: "windows-874", 932: "Shift_JIS", 936: "GBK", 949: "EUC-KR", 950: "Big5",
	1250: "windows-1250", 1251: "windows-1251", 1252: "windows-1252",
	1253: "windows-1253", 1254: "windows-1254", 1255: "windows-1255",
	1256: "windows-1256", 1257: "windows-1257", 1258: "windows-1258",
	20127: "US-ASCII", 20866: "KOI8-R", 28591: "ISO-8859-1", 28592: "ISO-8859-2",
	28595: "ISO-8859-5", 28597: "ISO-8859-7", 28605: "ISO-8859-15", 65001: "UTF-8",
}

// textDecoder turns the file's bytes into UTF-8.
type textDecoder struct {
	utf8 bool
	dec  *encoding.Decoder
}

// lookupEncoding resolves an IANA or Windows encoding name.
func lookupEncoding(name string) (textDecoder, error) {
	n := strings.ToUpper(strings.TrimSpace(name))
	if n == "UTF-8" || n == "UTF8" || n == "US-ASCII" || n == "ASCII" {
		return textDecoder{utf8: true}, nil
	}
	var enc encoding.Encoding
	switch n {
	case "GBK", "CP936":
		enc = simplifiedchinese.GBK
	case "BIG5", "CP950":
		enc = traditionalchinese.Big5
	case "SHIFT_JIS", "CP932", "WINDOWS-31J":
		enc = japanese.ShiftJIS
	case "EUC-KR", "CP949":
		enc = korean.EUCKR
	case "CP1252", "WINDOWS-1252":
		enc = charmap.Windows1252
	default:
		e, err := ianaindex.IANA.Encoding(name)
		if err != nil || e == nil {
			return textDecoder{}, fmt.Errorf("unsupported character encoding %q", name)
		}
		enc = e
	}
	return textDecoder{dec: enc.NewDecoder()}, nil
}

// decode converts b to UTF-8. ASCII needs no conversion. In a UTF-8 file a
// multi-byte character cut off by the end of a fixed-width field is
// dropped (as ReadStat does) and other invalid bytes become U+FFFD.
func (t textDecoder) decode(b []byte) string {
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
	if t.utf8 || t.dec == nil {
		return strings.ToValidUTF8(string(trimPartialRune(b)), "\uFFFD")
	}
	out, err := t.dec.Bytes(b)
	if err != nil {
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	return string(out)
}

// trimPartialRune drops an incomplete UTF-8 sequence at the end of b: at
// most the last three bytes, when they start a multi-byte character that
// needs more bytes than remain.
func trimPartialRune(b []byte) []byte {
	for k := 1; k <= 3 && k <= len(b); k++ {
		c := b[len(b)-k]
		if c < utf8.RuneSelf {
			return b
		}
		if utf8.RuneStart(c) {
			if r, _ := utf8.DecodeRune(b[len(b)-k:]); r == utf8.RuneError && !utf8.FullRune(b[len(b)-k:]) {
				return b[:len(b)-k]
			}
			return b
		}
	}
	return b
}
