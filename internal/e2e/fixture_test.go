package e2e

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/accounts"
	"github.com/ssogate/ssogate/internal/apptest"
	"github.com/ssogate/ssogate/internal/idp/refop"
)

// The people of the tests. alice and ops are in the SSO-enforced domain;
// carol is a contractor outside it; nobody has an IdP login but is no member.
const (
	ssoDomain     = "acmecorp.company"
	alice         = "alice@" + ssoDomain // Administrator, SSO only (no password)
	alicePassword = "alice-at-the-idp"   // her password at the IdP
	ops           = "ops@" + ssoDomain   // Super Administrator with a password too
	opsPassword   = "ops-dashboard-password-1"
	carol         = "carol@contractor.dev" // Administrator, password only
	carolPassword = "carol-dashboard-password-1"
	nobody        = "unknown@" + ssoDomain // at the IdP, not a member
	// The bootstrap super administrator apptest creates, and its password.
	bootstrapAdmin    = "admin@ssogate.localhost"
	bootstrapPassword = "correct horse battery staple"
	opSecret          = "e2e-client-secret-0123456789abcdefghijkl"
)

// acme is ssogate set up as the guide leaves it, through the real API:
// the Access organization "acme" with the reference provider as its
// "authentik" identity provider, an App Launcher for acmecorp.company, and
// an enabled SSO connector for acmecorp.company (hence the "SSO App").
type acme struct {
	env         *apptest.Env
	accountID   string
	dashURL     string // http://localhost:<port>
	teamURL     string // http://acme.access.localhost:<port>
	op          *refop.Provider
	idpHost     string       // host:port of the IdP
	idpLogins   atomic.Int64 // browser requests to the IdP's authorize or login page
	connectorID string
}

func newAcme(t *testing.T) *acme {
	t.Helper()
	env := apptest.New(t)
	a := &acme{env: env, accountID: env.AccountID, dashURL: "http://localhost:" + env.Port(),
		teamURL: "http://acme.access.localhost:" + env.Port()}
	a.call(t, "POST", "/access/organizations", `{"name":"Acme","auth_domain":"acme"}`, 201)
	a.startIdP(t)
	a.call(t, "POST", "/access/identity_providers", `{"name":"authentik","type":"oidc","config":{"client_id":"ssogate",
		"client_secret":"`+opSecret+`","issuer_url":"`+a.op.IssuerURL()+`","pkce_enabled":true}}`, 201)
	staff := a.call(t, "POST", "/access/policies", `{"name":"Acme staff","decision":"allow",
		"include":[{"email_domain":{"domain":"`+ssoDomain+`"}}]}`, 201)["id"].(string)
	a.call(t, "POST", "/access/apps", `{"type":"app_launcher","policies":["`+staff+`"]}`, 201)
	a.addMembers(t)
	a.connectorID = a.enableSSO(t, ssoDomain)
	return a
}

// startIdP serves the reference OpenID provider (authentik's layout, with
// its login form) on its own loopback server.
func (a *acme) startIdP(t *testing.T) {
	t.Helper()
	// Unstarted: the listener's address is the issuer, and the provider
	// must exist before the first request can arrive.
	srv := httptest.NewUnstartedServer(nil)
	issuer := "http://" + srv.Listener.Addr().String()
	user := func(email, password string) refop.User {
		return refop.User{Username: email, Email: email, Name: strings.Split(email, "@")[0], Password: password,
			EmailVerified: true}
	}
	op, err := refop.New(refop.Config{
		Issuer:  issuer,
		Users:   []refop.User{user(alice, alicePassword), user(ops, alicePassword), user(nobody, alicePassword)},
		Clients: []refop.Client{{ID: "ssogate", Secret: opSecret, RedirectURIs: []string{a.teamURL + "/cdn-cgi/access/callback"}}},
	})
	if err != nil {
		srv.Close()
		t.Fatal(err)
	}
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/authorize/") || strings.HasSuffix(r.URL.Path, "/login/") {
			a.idpLogins.Add(1)
		}
		op.Handler().ServeHTTP(w, r)
	})
	srv.Start()
	t.Cleanup(srv.Close)
	a.op = op
	a.idpHost = srv.Listener.Addr().String()
}

// addMembers makes alice, ops and carol members of the account.
func (a *acme) addMembers(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	members := []struct{ email, password, role string }{
		{alice, "", accounts.RoleAdmin},
		{ops, opsPassword, accounts.RoleSuperAdmin},
		{carol, carolPassword, accounts.RoleAdmin},
	}
	err := a.env.App.DB.Tx(ctx, func(tx *sql.Tx) error {
		for _, m := range members {
			hash := ""
			if m.password != "" {
				hash = accounts.HashPassword(m.password)
			}
			if _, err := accounts.AddMember(ctx, tx, a.accountID, m.email, hash, m.role, time.Now()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("add members: %v", err)
	}
}

// enableSSO does the guide's steps 5–8 for domain: create the connector,
// publish its TXT record, verify it, enable it. It returns the connector id.
func (a *acme) enableSSO(t *testing.T, domain string) string {
	t.Helper()
	conn := a.call(t, "POST", "/sso_connectors", `{"email_domain":"`+domain+`"}`, 200)
	id := conn["id"].(string)
	a.env.Publish(domain, conn["verification"].(map[string]any)["code"].(string))
	a.call(t, "POST", "/sso_connectors/"+id+"/begin_verification", "", 200)
	for deadline := time.Now().Add(10 * time.Second); ; {
		status := a.call(t, "GET", "/sso_connectors/"+id, "", 200)["verification"].(map[string]any)["status"]
		if status == "verified" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("connector for %s: status %v after 10 s, want verified", domain, status)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if res := a.call(t, "PATCH", "/sso_connectors/"+id, `{"enabled":true}`, 200); res["enabled"] != true {
		t.Fatalf("enable connector: %v", res)
	}
	return id
}

// call sends a v4 API request for the account with the all-permission
// token and returns the result object.
func (a *acme) call(t *testing.T, method, path, body string, status int) map[string]any {
	t.Helper()
	var b any
	if body != "" {
		b = body
	}
	r := a.env.Do(method, "/accounts/"+a.accountID+path, a.env.Token, b)
	if r.Status != status {
		t.Fatalf("%s %s: %d, want %d: %s", method, path, r.Status, status, r.Body)
	}
	var env struct {
		Result map[string]any `json:"result"`
	}
	_ = json.Unmarshal(r.Body, &env)
	return env.Result
}

// isDashboard reports whether u is a dashboard page (path prefix given).
func (a *acme) isDashboard(u *url.URL, path string) bool {
	return u.Scheme+"://"+u.Host == a.dashURL && strings.HasPrefix(u.Path, path)
}

// isIdP reports whether u is on the identity provider.
func (a *acme) isIdP(u *url.URL) bool { return u.Host == a.idpHost }
