package domains

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var (
	label63 = strings.Repeat("a", 63)
	// name253 is the longest valid name: 63+1+63+1+63+1+57+4 bytes.
	name253 = label63 + "." + label63 + "." + label63 + "." + strings.Repeat("b", 57) + ".com"
	name254 = label63 + "." + label63 + "." + label63 + "." + strings.Repeat("b", 58) + ".com"
)

// reasonOf returns the Reason of an *Error, "" for nil, and fails the test
// for any other error: every refusal must carry a reason.
func reasonOf(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not a *domains.Error", err, err)
	}
	return e.Reason
}

func TestNormalizeAccepts(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Example.COM.", "example.com"},
		{"  example.com\t", "example.com"},
		{"acmecorp.company", "acmecorp.company"},
		{"sub.example.co.uk", "sub.example.co.uk"},
		{"Bücher.de", "xn--bcher-kva.de"},
		{"XN--BCHER-KVA.DE", "xn--bcher-kva.de"},
		{"Bücher.Example", "xn--bcher-kva.example"}, // Normalize applies no TLD policy
		{"ｅｘａｍｐｌｅ.com", "example.com"},              // fullwidth letters map to ASCII
		{"example。com", "example.com"},              // ideographic full stop is a dot
		{"a-b.123.com", "a-b.123.com"},
		{label63 + ".com", label63 + ".com"},
		{name253, name253},
		{name253 + ".", name253},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Normalize(tt.in)
			if err != nil {
				t.Fatalf("Normalize(%q) error: %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Normalize(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestNormalizeRefuses(t *testing.T) {
	tests := []struct{ in, reason string }{
		{"", ReasonEmpty},
		{"   ", ReasonEmpty},
		{".", ReasonEmpty},
		{"localhost", ReasonSingleLabel},
		{"example", ReasonSingleLabel},
		{"192.0.2.1", ReasonIPAddress},
		{"192.0.2.1.", ReasonIPAddress},
		{"[::1]", ReasonIPAddress},
		{"::1", ReasonIPAddress},
		{"[::1]:443", ReasonIPAddress},
		{"192.0.2.1:443", ReasonIPAddress},
		{"192.0.2.0/24", ReasonIPAddress},
		{"fe80::1%eth0", ReasonIPAddress},
		{"127.1", ReasonIPAddress},
		{"2130706433", ReasonIPAddress},
		{"0x7f.0.0.1", ReasonIPAddress},
		{"a..b.com", ReasonLabel},
		{".example.com", ReasonLabel},
		{"example.com..", ReasonLabel},
		{strings.Repeat("a", 64) + ".com", ReasonLabel},
		{name254, ReasonTooLong},
		{strings.Repeat("a.", 600) + "com", ReasonTooLong},
		{"*.example.com", ReasonWildcard},
		{"exa*mple.com", ReasonWildcard},
		{"_x.example.com", ReasonLabel},
		{"user@example.com", ReasonMalformed},
		{"https://example.com/", ReasonMalformed},
		{"example.com/login", ReasonMalformed},
		{"example.com:443", ReasonMalformed},
		{"exa mple.com", ReasonMalformed},
		{"exa\tmple.com", ReasonMalformed},
		{"exa\x00mple.com", ReasonMalformed},
		{"\xff.com", ReasonMalformed},
		{"-a.com", ReasonLabel},
		{"a-.com", ReasonLabel},
		{"ab--cd.com", ReasonLabel},
		{"xn--zz.com", ReasonLabel},
		{"a!b.com", ReasonLabel},
		{"example.123", ReasonLabel},
		{"bücher-.de", ReasonLabel},
		{"ｅｘａｍｐｌｅ＠example.com", ReasonLabel}, // fullwidth @ is not mapped into a real one
	}
	for _, tt := range tests {
		name := tt.in
		if len(name) > 40 {
			name = name[:40] + "…"
		}
		t.Run(name, func(t *testing.T) {
			got, err := Normalize(tt.in)
			if diff := cmp.Diff(tt.reason, reasonOf(t, err)); diff != "" {
				t.Fatalf("Normalize(%q) = %q, %v; reason mismatch (-want +got):\n%s", tt.in, got, err, diff)
			}
			e := err.(*Error)
			if e.Input != tt.in {
				t.Errorf("Input = %q, want %q", e.Input, tt.in)
			}
			if e.Error() != e.Message || e.Message == "" {
				t.Errorf("Error() = %q, Message = %q; want the same non-empty sentence", e.Error(), e.Message)
			}
			if len(tt.in) <= maxInputLen && tt.in != "" && strings.TrimSpace(tt.in) != "" &&
				!strings.Contains(e.Message, strconv.Quote(tt.in)) {
				t.Errorf("Message %q does not name the input", e.Message)
			}
		})
	}
}

// The messages for near misses must say what to type instead.
func TestNormalizeMessages(t *testing.T) {
	tests := []struct{ in, want string }{
		{"user@example.com", `"user@example.com" looks like an e-mail address; give only the domain, the part after @ ("example.com")`},
		{"https://user@Example.com:8443/x?y", `"https://user@Example.com:8443/x?y" looks like a URL; give only the host name ("example.com")`},
		{"https://example.com/", `"https://example.com/" looks like a URL; give only the host name ("example.com")`},
		{"example.com:443", `"example.com:443" contains ":" (a port?); give only the domain name ("example.com")`},
		{"*.example.com", `"*.example.com" contains a wildcard; claim the email domain itself ("example.com")`},
		{"user@localhost", `"user@localhost" looks like an e-mail address; give only the domain, the part after @`},
		{"-a.com", `"-a.com" is not a valid domain: the label "-a" starts or ends with a hyphen`},
		{"a..b.com", `"a..b.com" is not a valid domain: it has an empty label (two dots in a row, or a leading dot)`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := Normalize(tt.in)
			if err == nil {
				t.Fatalf("Normalize(%q) accepted", tt.in)
			}
			if diff := cmp.Diff(tt.want, err.Error()); diff != "" {
				t.Errorf("message mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUnicode(t *testing.T) {
	tests := []struct{ in, want string }{
		{"xn--bcher-kva.de", "bücher.de"},
		{"example.com", "example.com"},
		{"xn--zz.de", "xn--zz.de"}, // invalid punycode: returned as given
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Unicode(tt.in)); diff != "" {
				t.Errorf("Unicode(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}
