package portal

import (
	"net/http"

	"github.com/ssogate/ssogate/internal/browser"
)

// pageHeaders are the security headers of every response ssogate itself
// writes on a team domain or an application host, HSTS included over
// https. A response proxied from an origin gets none of them: the origin
// decides its own framing, caching and policies (proxy removes them).
func pageHeaders(csp string, secure bool) http.Header {
	h := http.Header{}
	h.Set("Content-Security-Policy", csp)
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cache-Control", "no-store")
	if secure {
		h.Set("Strict-Transport-Security", browser.HSTS)
	}
	return h
}

// nosniff is the one header of ssogate's kept on proxied responses.
var nosniff = []string{"nosniff"}

// setPageHeaders puts the page headers on w's response; nosniff too, which
// also stays on proxied responses.
func (p *Portal) setPageHeaders(w http.ResponseWriter) {
	h := w.Header()
	for name, values := range p.pageHeaders {
		h[name] = values
	}
	h.Set("X-Content-Type-Options", "nosniff")
}

// readForm reads the request's form, if any, within browser.MaxForm before
// any handler does; a refusal is answered with the error page and false.
func (p *Portal) readForm(w http.ResponseWriter, r *http.Request) bool {
	refused := browser.ReadForm(w, r)
	if refused == nil {
		return true
	}
	p.render(w, refused.Status, "error", &pageError{status: refused.Status, title: refused.Title, message: refused.Message})
	return false
}
