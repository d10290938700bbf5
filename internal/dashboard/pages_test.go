package dashboard_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/ssogate/ssogate/internal/accounts"
	"github.com/ssogate/ssogate/internal/apptest"
)

func TestAccountPagesRender(t *testing.T) {
	env := apptest.New(t)
	b := newBrowser(t, env)
	b.passwordLogin(adminEmail, adminPassword)
	for path, want := range map[string]string{
		"/home":           `id="account-id"`,
		"/sso":            "Add an SSO connector",
		"/api-tokens":     "Create custom token",
		"/api-tokens/new": `id="perm-sso-connector"`,
		"/members":        adminEmail,
		"/access":         "No Access organization yet",
		"/audit-log":      "login",
	} {
		p := b.get("/" + env.AccountID + path)
		if p.Status != 200 || !strings.Contains(p.Body, want) {
			t.Errorf("%s: %d, want %q in the page", path, p.Status, want)
		}
		if !strings.Contains(p.Body, `aria-current="page"`) {
			t.Errorf("%s: no current nav entry", path)
		}
	}
}

func TestAccountIsolation(t *testing.T) {
	env := apptest.New(t)
	other, _ := env.NewAccount("Other Corp")
	b := newBrowser(t, env)
	b.passwordLogin(adminEmail, adminPassword)
	for _, path := range []string{"/home", "/sso", "/api-tokens", "/members", "/audit-log", "/access"} {
		if p := b.get("/" + other + path); p.Status != 404 {
			t.Errorf("member of A reading B's %s: %d", path, p.Status)
		}
	}
	b.get("/" + env.AccountID + "/api-tokens/new")
	p := b.post("/"+other+"/api-tokens", url.Values{"name": {"x"}, "perm-sso-connector": {"edit"}})
	if p.Status != 404 {
		t.Errorf("creating a token in B: %d", p.Status)
	}
	if p := b.get("/not-an-account/home"); p.Status != 404 {
		t.Errorf("malformed account id: %d", p.Status)
	}
}

var tokenValueRE = regexp.MustCompile(`<code id="token-value">([^<]+)</code>`)

func TestCreateTokenInUIAndUseIt(t *testing.T) {
	env := apptest.New(t)
	b := newBrowser(t, env)
	b.passwordLogin(adminEmail, adminPassword)
	b.get("/" + env.AccountID + "/api-tokens/new?template=sso")
	p := b.post("/"+env.AccountID+"/api-tokens", url.Values{"name": {"SSO Connector"}, "perm-sso-connector": {"edit"},
		"expires_on": {"2099-01-31"}, "ip_in": {"127.0.0.1/32, ::1"}})
	m := tokenValueRE.FindStringSubmatch(p.Body)
	if p.Status != 200 || m == nil {
		t.Fatalf("create token: %d %s", p.Status, p.Body)
	}
	value := m[1]
	r := env.Do("POST", "/accounts/"+env.AccountID+"/sso_connectors", value, map[string]string{"email_domain": "example-two.company"})
	if r.Status != 200 {
		t.Fatalf("token from the UI creating a connector: %d %s", r.Status, r.Body)
	}
	if r := env.Do("GET", "/accounts/"+env.AccountID+"/tokens", value, nil); r.Status != 403 {
		t.Errorf("token without token permissions listing tokens: %d", r.Status)
	}
	list := b.get("/" + env.AccountID + "/api-tokens")
	if strings.Contains(list.Body, value) || !strings.Contains(list.Body, "SSO Connector Write") || !strings.Contains(list.Body, "2099-01-31") {
		t.Errorf("token list (the value must not be shown again): %s", list.Body)
	}
	// Bad input comes back as the form with a message, and nothing is created.
	before := countTokens(t, env)
	for name, form := range map[string]url.Values{
		"no permission": {"name": {"x"}},
		"bad level":     {"name": {"x"}, "perm-sso-connector": {"root"}},
		"bad date":      {"name": {"x"}, "perm-sso-connector": {"read"}, "expires_on": {"31/01/2099"}},
		"bad ip":        {"name": {"x"}, "perm-sso-connector": {"read"}, "ip_in": {"300.1.1.1"}},
		"no name":       {"perm-sso-connector": {"read"}},
	} {
		b.get("/" + env.AccountID + "/api-tokens/new")
		if p := b.post("/"+env.AccountID+"/api-tokens", form); p.Status != 400 || !strings.Contains(p.Body, `id="form-error"`) {
			t.Errorf("%s: %d %s", name, p.Status, p.Body)
		}
	}
	if n := countTokens(t, env); n != before {
		t.Errorf("bad forms created tokens: %d → %d", before, n)
	}
}

func TestRolesLimitTheDashboard(t *testing.T) {
	env := apptest.New(t)
	addMember(t, env, env.AccountID, "reader@corp.example.com", "reader's long password", accounts.RoleReadOnly)
	addMember(t, env, env.AccountID, "admin@corp.example.com", "admin's long password", accounts.RoleAdmin)

	reader := newBrowser(t, env)
	reader.passwordLogin("reader@corp.example.com", "reader's long password")
	if p := reader.get("/" + env.AccountID + "/api-tokens"); p.Status != 200 || strings.Contains(p.Body, "Create custom token") {
		t.Errorf("read-only member sees the create button: %d", p.Status)
	}
	if p := reader.post("/"+env.AccountID+"/api-tokens", url.Values{"name": {"x"}, "perm-sso-connector": {"read"}}); p.Status != 403 {
		t.Errorf("read-only member creating a token: %d", p.Status)
	}
	if p := reader.post("/"+env.AccountID+"/sso", url.Values{"email_domain": {"reader.example.com"}}); p.Status != 403 {
		t.Errorf("read-only member creating a connector: %d", p.Status)
	}

	admin := newBrowser(t, env)
	admin.passwordLogin("admin@corp.example.com", "admin's long password")
	// The issue this guards: the SSO page told an Administrator that SSO
	// was not theirs to switch, and they minted an "SSO Connector Edit"
	// token in the dashboard and switched it off with PATCH all the same.
	id := enforceSSO(t, env, env.AccountID, env.Token, "corp", "corp-two.company")
	page := admin.get("/" + env.AccountID + "/sso")
	if strings.Contains(page.Body, "disable-sso") || strings.Contains(page.Body, `id="create-connector"`) ||
		!strings.Contains(page.Body, `id="sso-read-only"`) {
		t.Errorf("the SSO page offers an Administrator SSO forms, or does not say why not: %s", page.Body)
	}
	for _, post := range []string{"/sso/" + id + "/disable", "/sso/" + id + "/delete", "/sso"} {
		if p := admin.post("/"+env.AccountID+post, url.Values{"email_domain": {"corp-three.company"}}); p.Status != 403 ||
			!strings.Contains(errorText(p.Body), "Ask a Super Administrator") {
			t.Errorf("admin posting %s: %d %q", post, p.Status, errorText(p.Body))
		}
	}
	if p := admin.get("/" + env.AccountID + "/api-tokens/new?template=sso"); !strings.Contains(errorText(p.Body), "SSO Connector Write") {
		t.Errorf("the guide's SSO token form does not tell an Administrator it is not theirs: %q", errorText(p.Body))
	}
	before := countTokens(t, env)
	if p := admin.post("/"+env.AccountID+"/api-tokens", url.Values{"name": {"x"}, "perm-sso-connector": {"edit"}}); p.Status != 403 ||
		tokenValueRE.MatchString(p.Body) {
		t.Errorf("admin minting an SSO Connector Write token: %d %q", p.Status, errorText(p.Body))
	}
	if n := countTokens(t, env); n != before {
		t.Errorf("refused token forms wrote %d tokens", n-before)
	}
	adminToken := tokenForRole(t, env, admin, accounts.RoleAdmin)
	if r := env.Do("PATCH", "/accounts/"+env.AccountID+"/sso_connectors/"+id, adminToken, map[string]bool{"enabled": false}); r.Status != 403 {
		t.Errorf("the Administrator's strongest token disabling SSO: %d %s", r.Status, r.Body)
	}
	r := env.Do("GET", "/accounts/"+env.AccountID+"/sso_connectors/"+id, env.Token, nil)
	if on, _ := r.JSON(t)["result"].(map[string]any)["enabled"].(bool); !on {
		t.Errorf("SSO is off after the refusals: %s", r.Body)
	}
	if p := admin.post("/"+env.AccountID+"/members", url.Values{"email": {"x@corp.example.com"}}); p.Status != 403 {
		t.Errorf("admin adding a member: %d", p.Status)
	}
	// An admin cannot mint a token with more than their role allows.
	admin.get("/" + env.AccountID + "/api-tokens/new")
	if p := admin.post("/"+env.AccountID+"/api-tokens", url.Values{"name": {"x"}, "perm-account-members": {"edit"}}); p.Status != 403 ||
		!strings.Contains(errorText(p.Body), "Account Members Write") {
		t.Errorf("admin minting a Members Write token: %d %q", p.Status, errorText(p.Body))
	}
}

func TestSSOPageFlow(t *testing.T) {
	env := apptest.New(t)
	b := newBrowser(t, env)
	b.passwordLogin(adminEmail, adminPassword)
	b.get("/" + env.AccountID + "/sso")
	if p := b.post("/"+env.AccountID+"/sso", url.Values{"email_domain": {"gmail.com"}}); p.Status != 400 || !strings.Contains(p.Body, "gmail.com") {
		t.Errorf("free-mail domain: %d %s", p.Status, p.Body)
	}
	if p := b.post("/"+env.AccountID+"/sso", url.Values{"email_domain": {"AcmeCorp.company"}}); p.Status != 303 {
		t.Fatalf("create connector: %d %s", p.Status, p.Body)
	}
	page := b.get("/" + env.AccountID + "/sso")
	code := regexp.MustCompile(`cloudflare_dashboard_sso=[0-9a-f]{32}`).FindString(page.Body)
	id := regexp.MustCompile(`id="connector-([0-9a-f]{32})"`).FindStringSubmatch(page.Body)
	if code == "" || id == nil || !strings.Contains(page.Body, "acmecorp.company") {
		t.Fatalf("SSO page lacks the TXT record: %s", page.Body)
	}
	// Not verified yet: "Verify and enable" checks DNS and says what it saw.
	if !strings.Contains(page.Body, `data-status="pending"`) || !strings.Contains(page.Body, "Verify and enable SSO") {
		t.Errorf("a pending connector does not offer to verify and enable: %s", page.Body)
	}
	if p := b.post("/"+env.AccountID+"/sso/"+id[1]+"/enable", nil); p.Status != 400 || !strings.Contains(p.Body, code) {
		t.Errorf("enable before the record is published: %d %s", p.Status, p.Body)
	}
	b.post("/"+env.AccountID+"/sso/"+id[1]+"/check", nil)
	page = b.get("/" + env.AccountID + "/sso")
	if !strings.Contains(page.Body, "What each name server answered") {
		t.Errorf("no name-server answers after a check: %s", page.Body)
	}
	env.Publish("acmecorp.company", code)
	if p := b.post("/"+env.AccountID+"/sso/"+id[1]+"/enable", nil); p.Status != 303 || !strings.Contains(p.Location, "connector_enabled") {
		t.Fatalf("enable: %d %q %s", p.Status, p.Location, p.Body)
	}
	assertLogged(t, env, env.AccountID, "sso_connector_verified", true, adminEmail)
	assertLogged(t, env, env.AccountID, "sso_connector_enable", true, adminEmail)
	// SSO is on, but without an Access organization nobody can use it yet.
	page = b.get("/" + env.AccountID + "/sso")
	if !strings.Contains(page.Body, `id="no-sso-app"`) || !strings.Contains(page.Body, `data-status="verified"`) {
		t.Errorf("the page does not say the SSO App needs an organization: %s", page.Body)
	}
	if p := b.post("/"+env.AccountID+"/sso/"+id[1]+"/disable", nil); p.Status != 303 {
		t.Fatalf("disable: %d", p.Status)
	}
	if p := b.post("/"+env.AccountID+"/sso/"+id[1]+"/delete", nil); p.Status != 303 {
		t.Fatalf("delete: %d", p.Status)
	}
	if p := b.post("/"+env.AccountID+"/sso/0123456789abcdef0123456789abcdef/check", nil); p.Status != 404 {
		t.Errorf("unknown connector: %d", p.Status)
	}
}

func TestMembersPage(t *testing.T) {
	env := apptest.New(t)
	b := newBrowser(t, env)
	b.passwordLogin(adminEmail, adminPassword)
	page := b.get("/" + env.AccountID + "/members")
	roleID := func(name string) string {
		r, ok := accounts.RoleByName(name)
		if !ok {
			t.Fatalf("role %s", name)
		}
		return r.ID
	}
	if p := b.post("/"+env.AccountID+"/members", url.Values{"email": {"carol@contractor.dev"}, "role": {roleID(accounts.RoleAdmin)},
		"password": {"carol's long password"}}); p.Status != 303 {
		t.Fatalf("add member: %d %s", p.Status, p.Body)
	}
	for name, form := range map[string]url.Values{
		"duplicate":      {"email": {"carol@contractor.dev"}, "role": {roleID(accounts.RoleAdmin)}},
		"bad email":      {"email": {"carol"}, "role": {roleID(accounts.RoleAdmin)}},
		"bad role":       {"email": {"dave@contractor.dev"}, "role": {"owner"}},
		"short password": {"email": {"dave@contractor.dev"}, "role": {roleID(accounts.RoleAdmin)}, "password": {"short"}},
	} {
		if p := b.post("/"+env.AccountID+"/members", form); p.Status != 400 {
			t.Errorf("%s: %d %s", name, p.Status, p.Body)
		}
	}
	carol := newBrowser(t, env)
	if p := carol.passwordLogin("carol@contractor.dev", "carol's long password"); p.Status != 303 {
		t.Fatalf("new member's login: %d %s", p.Status, p.Body)
	}
	page = b.get("/" + env.AccountID + "/members")
	mid := regexp.MustCompile(`id="member-([0-9a-f]{32})">\s*<td>carol@contractor.dev`).FindStringSubmatch(page.Body)
	if mid == nil {
		t.Fatalf("carol not listed: %s", page.Body)
	}
	if p := b.post("/"+env.AccountID+"/members/"+mid[1]+"/role", url.Values{"role": {roleID(accounts.RoleReadOnly)}}); p.Status != 303 {
		t.Fatalf("change role: %d %s", p.Status, p.Body)
	}
	if p := b.post("/"+env.AccountID+"/members/"+mid[1]+"/remove", nil); p.Status != 303 {
		t.Fatalf("remove: %d %s", p.Status, p.Body)
	}
	// Carol's session no longer opens the account.
	if p := carol.get("/" + env.AccountID + "/home"); p.Status != 404 && p.Status != 403 {
		t.Errorf("removed member: %d", p.Status)
	}
	// The last Super Administrator cannot be removed.
	self := regexp.MustCompile(`id="member-([0-9a-f]{32})">\s*<td>` + regexp.QuoteMeta(adminEmail)).FindStringSubmatch(b.get("/" + env.AccountID + "/members").Body)
	if self == nil {
		t.Fatal("admin not listed")
	}
	if p := b.post("/"+env.AccountID+"/members/"+self[1]+"/remove", nil); p.Status != 400 {
		t.Errorf("removing the last super admin: %d %s", p.Status, p.Body)
	}
	audit := b.get("/" + env.AccountID + "/audit-log?action=member_add")
	if !strings.Contains(audit.Body, "member_add") || strings.Contains(audit.Body, "<code>login</code>") {
		t.Errorf("audit filter by action: %s", audit.Body)
	}
	if p := b.get("/" + env.AccountID + "/audit-log?since=yesterday"); p.Status != 400 {
		t.Errorf("bad date filter: %d", p.Status)
	}
}

func TestAccessPageTestsIdP(t *testing.T) {
	env := apptest.New(t)
	b := newBrowser(t, env)
	b.passwordLogin(adminEmail, adminPassword)
	if r := env.Do("POST", "/accounts/"+env.AccountID+"/access/organizations", env.Token,
		map[string]string{"name": "acme", "auth_domain": "acme"}); r.Status != 201 && r.Status != 200 {
		t.Fatalf("org: %d %s", r.Status, r.Body)
	}
	r := env.Do("POST", "/accounts/"+env.AccountID+"/access/identity_providers", env.Token, map[string]any{
		"name": "authentik", "type": "oidc", "config": map[string]any{"client_id": "c", "client_secret": "s",
			"auth_url": "https://idp.example.com/authorize", "token_url": "https://idp.example.com/token",
			"certs_url": "https://idp.example.com/jwks", "scopes": []string{"openid", "email"}}})
	if r.Status != 200 && r.Status != 201 {
		t.Fatalf("idp: %d %s", r.Status, r.Body)
	}
	idp := r.JSON(t)["result"].(map[string]any)["id"].(string)
	page := b.get("/" + env.AccountID + "/access")
	if !strings.Contains(page.Body, "authentik") || !strings.Contains(page.Body, "/cdn-cgi/access/callback") {
		t.Fatalf("access page: %s", page.Body)
	}
	p := b.post("/"+env.AccountID+"/access/identity-providers/"+idp+"/test", nil)
	prefix := "http://acme.access.localhost:" + env.Port() + "/cdn-cgi/access/test-idp/" + idp + "?ticket="
	if p.Status != 303 || !strings.HasPrefix(p.Location, prefix) {
		t.Fatalf("test IdP: %d %q", p.Status, p.Location)
	}
	// The team domain accepts the ticket and sends the browser to the IdP.
	resp, err := b.c.Get(p.Location)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(resp.Header.Get("Location"), "https://idp.example.com/authorize") {
		t.Errorf("ticket at the team domain: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}
