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
//
// Request logging follows -request-logs, as ssogate's does: off by
// default, so neither writes a line per request the other skips.
func startOAuth2Proxy(ctx context.Context, f *fleet, o options, idp *refop.Provider, upstreamURL string) (*scenario, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + port
	base := "http://" + addr
	secret := randomString(30)
	if err := idp.AddClient(refop.Client{ID: "oauth2-proxy", Secret: secret, RedirectURIs: []string{base + "/oauth2/callback"}}); err != nil {
		return nil, err
	}
	p, err := f.start("oauth2-proxy", nil, o.oauth2,
		"--http-address="+addr,
		"--provider=oidc",
		"--oidc-issuer-url="+idp.IssuerURL(),
		"--client-id=oauth2-proxy",
		"--client-secret="+secret,
		"--redirect-url="+base+"/oauth2/callback",
		"--upstream="+upstreamURL+"/",
		"--email-domain=*",
		"--cookie-secret="+hex.EncodeToString(randomBytes(16)), // 32 bytes: AES-256
		"--cookie-secure=false",
		"--skip-provider-button",
		"--request-logging="+strconv.FormatBool(o.requestLogs),
		"--silence-ping-logging",
	)
	if err != nil {
		return nil, err
	}
	if err := waitReady(ctx, p, base+"/ping"); err != nil {
		return nil, err
	}
	c := browser("")
	if err := signIn(ctx, c, base+"/"); err != nil {
		return nil, fmt.Errorf("oauth2-proxy: %w", err)
	}
	// The session is _oauth2_proxy, split into _oauth2_proxy_0, _1… when
	// large; the CSRF cookie of the login is not part of it.
	u, _ := url.Parse(base)
	var session []string
	for _, ck := range c.Jar.Cookies(u) {
		if strings.HasPrefix(ck.Name, "_oauth2_proxy") && !strings.HasSuffix(ck.Name, "_csrf") {
			session = append(session, ck.Name+"="+ck.Value)
		}
	}
	if len(session) == 0 {
		return nil, fmt.Errorf("oauth2-proxy: no session cookie after the login")
	}
	cookie := "Cookie: " + strings.Join(session, "; ")
	return &scenario{
		name:    "oauth2-proxy",
		url:     base + "/",
		headers: []string{cookie},
		server:  p,
		forged:  []forgery{{}, {headers: []string{tamperMiddle(cookie)}}, {headers: []string{tamperSignature(cookie)}}},
	}, nil
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
