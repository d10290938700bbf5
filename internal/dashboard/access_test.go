package dashboard_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/access"
	"github.com/ssogate/ssogate/internal/access/policy"
	"github.com/ssogate/ssogate/internal/accounts"
	"github.com/ssogate/ssogate/internal/apptest"
)

const oidcSecret = "dashboard-oidc-client-secret-7f3a9c"

// selfSignedPEM is a signing certificate as a SAML IdP would publish it.
func selfSignedPEM(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "authentik Self-signed"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// accessCounts counts what the account has, to check that a refused form
// created nothing.
func accessCounts(t *testing.T, env *apptest.Env, accountID string) (idps, apps, policies int) {
	t.Helper()
	ctx := context.Background()
	i, err := env.App.Access.ListIdPs(ctx, accountID)
	if err != nil {
		t.Fatal(err)
	}
	a, err := env.App.Access.ListApps(ctx, accountID, access.AppFilter{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := env.App.Access.ListPolicies(ctx, accountID)
	if err != nil {
		t.Fatal(err)
	}
	return len(i), len(a), len(p)
}

// refusedForm checks a 400 that shows the form again with the service's
// message and creates nothing.
func refusedForm(t *testing.T, env *apptest.Env, name string, p page, formID, message string) {
	t.Helper()
	if p.Status != 400 || !strings.Contains(p.Body, `id="form-error"`) && !strings.Contains(p.Body, `id="org-error"`) ||
		!strings.Contains(p.Body, formID) || !strings.Contains(p.Body, message) {
		t.Errorf("%s: %d, want 400 with the form (%s) and %q: %s", name, p.Status, formID, message, p.Body)
	}
	if strings.Contains(p.Body, oidcSecret) {
		t.Errorf("%s: the client secret is in the page", name)
	}
}

func TestAccessManagedFromDashboard(t *testing.T) {
	env := apptest.New(t)
	b := newBrowser(t, env)
	b.passwordLogin(adminEmail, adminPassword)
	base := "/" + env.AccountID + "/access"
	done := func(name string, p page, code string) {
		t.Helper()
		if p.Status != 303 || p.Location != base+"?done="+code {
			t.Fatalf("%s: %d %q %s", name, p.Status, p.Location, p.Body)
		}
	}
	callback := "http://acme.access.localhost:" + env.Port() + "/cdn-cgi/access/callback"

	// Organization.
	page0 := b.get(base)
	if !strings.Contains(page0.Body, "No Access organization yet") || !strings.Contains(page0.Body, `id="org-team"`) {
		t.Fatalf("no organization form: %s", page0.Body)
	}
	refusedForm(t, env, "bad team name", b.post(base+"/organization", url.Values{"name": {"Acme"}, "team": {"Acme Corp!"}}),
		`value="Acme Corp!"`, "auth_domain must be")
	if _, err := env.App.Access.GetOrganization(context.Background(), env.App.DB, env.AccountID); err == nil {
		t.Fatal("a refused organization form created one")
	}
	done("create organization", b.post(base+"/organization", url.Values{"name": {"Acme"}, "team": {"acme"}}), "organization_created")
	if p := b.get(base + "?done=organization_created"); !strings.Contains(p.Body, callback) || !strings.Contains(p.Body, "team domain is below") {
		t.Errorf("access page after creating the organization: %s", p.Body)
	}

	// OpenID Connect provider.
	form := b.get(base + "/identity-providers/new?type=oidc")
	if form.Status != 200 || !strings.Contains(form.Body, callback) || !strings.Contains(form.Body, `id="idp-pkce" name="pkce_enabled" type="checkbox" checked`) {
		t.Fatalf("OIDC form: %d %s", form.Status, form.Body)
	}
	oidc := func(edit func(url.Values)) url.Values {
		v := url.Values{"type": {"oidc"}, "name": {"authentik"}, "client_id": {"ssogate"}, "client_secret": {oidcSecret},
			"pkce_enabled": {"on"}, "auth_url": {"https://idp.example.com/authorize"},
			"token_url": {"https://idp.example.com/token"}, "certs_url": {"https://idp.example.com/jwks"}}
		edit(v)
		return v
	}
	for _, c := range []struct {
		name    string
		edit    func(url.Values)
		message string
	}{
		{"no secret", func(v url.Values) { v.Del("client_secret") }, "client_secret is required"},
		{"no client id", func(v url.Values) { v.Del("client_id") }, "client_id is required"},
		{"no issuer nor endpoints", func(v url.Values) { v.Del("auth_url") }, "Give the issuer URL"},
		{"unreachable issuer", func(v url.Values) { v.Del("auth_url"); v.Set("issuer_url", "http://127.0.0.1:1/application/o/x/") },
			"could not read the discovery document"},
		{"scopes without openid", func(v url.Values) { v.Set("scopes", "email profile") }, "must include"},
		{"bad token URL", func(v url.Values) { v.Set("token_url", "ftp://idp.example.com/token") }, "token_url must be"},
		{"no name", func(v url.Values) { v.Set("name", " ") }, "name must be"},
		{"unknown type", func(v url.Values) { v.Set("type", "ldap") }, "not supported"},
	} {
		refusedForm(t, env, c.name, b.post(base+"/identity-providers", oidc(c.edit)), `id="idp-client-secret"`, c.message)
	}
	if n, _, _ := accessCounts(t, env, env.AccountID); n != 0 {
		t.Fatalf("refused IdP forms created %d providers", n)
	}
	done("create OIDC IdP", b.post(base+"/identity-providers", oidc(func(url.Values) {})), "idp_created")

	// SAML provider.
	if p := b.get(base + "/identity-providers/new?type=saml"); p.Status != 200 || !strings.Contains(p.Body, `id="idp-cert"`) ||
		!strings.Contains(p.Body, callback) || !strings.Contains(p.Body, "saml-metadata") {
		t.Fatalf("SAML form: %d %s", p.Status, p.Body)
	}
	saml := func(edit func(url.Values)) url.Values {
		v := url.Values{"type": {"saml"}, "name": {"authentik SAML"},
			"issuer_url":      {"https://authentik.company/application/saml/ssogate/metadata/"},
			"sso_target_url":  {"https://authentik.company/application/saml/ssogate/sso/binding/redirect/"},
			"idp_public_cert": {selfSignedPEM(t)}}
		edit(v)
		return v
	}
	for _, c := range []struct {
		name    string
		edit    func(url.Values)
		message string
	}{
		{"not a certificate", func(v url.Values) {
			v.Set("idp_public_cert", "-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----")
		}, "is not an X.509 certificate"},
		{"no certificate", func(v url.Values) { v.Del("idp_public_cert") }, "signing certificate"},
		{"no SSO URL", func(v url.Values) { v.Del("sso_target_url") }, "sso_target_url must be"},
		{"no entity ID", func(v url.Values) { v.Del("issuer_url") }, "issuer_url is required"},
	} {
		refusedForm(t, env, "SAML "+c.name, b.post(base+"/identity-providers", saml(c.edit)), `id="idp-cert"`, c.message)
	}
	done("create SAML IdP", b.post(base+"/identity-providers", saml(func(v url.Values) { v.Set("email_attribute_name", "mail") })), "idp_created")
	idps, _ := env.App.Access.ListIdPs(context.Background(), env.AccountID)
	if len(idps) != 2 || idps[0].Type != "oidc" || !idps[0].Config.PKCE() || idps[1].Type != "saml" || idps[1].Config.EmailAttributeName != "mail" {
		t.Fatalf("providers: %+v", idps)
	}
	if _, secret, err := env.App.Access.IdPSecret(context.Background(), env.AccountID, idps[0].ID); err != nil || secret != oidcSecret {
		t.Errorf("stored client secret: %q %v", secret, err)
	}

	// Reusable policy.
	if p := b.get(base + "/policies/new"); p.Status != 200 || !strings.Contains(p.Body, `id="policy-domains"`) {
		t.Fatalf("policy form: %d %s", p.Status, p.Body)
	}
	for _, c := range []struct {
		name    string
		form    url.Values
		message string
	}{
		{"no rule", url.Values{"name": {"Staff"}, "decision": {"allow"}}, "include needs at least one rule"},
		{"bad email", url.Values{"name": {"Staff"}, "decision": {"allow"}, "emails": {"bob"}}, "exactly one @"},
		{"no name", url.Values{"decision": {"allow"}, "everyone": {"on"}}, "name is required"},
		{"bad decision", url.Values{"name": {"Staff"}, "decision": {"maybe"}, "everyone": {"on"}}, "is not one of"},
		{"bypass by identity", url.Values{"name": {"Staff"}, "decision": {"bypass"}, "email_domains": {"acmecorp.company"}}, "bypass"},
	} {
		refusedForm(t, env, "policy "+c.name, b.post(base+"/policies", c.form), `id="policy-name"`, c.message)
	}
	if _, _, n := accessCounts(t, env, env.AccountID); n != 0 {
		t.Fatalf("refused policy forms created %d policies", n)
	}
	done("create policy", b.post(base+"/policies", url.Values{"name": {"Acme staff"}, "decision": {"allow"},
		"email_domains": {"@acmecorp.company"}, "emails": {"carol@contractor.dev,\ndave@contractor.dev"},
		"groups": {"Acme Staff\nadmins"}}), "policy_created")
	done("create spare policy", b.post(base+"/policies", url.Values{"name": {"Everyone"}, "decision": {"deny"}, "everyone": {"on"}}), "policy_created")
	policies, _ := env.App.Access.ListPolicies(context.Background(), env.AccountID)
	if len(policies) != 2 || rulesOf(policies[0]) != "email_domain email email group group" || rulesOf(policies[1]) != "everyone" {
		t.Fatalf("policies: %+v", policies)
	}
	staff := policies[0].ID

	// Applications.
	if p := b.get(base + "/apps/new"); p.Status != 200 || !strings.Contains(p.Body, `id="app-domain"`) || !strings.Contains(p.Body, "Acme staff") {
		t.Fatalf("app form: %d %s", p.Status, p.Body)
	}
	app := func(edit func(url.Values)) url.Values {
		v := url.Values{"type": {"self_hosted"}, "name": {"Grafana"}, "domain": {"grafana.acmecorp.company"},
			"policies": {staff}, "allowed_idps": {idps[0].ID}, "app_launcher_visible": {"on"}}
		edit(v)
		return v
	}
	for _, c := range []struct {
		name    string
		edit    func(url.Values)
		message string
	}{
		{"bad domain", func(v url.Values) { v.Set("domain", "grafana acme") }, "domain must be"},
		{"team domain", func(v url.Values) { v.Set("domain", "x.access.localhost") }, "team domains"},
		{"bad session", func(v url.Values) { v.Set("session_duration", "forever") }, "session_duration must be"},
		{"bad origin", func(v url.Values) { v.Set("origin_url", "ftp://origin") }, "origin_url must be"},
		{"unknown policy", func(v url.Values) { v.Set("policies", "0f0e0d0c-0b0a-4908-8706-050403020100") }, "not a reusable Access policy"},
		{"unknown IdP", func(v url.Values) { v.Set("allowed_idps", "0f0e0d0c-0b0a-4908-8706-050403020100") }, "not an identity provider"},
		{"no name", func(v url.Values) { v.Del("name") }, "name is required"},
		{"SSO App", func(v url.Values) { v.Set("type", "dash_sso") }, "Choose a self-hosted application"},
		{"bad bookmark URL", func(v url.Values) { v.Set("type", "bookmark"); v.Set("domain", "https://") }, "domain must be"},
	} {
		refusedForm(t, env, "app "+c.name, b.post(base+"/apps", app(c.edit)), `id="create-app"`, c.message)
	}
	if _, n, _ := accessCounts(t, env, env.AccountID); n != 0 {
		t.Fatalf("refused app forms created %d apps", n)
	}
	done("create self-hosted app", b.post(base+"/apps", app(func(v url.Values) {
		v.Set("session_duration", "8h")
		v.Set("origin_url", "http://10.0.0.5:3000")
	})), "app_created")
	if apps, _ := env.App.Access.ListApps(context.Background(), env.AccountID, access.AppFilter{Name: "Grafana"}); len(apps) != 1 || apps[0].OriginURL != "http://10.0.0.5:3000" {
		t.Errorf("the app's origin was not stored: %+v", apps)
	}
	done("create bookmark", b.post(base+"/apps", url.Values{"type": {"bookmark"}, "name": {"Wiki"}, "domain": {"https://wiki.acmecorp.company"},
		"policies": {staff}, "app_launcher_visible": {"on"}}), "app_created")
	page1 := b.get(base)
	if !strings.Contains(page1.Body, `id="create-launcher"`) {
		t.Fatalf("no App Launcher button: %s", page1.Body)
	}
	done("create App Launcher", b.post(base+"/apps", url.Values{"type": {"app_launcher"}, "policies": {staff}}), "app_created")
	refusedForm(t, env, "second App Launcher", b.post(base+"/apps", url.Values{"type": {"app_launcher"}, "policies": {staff}}),
		`id="create-app"`, "an account has one app_launcher application")
	apps, _ := env.App.Access.ListApps(context.Background(), env.AccountID, access.AppFilter{})
	if len(apps) != 3 {
		t.Fatalf("apps: %+v", apps)
	}
	grafana, wiki, launcher := apps[0], apps[1], apps[2]
	if grafana.Domain != "grafana.acmecorp.company" || grafana.SessionDuration != "8h" || len(grafana.AllowedIdPs) != 1 ||
		len(grafana.Policies) != 1 || grafana.Policies[0].ID != staff || !grafana.AppLauncherVisible {
		t.Errorf("self-hosted app: %+v", grafana)
	}
	if wiki.Type != "bookmark" || !wiki.AppLauncherVisible || launcher.Type != "app_launcher" || len(launcher.Policies) != 1 {
		t.Errorf("bookmark / launcher: %+v / %+v", wiki, launcher)
	}
	page2 := b.get(base)
	if strings.Contains(page2.Body, `id="create-launcher"`) || strings.Contains(page2.Body, `/apps/`+launcher.ID+`/delete`) ||
		!strings.Contains(page2.Body, `/apps/`+wiki.ID+`/delete`) {
		t.Errorf("access page after the launcher: %s", page2.Body)
	}

	// Deleting what is in use is refused with the service's message.
	if p := b.post(base+"/identity-providers/"+idps[0].ID+"/delete", nil); p.Status != 400 || !strings.Contains(p.Body, "is allowed by application(s)") {
		t.Errorf("deleting an IdP in use: %d %s", p.Status, p.Body)
	}
	if p := b.post(base+"/policies/"+staff+"/delete", nil); p.Status != 400 || !strings.Contains(p.Body, "is used by 3 application(s)") {
		t.Errorf("deleting a policy in use: %d %s", p.Status, p.Body)
	}
	if p := b.post(base+"/apps/"+launcher.ID+"/delete", nil); p.Status != 400 {
		t.Errorf("deleting the App Launcher from the dashboard: %d", p.Status)
	}
	done("delete SAML IdP", b.post(base+"/identity-providers/"+idps[1].ID+"/delete", nil), "idp_deleted")
	done("delete bookmark", b.post(base+"/apps/"+wiki.ID+"/delete", nil), "app_deleted")
	done("delete spare policy", b.post(base+"/policies/"+policies[1].ID+"/delete", nil), "policy_deleted")
	for _, path := range []string{"/identity-providers/" + idps[1].ID + "/delete", "/apps/not-a-uuid/delete", "/policies/" + policies[1].ID + "/delete"} {
		if p := b.post(base+path, nil); p.Status != 404 {
			t.Errorf("%s: %d", path, p.Status)
		}
	}
	if i, a, p := accessCounts(t, env, env.AccountID); i != 1 || a != 2 || p != 1 {
		t.Errorf("after deletes: %d IdPs, %d apps, %d policies", i, a, p)
	}

	// The services wrote the audit log, with the member as actor.
	for _, action := range []string{"access_organization_create", "access_idp_create", "access_idp_delete", "access_policy_create",
		"access_policy_delete", "access_app_create", "access_app_delete"} {
		assertLogged(t, env, env.AccountID, action, true, adminEmail)
	}
	// No page shows the client secret.
	for _, path := range []string{"", "/identity-providers/new", "/identity-providers/new?type=saml", "/apps/new", "/policies/new"} {
		if p := b.get(base + path); p.Status != 200 || strings.Contains(p.Body, oidcSecret) {
			t.Errorf("%s: %d (or the secret is shown)", path, p.Status)
		}
	}
	if p := b.get("/" + env.AccountID + "/audit-log"); strings.Contains(p.Body, oidcSecret) {
		t.Error("the audit log page shows the client secret")
	}
}

func rulesOf(p access.Policy) string {
	var types []string
	for _, r := range p.Include {
		types = append(types, r.Type)
	}
	return strings.Join(types, " ")
}

// TestAccessSSOAppAndTeamDomain: the SSO App is the connector's, and the
// team domain cannot move while a connector exists.
func TestAccessSSOAppAndTeamDomain(t *testing.T) {
	env := apptest.New(t)
	enforceSSO(t, env, env.AccountID, env.Token, "acme", "acmecorp.company")
	b := newBrowser(t, env)
	b.passwordLogin(adminEmail, adminPassword)
	base := "/" + env.AccountID + "/access"
	a, err := env.App.Access.AppOfType(context.Background(), env.App.DB, env.AccountID, access.TypeDashSSO)
	if err != nil || a == nil {
		t.Fatalf("no SSO App: %v", err)
	}
	page := b.get(base)
	if strings.Contains(page.Body, "/apps/"+a.ID+"/delete") || !strings.Contains(page.Body, "managed by the SSO connector") {
		t.Errorf("SSO App offered for deletion: %s", page.Body)
	}
	if p := b.post(base+"/apps/"+a.ID+"/delete", nil); p.Status != 400 || !strings.Contains(p.Body, "SSO connector") {
		t.Errorf("deleting the SSO App: %d %s", p.Status, p.Body)
	}
	refusedForm(t, env, "moving the team domain", b.post(base+"/organization", url.Values{"name": {"Acme"}, "team": {"acme2"}}),
		`id="org-team"`, "auth_domain_cannot_be_updated_dash_sso")
	if p := b.post(base+"/organization", url.Values{"name": {"Acme Corp"}, "team": {"acme"}}); p.Status != 303 {
		t.Errorf("renaming the organization: %d %s", p.Status, p.Body)
	}
	if org, _ := env.App.Access.GetOrganization(context.Background(), env.App.DB, env.AccountID); org.Name != "Acme Corp" || !strings.HasPrefix(org.AuthDomain, "acme.") {
		t.Errorf("organization: %+v", org)
	}
}

func TestAccessReadOnlyMember(t *testing.T) {
	env := apptest.New(t)
	addMember(t, env, env.AccountID, "reader@corp.example.com", "reader's long password", accounts.RoleReadOnly)
	ctx := context.Background()
	if _, err := env.App.Access.CreateOrganization(ctx, env.AccountID, access.OrgInput{Name: ptr("Acme"), AuthDomain: ptr("acme")}); err != nil {
		t.Fatal(err)
	}
	p, err := env.App.Access.CreatePolicy(ctx, env.AccountID, "", access.PolicyInput{Name: ptr("All"), Decision: ptr("allow"),
		Include: &[]policy.Rule{policy.Everyone()}})
	if err != nil {
		t.Fatal(err)
	}
	reader := newBrowser(t, env)
	reader.passwordLogin("reader@corp.example.com", "reader's long password")
	base := "/" + env.AccountID + "/access"
	page := reader.get(base)
	if page.Status != 200 || !strings.Contains(page.Body, "All") {
		t.Fatalf("access page: %d", page.Status)
	}
	for _, s := range []string{"/access/organization", "Add identity provider", "Add application", "Add policy", "create-launcher", "/delete"} {
		if strings.Contains(page.Body, s) {
			t.Errorf("read-only member sees %q", s)
		}
	}
	for _, path := range []string{"/identity-providers/new", "/apps/new", "/policies/new"} {
		if p := reader.get(base + path); p.Status != 403 {
			t.Errorf("GET %s: %d", path, p.Status)
		}
	}
	for _, path := range []string{"/organization", "/identity-providers", "/apps", "/policies",
		"/identity-providers/" + p.ID + "/delete", "/apps/" + p.ID + "/delete", "/policies/" + p.ID + "/delete"} {
		if r := reader.post(base+path, url.Values{"name": {"x"}, "team": {"x"}, "type": {"bookmark"}, "domain": {"https://x.example"},
			"decision": {"allow"}, "everyone": {"on"}}); r.Status != 403 {
			t.Errorf("POST %s: %d", path, r.Status)
		}
	}
	if _, _, n := accessCounts(t, env, env.AccountID); n != 1 {
		t.Errorf("read-only posts changed the policies: %d", n)
	}
}

func TestAccessOtherAccountsIDs(t *testing.T) {
	env := apptest.New(t)
	other, _ := env.NewAccount("Other Corp")
	ctx := context.Background()
	idp, err := env.App.Access.CreateIdP(ctx, other, access.IdPInput{Name: ptr("theirs"), Type: ptr("oidc"), Config: &access.OIDCConfigRaw{
		ClientID: ptr("c"), ClientSecret: ptr(oidcSecret), AuthURL: ptr("https://idp.example.com/a"),
		TokenURL: ptr("https://idp.example.com/t"), CertsURL: ptr("https://idp.example.com/k")}})
	if err != nil {
		t.Fatal(err)
	}
	pol, err := env.App.Access.CreatePolicy(ctx, other, "", access.PolicyInput{Name: ptr("All"), Decision: ptr("allow"),
		Include: &[]policy.Rule{policy.Everyone()}})
	if err != nil {
		t.Fatal(err)
	}
	app, err := env.App.Access.CreateApp(ctx, other, access.AppInput{Type: ptr("bookmark"), Name: ptr("Theirs"), Domain: ptr("https://theirs.example")})
	if err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, env)
	b.passwordLogin(adminEmail, adminPassword)
	b.get("/" + env.AccountID + "/access")
	for _, acct := range []string{env.AccountID, other} {
		for _, path := range []string{"/identity-providers/" + idp.ID + "/delete", "/policies/" + pol.ID + "/delete", "/apps/" + app.ID + "/delete"} {
			if p := b.post("/"+acct+"/access"+path, nil); p.Status != 404 {
				t.Errorf("%s under %s: %d", path, acct, p.Status)
			}
		}
	}
	for _, path := range []string{"/identity-providers/new", "/apps/new", "/policies/new"} {
		if p := b.get("/" + other + "/access" + path); p.Status != 404 {
			t.Errorf("GET another account's %s: %d", path, p.Status)
		}
	}
	// Linking another account's policy or IdP is refused too.
	p := b.post("/"+env.AccountID+"/access/apps", url.Values{"type": {"self_hosted"}, "name": {"x"}, "domain": {"x.acmecorp.company"},
		"policies": {pol.ID}})
	refusedForm(t, env, "another account's policy", p, `id="create-app"`, "not a reusable Access policy")
	if i, a, n := accessCounts(t, env, other); i != 1 || a != 1 || n != 1 {
		t.Errorf("the other account's objects changed: %d %d %d", i, a, n)
	}
}

func ptr[T any](v T) *T { return &v }
