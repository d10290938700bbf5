package domains

import (
	"net"
	"net/netip"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

const (
	maxNameLen  = 253 // RFC 1035 presentation form without the trailing dot
	maxLabelLen = 63
	// maxInputLen bounds the work done before IDNA mapping. A U-label can be
	// longer than its A-label (fullwidth forms, code points mapped to nothing),
	// so leave generous room over maxNameLen.
	maxInputLen = 1024
)

// Normalize turns what a person typed into the A-label form of an email
// domain, or refuses it with an *Error. It applies no policy: "gmail.com" and
// "co.uk" normalise fine; Policy.Check refuses them.
func Normalize(input string) (string, error) {
	s := strings.TrimSpace(input)
	if s == "" {
		return "", refuse(input, ReasonEmpty, "no domain was given; enter your organisation's email domain, e.g. \"example.com\"")
	}
	if len(s) > maxInputLen {
		return "", refuse(input, ReasonTooLong, "%q… is %d bytes long; a domain name has at most %d", s[:32], len(s), maxNameLen)
	}
	if err := checkShape(input, s); err != nil {
		return "", err
	}
	// One trailing dot is the fully qualified spelling of the same name;
	// removing only one keeps "example.com.." an error (an empty label).
	s = strings.TrimSuffix(s, ".")
	a, err := idna.Lookup.ToASCII(s)
	if err != nil {
		return "", idnaError(input, s, err)
	}
	a = strings.ToLower(a)
	if err := checkName(input, a); err != nil {
		return "", err
	}
	return a, nil
}

// checkShape refuses, on the raw text, things that are not a domain at all.
// It runs before IDNA because mapping would hide them ("。" becomes ".") or
// turn them into a vaguer "disallowed rune" error; the e-mail, URL and port
// cases get a message that suggests the domain the person probably meant.
func checkShape(input, s string) *Error {
	switch {
	case !utf8.ValidString(s):
		// idna maps invalid bytes to U+FFFD and succeeds, so refuse here.
		return refuse(input, ReasonMalformed, "%q is not valid UTF-8 text; type the domain again", input)
	case isIPLiteral(s):
		return refuse(input, ReasonIPAddress, "%q is an IP address; give your organisation's email domain, e.g. \"example.com\"", input)
	case strings.Contains(s, "://") || strings.ContainsAny(s, "/\\?#"):
		return refuse(input, ReasonMalformed, "%q looks like a URL; give only the host name%s", input, suggest(hostOfURL(s)))
	case strings.Contains(s, "@"):
		return refuse(input, ReasonMalformed, "%q looks like an e-mail address; give only the domain, the part after @%s", input, suggest(s[strings.LastIndexByte(s, '@')+1:]))
	case strings.Contains(s, ":"):
		host, _, err := net.SplitHostPort(s)
		if err != nil {
			host = ""
		}
		return refuse(input, ReasonMalformed, "%q contains \":\" (a port?); give only the domain name%s", input, suggest(host))
	case strings.Contains(s, "*"):
		return refuse(input, ReasonWildcard, "%q contains a wildcard; claim the email domain itself%s", input, suggest(strings.TrimLeft(s, "*.")))
	case strings.IndexFunc(s, isSpaceOrControl) >= 0:
		return refuse(input, ReasonMalformed, "%q contains a space or an invisible character; type the domain without it", input)
	case strings.Contains(s, "_"):
		return refuse(input, ReasonLabel, "%q contains \"_\", which mail domains cannot have (labels like _dmarc name DNS records); give the email domain itself", input)
	}
	return nil
}

func isSpaceOrControl(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }

// isIPLiteral reports IPv4/IPv6 literals, bracketed or not, with a zone, a
// port, a prefix length or a trailing dot: "[::1]:443" should be told it is
// an address, not that it has a port.
func isIPLiteral(s string) bool {
	s = strings.TrimSuffix(s, ".")
	if _, err := netip.ParseAddrPort(s); err == nil {
		return true
	}
	if _, err := netip.ParsePrefix(s); err == nil {
		return true
	}
	if len(s) > 2 && s[0] == '[' && s[len(s)-1] == ']' {
		s = s[1 : len(s)-1]
	}
	_, err := netip.ParseAddr(s)
	return err == nil
}

func hostOfURL(s string) string {
	if !strings.Contains(s, "://") {
		s = "//" + s // let url.Parse see "example.com/path" as a host
	}
	u, err := url.Parse(s)
	if err != nil {
		return ""
	}
	return u.Hostname()
}

// suggest returns `, e.g. "example.com"` when candidate normalises, so a
// message never proposes something that would be refused in turn.
func suggest(candidate string) string {
	if candidate == "" || strings.ContainsAny(candidate, "/@:*") {
		return ""
	}
	d, err := Normalize(candidate)
	if err != nil {
		return ""
	}
	return ` ("` + d + `")`
}

// checkName enforces the DNS limits on the A-label form, since the limits
// apply to what goes on the wire, not to what was typed.
func checkName(input, a string) *Error {
	if a == "" {
		return refuse(input, ReasonEmpty, "%q has no domain in it; enter your organisation's email domain, e.g. \"example.com\"", input)
	}
	if len(a) > maxNameLen {
		return refuse(input, ReasonTooLong, "%q is %d bytes long as a DNS name; the limit is %d", input, len(a), maxNameLen)
	}
	labels := strings.Split(a, ".")
	for _, l := range labels {
		if why := labelProblem(l); why != "" {
			return refuse(input, ReasonLabel, "%q is not a valid domain: %s", input, why)
		}
	}
	if allNumeric(labels) {
		// inet_aton accepts "127.1" and "2130706433"; resolvers and browsers
		// may treat such names as addresses.
		return refuse(input, ReasonIPAddress, "%q reads as an IP address; give your organisation's email domain, e.g. \"example.com\"", input)
	}
	if len(labels) < 2 {
		return refuse(input, ReasonSingleLabel, "%q is a single label; give the full email domain, e.g. \"example.com\"", input)
	}
	if tld := labels[len(labels)-1]; strings.Trim(tld, "0123456789") == "" {
		return refuse(input, ReasonLabel, "%q is not a valid domain: the top-level label %q is all digits, which no top-level domain is", input, tld)
	}
	return nil
}

// labelProblem says what is wrong with one A-label, or "" if nothing is.
func labelProblem(l string) string {
	switch {
	case l == "":
		return "it has an empty label (two dots in a row, or a leading dot)"
	case len(l) > maxLabelLen:
		return "the label \"" + l[:20] + "…\" is longer than 63 bytes"
	case strings.IndexFunc(l, notLDH) >= 0:
		r, _ := utf8.DecodeRuneInString(l[strings.IndexFunc(l, notLDH):])
		return "the label \"" + l + "\" contains \"" + string(r) + "\"; only letters, digits and hyphens are allowed"
	case l[0] == '-' || l[len(l)-1] == '-':
		return "the label \"" + l + "\" starts or ends with a hyphen"
	case len(l) >= 4 && l[2:4] == "--" && !strings.HasPrefix(l, "xn--"):
		return "the label \"" + l + "\" has \"--\" in the third and fourth places, which is reserved for encoded names"
	}
	return ""
}

func notLDH(r rune) bool {
	return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-')
}

func allNumeric(labels []string) bool {
	for _, l := range labels {
		hex := strings.HasPrefix(l, "0x")
		if hex {
			l = l[2:]
		}
		digits := "0123456789"
		if hex {
			digits += "abcdef"
		}
		if l == "" || strings.Trim(l, digits) != "" {
			return false
		}
	}
	return true
}

// idnaError explains an IDNA refusal. For an ASCII label it finds the fault
// with the rules checkName uses; otherwise it falls back to the library's words.
func idnaError(input, s string, err error) *Error {
	for _, l := range strings.Split(strings.ToLower(s), ".") {
		if strings.IndexFunc(l, func(r rune) bool { return r >= utf8.RuneSelf }) >= 0 {
			continue
		}
		why := labelProblem(l)
		if why == "" && strings.HasPrefix(l, "xn--") {
			if _, perr := idna.Lookup.ToUnicode(l); perr != nil {
				why = "the label \"" + l + "\" is not a valid encoded (punycode) international name"
			}
		}
		if why != "" {
			return refuse(input, ReasonLabel, "%q is not a valid domain: %s", input, why)
		}
	}
	msg := strings.TrimPrefix(err.Error(), "idna: ")
	return refuse(input, ReasonLabel, "%q is not a valid international domain name (%s); check the spelling", input, msg)
}

// Unicode returns the U-label form of a normalised domain for display, e.g.
// "bücher.de" for "xn--bcher-kva.de". It is best effort: on any error it
// returns domain unchanged, so it is safe on stored values of any vintage.
func Unicode(domain string) string {
	u, err := idna.Display.ToUnicode(domain)
	if err != nil {
		return domain
	}
	return u
}
