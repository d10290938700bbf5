package portal

import (
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"time"

	"github.com/ssogate/ssogate/internal/access"
)

// Identity headers an origin receives (access-flow.md §9, item 26).
const (
	jwtAssertionHeader = "Cf-Access-Jwt-Assertion"
	userEmailHeader    = "Cf-Access-Authenticated-User-Email"
)

// originTransport is shared by every proxied request, so connections to
// origins are pooled; no proxy from the environment, bounded dial and
// header waits.
var originTransport = &http.Transport{
	Proxy:                 nil,
	DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
	ForceAttemptHTTP2:     true,
	MaxIdleConnsPerHost:   32,
	IdleConnTimeout:       90 * time.Second,
	ResponseHeaderTimeout: 60 * time.Second,
	TLSHandshakeTimeout:   10 * time.Second,
}

// proxy forwards an admitted request to the app's origin. Whatever
// identity headers the client sent are dropped first — every header whose
// name, lower-cased with "_" read as "-", starts with cf-access- — so an
// origin can trust the ones ssogate sets: the application token
// (verifiable with the team's certs URL and the app's AUD) and the email.
// The Host header stays the application's, as Access does; X-Forwarded-*
// are set afresh from this hop.
func (p *Portal) proxy(w http.ResponseWriter, r *http.Request, app *access.App, id Identity) {
	origin, err := url.Parse(app.OriginURL)
	if err != nil {
		p.render(w, http.StatusBadGateway, "error", &pageError{status: http.StatusBadGateway, title: "Application unavailable",
			message: "This application's origin is misconfigured. Tell your administrator."})
		return
	}
	token := appToken(r)
	rp := &httputil.ReverseProxy{
		Transport: originTransport,
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(origin)
			pr.SetXForwarded()
			pr.Out.Host = pr.In.Host
			stripIdentityHeaders(pr.Out.Header)
			pr.Out.Header.Set(jwtAssertionHeader, token)
			pr.Out.Header.Set(userEmailHeader, id.Email)
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			p.log.Warn("access proxy: origin unreachable", "app", app.Name, "origin", origin.Host, "error", err)
			p.setPageHeaders(w) // this page is ssogate's again
			p.render(w, http.StatusBadGateway, "error", &pageError{status: http.StatusBadGateway, title: "Application unavailable",
				message: "Access admitted you, but " + app.Name + " did not answer. Try again shortly; if it keeps failing, tell your administrator."})
		},
	}
	// The gateway's own headers were set for its pages; the origin's
	// response speaks for itself.
	for name := range p.pageHeaders {
		w.Header().Del(name)
	}
	rp.ServeHTTP(w, r)
}

// stripIdentityHeaders removes every header that could pass for one of
// Access's identity headers, whatever its case or underscores.
func stripIdentityHeaders(h http.Header) {
	for name := range h {
		if strings.HasPrefix(strings.ReplaceAll(strings.ToLower(name), "_", "-"), "cf-access-") {
			delete(h, name)
		}
	}
}
