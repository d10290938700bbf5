package portal_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/access"
	"github.com/ssogate/ssogate/internal/access/keys"
	"github.com/ssogate/ssogate/internal/access/portal"
	"github.com/ssogate/ssogate/internal/idp/refop"
	"github.com/ssogate/ssogate/internal/ids"
)

var dashAssertionRE = regexp.MustCompile(`name="assertion" value="([^"]+)"`)

// dashAUD is the AUD of the account's SSO App.
func (tn *tenant) dashAUD(tb testing.TB) string {
	tb.Helper()
	apps, err := tn.env.App.Access.ListApps(context.Background(), tn.accountID, access.AppFilter{})
	if err != nil {
		tb.Fatal(err)
	}
	for _, a := range apps {
		if a.Type == access.TypeDashSSO {
			return a.AUD
		}
	}
	tb.Fatalf("account %s has no SSO App", tn.accountID)
	return ""
}

// dashAssertion opens the SSO App tile and returns the assertion the page
// posts to the dashboard.
func (tn *tenant) dashAssertion(tb testing.TB, c *http.Client) string {
	tb.Helper()
	h := get(tb, c, tn.url+"/cdn-cgi/access/sso/dash")
	m := dashAssertionRE.FindStringSubmatch(h.body)
	if h.status != http.StatusOK || m == nil {
		tb.Fatalf("SSO App: %d %s", h.status, h.body)
	}
	return text(m[1])
}

// Two accounts on one ssogate (STYLE.md 5, access-flow.md §2.2: keys are
// per account): nothing of acme's — IdP, application, org token, signing
// key, assertion, login in progress — is accepted by beta.
func TestAccountsAreIsolated(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	a := newAcme(t)
	a.enableDashSSO(t, "acmecorp.company")
	betaID, betaToken := a.env.NewAccount("Beta")
	beta := newTenant(t, a.env, betaID, betaToken, "beta")
	betaOP, betaIdP := beta.addOP(t, "Beta IdP", refop.Config{AutoLogin: "bert"})
	betaStaff := beta.policy(t, "Beta staff", "allow", `[{"email_domain":{"domain":"betacorp.company"}}]`)
	beta.app(t, `{"type":"app_launcher","policies":["`+betaStaff+`"]}`)
	beta.enableDashSSO(t, "betacorp.company")

	aliceBrowser, final, _ := a.signIn(t, a.op, a.idpID, "alice")
	bertBrowser, bfinal, _ := beta.signIn(t, betaOP, betaIdP, "bert")
	if final.status != http.StatusOK || bfinal.status != http.StatusOK {
		t.Fatalf("sign-ins: acme %d, beta %d: %s %s", final.status, bfinal.status, final.body, bfinal.body)
	}
	aliceToken := jarCookie(aliceBrowser, a.url, "CF_Authorization")
	bertToken := jarCookie(bertBrowser, beta.url, "CF_Authorization")

	t.Run("beta's login offers only beta's IdP", func(t *testing.T) {
		c := a.env.Browser()
		h, _ := follow(t, c, beta.url+"/")
		if ids := chooserIdPs(t, h.body); h.status != http.StatusOK || len(ids) != 1 || ids[0] != betaIdP || strings.Contains(h.body, "authentik") {
			t.Errorf("beta's choice page: %d, IdPs %v, want only %s: %s", h.status, ids, betaIdP, h.body)
		}
		if h := get(t, c, beta.loginURL(url.Values{"idp": {a.idpID}})); h.status != http.StatusBadRequest || strings.HasPrefix(h.loc, authorizeEndpoint(a.op)) {
			t.Errorf("beta login with acme's IdP: %d %q, want 400", h.status, h.loc)
		}
		if h := get(t, c, beta.loginURL(url.Values{"kid": {a.launcherAUD}})); h.status != http.StatusBadRequest {
			t.Errorf("beta login for acme's application: %d, want 400", h.status)
		}
	})

	t.Run("acme's org token on beta", func(t *testing.T) {
		if jarCookie(aliceBrowser, beta.url, "CF_Authorization") != "" {
			t.Errorf("the browser sends acme's CF_Authorization to beta's host")
		}
		if h := withCookie(t, aliceBrowser, beta.url+"/cdn-cgi/access/get-identity", "CF_Authorization", aliceToken); h.status != http.StatusUnauthorized {
			t.Errorf("get-identity on beta with acme's token: %d %s", h.status, h.body)
		}
		if h := withCookie(t, aliceBrowser, beta.url+"/", "CF_Authorization", aliceToken); h.status != http.StatusFound ||
			!strings.HasPrefix(h.loc, beta.url+"/cdn-cgi/access/login/") {
			t.Errorf("beta's launcher with acme's token: %d %q, want a redirect to beta's login", h.status, h.loc)
		}
		if h := withCookie(t, aliceBrowser, beta.url+"/cdn-cgi/access/sso/dash", "CF_Authorization", aliceToken); h.status != http.StatusFound {
			t.Errorf("beta's SSO App with acme's token: %d, want a redirect to login", h.status)
		}
		// Controls: each token works at home only.
		if h := withCookie(t, aliceBrowser, a.url+"/cdn-cgi/access/get-identity", "CF_Authorization", aliceToken); h.status != http.StatusOK {
			t.Errorf("acme's token on acme: %d", h.status)
		}
		if h := withCookie(t, bertBrowser, a.url+"/cdn-cgi/access/get-identity", "CF_Authorization", bertToken); h.status != http.StatusUnauthorized {
			t.Errorf("beta's token on acme: %d %s", h.status, h.body)
		}
	})

	t.Run("token signed with acme's key for beta", func(t *testing.T) {
		// Every claim right for beta (bert's live session included), but
		// signed with the other account's key.
		_, bc := jwtParts(t, bertToken)
		now := time.Now()
		forged, err := a.env.App.Keys.Sign(ctx, a.accountID, keys.Claims{Audience: keys.Audience{beta.authHost},
			Email: "bert@betacorp.company", Issuer: beta.url, Type: "org", IdentityNonce: bc["identity_nonce"].(string),
			Subject: bc["sub"].(string), IssuedAt: now.Unix(), NotBefore: now.Unix(), Expiry: now.Add(time.Hour).Unix()})
		if err != nil {
			t.Fatal(err)
		}
		if h := withCookie(t, bertBrowser, beta.url+"/cdn-cgi/access/get-identity", "CF_Authorization", forged); h.status != http.StatusUnauthorized {
			t.Errorf("beta accepted a token signed with acme's key: %d %s", h.status, h.body)
		}
		if h := withCookie(t, bertBrowser, beta.url+"/cdn-cgi/access/get-identity", "CF_Authorization", bertToken); h.status != http.StatusOK {
			t.Errorf("bert's own token: %d", h.status)
		}
	})

	t.Run("assertions", func(t *testing.T) {
		got, err := a.env.App.Portal.ConsumeAssertion(ctx, a.dashAssertion(t, aliceBrowser))
		if err != nil || got.AccountID != a.accountID || got.Issuer != a.url || !got.Audience.Contains(a.dashAUD(t)) {
			t.Errorf("acme's assertion: %v %+v, want acme's account, issuer and SSO App", err, got)
		}
		now := time.Now()
		forged, err := a.env.App.Keys.Sign(ctx, a.accountID, portal.Assertion{Issuer: beta.url,
			Audience: keys.Audience{beta.dashAUD(t)}, Email: "alice@acmecorp.company", Subject: "x", Type: "dash_sso",
			JTI: ids.NewHex32(), IssuedAt: now.Unix(), NotBefore: now.Unix(), Expiry: now.Add(time.Minute).Unix(), AccountID: beta.accountID})
		if err != nil {
			t.Fatal(err)
		}
		if got, err := a.env.App.Portal.ConsumeAssertion(ctx, forged); !errors.Is(err, portal.ErrAssertionInvalid) {
			t.Errorf("assertion for beta signed with acme's key: %v %+v, want ErrAssertionInvalid", err, got)
		}
		// An acme assertion re-addressed to beta breaks its signature.
		token := a.dashAssertion(t, aliceBrowser)
		_, claims := jwtParts(t, token)
		claims["iss"], claims["account_id"], claims["aud"] = beta.url, beta.accountID, []string{beta.dashAUD(t)}
		if got, err := a.env.App.Portal.ConsumeAssertion(ctx, resign(t, token, claims)); !errors.Is(err, portal.ErrAssertionInvalid) {
			t.Errorf("acme assertion re-addressed to beta: %v %+v, want ErrAssertionInvalid", err, got)
		}
		if got, err := a.env.App.Portal.ConsumeAssertion(ctx, beta.dashAssertion(t, bertBrowser)); err != nil || got.AccountID != beta.accountID {
			t.Errorf("beta's own assertion: %v %+v", err, got)
		}
	})

	t.Run("beta cannot vouch for an acme address", func(t *testing.T) {
		// Beta's administrator controls beta's IdP and may widen beta's SSO
		// App; only acme verified acmecorp.company (DNS TXT, checklist 41),
		// so no assertion naming an acmecorp.company user may come out of
		// beta.
		everyone := beta.policy(t, "Everyone", "allow", `[{"everyone":{}}]`)
		dashID := ""
		apps, _ := a.env.App.Access.ListApps(ctx, beta.accountID, access.AppFilter{})
		for _, app := range apps {
			if app.Type == access.TypeDashSSO {
				dashID = app.ID
			}
		}
		beta.call(t, "PUT", "/access/apps/"+dashID, `{"policies":[{"id":"`+everyone+`","precedence":10}]}`, 200)
		c, _, _ := beta.signIn(t, betaOP, betaIdP, "alice")
		h := get(t, c, beta.url+"/cdn-cgi/access/sso/dash")
		m := dashAssertionRE.FindStringSubmatch(h.body)
		if m == nil {
			return // refused at the source
		}
		if got, err := a.env.App.Portal.ConsumeAssertion(ctx, text(m[1])); !errors.Is(err, portal.ErrAssertionInvalid) {
			t.Errorf("beta issued a dashboard assertion for %s and it was accepted: %v %+v", got.Email, err, got)
		}
	})

	t.Run("acme login finished on beta's host", func(t *testing.T) {
		c := a.env.Browser()
		authz, _ := a.startLogin(t, c, a.idpID)
		session := jarCookie(c, a.url, "CF_Session")
		cb, _ := url.Parse(a.idpCallback(t, c, authz))
		onBeta := *cb
		onBeta.Host = beta.host
		for name, h := range map[string]hop{
			"browser's cookies": get(t, c, onBeta.String()),
			"acme's CF_Session": withCookie(t, c, onBeta.String(), "CF_Session", session),
		} {
			if h.status != http.StatusBadRequest || !strings.Contains(h.body, "Invalid session") {
				t.Errorf("acme callback on beta (%s): %d, want 400 Invalid session: %s", name, h.status, h.body)
			}
			if h.setCookie("CF_Authorization") != nil {
				t.Errorf("acme callback on beta (%s) set CF_Authorization", name)
			}
		}
		if h := get(t, c, cb.String()); h.status != http.StatusFound || h.setCookie("CF_Authorization") == nil {
			t.Errorf("the login still completes on acme: %d %s", h.status, h.body)
		}
	})
}

// resign replaces a JWT's payload with claims, keeping its header and
// signature (which then no longer match).
func resign(t *testing.T, token string, claims map[string]any) string {
	t.Helper()
	parts := strings.Split(token, ".")
	parts[1] = encodeSegment(t, claims)
	return strings.Join(parts, ".")
}
