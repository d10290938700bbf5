package apptest

import (
	"context"
	"encoding/json"
	"errors"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// BrowserAt returns a cookie-keeping HTTP client that reaches localhost and
// every *.localhost name at addr (host:port), as browsers send *.localhost
// to loopback, and does not follow redirects by itself.
func BrowserAt(addr string) *http.Client {
	jar, _ := cookiejar.New(nil)
	tr := &http.Transport{DialContext: func(ctx context.Context, network, host string) (net.Conn, error) {
		if h, _, _ := net.SplitHostPort(host); h == "localhost" || strings.HasSuffix(h, ".localhost") {
			host = addr
		}
		return (&net.Dialer{}).DialContext(ctx, network, host)
	}}
	return &http.Client{Jar: jar, Transport: tr, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// Browse sends req and follows redirects as a browser would; it returns the
// final page and its URL, failing the test on anything but a 200 there.
func Browse(t testing.TB, c *http.Client, req *http.Request) (string, *url.URL) {
	t.Helper()
	for range 12 {
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", req.Method, req.URL, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		loc, err := resp.Location()
		if errors.Is(err, http.ErrNoLocation) || resp.StatusCode < 300 || resp.StatusCode > 399 {
			if resp.StatusCode != 200 {
				t.Fatalf("%s %s: %d\n%s", req.Method, req.URL, resp.StatusCode, body)
			}
			return string(body), req.URL
		}
		req, _ = http.NewRequest("GET", loc.String(), nil)
	}
	t.Fatalf("too many redirects from %s", req.URL)
	return "", nil
}

var (
	chooserRE    = regexp.MustCompile(`href="(/cdn-cgi/access/login/[^"]*idp=[^"]*)"`)
	idpFormRE    = regexp.MustCompile(`<form method="post" action="([^"]+)">\s*<input type="hidden" name="id" value="([^"]+)">`)
	launcherRE   = regexp.MustCompile(`(?s)<ul class="tiles">(.*?)</ul>`)
	launchTileRE = regexp.MustCompile(`<li><a href="([^"]*)">([^<]*)</a></li>`)
)

// SignInToLauncher opens the App Launcher at teamURL (".../" is added),
// picks the first identity provider, fills in the reference IdP's login
// form (refop, which `ssogate dev-idp` and the demo serve) and returns the
// launcher's tiles (name → URL); the browser keeps the session.
func SignInToLauncher(t testing.TB, c *http.Client, teamURL, email, password string) map[string]string {
	t.Helper()
	get := func(u string) (string, *url.URL) {
		req, _ := http.NewRequest("GET", u, nil)
		return Browse(t, c, req)
	}
	page, at := get(teamURL + "/")
	m := chooserRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("%s shows no identity provider to choose:\n%s", at, page)
	}
	next, _ := at.Parse(html.UnescapeString(m[1]))
	page, at = get(next.String())
	f := idpFormRE.FindStringSubmatch(page)
	if f == nil {
		t.Fatalf("%s is not the IdP's login form:\n%s", at, page)
	}
	action, _ := at.Parse(html.UnescapeString(f[1]))
	form := url.Values{"id": {html.UnescapeString(f[2])}, "username": {email}, "password": {password}}
	req, _ := http.NewRequest("POST", action.String(), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	page, at = Browse(t, c, req)
	if at.String() != teamURL+"/" {
		t.Fatalf("%s's sign-in ended on %s, not the App Launcher:\n%s", email, at, page)
	}
	tiles := map[string]string{}
	if l := launcherRE.FindStringSubmatch(page); l != nil {
		for _, tm := range launchTileRE.FindAllStringSubmatch(l[1], -1) {
			tiles[html.UnescapeString(tm[2])] = html.UnescapeString(tm[1])
		}
	}
	return tiles
}

// GetJSON GETs url with a bearer token and decodes the JSON body into v,
// failing the test on anything but a 200.
func GetJSON(t testing.TB, url, token string, v any) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v: %s", url, err, body)
	}
}
