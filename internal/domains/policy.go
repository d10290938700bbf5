package domains

import (
	"slices"
	"strings"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
)

// Policy says which domains may be claimed. The zero value refuses nothing
// beyond structure and is not useful; start from DefaultPolicy.
type Policy struct {
	// DenyFreeEmail refuses the embedded list of consumer mail providers.
	DenyFreeEmail bool
	// ExtraDenied lists exact domains to refuse, e.g. from config. Entries
	// are normalised before comparing, so "GMAIL.com." works; subdomains of
	// an entry are not refused.
	ExtraDenied []string
	// DeniedTLDs lists top-level domains to refuse, e.g. ["edu"] as
	// Cloudflare does. A leading dot is ignored.
	DeniedTLDs []string
	// AllowUnderPrivateSuffix allows names under a PRIVATE-section suffix of
	// the Public Suffix List (foo.github.io). The suffix itself (github.io)
	// is always refused.
	AllowUnderPrivateSuffix bool
}

// DefaultPolicy refuses free mail providers and allows names under private
// suffixes; it denies no TLDs and no extra domains.
func DefaultPolicy() Policy {
	return Policy{DenyFreeEmail: true, AllowUnderPrivateSuffix: true}
}

// specialUseTLDs never resolve on the public internet, or are deliberately
// kept out of it, so nobody can prove control of a name under them. Listed
// here rather than left to the unknown-TLD rule because some are in the
// Public Suffix List (onion, arpa) and the rest deserve a precise message.
var specialUseTLDs = map[string]string{
	"localhost": "names the local machine (RFC 6761)",
	"test":      "is reserved for testing (RFC 6761)",
	"invalid":   "is reserved as always invalid (RFC 6761)",
	"example":   "is reserved for documentation (RFC 6761)",
	"local":     "is used by multicast DNS on local networks (RFC 6762)",
	"onion":     "names Tor onion services (RFC 7686)",
	"alt":       "is reserved for non-DNS name systems (RFC 9476)",
	"arpa":      "is reserved for DNS infrastructure (RFC 3172)",
	"internal":  "is reserved by ICANN for private networks",
	// ICANN decided in 2018 never to delegate these because of name collisions.
	"corp": "is used on private networks and will not be delegated (ICANN name-collision decision)",
	"home": "is used on private networks and will not be delegated (ICANN name-collision decision)",
	"mail": "is used on private networks and will not be delegated (ICANN name-collision decision)",
	// Common private-network names (RFC 6762 appendix G). Not reserved:
	// drop one here if ICANN ever delegates it.
	"lan":      "is commonly used on private networks (RFC 6762 appendix G)",
	"intranet": "is commonly used on private networks (RFC 6762 appendix G)",
	"private":  "is commonly used on private networks (RFC 6762 appendix G)",
}

// Check normalises input and applies the policy. It returns the A-label form,
// or an *Error whose Reason says which rule refused it. The order of the rules
// is explained in doc.go.
func (p Policy) Check(input string) (string, error) {
	d, err := Normalize(input)
	if err != nil {
		return "", err
	}
	tld := d[strings.LastIndexByte(d, '.')+1:]
	if why, ok := specialUseTLDs[tld]; ok {
		return "", refuse(input, ReasonSpecialUseTLD, "%q ends in \".%s\", which %s and never resolves on the public internet; give a domain your organisation has registered", input, tld, why)
	}
	// publicsuffix is case-sensitive and refuses a trailing dot; d is neither.
	ps, icann := publicsuffix.PublicSuffix(d)
	switch {
	case ps == d && icann:
		return "", refuse(input, ReasonPublicSuffix, "%q is a public suffix under which anyone can register names; give the domain your organisation registered under it, e.g. \"example.%s\"", input, d)
	case ps == d:
		return "", refuse(input, ReasonPublicSuffix, "%q is a shared domain whose subdomains belong to different people; nobody can claim it as a whole", input)
	case !icann && !strings.Contains(ps, "."):
		// The PSL's default rule answered: the TLD is not in the root zone.
		return "", refuse(input, ReasonUnknownTLD, "%q ends in \".%s\", which is not a known top-level domain; give a domain registered on the public internet", input, tld)
	case !icann && !p.AllowUnderPrivateSuffix:
		return "", refuse(input, ReasonPublicSuffix, "%q is under %q, a shared domain whose subdomains belong to different people, and this server does not accept such names; use a domain your organisation registered", input, ps)
	}
	if p.DenyFreeEmail && isFreeEmail(d) {
		return "", refuse(input, ReasonFreeEmail, "%q is a free email provider; SSO can only be enforced on a domain your organisation owns", input)
	}
	if slices.ContainsFunc(p.DeniedTLDs, func(e string) bool { return listEntry(e) == tld }) {
		return "", refuse(input, ReasonDeniedTLD, "domains under \".%s\" cannot be claimed on this server (%q); ask the administrator if this is wrong", tld, input)
	}
	if slices.ContainsFunc(p.ExtraDenied, func(e string) bool { return listEntry(e) == d }) {
		return "", refuse(input, ReasonDenied, "%q cannot be claimed on this server; ask the administrator if this is wrong", input)
	}
	return d, nil
}

// listEntry puts a configured domain or TLD in the form Check compares
// against. It is looser than Normalize ("edu" and ".edu" are fine) because a
// config entry only has to match, not to be claimable.
func listEntry(e string) string {
	e = strings.TrimPrefix(strings.TrimSuffix(strings.TrimSpace(e), "."), ".")
	if a, err := idna.Lookup.ToASCII(e); err == nil {
		e = a
	}
	return strings.ToLower(e)
}
