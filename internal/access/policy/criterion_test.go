package policy

import (
	"encoding/json"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Helpers shared by the per-criterion table tests.

type checkCase struct {
	name    string
	value   string
	wantErr string // substring; "" means valid
}

func runCheck(t *testing.T, c criterion, cases []checkCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := c.check(json.RawMessage(tc.value))
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("check(%s) = %v, want nil", tc.value, err)
			case tc.wantErr != "" && err == nil:
				t.Fatalf("check(%s) = nil, want error containing %q", tc.value, tc.wantErr)
			case tc.wantErr != "" && !strings.Contains(err.Error(), tc.wantErr):
				t.Fatalf("check(%s) = %q, want it to contain %q", tc.value, err, tc.wantErr)
			}
		})
	}
}

type evalCase struct {
	name    string
	value   string
	id      Identity
	want    outcome
	wantMsg string
}

func runEval(t *testing.T, c criterion, cases []evalCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o, msg := c.eval(json.RawMessage(tc.value), tc.id)
			if diff := cmp.Diff([]any{tc.want, tc.wantMsg}, []any{o, msg}); diff != "" {
				t.Errorf("eval(%s) mismatch (-want +got):\n%s", tc.value, diff)
			}
		})
	}
}

func addr(s string) netip.Addr { return netip.MustParseAddr(s) }

func TestCriterionFor(t *testing.T) {
	for _, typ := range strings.Split(supportedTypes, ", ") {
		if criterionFor(typ) == nil {
			t.Errorf("criterionFor(%q) = nil, but supportedTypes lists it", typ)
		}
		if !isCloudflareRuleType(typ) {
			t.Errorf("%q is supported but not a Cloudflare rule type", typ)
		}
	}
	for _, typ := range []string{"", "email_list", "geo", "Email", "unknown"} {
		if criterionFor(typ) != nil {
			t.Errorf("criterionFor(%q) != nil", typ)
		}
	}
}

func TestASCIIEqualFold(t *testing.T) {
	cases := []struct {
		a, b string
		want bool
	}{
		{"Kim@Example.COM", "kim@example.com", true},
		{"kim@example.com", "kim@example.co", false},
		{"\u212aim@example.com", "kim@example.com", false}, // Kelvin sign
		{"ß", "ss", false},
		{"Équipe", "Équipe", true},
		{"", "", true},
	}
	for _, tc := range cases {
		if got := asciiEqualFold(tc.a, tc.b); got != tc.want {
			t.Errorf("asciiEqualFold(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestCheckDomain(t *testing.T) {
	cases := []struct {
		domain, wantErr string
	}{
		{"example.com", ""},
		{"EXAMPLE.com", ""},
		{"xn--bcher-kva.example", ""},
		{"localhost", ""},
		{"a-b.c-d.example", ""},
		{"", "the domain is empty"},
		{"@example.com", `must be written without the leading @ ("example.com")`},
		{"*.example.com", "must not be a wildcard"},
		{"example.com.", "must not end with a dot"},
		{"example..com", "empty label"},
		{"-example.com", `label "-example" starts or ends with a hyphen`},
		{"exa mple.com", `character ' ' is not allowed`},
		{"bücher.example", `character 'ü' is not allowed`},
		{"under_score.example", `character '_' is not allowed`},
		{strings.Repeat("a", 64) + ".com", "label longer than 63 characters"},
		{strings.Repeat("a.", 127) + "com", "longer than 253 characters"},
	}
	for _, tc := range cases {
		err := checkDomain(tc.domain)
		if tc.wantErr == "" {
			if err != nil {
				t.Errorf("checkDomain(%q) = %v, want nil", tc.domain, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("checkDomain(%q) = %v, want error containing %q", tc.domain, err, tc.wantErr)
		}
	}
}
