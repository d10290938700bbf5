package dnsverify

import (
	"strings"

	"github.com/miekg/dns"
)

// Match reports whether one of records (joined TXT values, see JoinTXT) is the
// expected value. Each record is trimmed of ASCII spaces and tabs, then loses
// one pair of surrounding double quotes (users paste them), and must then
// equal expected ignoring ASCII case: the key before '=' is case-insensitive
// and tokens are hex or base32, so case carries no entropy. It is never a
// substring test: "x" + expected and a bare token do not match. An empty
// expected value matches nothing.
func Match(records []string, expected string) bool {
	if expected == "" {
		return false
	}
	for _, r := range records {
		if equalFoldASCII(normalizeRecord(r), expected) {
			return true
		}
	}
	return false
}

// normalizeRecord forgives what people add around a pasted value, and nothing
// inside it.
func normalizeRecord(s string) string {
	s = strings.Trim(s, " \t")
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	return s
}

// equalFoldASCII compares ignoring ASCII case only; strings.EqualFold would
// also fold Unicode (the Kelvin sign equals "k"), letting non-ASCII bytes
// stand in for our ASCII token.
func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lowerASCII(a[i]) != lowerASCII(b[i]) {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// JoinTXT returns the record's character-strings joined with no separator
// (a value longer than 255 bytes is split across several), after undoing
// miekg's presentation escapes (\" \\ \DDD), so the result holds the bytes
// that were on the wire. A nil record gives "".
func JoinTXT(rr *dns.TXT) string {
	if rr == nil {
		return ""
	}
	escaped, size := false, 0
	for _, s := range rr.Txt {
		size += len(s)
		escaped = escaped || strings.IndexByte(s, '\\') >= 0
	}
	if !escaped {
		return strings.Join(rr.Txt, "")
	}
	b := make([]byte, 0, size)
	for _, s := range rr.Txt {
		b = appendUnescaped(b, s)
	}
	return string(b)
}

// appendUnescaped decodes one character-string; escapes never span strings
// because miekg escapes each one separately.
func appendUnescaped(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			b = append(b, c)
			continue
		}
		if d, ok := decimalEscape(s[i+1:]); ok {
			b = append(b, d)
			i += 3
			continue
		}
		b = append(b, s[i+1])
		i++
	}
	return b
}

// decimalEscape decodes the DDD of a \DDD escape.
func decimalEscape(s string) (byte, bool) {
	if len(s) < 3 || !isDigit(s[0]) || !isDigit(s[1]) || !isDigit(s[2]) {
		return 0, false
	}
	n := int(s[0]-'0')*100 + int(s[1]-'0')*10 + int(s[2]-'0')
	if n > 255 {
		return 0, false
	}
	return byte(n), true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
