package access

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/ssogate/ssogate/internal/api"
)

// CookieSettings are a self-hosted application's cookie options, with
// Cloudflare's names. The zero value is Cloudflare's default: SameSite
// None, HttpOnly, Path=/.
type CookieSettings struct {
	SameSite string `json:"same_site_cookie_attribute,omitempty"` // "none", "lax" or "strict"
	// HTTPOnly is a pointer because the default is true.
	HTTPOnly *bool `json:"http_only_cookie_attribute,omitempty"`
	// PathScoped limits the cookie to the application's path.
	PathScoped bool `json:"path_cookie_attribute,omitempty"`
}

// CORSHeaders is how Access answers CORS preflights for the app itself
// (preflights carry no cookies, so they cannot be authenticated).
type CORSHeaders struct {
	AllowedOrigins   []string `json:"allowed_origins,omitempty"`
	AllowedMethods   []string `json:"allowed_methods,omitempty"`
	AllowedHeaders   []string `json:"allowed_headers,omitempty"`
	AllowAllOrigins  bool     `json:"allow_all_origins,omitempty"`
	AllowAllMethods  bool     `json:"allow_all_methods,omitempty"`
	AllowAllHeaders  bool     `json:"allow_all_headers,omitempty"`
	AllowCredentials bool     `json:"allow_credentials,omitempty"`
	MaxAge           int      `json:"max_age,omitempty"`
}

var corsMethods = []string{"GET", "POST", "HEAD", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"}

// checkCookieSettings validates and normalises the cookie options.
func checkCookieSettings(c *CookieSettings) error {
	c.SameSite = strings.ToLower(strings.TrimSpace(c.SameSite))
	switch c.SameSite {
	case "", "none", "lax", "strict":
		return nil
	}
	return api.Invalid("/same_site_cookie_attribute", "same_site_cookie_attribute must be none, lax or strict, not %q", c.SameSite)
}

// checkCORS validates the CORS settings.
func checkCORS(c *CORSHeaders) error {
	if c == nil {
		return nil
	}
	for i, o := range c.AllowedOrigins {
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			return api.Invalid("/cors_headers/allowed_origins/"+strconv.Itoa(i), "allowed_origins: %q is not an origin such as https://app.example.com", o)
		}
		c.AllowedOrigins[i] = strings.TrimSuffix(o, "/")
	}
	for i, m := range c.AllowedMethods {
		c.AllowedMethods[i] = strings.ToUpper(m)
		if !slices.Contains(corsMethods, c.AllowedMethods[i]) {
			return api.Invalid("/cors_headers/allowed_methods/"+strconv.Itoa(i), "allowed_methods: %q is not an HTTP method", m)
		}
	}
	if c.AllowCredentials && c.AllowAllOrigins {
		return api.Invalid("/cors_headers/allow_credentials", "allow_credentials cannot be combined with allow_all_origins: list the origins")
	}
	if c.MaxAge < 0 || c.MaxAge > 86400 {
		return api.Invalid("/cors_headers/max_age", "max_age is 0 to 86400 seconds")
	}
	return nil
}

// Preflight answers a CORS preflight from the app's settings: the headers
// to send and whether the request is allowed.
func (c *CORSHeaders) Preflight(r *http.Request) (http.Header, bool) {
	origin := r.Header.Get("Origin")
	method := strings.ToUpper(r.Header.Get("Access-Control-Request-Method"))
	if c == nil || origin == "" || method == "" {
		return nil, false
	}
	if !c.AllowAllOrigins && !slices.Contains(c.AllowedOrigins, origin) {
		return nil, false
	}
	if !c.AllowAllMethods && !slices.Contains(c.AllowedMethods, method) {
		return nil, false
	}
	var asked []string
	for _, h := range strings.Split(r.Header.Get("Access-Control-Request-Headers"), ",") {
		if h = strings.TrimSpace(h); h != "" {
			asked = append(asked, h)
		}
	}
	if !c.AllowAllHeaders {
		for _, h := range asked {
			if !slices.ContainsFunc(c.AllowedHeaders, func(a string) bool { return strings.EqualFold(a, h) }) {
				return nil, false
			}
		}
	}
	h := http.Header{}
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Vary", "Origin")
	h.Set("Access-Control-Allow-Methods", method)
	if len(asked) > 0 {
		h.Set("Access-Control-Allow-Headers", strings.Join(asked, ", "))
	}
	if c.AllowCredentials {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	if c.MaxAge > 0 {
		h.Set("Access-Control-Max-Age", strconv.Itoa(c.MaxAge))
	}
	return h, true
}
