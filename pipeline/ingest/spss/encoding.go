package spss

import (
	"fmt"
	"strings"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/ianaindex"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"

	"socap/pipeline/ingest/labelled"
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

// lookupEncoding resolves an IANA or Windows encoding name.
func lookupEncoding(name string) (labelled.Text, error) {
	n := strings.ToUpper(strings.TrimSpace(name))
	if n == "UTF-8" || n == "UTF8" || n == "US-ASCII" || n == "ASCII" {
		return labelled.Text{}, nil
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
			return labelled.Text{}, fmt.Errorf("unsupported character encoding %q", name)
		}
		enc = e
	}
	return labelled.Text{Decoder: enc.NewDecoder()}, nil
}
