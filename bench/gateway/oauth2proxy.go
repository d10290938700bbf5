package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/ssogate/ssogate/internal/idp/refop"
)

// startOAuth2Proxy runs oauth2-proxy against the local OpenID provider in
// front of the upstream, signs a browser in through a real login (the
// authorization-code flow with the provider), and returns the scenario
// that sends the session cookie it set.
func startOAuth2Proxy(ctx context.Context, f *fleet, o options, idp *refop.Provider, upstreamURL string) (*scenario, error) {
	p, err := runOAuth2Proxy(ctx, f, o, idp, "oauth2-proxy", "", upstreamURL+"/")
	if err != nil {
		return nil, err
	}
	cookie, err := oauth2ProxySession(ctx, p.base)
	if err != nil {
		return nil, fmt.Errorf("oauth2-proxy: %w", err)
	}
	return &scenario{
		name:    "oauth2-proxy",
		url:     p.base + "/",
		headers: []string{cookie},
		server:  p.proc,
		forged:  []forgery{{}, {headers: []string{tamperMiddle(cookie)}}, {headers: []string{tamperSignature(cookie)}}},
	}, nil
}

// oauth2Proxy is a running oauth2-proxy and the base URL it listens on.
type oauth2Proxy struct {
	*proc
	base string
}

// runOAuth2Proxy starts oauth2-proxy, a client of the local OpenID
// provider, proxying to upstream; public is the base URL browsers reach it
// at (its own address when "": nginx's when it sits behind one).
//
// Request logging follows -request-logs, as ssogate's does: off by
// default, so neither writes a line per request the other skips.
func runOAuth2Proxy(ctx context.Context, f *fleet, o options, idp *refop.Provider, name, public, upstream string, extra ...string) (*oauth2Proxy, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + port
	base := "http://" + addr
	if public == "" {
		public = base
	}
	secret := randomString(30)
	if err := idp.AddClient(refop.Client{ID: name, Secret: secret, RedirectURIs: []string{public + "/oauth2/callback"}}); err != nil {
		return nil, err
	}
	p, err := f.start(name, nil, append([]string{o.oauth2,
		"--http-address=" + addr,
		"--provider=oidc",
		"--oidc-issuer-url=" + idp.IssuerURL(),
		"--client-id=" + name,
		"--client-secret=" + secret,
		"--redirect-url=" + public + "/oauth2/callback",
		"--upstream=" + upstream,
		"--email-domain=*",
		"--cookie-secret=" + hex.EncodeToString(randomBytes(16)), // 32 bytes: AES-256
		"--cookie-secure=false",
		"--skip-provider-button",
		"--request-logging=" + strconv.FormatBool(o.requestLogs),
		"--silence-ping-logging",
	}, extra...)...)
	if err != nil {
		return nil, err
	}
	return &oauth2Proxy{proc: p, base: base}, waitReady(ctx, p, base+"/ping")
}

// oauth2ProxySession signs a browser in at base (oauth2-proxy, or nginx in
// front of it) and returns its session as a Cookie header line. The
// session is _oauth2_proxy, split into _oauth2_proxy_0, _1… when large;
// the CSRF cookie of the login is not part of it.
func oauth2ProxySession(ctx context.Context, base string) (string, error) {
	c := browser("")
	if err := signIn(ctx, c, base+"/"); err != nil {
		return "", err
	}
	u, _ := url.Parse(base)
	var session []string
	for _, ck := range c.Jar.Cookies(u) {
		if strings.HasPrefix(ck.Name, "_oauth2_proxy") && !strings.HasSuffix(ck.Name, "_csrf") {
			session = append(session, ck.Name+"="+ck.Value)
		}
	}
	if len(session) == 0 {
		return "", fmt.Errorf("no session cookie after the login")
	}
	return "Cookie: " + strings.Join(session, "; "), nil
}

// tamperMiddle changes one character in the middle of the cookie's value,
// inside oauth2-proxy's encrypted session.
func tamperMiddle(cookie string) string {
	i := strings.IndexByte(cookie, '=') + (len(cookie)-strings.IndexByte(cookie, '='))/3
	repl := byte('A')
	if cookie[i] == 'A' {
		repl = 'B'
	}
	return cookie[:i] + string(repl) + cookie[i+1:]
}
