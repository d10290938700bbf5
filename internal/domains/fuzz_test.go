package domains

import (
	"strings"
	"testing"
)

var fuzzSeeds = []string{
	"", " ", ".", "..", "Example.COM.", "Bücher.de", "XN--BCHER-KVA.DE", "acmecorp.company",
	"foo.github.io", "github.io", "co.uk", "com", "sub.example.co.uk", "localhost",
	"192.0.2.1", "[::1]", "::1", "[::1]:443", "127.1", "0x7f.1", "a..b.com", "*.example.com",
	"_x.example.com", "user@example.com", "https://example.com/", "example.com:443",
	"exa mple.com", "-a.com", "ab--cd.com", "xn--zz.com", "example。com", "ｅｘａｍｐｌｅ.com",
	"exa\u00admple.com", "a\u200db.com", "\xff.com", "пример.рф", "example.cromulent",
	"foo.local", "x.test", "gmail.com", "GMAIL.COM.", "mit.edu", "ẞ.de", "١.com",
	name253, name254, strings.Repeat("a", 64) + ".com",
}

// validName reports whether s has the shape Normalize promises: lower-case
// LDH labels of 1–63 bytes, at least two, at most 253 bytes in all.
func validName(s string) bool {
	if len(s) > maxNameLen {
		return false
	}
	labels := strings.Split(s, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if labelProblem(l) != "" || l != strings.ToLower(l) {
			return false
		}
	}
	return true
}

func FuzzNormalize(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := Normalize(in)
		if err != nil {
			if e, ok := err.(*Error); !ok || e.Reason == "" || e.Message == "" || e.Input != in {
				t.Fatalf("Normalize(%q): bad error %#v", in, err)
			}
			return
		}
		if !validName(out) {
			t.Fatalf("Normalize(%q) = %q: not a lower-case LDH name of ≤253 bytes", in, out)
		}
		again, err := Normalize(out)
		if err != nil || again != out {
			t.Fatalf("Normalize(%q) = %q, but Normalize(%q) = %q, %v", in, out, out, again, err)
		}
	})
}

func FuzzCheck(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	p := DefaultPolicy()
	p.DeniedTLDs = []string{"edu"}
	p.ExtraDenied = []string{"blocked.example.org"}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := p.Check(in)
		if err != nil {
			if e, ok := err.(*Error); !ok || e.Reason == "" || e.Message == "" || e.Input != in {
				t.Fatalf("Check(%q): bad error %#v", in, err)
			}
			return
		}
		if n, _ := Normalize(in); n != out {
			t.Fatalf("Check(%q) = %q, but Normalize gives %q", in, out, n)
		}
		if again, err := p.Check(out); err != nil || again != out {
			t.Fatalf("Check(%q) = %q, but Check(%q) = %q, %v", in, out, out, again, err)
		}
	})
}
