package domains

import (
	_ "embed"
	"strings"
)

// freeemail.txt lists consumer mail providers: anyone can get an address
// there, so enforcing SSO on one would hand its users to whoever claimed it.
// Most are not public suffixes, so this list is what refuses them.
//
//go:embed freeemail.txt
var freeEmailText string

var freeEmail = parseList(freeEmailText)

// parseList reads one domain per line; "#" starts a comment.
func parseList(text string) map[string]struct{} {
	set := make(map[string]struct{})
	for line := range strings.Lines(text) {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		if line = strings.TrimSpace(line); line != "" {
			set[strings.ToLower(line)] = struct{}{}
		}
	}
	return set
}

// IsFreeEmail reports whether domain is on the embedded list of consumer mail
// providers. It normalises domain first, so "GMAIL.COM." is found; input that
// does not normalise is looked up as given.
func IsFreeEmail(domain string) bool {
	if d, err := Normalize(domain); err == nil {
		domain = d
	}
	return isFreeEmail(domain)
}

func isFreeEmail(d string) bool {
	_, ok := freeEmail[d]
	return ok
}
