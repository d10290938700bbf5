package layout

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
)

var (
	// SlugPattern is what authentik accepts as an application slug.
	SlugPattern = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	pathPattern = regexp.MustCompile(`^[A-Za-z0-9/_.~-]*$`)
)

// CheckIssuer checks the base URL a reference provider serves under and
// returns it without a trailing slash, with its path.
func CheckIssuer(issuer string) (base, basePath string, errs []error) {
	u, err := url.Parse(issuer)
	switch {
	case err != nil:
		return "", "", []error{fmt.Errorf("issuer %q: %w", issuer, err)}
	case u.Scheme != "http" && u.Scheme != "https", u.Host == "":
		errs = append(errs, fmt.Errorf("issuer %q: want an absolute http or https URL", issuer))
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		errs = append(errs, fmt.Errorf("issuer %q: no query, fragment or user info allowed", issuer))
	case !pathPattern.MatchString(u.Path):
		errs = append(errs, fmt.Errorf("issuer %q: path may only hold letters, digits and /_.~-", issuer))
	}
	basePath = strings.TrimSuffix(u.Path, "/")
	return u.Scheme + "://" + u.Host + basePath, basePath, errs
}
