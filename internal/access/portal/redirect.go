package portal

import (
	"net/url"
	"strings"
	"unicode"
)

// SafeRedirect reduces a redirect target taken from a request to a
// relative path on this host: anything absolute, scheme-relative ("//x",
// "/\x"), with backslashes, control characters or encoded whitespace where
// a browser might normalise it into a host becomes "/". The checks run on
// the raw value and on its decoded form, because browsers decode some
// escapes before resolving.
func SafeRedirect(raw string) string {
	if raw == "" || len(raw) > 2048 {
		return "/"
	}
	dec, err := url.PathUnescape(raw)
	if err != nil {
		return "/"
	}
	for _, v := range []string{raw, dec} {
		if !relativePath(v) {
			return "/"
		}
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return "/"
	}
	return raw
}

func relativePath(v string) bool {
	if !strings.HasPrefix(v, "/") || strings.HasPrefix(v, "//") || strings.ContainsRune(v, '\\') {
		return false
	}
	// Dot segments would be resolved away by the browser, leaving a path
	// we did not check ("/..//x" becomes "//x" on some stacks).
	path, _, _ := strings.Cut(v, "?")
	for _, seg := range strings.Split(path, "/") {
		if seg == ".." || seg == "." {
			return false
		}
	}
	for _, r := range v {
		// Controls, spaces and invisible format characters (zero-width
		// space, BOM) are what parsers disagree about.
		if unicode.IsControl(r) || unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) || r == '\u00a0' {
			return false
		}
	}
	return true
}
