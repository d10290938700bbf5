package portal_test

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/apptest"
	"github.com/ssogate/ssogate/internal/store/storetest"
)

// queryLog records the statements an instance runs on Access tables.
type queryLog struct {
	mu sync.Mutex
	qs []string
}

func (l *queryLog) add(q string) {
	if strings.Contains(q, "access_") || q == "BEGIN" {
		l.mu.Lock()
		l.qs = append(l.qs, strings.Join(strings.Fields(q), " "))
		l.mu.Unlock()
	}
}

func (l *queryLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	qs := l.qs
	l.qs = nil
	return qs
}

// originSays GETs u and reports whether the test origin answered.
func originSays(t *testing.T, c *http.Client, u string, header ...string) bool {
	t.Helper()
	h := get(t, c, u, header...)
	return h.status == http.StatusOK && strings.Contains(h.body, `"URI"`)
}

// Issue 9: an admitted request costs no database round trip — the app,
// the organization, the keys and the session come from memory — whether
// its token is a cookie or a header, and a refused token whose session is
// revoked costs none either. A change is seen by the very next request.
func TestAdmittedRequestsReadNoRows(t *testing.T) {
	t.Parallel()
	a := newAcme(t)
	origin := echoOrigin(t)
	appID, _ := a.app(t, `{"type":"self_hosted","name":"Wiki","domain":"wiki.localhost","origin_url":"`+origin.URL+`",
		"policies":["`+a.staffPolicy+`"]}`)
	base := "http://wiki.localhost:" + a.env.Port()
	c := a.env.Browser()
	if final, _ := a.appLogin(t, c, base+"/", "alice"); final.status != http.StatusOK {
		t.Fatalf("login: %d %s", final.status, final.body)
	}
	token := jarCookie(c, base, "CF_Authorization")
	bare := freshBrowser(c)
	log := &queryLog{}
	a.env.App.DB.SetTrace(log.add)
	t.Cleanup(func() { a.env.App.DB.SetTrace(nil) })

	for i := range 20 {
		if !originSays(t, c, base+"/page") || !originSays(t, bare, base+"/api", "Cf-Access-Token", token) {
			t.Fatalf("request %d was not proxied", i)
		}
	}
	if qs := log.take(); len(qs) != 0 {
		t.Errorf("admitted requests ran %d statements on Access tables: %q", len(qs), qs)
	}

	// A change is seen at once (its reload reads rows once), then nothing.
	a.call(t, "PUT", "/access/apps/"+appID, `{"name":"Team wiki"}`, 200)
	log.take()
	for range 2 {
		if !originSays(t, c, base+"/page") {
			t.Fatal("not proxied after the app changed")
		}
	}
	if qs := log.take(); len(qs) == 0 {
		t.Error("no reload after the app changed")
	}
	for range 5 {
		originSays(t, c, base+"/page")
	}
	if qs := log.take(); len(qs) != 0 {
		t.Errorf("after the reload: %q", qs)
	}

	// Revoked: refused at once, and refusing costs no row either.
	a.call(t, "POST", "/access/organizations/revoke_user", `{"email":"alice@acmecorp.company"}`, 200)
	log.take()
	for range 5 {
		if h := get(t, bare, base+"/api", "Cf-Access-Token", token, "X-Requested-With", "XMLHttpRequest"); h.status != http.StatusUnauthorized {
			t.Fatalf("revoked token: %d %s", h.status, h.body)
		}
	}
	if qs := log.take(); len(qs) > 1 {
		t.Errorf("refusing a revoked session read %d statements, want at most 1: %q", len(qs), qs)
	}
}

// Issue 9: with two instances on one PostgreSQL, revoke_tokens, logout,
// revoke_user, a policy change and an app's deletion made through one are
// enforced by the other within a second, though it serves them from
// memory.
func TestRevocationsReachEveryInstance(t *testing.T) {
	storetest.NeedPostgres(t)
	url, key := storetest.PostgresURL(t), base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{9}, 32))
	a := newAcme(t, apptest.WithDatabaseURL(url), apptest.WithSecretKey(key))
	b := apptest.New(t, apptest.WithDatabaseURL(url), apptest.WithSecretKey(key), apptest.WithPublicPort(a.env.Port()))
	origin := echoOrigin(t)
	appID, _ := a.app(t, `{"type":"self_hosted","name":"Wiki","domain":"wiki.localhost","origin_url":"`+origin.URL+`",
		"policies":["`+a.staffPolicy+`"]}`)
	base := "http://wiki.localhost:" + a.env.Port() // the public URL both instances serve
	onA := a.env.Browser()
	onB := freshBrowser(b.Browser()) // dials b whatever the port in the URL

	// signIn logs alice in through a and returns her app token; b admits it.
	signIn := func() string {
		t.Helper()
		if final, _ := a.appLogin(t, onA, base+"/", "alice"); final.status != http.StatusOK {
			t.Fatalf("login on a: %d %s", final.status, final.body)
		}
		token := jarCookie(onA, base, "CF_Authorization")
		if !originSays(t, onB, base+"/x", "Cf-Access-Token", token) {
			t.Fatal("b does not admit a's fresh token")
		}
		return token
	}
	refusedOnB := func(what, token string) {
		t.Helper()
		start := time.Now()
		for originSays(t, onB, base+"/x", "Cf-Access-Token", token) {
			if time.Since(start) > time.Second {
				t.Fatalf("%s: b still admits the token after 1s", what)
			}
			time.Sleep(5 * time.Millisecond)
		}
		t.Logf("%s reached b in %v", what, time.Since(start).Round(time.Millisecond))
	}

	token := signIn()
	a.call(t, "POST", "/access/apps/"+appID+"/revoke_tokens", "", 200)
	refusedOnB("revoke_tokens", token)

	time.Sleep(time.Second) // a token minted in revoke_tokens' second is refused too
	token = signIn()
	if h := get(t, onA, a.url+"/cdn-cgi/access/logout"); h.status >= 400 {
		t.Fatalf("logout: %d", h.status)
	}
	refusedOnB("logout", token)

	token = signIn()
	a.call(t, "POST", "/access/organizations/revoke_user", `{"email":"alice@acmecorp.company"}`, 200)
	refusedOnB("revoke_user", token)

	// A policy change: b's App Launcher (which evaluates policies on
	// every page) stops admitting alice.
	token = signIn()
	teamOnB := freshBrowser(b.Browser())
	for _, ck := range onA.Jar.Cookies(mustURL(t, a.url)) {
		teamOnB.Jar.SetCookies(mustURL(t, a.url), []*http.Cookie{ck})
	}
	if h := get(t, teamOnB, a.url+"/"); h.status != http.StatusOK || !strings.Contains(h.body, "Wiki") {
		t.Fatalf("b's launcher before the policy change: %d %s", h.status, h.body)
	}
	a.call(t, "PUT", "/access/policies/"+a.staffPolicy, `{"include":[{"email":{"email":"bob@acmecorp.company"}}]}`, 200)
	start := time.Now()
	for get(t, teamOnB, a.url+"/").status == http.StatusOK {
		if time.Since(start) > time.Second {
			t.Fatal("policy change: b's launcher still admits alice after 1s")
		}
		time.Sleep(5 * time.Millisecond)
	}

	// Deleting the app: b stops proxying its host.
	a.call(t, "DELETE", "/access/apps/"+appID, "", 200)
	refusedOnB("app deletion", token)
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
