package portal

import (
	"context"
	"net/http"
	"net/http/httputil"
	"time"

	"github.com/ssogate/ssogate/internal/access"
)

// Identity headers an origin receives (access-flow.md §9, item 26).
const (
	jwtAssertionHeader = "Cf-Access-Jwt-Assertion"
	userEmailHeader    = "Cf-Access-Authenticated-User-Email"
	// userGroupsHeader carries the user's IdP groups in forward-auth
	// answers (encodeGroups), for proxies to copy upstream as authentik's
	// X-authentik-groups and oauth2-proxy's X-Auth-Request-Groups are.
	userGroupsHeader = "Cf-Access-Authenticated-User-Groups"
)

// proxyCall is what one admitted request carries, in its context, to the
// app's shared origin proxy: who was admitted, to which app, through
// which Portal (for the error page and the log), and when it was sent on
// (for the origin's latency). It also holds the request's response writer
// (stream.go) and origin body (origin_errors.go) wrappers, so an admitted
// request allocates one value for all three.
type proxyCall struct {
	p     *Portal
	app   *access.App
	token string
	email string
	start time.Time
	out   writeBound
	body  watchedBody
}

type proxyCallKey struct{}

func callOf(r *http.Request) *proxyCall {
	c, _ := r.Context().Value(proxyCallKey{}).(*proxyCall)
	return c
}

// proxy forwards an admitted request to the app's origin. Whatever
// identity headers the client sent are dropped first — every header whose
// name, lower-cased with "_" read as "-", starts with cf-access- — so an
// origin can trust the ones ssogate sets: the application token
// (verifiable with the team's certs URL and the app's AUD) and the email.
// The Host header stays the application's, as Access does, unless the app
// sets http_host_header; X-Forwarded-* are set afresh from this hop.
//
// Only here, after admission, are the server's deadlines lifted, so
// downloads, server-sent events and uploads may outlast them (stream.go).
func (p *Portal) proxy(w http.ResponseWriter, r *http.Request, app *access.App, token, email string) {
	op, err := p.origins.get(app)
	if err != nil {
		p.log.Warn("access proxy: origin misconfigured", "app", app.Name, "app_id", app.ID, "error", err)
		p.render(w, http.StatusBadGateway, "error", &pageError{status: http.StatusBadGateway, title: "Application unavailable",
			message: "This application's origin is misconfigured. Tell your administrator."})
		return
	}
	call := &proxyCall{p: p, app: app, token: token, email: email, start: time.Now()}
	r = r.WithContext(context.WithValue(r.Context(), proxyCallKey{}, call))
	sw := call.out.stream(w, r)
	defer call.out.finish()
	op.rp.ServeHTTP(sw, r)
}

// rewrite turns an admitted request into the origin's.
func (op *originProxy) rewrite(pr *httputil.ProxyRequest) {
	call := callOf(pr.In)
	pr.SetURL(op.target)
	pr.SetXForwarded()
	pr.Out.Host = pr.In.Host
	if h := op.key.settings.HTTPHostHeader; h != "" {
		pr.Out.Host = h
	}
	stripIdentityHeaders(pr.Out.Header)
	if call.token != "" { // "": a bypass policy admitted it, nobody is asserted
		pr.Out.Header.Set(jwtAssertionHeader, call.token)
	}
	if call.email != "" { // "": a service token
		pr.Out.Header.Set(userEmailHeader, call.email)
	}
}

// stripIdentityHeaders removes every header that could pass for one of
// Access's identity headers, whatever its case or underscores. It runs on
// every proxied request, so it compares in place instead of lower-casing
// each name.
func stripIdentityHeaders(h http.Header) {
	for name := range h {
		if isIdentityHeader(name) {
			delete(h, name)
		}
	}
}

func isIdentityHeader(name string) bool {
	const prefix = "cf-access-"
	if len(name) < len(prefix) {
		return false
	}
	for i := range len(prefix) {
		c := name[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		} else if c == '_' {
			c = '-'
		}
		if c != prefix[i] {
			return false
		}
	}
	return true
}
