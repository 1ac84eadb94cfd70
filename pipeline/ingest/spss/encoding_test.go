package spss

import "testing"

// TestDecode covers encoding names from the character encoding record,
// code pages of the machine integer info record, and UTF-8 cut off by a
// field width.
func TestDecode(t *testing.T) {
	for _, tt := range []struct {
		enc, in, want string
	}{
		{"UTF-8", "Tromsø", "Tromsø"},
		{"UTF-8", "Troms\xc3", "Troms"},
		{"UTF-8", "a\xffb", "a\uFFFDb"},
		{"windows-1252", "Troms\xf8 \x80", "Tromsø €"},
		{"ISO-8859-1", "Troms\xf8", "Tromsø"},
		{"ISO-8859-5", "\xbc\xde\xe1\xda\xd2\xd0", "Москва"},
		{codePages[1251], "\xcc\xee\xf1\xea\xe2\xe0", "Москва"},
		{codePages[65001], "ø", "ø"},
		{"GBK", "\xb1\xb1\xbe\xa9", "北京"},
		{"Big5", "\xa5\x5f\xa8\xca", "北京"},
	} {
		d, err := lookupEncoding(tt.enc)
		if err != nil {
			t.Errorf("%s: %v", tt.enc, err)
			continue
		}
		if got := d.Decode([]byte(tt.in)); got != tt.want {
			t.Errorf("%s: decode(%q) = %q, want %q", tt.enc, tt.in, got, tt.want)
		}
	}
	if _, err := lookupEncoding("no-such-encoding"); err == nil {
		t.Error("unknown encoding accepted")
	}
}
