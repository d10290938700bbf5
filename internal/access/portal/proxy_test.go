package portal_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
)

// seen is what the test origin received.
type seen struct {
	Method, Host, URI string
	Header            http.Header
}

// echoOrigin is an application origin that answers with what it received.
func echoOrigin(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Origin", "yes")
		_ = json.NewEncoder(w).Encode(seen{Method: r.Method, Host: r.Host, URI: r.RequestURI, Header: r.Header})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// Checklist 26 and 28: admitted requests reach the origin with the
// application token and the email, and no identity header a client sent
// survives, whatever its spelling.
func TestProxyToOrigin(t *testing.T) {
	t.Parallel()
	a := newAcme(t)
	origin := echoOrigin(t)
	_, aud := a.app(t, `{"type":"self_hosted","name":"Wiki","domain":"wiki.localhost","origin_url":"`+origin.URL+`/base",
		"policies":["`+a.staffPolicy+`"]}`)
	base := "http://wiki.localhost:" + a.env.Port()
	c := a.env.Browser()
	final, _ := a.appLogin(t, c, base+"/page?x=1", "alice")
	var got seen
	if final.status != http.StatusOK || json.Unmarshal([]byte(final.body), &got) != nil {
		t.Fatalf("after login: %d %s", final.status, final.body)
	}
	if got.URI != "/base/page?x=1" || got.Host != "wiki.localhost:"+a.env.Port() || got.Header.Get("X-Forwarded-For") != "127.0.0.1" {
		t.Errorf("origin saw %s %s, X-Forwarded-For %q", got.Host, got.URI, got.Header.Get("X-Forwarded-For"))
	}
	token := jarCookie(c, base, "CF_Authorization")
	if got.Header.Get("Cf-Access-Jwt-Assertion") != token || got.Header.Get("Cf-Access-Authenticated-User-Email") != "alice@acmecorp.company" {
		t.Errorf("identity headers: %v", got.Header)
	}

	// Spoofed identity headers, in every spelling, are replaced or dropped.
	req, _ := http.NewRequest("GET", base+"/again", nil)
	req.Header.Set("Cf-Access-Authenticated-User-Email", "mallory@evil.example")
	req.Header["cf_access_authenticated_user_email"] = []string{"mallory@evil.example"}
	req.Header["CF_ACCESS_JWT_ASSERTION"] = []string{"forged"}
	req.Header.Set("Cf-Access-Client-Id", "forged")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got = seen{}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || resp.Header.Get("X-Origin") != "yes" {
		t.Fatalf("second request: %d %v", resp.StatusCode, err)
	}
	var identity []string
	for name, vs := range got.Header {
		if n := strings.ReplaceAll(strings.ToLower(name), "_", "-"); strings.HasPrefix(n, "cf-access-") {
			identity = append(identity, name+"="+strings.Join(vs, ","))
		}
	}
	if len(identity) != 2 || got.Header.Get("Cf-Access-Authenticated-User-Email") != "alice@acmecorp.company" ||
		got.Header.Get("Cf-Access-Jwt-Assertion") != token {
		t.Errorf("identity headers at the origin after spoofing: %v", identity)
	}
	// The origin can verify what it got.
	ctx := oidc.ClientContext(context.Background(), c)
	v := oidc.NewVerifier(a.url, oidc.NewRemoteKeySet(ctx, a.url+"/cdn-cgi/access/certs"), &oidc.Config{ClientID: aud})
	if _, err := v.Verify(ctx, got.Header.Get("Cf-Access-Jwt-Assertion")); err != nil {
		t.Errorf("the forwarded assertion does not verify: %v", err)
	}
	// Without a token nothing reaches the origin.
	if h := get(t, freshBrowser(c), base+"/secret"); h.status != http.StatusFound || strings.Contains(h.body, "X-Origin") {
		t.Errorf("unauthenticated request: %d", h.status)
	}
	// /cdn-cgi/access/ paths are never proxied.
	if h := get(t, c, base+"/cdn-cgi/access/whatever"); h.status != http.StatusNotFound {
		t.Errorf("/cdn-cgi/access path: %d", h.status)
	}
}

func TestProxyOriginDown(t *testing.T) {
	t.Parallel()
	a := newAcme(t)
	origin := echoOrigin(t)
	dead := origin.URL
	origin.Close()
	a.app(t, `{"type":"self_hosted","name":"Down","domain":"down.localhost","origin_url":"`+dead+`","policies":["`+a.staffPolicy+`"]}`)
	final, _ := a.appLogin(t, a.env.Browser(), "http://down.localhost:"+a.env.Port()+"/", "alice")
	if final.status != http.StatusBadGateway || !strings.Contains(final.body, "did not answer") {
		t.Errorf("origin down: %d %s", final.status, final.body)
	}
	for _, bad := range []string{"ftp://x", "http://u:p@x", "not a url", "http://x/?q=1"} {
		r := a.env.Do("POST", "/accounts/"+a.accountID+"/access/apps", a.token,
			`{"type":"self_hosted","name":"x","domain":"x.localhost","origin_url":"`+bad+`"}`)
		if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "/origin_url") {
			t.Errorf("origin_url %q: %d %s", bad, r.Status, r.Body)
		}
	}
}
