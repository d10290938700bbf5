package portal_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ssogate/ssogate/internal/audit"
	"github.com/ssogate/ssogate/internal/idp/refop"
)

// authorizeEndpoint is the reference provider's global authorize URL.
func authorizeEndpoint(op *refop.Provider) string {
	return strings.TrimSuffix(op.IssuerURL(), "ssogate/") + "authorize/"
}

// startLogin asks the login endpoint for idpID and returns the IdP
// authorize URL it redirects to and the state in it.
func (tn *tenant) startLogin(tb testing.TB, c *http.Client, idpID string) (authorize, state string) {
	tb.Helper()
	h := get(tb, c, tn.loginURL(url.Values{"idp": {idpID}, "redirect_url": {"/"}}))
	if h.status != http.StatusFound || h.setCookie("CF_Session") == nil {
		tb.Fatalf("login: %d (Location %q), want 302 with CF_Session: %s", h.status, h.loc, h.body)
	}
	u, _ := url.Parse(h.loc)
	return h.loc, u.Query().Get("state")
}

// idpCallback lets the provider (auto-login) answer authorize and returns
// the callback URL it sends the browser to, without following it.
func (tn *tenant) idpCallback(tb testing.TB, c *http.Client, authorize string) string {
	tb.Helper()
	h := get(tb, c, authorize)
	if h.status != http.StatusFound || !strings.HasPrefix(h.loc, tn.url+"/cdn-cgi/access/callback?") {
		tb.Fatalf("IdP authorize: %d %q, want 302 to our callback: %s", h.status, h.loc, h.body)
	}
	return h.loc
}

// checkNoSession fails unless the response set no org token and the
// browser is not signed in.
func (tn *tenant) checkNoSession(tb testing.TB, c *http.Client, h hop) {
	tb.Helper()
	if ck := h.setCookie("CF_Authorization"); ck != nil && ck.Value != "" {
		tb.Errorf("a refused callback set CF_Authorization")
	}
	if got := get(tb, c, tn.url+"/cdn-cgi/access/get-identity"); got.status != http.StatusUnauthorized {
		tb.Errorf("get-identity after a refused callback: %d %s", got.status, got.body)
	}
}

// Instant Auth (access-flow.md §1.3, checklist 8, 9, 11): with
// auto_redirect_to_identity and one allowed IdP the login endpoint goes
// straight to the IdP, with a fresh state and nonce, S256 PKCE and our
// callback as redirect_uri byte for byte.
func TestLoginAutoRedirectsToTheOnlyIdP(t *testing.T) {
	t.Parallel()
	a := newAcme(t)
	c := a.env.Browser()
	launcherLogin := a.loginURL(url.Values{"kid": {a.launcherAUD}, "redirect_url": {"/"}})

	if h := get(t, c, launcherLogin); h.status != http.StatusOK || !slices.Equal(chooserIdPs(t, h.body), []string{a.idpID}) {
		t.Fatalf("without auto-redirect: %d, IdPs %v, want the choice page with one IdP", h.status, chooserIdPs(t, h.body))
	}
	// The admin API refuses Instant Auth unless exactly one IdP is allowed.
	a.call(t, "PUT", "/access/apps/"+a.launcherID, `{"auto_redirect_to_identity":true}`, 400)
	a.call(t, "PUT", "/access/apps/"+a.launcherID, `{"allowed_idps":["`+a.idpID+`"],"auto_redirect_to_identity":true}`, 200)

	root := get(t, c, a.url+"/")
	if root.status != http.StatusFound || !strings.HasPrefix(root.loc, a.url+"/cdn-cgi/access/login/") {
		t.Fatalf("team root signed out: %d %q, want 302 to the login endpoint", root.status, root.loc)
	}
	var states, nonces []string
	for range 2 {
		h := get(t, freshBrowser(c), root.loc)
		if h.status != http.StatusFound || !strings.HasPrefix(h.loc, authorizeEndpoint(a.op)+"?") {
			t.Fatalf("login with Instant Auth: %d %q, want 302 to %s: %s", h.status, h.loc, authorizeEndpoint(a.op), h.body)
		}
		ck := h.setCookie("CF_Session")
		if ck == nil || ck.Value == "" || !ck.HttpOnly || ck.Path != "/" || ck.MaxAge <= 0 || ck.MaxAge > 4*3600 {
			t.Errorf("CF_Session: %+v, want HttpOnly, Path=/, 0 < Max-Age <= 4h", ck)
		}
		u, _ := url.Parse(h.loc)
		q := u.Query()
		want := map[string]string{"client_id": "ssogate", "response_type": "code",
			"redirect_uri": a.url + "/cdn-cgi/access/callback", "code_challenge_method": "S256"}
		for k, v := range want {
			if q.Get(k) != v {
				t.Errorf("authorize %s = %q, want %q", k, q.Get(k), v)
			}
		}
		if len(q.Get("state")) < 16 || len(q.Get("nonce")) < 16 || len(q.Get("code_challenge")) < 43 {
			t.Errorf("authorize state/nonce/code_challenge too short: %v", q)
		}
		states, nonces = append(states, q.Get("state")), append(nonces, q.Get("nonce"))
	}
	if states[0] == states[1] || nonces[0] == nonces[1] {
		t.Errorf("two logins share state or nonce: %v %v", states, nonces)
	}
	// And the whole round trip lands on the launcher.
	if final, _ := follow(t, c, a.url+"/"); final.status != http.StatusOK || final.url.String() != a.url+"/" ||
		!strings.Contains(final.body, "alice@acmecorp.company") {
		t.Fatalf("Instant Auth round trip: %d at %s: %s", final.status, final.url, final.body)
	}
}

// The choice page lists exactly the launcher's allowed_idps, or every IdP
// of the account when the list is empty (checklist 8); an IdP that is not
// allowed cannot be forced with ?idp=.
func TestChooserListsExactlyTheAllowedIdPs(t *testing.T) {
	t.Parallel()
	a := newAcme(t)
	second, secondID := a.addOP(t, "Second IdP", refop.Config{AutoLogin: "alice"})
	third, thirdID := a.addOP(t, "Third IdP", refop.Config{AutoLogin: "alice"})
	c := a.env.Browser()
	chooser := func() []string {
		t.Helper()
		final, _ := follow(t, c, a.url+"/")
		if final.status != http.StatusOK || !strings.Contains(final.body, "Choose how to sign in") {
			t.Fatalf("team root: %d %s", final.status, final.body)
		}
		return chooserIdPs(t, final.body)
	}
	sorted := func(ids ...string) []string { slices.Sort(ids); return ids }

	if diff := cmp.Diff(sorted(a.idpID, secondID, thirdID), chooser()); diff != "" {
		t.Errorf("empty allowed_idps: chooser IdPs (-want +got):\n%s", diff)
	}
	a.call(t, "PUT", "/access/apps/"+a.launcherID, `{"allowed_idps":["`+a.idpID+`","`+thirdID+`"]}`, 200)
	if diff := cmp.Diff(sorted(a.idpID, thirdID), chooser()); diff != "" {
		t.Errorf("allowed_idps [first, third]: chooser IdPs (-want +got):\n%s", diff)
	}
	h := get(t, c, a.loginURL(url.Values{"kid": {a.launcherAUD}, "redirect_url": {"/"}}))
	if strings.Contains(h.body, "Second IdP") {
		t.Errorf("the choice page names an IdP that is not allowed: %s", h.body)
	}
	forced := get(t, c, a.loginURL(url.Values{"kid": {a.launcherAUD}, "idp": {secondID}}))
	if forced.status != http.StatusBadRequest || strings.HasPrefix(forced.loc, authorizeEndpoint(second)) {
		t.Errorf("?idp= with an IdP that is not allowed: %d %q, want 400", forced.status, forced.loc)
	}
	a.call(t, "PUT", "/access/apps/"+a.launcherID, `{"allowed_idps":["`+thirdID+`"],"auto_redirect_to_identity":true}`, 200)
	h = get(t, c, a.loginURL(url.Values{"kid": {a.launcherAUD}, "redirect_url": {"/"}}))
	if h.status != http.StatusFound || !strings.HasPrefix(h.loc, authorizeEndpoint(third)+"?") {
		t.Errorf("Instant Auth with the third IdP: %d %q, want 302 to %s", h.status, h.loc, authorizeEndpoint(third))
	}
}

// CF_Session binds a login to the browser that started it (§1.3,
// checklist 10): a callback without it, with another browser's, replayed,
// with a tampered state or carrying the IdP's error never starts a
// session.
func TestCallbackIsBoundToCFSession(t *testing.T) {
	t.Parallel()
	a := newAcme(t)

	t.Run("without cookie, then by its owner", func(t *testing.T) {
		c := a.env.Browser()
		authz, _ := a.startLogin(t, c, a.idpID)
		cb := a.idpCallback(t, c, authz)
		stranger := freshBrowser(c)
		h := get(t, stranger, cb)
		if h.status != http.StatusBadRequest || !strings.Contains(h.body, "Invalid session") {
			t.Errorf("callback without CF_Session: %d, want 400 Invalid session: %s", h.status, h.body)
		}
		a.checkNoSession(t, stranger, h)
		// The stray request did not use the login up: its owner completes it.
		if h := get(t, c, cb); h.status != http.StatusFound || h.rawLoc != "/" || h.setCookie("CF_Authorization") == nil {
			t.Errorf("callback by the browser that started the login: %d %q: %s", h.status, h.rawLoc, h.body)
		}
	})

	t.Run("replayed", func(t *testing.T) {
		c := a.env.Browser()
		authz, _ := a.startLogin(t, c, a.idpID)
		session := jarCookie(c, a.url, "CF_Session")
		cb := a.idpCallback(t, c, authz)
		if h := get(t, c, cb); h.status != http.StatusFound {
			t.Fatalf("first callback: %d %s", h.status, h.body)
		}
		if jarCookie(c, a.url, "CF_Session") != "" {
			t.Errorf("CF_Session survives the callback that used it")
		}
		for name, replay := range map[string]func() hop{
			"same browser":        func() hop { return get(t, c, cb) },
			"with the old cookie": func() hop { return withCookie(t, c, cb, "CF_Session", session) },
		} {
			h := replay()
			if h.status != http.StatusBadRequest || !strings.Contains(h.body, "Invalid session") {
				t.Errorf("replayed callback (%s): %d, want 400 Invalid session: %s", name, h.status, h.body)
			}
			if ck := h.setCookie("CF_Authorization"); ck != nil && ck.Value != "" {
				t.Errorf("replayed callback (%s) set CF_Authorization", name)
			}
		}
	})

	t.Run("another browser's cookie", func(t *testing.T) {
		victim, attacker := a.env.Browser(), a.env.Browser()
		authz, _ := a.startLogin(t, victim, a.idpID)
		cb := a.idpCallback(t, victim, authz)
		a.startLogin(t, attacker, a.idpID) // the attacker's own CF_Session
		h := get(t, attacker, cb)
		if h.status != http.StatusBadRequest || !strings.Contains(h.body, "Invalid session") {
			t.Errorf("callback with another browser's CF_Session: %d, want 400 Invalid session: %s", h.status, h.body)
		}
		a.checkNoSession(t, attacker, h)
		if h := get(t, victim, cb); h.status != http.StatusFound || h.setCookie("CF_Authorization") == nil {
			t.Errorf("the victim's own callback afterwards: %d %s", h.status, h.body)
		}
	})

	t.Run("tampered state", func(t *testing.T) {
		c := a.env.Browser()
		authz, state := a.startLogin(t, c, a.idpID)
		cb, _ := url.Parse(a.idpCallback(t, c, authz))
		q := cb.Query()
		q.Set("state", state[:len(state)-2]+"xy")
		cb.RawQuery = q.Encode()
		h := get(t, c, cb.String())
		if h.status < 400 || h.setCookie("CF_Authorization") != nil {
			t.Errorf("callback with a tampered state: %d, set-cookie %v, want refused: %s", h.status, h.cookies, h.body)
		}
		if strings.Contains(h.body, q.Get("code")) {
			t.Errorf("the error page shows the authorization code")
		}
		a.checkNoSession(t, c, h)
	})

	t.Run("IdP error", func(t *testing.T) {
		c := a.env.Browser()
		_, state := a.startLogin(t, c, a.idpID)
		h := get(t, c, a.url+"/cdn-cgi/access/callback?"+url.Values{"error": {"access_denied"},
			"error_description": {"The user cancelled"}, "state": {state}}.Encode())
		if h.status < 400 || !strings.Contains(h.body, "access_denied") || !strings.Contains(h.body, "The user cancelled") {
			t.Errorf("IdP error callback: %d, want an error page naming access_denied: %s", h.status, h.body)
		}
		a.checkNoSession(t, c, h)
	})

	t.Run("IdP error with a forged state", func(t *testing.T) {
		// Anyone can send a browser to the callback: text without our
		// state must not reach our page.
		c := a.env.Browser()
		a.startLogin(t, c, a.idpID)
		h := get(t, c, a.url+"/cdn-cgi/access/callback?"+url.Values{"error": {"access_denied"},
			"error_description": {"Call +1-555-0100 to restore access"}, "state": {"forged"}}.Encode())
		if h.status < 400 || strings.Contains(h.body, "555-0100") {
			t.Errorf("forged IdP error: %d, want refused without the injected text: %s", h.status, h.body)
		}
		a.checkNoSession(t, c, h)
	})
}

// IdP misconfigurations seen in practice (§6, checklist 14, 15, 17) are
// explained on the page, each with its own words and reason, and audited
// as failed logins.
func TestIdPPitfallsAreExplained(t *testing.T) {
	t.Parallel()
	a := newAcme(t)
	cases := []struct {
		name     string
		cfg      refop.Config
		want     []string // on the page, case-insensitive
		distinct string   // on this page only
		reason   string   // in the audit entry
	}{
		{"HS256", refop.Config{Signing: refop.SigningHS256}, []string{"select a signing key"}, "signed with HS256", "symmetric_id_token"},
		{"empty JWKS", refop.Config{Signing: refop.SigningNoneJWKS}, []string{"publishes no signing keys"}, "publishes no signing keys", "empty_jwks"},
		{"no email claim", refop.Config{OmitEmailClaim: true}, []string{"Failed to fetch user/group information", `no "email" claim`},
			"Failed to fetch user/group information", "missing_email"},
		{"clock 5m ahead", refop.Config{ClockOffset: 5 * time.Minute}, []string{"clock runs ahead", "synchronise both clocks"}, "clock runs ahead", "clock_skew"},
	}
	pages := map[string]string{}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.AutoLogin = "alice"
			op, idpID := a.addOP(t, "pitfall "+tc.name, tc.cfg)
			c, final, _ := a.signIn(t, op, idpID, "alice")
			page := text(final.body)
			pages[tc.name] = strings.ToLower(page)
			for _, want := range append(tc.want, tc.distinct) {
				if final.status != http.StatusBadGateway || !strings.Contains(pages[tc.name], strings.ToLower(want)) {
					t.Errorf("%d, want 502 with %q: %s", final.status, want, page)
				}
			}
			if !strings.Contains(page, "Sign-in with pitfall "+tc.name+" failed") {
				t.Errorf("the page does not name the IdP: %s", page)
			}
			a.checkNoSession(t, c, final)
		})
	}
	// Distinct: no page carries another pitfall's explanation.
	for _, tc := range cases {
		for _, other := range cases {
			if other.name != tc.name && strings.Contains(pages[tc.name], strings.ToLower(other.distinct)) {
				t.Errorf("the %s page also says %q", tc.name, other.distinct)
			}
		}
	}
	// A correctly configured ES256 provider is the control: it works.
	es, esID := a.addOP(t, "ES256 provider", refop.Config{Signing: refop.SigningES256, AutoLogin: "alice"})
	if _, final, _ := a.signIn(t, es, esID, "alice"); final.status != http.StatusOK || !strings.Contains(final.body, "Wiki") {
		t.Errorf("ES256 login: %d %s", final.status, final.body)
	}

	entries, _, err := audit.List(context.Background(), a.env.App.DB, a.accountID, audit.Filter{Action: "login", Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		Result bool
		Reason string
	}
	got := map[string][]row{}
	for _, e := range entries {
		var m struct{ IdP, Reason string }
		_ = json.Unmarshal(e.Metadata, &m)
		got[m.IdP] = append(got[m.IdP], row{e.Result, m.Reason})
	}
	want := map[string][]row{"ES256 provider": {{Result: true}}}
	for _, tc := range cases {
		want["pitfall "+tc.name] = []row{{false, tc.reason}}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("login audit entries by IdP (-want +got):\n%s", diff)
	}
}

// Every redirect_url given to the login endpoint is reduced to a path on
// the team domain (checklist 4): after a successful login the callback
// sends the browser to "/" for every payload of an open-redirect corpus.
func TestLoginRedirectCorpusStaysOnTeamDomain(t *testing.T) {
	t.Parallel()
	a := newAcme(t)
	corpus := []string{
		"https://evil.example", "http://evil.example/", "//evil.example", "///evil.example", "/\\evil.example",
		"\\\\evil.example", "/%2f%2fevil.example", "/%2F%2Fevil.example", "/%5cevil.example", "/%5C%5Cevil.example",
		"%2f%2fevil.example", "javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,<script>alert(1)</script>",
		"/%09/evil.example", "/\t/evil.example", "/%0a/evil.example", "/\r\n/evil.example", "/%0d%0aLocation:%20https://evil.example",
		"/%20/evil.example", "/ /evil.example", "/%E2%80%8B/evil.example", "/\u00a0/evil.example", "/\ufeff/evil.example",
		"//%09/evil.example", "/..//evil.example", "/./\\evil.example", "https:evil.example", "http:/evil.example",
		"evil.example", "@evil.example", "https://acme.access.localhost@evil.example/", "http://" + a.host + ".evil.example/",
		"\x00//evil.example", "?next=//evil.example", "#//evil.example",
	}
	c := a.env.Browser()
	for _, payload := range corpus {
		b := freshBrowser(c)
		final, hops := follow(t, b, a.loginURL(url.Values{"idp": {a.idpID}, "redirect_url": {payload}}))
		cb := callbackHop(t, hops)
		if cb.rawLoc != "/" || final.url.Host != a.host || final.status != http.StatusOK {
			t.Errorf("redirect_url %q: callback Location %q, landed on %s (%d), want / on %s", payload, cb.rawLoc, final.url, final.status, a.host)
		}
	}
	// The choice page carries the reduced value too.
	h := get(t, c, a.loginURL(url.Values{"redirect_url": {"//evil.example"}}))
	for _, m := range idpLinkRE.FindAllStringSubmatch(h.body, -1) {
		u, _ := url.Parse(text(m[1]))
		if got := u.Query().Get("redirect_url"); got != "/" {
			t.Errorf("choice page link carries redirect_url %q", got)
		}
	}
	// Control: a plain path on the team domain is kept.
	_, hops := follow(t, freshBrowser(c), a.loginURL(url.Values{"idp": {a.idpID}, "redirect_url": {"/cdn-cgi/access/get-identity?x=1"}}))
	if cb := callbackHop(t, hops); cb.rawLoc != "/cdn-cgi/access/get-identity?x=1" {
		t.Errorf("relative redirect_url: callback Location %q", cb.rawLoc)
	}
}

// A valid global session skips the IdP (checklist 12): the login
// endpoint re-evaluates the target's policies and continues to
// redirect_url, or shows the deny page; a session from an IdP the target
// does not allow does not count.
func TestLoginWithSessionSkipsTheIdP(t *testing.T) {
	t.Parallel()
	a := newAcme(t)
	launcherLogin := a.loginURL(url.Values{"kid": {a.launcherAUD}, "redirect_url": {"/cdn-cgi/access/get-identity"}})
	alice, final, _ := a.signIn(t, a.op, a.idpID, "alice")
	if final.status != http.StatusOK {
		t.Fatalf("sign in: %d %s", final.status, final.body)
	}
	if h := get(t, alice, launcherLogin); h.status != http.StatusFound || h.rawLoc != "/cdn-cgi/access/get-identity" {
		t.Errorf("login endpoint with a valid session: %d, Location %q, want 302 to redirect_url without the IdP: %s", h.status, h.loc, h.body)
	}
	mallory, _, _ := a.signIn(t, a.op, a.idpID, "mallory")
	if h := get(t, mallory, launcherLogin); h.status != http.StatusForbidden || !strings.Contains(h.body, "Access denied") {
		t.Errorf("login endpoint with a session the launcher denies: %d %q, want the deny page: %s", h.status, h.loc, h.body)
	}
	_, otherID := a.addOP(t, "Other IdP", refop.Config{AutoLogin: "alice"})
	a.call(t, "PUT", "/access/apps/"+a.launcherID, `{"allowed_idps":["`+otherID+`"]}`, 200)
	if h := get(t, alice, launcherLogin); h.status != http.StatusOK || !slices.Equal(chooserIdPs(t, h.body), []string{otherID}) {
		t.Errorf("session from an IdP the launcher no longer allows: %d %q, want the choice page", h.status, h.loc)
	}
}
