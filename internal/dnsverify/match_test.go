package dnsverify

import (
	"strings"
	"testing"

	"github.com/miekg/dns"
)

func TestMatch(t *testing.T) {
	tests := []struct {
		name     string
		records  []string
		expected string
		want     bool
	}{
		{"exact", []string{want}, want, true},
		{"one of many", []string{"v=spf1 -all", "MS=ms1", want}, want, true},
		{"no records", nil, want, false},
		{"empty expected matches nothing", []string{""}, "", false},
		{"trim spaces and tabs", []string{"\t " + want + " \t"}, want, true},
		{"trim other whitespace? no", []string{"\n" + want}, want, false},
		{"one pair of quotes", []string{`"` + want + `"`}, want, true},
		{"quotes then inner spaces", []string{`" ` + want + ` "`}, want, false},
		{"two pairs of quotes", []string{`""` + want + `""`}, want, false},
		{"lone quote", []string{`"`}, `"`, true},
		{"ASCII case folded", []string{strings.ToUpper(want)}, want, true},
		{"Unicode case not folded", []string{"\u212a"}, "k", false},
		{"prefix", []string{"x" + want}, want, false},
		{"suffix", []string{want + "x"}, want, false},
		{"substring", []string{want}, token, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Match(tt.records, tt.expected); got != tt.want {
				t.Errorf("Match(%q, %q) = %v, want %v", tt.records, tt.expected, got, tt.want)
			}
		})
	}
}

func TestJoinTXT(t *testing.T) {
	tests := []struct {
		name string
		txt  []string
		want string
	}{
		{"plain chunks joined without separator", []string{"ab", "cd", ""}, "abcd"},
		{"quote and backslash", []string{`a\"b\\c`}, `a"b\c`},
		{"decimal escapes", []string{`tab\009é\195\169`}, "tab\té\xc3\xa9"},
		{"escape of a plain byte", []string{`\a`}, "a"},
		{"decimal escape over 255", []string{`\256`}, "256"},
		{"short decimal escape", []string{`\12`}, "12"},
		{"trailing backslash kept", []string{`x\`}, `x\`},
		{"escapes do not span chunks", []string{`a\`, `065`}, `a\065`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := JoinTXT(&dns.TXT{Txt: tt.txt}); got != tt.want {
				t.Errorf("JoinTXT(%q) = %q, want %q", tt.txt, got, tt.want)
			}
		})
	}
	if got := JoinTXT(nil); got != "" {
		t.Errorf("JoinTXT(nil) = %q", got)
	}
}

// FuzzMatch: no panic, and a match must come from the record's own bytes:
// the trimmed record contains the expected value (ignoring ASCII case) and
// is at most two quotes longer.
func FuzzMatch(f *testing.F) {
	f.Add(want, want, "v=spf1 -all")
	f.Add(` "`+want+`" `, want, "")
	f.Add("\u212a", "k", `"`)
	f.Fuzz(func(t *testing.T, r1, expected, r2 string) {
		records := []string{r1, r2}
		if !Match(records, expected) {
			return
		}
		for _, r := range records {
			trimmed := strings.Trim(r, " \t")
			if len(normalizeRecord(r)) == len(expected) && strings.Contains(asciiLower(trimmed), asciiLower(expected)) {
				return
			}
		}
		t.Errorf("Match(%q, %q) = true, but no record contains the value", records, expected)
	})
}

func asciiLower(s string) string {
	b := []byte(s)
	for i := range b {
		b[i] = lowerASCII(b[i])
	}
	return string(b)
}

// FuzzJoinTXT: for bytes that went over the wire, JoinTXT must give them
// back exactly, whatever miekg's escaping does in between.
func FuzzJoinTXT(f *testing.F) {
	f.Add("cloudflare_dashboard_sso=", "abc")
	f.Add(`q"uote\`, "\x00\t\xffé")
	f.Add(`\065`, `\\`)
	f.Fuzz(func(t *testing.T, a, b string) {
		if len(a) > 255 || len(b) > 255 {
			return
		}
		raw := &dns.TXT{Hdr: dns.RR_Header{Name: "example.com.", Rrtype: dns.TypeTXT, Class: dns.ClassINET},
			Txt: []string{escapeForPack(a), escapeForPack(b)}}
		buf := make([]byte, 2048)
		n, err := dns.PackRR(raw, buf, 0, nil, false)
		if err != nil {
			return // the wire format cannot carry this input: nothing to check
		}
		rr, _, err := dns.UnpackRR(buf[:n], 0)
		if err != nil {
			t.Fatalf("unpack: %v", err)
		}
		if got := JoinTXT(rr.(*dns.TXT)); got != a+b {
			t.Errorf("JoinTXT after the wire = %q, want %q", got, a+b)
		}
		_ = JoinTXT(&dns.TXT{Txt: []string{a, b}}) // arbitrary escaped input: must not panic
	})
}

// escapeForPack makes miekg pack the raw bytes as they are: it interprets
// backslashes when packing.
func escapeForPack(s string) string { return strings.ReplaceAll(s, `\`, `\\`) }
