package portal

import (
	"errors"
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	"github.com/ssogate/ssogate/internal/metrics"
	"github.com/ssogate/ssogate/internal/store"
)

// Forward auth lets a reverse proxy that already fronts an application —
// nginx (auth_request), Traefik (ForwardAuth), Caddy (forward_auth) — ask
// ssogate whether a request may pass, instead of ssogate proxying it
// (docs/forward-auth.md). The proxy describes the original request; only a
// proxy in --trusted-proxies may, since the description picks the
// application and the page a login returns to.
//
// The answer, for every mode: 200 with the identity headers the proxy
// copies upstream (Cf-Access-Jwt-Assertion, Cf-Access-Authenticated-User-
// Email) when the request carries a valid application token for the
// application of that host and path. Otherwise nginx gets a bare 401 (its
// auth_request understands nothing else; its error_page then hands the
// request to ssogate's gateway, which starts the login), and Traefik and
// Caddy — which return a refusal to the client as it is — get what the
// gateway would answer: the 302 to the team login with CF_AppSession, or a
// 401 for XHR and non-browser requests.

// ForwardAuthPrefix is where the endpoints live on every host ssogate
// serves: /cdn-cgi/access/forward-auth/{nginx,traefik,caddy}.
const ForwardAuthPrefix = "/cdn-cgi/access/forward-auth/"

// original is the request a proxy asks about.
type original struct {
	method, host, uri string
	xhr               bool
}

// ServeForwardAuth answers a proxy's forward-auth subrequest.
func (p *Portal) ServeForwardAuth(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header()["X-Content-Type-Options"] = nosniff
	mode := strings.TrimPrefix(r.URL.Path, ForwardAuthPrefix)
	if mode != "nginx" && mode != "traefik" && mode != "caddy" {
		http.Error(w, "unknown forward-auth endpoint: use "+ForwardAuthPrefix+"nginx, traefik or caddy", http.StatusNotFound)
		return
	}
	metrics.RequestOf(r.Context()).SetRoute(r.URL.Path) // one of three, checked above
	if peer, ok := p.trustedPeer(r); !ok {
		http.Error(w, "forward auth answers only proxies in --trusted-proxies; "+peer+" is not one", http.StatusForbidden)
		return
	}
	orig, err := describedRequest(r, mode)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if err := p.forwardAuth(w, r, mode, orig); err != nil && !errors.Is(err, errRedirected) {
		p.setPageHeaders(w)
		p.fail(w, r, "forward auth", err)
	}
}

func (p *Portal) forwardAuth(w http.ResponseWriter, r *http.Request, mode string, orig original) error {
	path, _, _ := strings.Cut(orig.uri, "?")
	app, err := p.snap.AppForHost(r.Context(), orig.host, path)
	if err != nil {
		return err
	}
	if app == nil {
		return &pageError{status: http.StatusForbidden, title: "Not protected",
			message: "No Access application protects " + orig.host + "; add one before sending its requests here."}
	}
	org, err := p.orgOfAccount(r.Context(), app.AccountID)
	if err != nil {
		return err
	}
	adm, err := p.admit(r, org, app)
	p.decided(r, app, adm, err)
	if err == nil {
		h := w.Header()
		if adm.token != "" {
			h.Set(jwtAssertionHeader, adm.token)
		}
		if adm.email != "" {
			h.Set(userEmailHeader, adm.email)
		}
		if len(adm.groups) > 0 {
			h.Set(userGroupsHeader, encodeGroups(adm.groups))
		}
		w.WriteHeader(http.StatusOK)
		return nil
	}
	if store.IsUnavailable(err) {
		return err
	}
	if st, ok := isServiceRefusal(err); ok {
		return refuseServiceToken(w, st) // nginx: a 401 goes through its error_page to the gateway, which says the same
	}
	switch {
	case mode == "nginx":
		w.WriteHeader(http.StatusUnauthorized) // error_page 401 hands the request to the gateway
		return nil
	case orig.xhr || orig.method != http.MethodGet && orig.method != http.MethodHead:
		return writeJSON(w, http.StatusUnauthorized, map[string]string{"err": "no valid application token: sign in again"})
	}
	p.setPageHeaders(w)
	return p.redirectToLogin(w, r, org, app, orig.host, orig.uri)
}

// trustedPeer reports whether the request comes straight from a trusted
// proxy, and its address.
func (p *Portal) trustedPeer(r *http.Request) (string, bool) {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr, false
	}
	addr := ap.Addr().Unmap()
	for _, pf := range p.trusted {
		if pf.Contains(addr) {
			return addr.String(), true
		}
	}
	return addr.String(), false
}

// describedRequest reads the original request from a proxy's headers.
// Traefik and Caddy send X-Forwarded-Method/Host/Uri, overwriting what the
// client sent. An nginx subrequest passes the client's headers through
// unless the configuration sets them, so for nginx the host is the Host
// header (proxy_set_header Host $host) and never X-Forwarded-Host: a
// client must not pick which application its token is checked against.
// The URI is X-Original-URI (the convention oauth2-proxy documents), set
// by the configuration too.
func describedRequest(r *http.Request, mode string) (original, error) {
	h := r.Header
	o := original{
		method: firstOf(h.Get("X-Forwarded-Method"), h.Get("X-Original-Method"), http.MethodGet),
		host:   hostOnly(r.Host),
		uri:    firstOf(h.Get("X-Forwarded-Uri"), h.Get("X-Original-Uri"), h.Get("X-Original-Url")),
		xhr:    h.Get("X-Requested-With") == "XMLHttpRequest",
	}
	if mode == "nginx" {
		o.method = firstOf(h.Get("X-Original-Method"), http.MethodGet)
		o.uri = firstOf(h.Get("X-Original-Uri"), h.Get("X-Original-Url"))
	} else if fh := h.Get("X-Forwarded-Host"); fh != "" {
		o.host = hostOnly(fh)
	}
	if u, err := url.Parse(o.uri); err == nil && u.IsAbs() { // X-Original-URL is absolute
		o.uri = u.RequestURI()
	}
	switch {
	case o.uri == "":
		if mode == "nginx" {
			return o, errors.New("forward auth: the proxy must send X-Original-URI (proxy_set_header X-Original-URI $request_uri)")
		}
		return o, errors.New("forward auth: the proxy must send X-Forwarded-Uri")
	case !strings.HasPrefix(o.uri, "/"):
		return o, errors.New("forward auth: the original URI must be a path, e.g. /page?q=1")
	case o.host == "" || strings.ContainsAny(o.host, "/ @"):
		return o, errors.New("forward auth: the original host is missing or invalid (X-Forwarded-Host)")
	}
	return o, nil
}

func firstOf(vs ...string) string {
	for _, v := range vs {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}

// IsForwardAuth reports whether path is a forward-auth endpoint.
func IsForwardAuth(path string) bool { return strings.HasPrefix(path, ForwardAuthPrefix) }

// encodeGroups joins group names with commas for one header value. Names
// come from the IdP and may hold anything, so every byte outside printable
// ASCII, and the comma and percent sign themselves, are percent-encoded:
// the value splits on commas unambiguously and no proxy sees a byte it
// might mangle or read as a header break.
func encodeGroups(groups []string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i, g := range groups {
		if i > 0 {
			b.WriteByte(',')
		}
		for j := 0; j < len(g); j++ {
			c := g[j]
			if c < 0x20 || c >= 0x7f || c == ',' || c == '%' {
				b.WriteByte('%')
				b.WriteByte(hex[c>>4])
				b.WriteByte(hex[c&15])
				continue
			}
			b.WriteByte(c)
		}
	}
	return b.String()
}
