package domains

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/publicsuffix"
)

func TestDefaultPolicy(t *testing.T) {
	want := Policy{DenyFreeEmail: true, AllowUnderPrivateSuffix: true}
	if diff := cmp.Diff(want, DefaultPolicy()); diff != "" {
		t.Errorf("DefaultPolicy mismatch (-want +got):\n%s", diff)
	}
}

func TestCheck(t *testing.T) {
	def := DefaultPolicy()
	noPrivate := DefaultPolicy()
	noPrivate.AllowUnderPrivateSuffix = false
	noEdu := DefaultPolicy()
	noEdu.DeniedTLDs = []string{"edu"}
	noEduDotted := DefaultPolicy()
	noEduDotted.DeniedTLDs = []string{" .EDU. "}
	extra := DefaultPolicy()
	extra.ExtraDenied = []string{"Blocked.Example.ORG.", "bücher.de"}
	freeMailOK := DefaultPolicy()
	freeMailOK.DenyFreeEmail = false

	tests := []struct {
		name   string
		policy Policy
		in     string
		want   string // normalised domain when accepted
		reason string // when refused
	}{
		// Accepted.
		{"trailing dot and case", def, "Example.COM.", "example.com", ""},
		{"IDN under a real TLD", def, "Bücher.de", "xn--bcher-kva.de", ""},
		{"new gTLD", def, "acmecorp.company", "acmecorp.company", ""},
		{"under ICANN multi-label suffix", def, "sub.example.co.uk", "sub.example.co.uk", ""},
		{"IDN TLD", def, "пример.рф", "xn--e1afmkfd.xn--p1ai", ""},
		{"under private suffix allowed", def, "foo.github.io", "foo.github.io", ""},
		{"exception rule under wildcard", def, "www.ck", "www.ck", ""},
		{"free mail allowed by policy", freeMailOK, "gmail.com", "gmail.com", ""},
		{"extra denied is exact", extra, "sub.blocked.example.org", "sub.blocked.example.org", ""},
		{"other TLD when edu denied", noEdu, "mit.com", "mit.com", ""},

		// Normalize refusals come through unchanged.
		{"empty", def, "", "", ReasonEmpty},
		{"spaces only", def, "   ", "", ReasonEmpty},
		{"localhost", def, "localhost", "", ReasonSingleLabel},
		{"IPv4", def, "192.0.2.1", "", ReasonIPAddress},
		{"e-mail address", def, "user@example.com", "", ReasonMalformed},

		// Public suffixes.
		{"TLD", def, "com", "", ReasonSingleLabel},
		{"ICANN suffix", def, "co.uk", "", ReasonPublicSuffix},
		{"ICANN wildcard suffix", def, "anything.ck", "", ReasonPublicSuffix},
		{"private suffix", def, "github.io", "", ReasonPublicSuffix},
		{"private suffix, knob off", noPrivate, "github.io", "", ReasonPublicSuffix},
		{"under private suffix refused", noPrivate, "foo.github.io", "", ReasonPublicSuffix},
		{"under ICANN suffix with knob off", noPrivate, "sub.example.co.uk", "sub.example.co.uk", ""},

		// Not in the PSL and not special-use: the PSL default rule answers.
		{"unknown TLD", def, "example.cromulent", "", ReasonUnknownTLD},

		// Special-use TLDs, including two that are in the PSL.
		{"local", def, "foo.local", "", ReasonSpecialUseTLD},
		{"test", def, "x.test", "", ReasonSpecialUseTLD},
		{"invalid", def, "x.invalid", "", ReasonSpecialUseTLD},
		{"internal", def, "x.internal", "", ReasonSpecialUseTLD},
		{"example", def, "x.example", "", ReasonSpecialUseTLD},
		{"IDN under example", def, "Bücher.Example", "", ReasonSpecialUseTLD},
		{"localhost TLD", def, "app.localhost", "", ReasonSpecialUseTLD},
		{"onion (in PSL)", def, "x.onion", "", ReasonSpecialUseTLD},
		{"arpa (in PSL)", def, "home.arpa", "", ReasonSpecialUseTLD},
		{"alt", def, "x.alt", "", ReasonSpecialUseTLD},
		{"corp", def, "example.corp", "", ReasonSpecialUseTLD},
		{"home", def, "nas.home", "", ReasonSpecialUseTLD},
		{"lan", def, "router.lan", "", ReasonSpecialUseTLD},

		// Free mail.
		{"gmail", def, "gmail.com", "", ReasonFreeEmail},
		{"gmail upper case, trailing dot", def, "GMAIL.COM.", "", ReasonFreeEmail},
		{"hotmail country variant", def, "hotmail.co.uk", "", ReasonFreeEmail},
		{"free mail subdomain not listed", def, "mail.gmail.com", "mail.gmail.com", ""},

		// Configured lists.
		{"extra denied", extra, "blocked.example.org", "", ReasonDenied},
		{"extra denied, IDN entry", extra, "xn--bcher-kva.de", "", ReasonDenied},
		{"denied TLD", noEdu, "mit.edu", "", ReasonDeniedTLD},
		{"denied TLD entry with dot and case", noEduDotted, "MIT.EDU", "", ReasonDeniedTLD},
		{"edu allowed by default", def, "mit.edu", "mit.edu", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.policy.Check(tt.in)
			if diff := cmp.Diff(tt.reason, reasonOf(t, err)); diff != "" {
				t.Fatalf("Check(%q) = %q, %v; reason mismatch (-want +got):\n%s", tt.in, got, err, diff)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Check(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestCheckMessages(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"gmail.com", `"gmail.com" is a free email provider; SSO can only be enforced on a domain your organisation owns`},
		{"co.uk", `"co.uk" is a public suffix under which anyone can register names; give the domain your organisation registered under it, e.g. "example.co.uk"`},
		{"x.test", `"x.test" ends in ".test", which is reserved for testing (RFC 6761) and never resolves on the public internet; give a domain your organisation has registered`},
		{"example.cromulent", `"example.cromulent" ends in ".cromulent", which is not a known top-level domain; give a domain registered on the public internet`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := DefaultPolicy().Check(tt.in)
			if err == nil {
				t.Fatalf("Check(%q) accepted", tt.in)
			}
			if diff := cmp.Diff(tt.want, err.Error()); diff != "" {
				t.Errorf("message mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// No special-use TLD may become a real one unnoticed: if the PSL ever lists
// one as an ICANN TLD (other than the two known), revisit specialUseTLDs.
func TestSpecialUseTLDsNotDelegated(t *testing.T) {
	inPSL := map[string]bool{"onion": true, "arpa": true}
	for tld := range specialUseTLDs {
		t.Run(tld, func(t *testing.T) {
			_, icann := publicsuffix.PublicSuffix("x." + tld)
			if icann != inPSL[tld] {
				t.Errorf("PSL says icann=%v for %q; update specialUseTLDs or this test", icann, tld)
			}
		})
	}
}
