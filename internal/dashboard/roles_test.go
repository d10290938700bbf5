package dashboard_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/ssogate/ssogate/internal/accounts"
	"github.com/ssogate/ssogate/internal/api"
	"github.com/ssogate/ssogate/internal/app"
	"github.com/ssogate/ssogate/internal/apptest"
	"github.com/ssogate/ssogate/internal/ids"
	"github.com/ssogate/ssogate/internal/tokens"
)

// groupsWithoutRoute are the catalogue groups no API route needs yet; the
// walk below says so rather than skip them silently.
var groupsWithoutRoute = map[string]bool{tokens.SettingsWrite: true}

// TestEveryRoleEveryPermissionGroup walks the role table
// (accounts.RoleGrants) × the permission-group catalogue through both ways
// a member acts: (a) the dashboard's token form with that one group, and
// (b) the API, with a token minted for the role, on every route that needs
// the group. Creating a token needs "Account API Tokens Write" as well, as
// POST /tokens does.
func TestEveryRoleEveryPermissionGroup(t *testing.T) {
	env := apptest.New(t)
	levels := pickerLevels(t, env)
	routes := routesByGroup(t, env)
	ctx := context.Background()
	for _, role := range accounts.Roles() {
		grants := accounts.RoleGrants(role.Name)
		b := signInAs(t, env, role.Name)
		roleToken := tokenForRole(t, env, b, role.Name)
		for _, g := range tokens.Catalogue() {
			t.Run(slug(role.Name)+"/"+g.Name, func(t *testing.T) {
				holds := grants.Allows(g.Name, env.AccountID)
				mayMint := holds && grants.Allows(tokens.TokensWrite, env.AccountID)
				value := createInForm(t, env, b, role.Name, g.Name, levels[g.Name], mayMint)
				if value == "" && holds { // the role holds it, the form is not theirs: the service, as the dashboard calls it
					v, err := env.App.Tokens.Create(ctx, env.AccountID, input(env.AccountID, g.Name), grants)
					if err != nil {
						t.Fatalf("minting %s for %s: %v", g.Name, role.Name, err)
					}
					value = v.Value
				}
				if !holds {
					_, err := env.App.Tokens.Create(ctx, env.AccountID, input(env.AccountID, g.Name), grants)
					var ae *api.Error
					if !errors.As(err, &ae) || ae.Status != http.StatusForbidden {
						t.Errorf("the token service minted %s for %s: %v", g.Name, role.Name, err)
					}
				}
				if len(routes[g.Name]) == 0 && !groupsWithoutRoute[g.Name] {
					t.Fatalf("no API route needs %s", g.Name)
				}
				for _, rt := range routes[g.Name] {
					if value != "" && !authorized(t, env, value, rt) {
						t.Errorf("a %s token refused on %s %s", g.Name, rt.Method, rt.Path)
					}
					want := allowsAny(grants, env.AccountID, rt.Permissions)
					if got := authorized(t, env, roleToken, rt); got != want {
						t.Errorf("%s's token on %s %s (needs one of %v): allowed %v, the role table says %v",
							role.Name, rt.Method, rt.Path, rt.Permissions, got, want)
					}
				}
			})
		}
	}
	for g := range groupsWithoutRoute {
		if len(routes[g]) > 0 {
			t.Errorf("%s is needed by %d routes now: drop it from groupsWithoutRoute", g, len(routes[g]))
		}
	}
}

// createInForm submits the token form with the one group as a member of
// role and checks the outcome: created iff mayMint, else refused with a
// message naming what is missing and whom to ask, and no row written. It
// returns the new token's value.
func createInForm(t *testing.T, env *apptest.Env, b *browser, role, group string, lv formLevel, mayMint bool) string {
	t.Helper()
	acct := "/" + env.AccountID
	form := b.get(acct + "/api-tokens/new")
	if enabled, offered := levelOffered(form.Body, lv); form.Status == http.StatusOK && (!offered || enabled != mayMint) {
		t.Errorf("the picker offers %s=%s to %s: enabled %v (found %v), want %v", lv.slug, lv.level, role, enabled, offered, mayMint)
	}
	before := countTokens(t, env)
	p := b.post(acct+"/api-tokens", url.Values{"name": {slug(role) + " " + group}, "perm-" + lv.slug: {lv.level}})
	m := tokenValueRE.FindStringSubmatch(p.Body)
	if mayMint {
		if p.Status != http.StatusOK || m == nil {
			t.Fatalf("%s creating a %s token: %d %s", role, group, p.Status, errorText(p.Body))
		}
		if n := countTokens(t, env); n != before+1 {
			t.Errorf("%d tokens after creating one, had %d", n, before)
		}
		return m[1]
	}
	missing := group
	if !accounts.RoleGrants(role).Allows(tokens.TokensWrite, env.AccountID) {
		missing = tokens.TokensWrite
	}
	if msg := errorText(p.Body); p.Status != http.StatusForbidden || m != nil ||
		!strings.Contains(msg, missing) || !strings.Contains(strings.ToLower(msg), "ask a super administrator") {
		t.Errorf("%s creating a %s token: %d %q, want 403 naming %s and whom to ask", role, group, p.Status, msg, missing)
	}
	if n := countTokens(t, env); n != before {
		t.Errorf("a refused form wrote a token: %d → %d", before, n)
	}
	return ""
}

// formLevel is how the picker asks for a group: resource and level.
type formLevel struct{ slug, level string }

var labelRE = regexp.MustCompile(`<label for="perm-([a-z0-9-]+)">([^<]+)</label>`)

// pickerLevels reads the token form as the bootstrap Super Administrator
// sees it: each group's select and level.
func pickerLevels(t *testing.T, env *apptest.Env) map[string]formLevel {
	t.Helper()
	b := newBrowser(t, env)
	b.passwordLogin(adminEmail, adminPassword)
	out := map[string]formLevel{}
	for _, m := range labelRE.FindAllStringSubmatch(b.get("/"+env.AccountID+"/api-tokens/new").Body, -1) {
		out[m[2]+" Read"] = formLevel{m[1], "read"}
		out[m[2]+" Write"] = formLevel{m[1], "edit"}
	}
	for _, g := range tokens.Catalogue() {
		if _, ok := out[g.Name]; !ok {
			t.Fatalf("the token form has no select for %s", g.Name)
		}
	}
	return out
}

var selectRE = regexp.MustCompile(`(?s)<select id="perm-([a-z0-9-]+)"[^>]*>(.*?)</select>`)
var optionRE = regexp.MustCompile(`<option value="(read|edit)"([^>]*)>`)

// levelOffered reports whether the form has the level, and whether it is
// enabled.
func levelOffered(body string, lv formLevel) (enabled, found bool) {
	for _, s := range selectRE.FindAllStringSubmatch(body, -1) {
		if s[1] != lv.slug {
			continue
		}
		for _, o := range optionRE.FindAllStringSubmatch(s[2], -1) {
			if o[1] == lv.level {
				return !strings.Contains(o[2], "disabled"), true
			}
		}
	}
	return false, false
}

// tokenForRole mints a token holding every group of the role: in the
// dashboard's form when the role may create tokens, else through the token
// service with the role as the caller.
func tokenForRole(t *testing.T, env *apptest.Env, b *browser, role string) string {
	t.Helper()
	grants := accounts.RoleGrants(role)
	if !grants.Allows(tokens.TokensWrite, env.AccountID) {
		r, _ := accounts.RoleByName(role)
		var refs []tokens.GroupRef
		for _, name := range r.Groups {
			g, _ := tokens.GroupByName(name)
			refs = append(refs, tokens.GroupRef{ID: g.ID})
		}
		v, err := env.App.Tokens.Create(context.Background(), env.AccountID, app.TokenInput(env.AccountID, "all of "+role, refs), grants)
		if err != nil {
			t.Fatalf("mint %s's token: %v", role, err)
		}
		return v.Value
	}
	form := url.Values{"name": {"all of " + role}}
	page := b.get("/" + env.AccountID + "/api-tokens/new").Body
	for _, s := range selectRE.FindAllStringSubmatch(page, -1) {
		for _, level := range []string{"read", "edit"} { // the last enabled one wins
			if enabled, _ := levelOffered(page, formLevel{s[1], level}); enabled {
				form.Set("perm-"+s[1], level)
			}
		}
	}
	p := b.post("/"+env.AccountID+"/api-tokens", form)
	m := tokenValueRE.FindStringSubmatch(p.Body)
	if p.Status != http.StatusOK || m == nil {
		t.Fatalf("%s creating a token with everything the picker offers (%v): %d %s", role, form, p.Status, errorText(p.Body))
	}
	return m[1]
}

// routesByGroup lists the account routes of the real route table by the
// groups they accept.
func routesByGroup(t *testing.T, env *apptest.Env) map[string][]api.Route {
	t.Helper()
	out := map[string][]api.Route{}
	for _, rt := range env.App.API.Routes() {
		if !strings.HasPrefix(rt.Path, "/accounts/{account_id}/") {
			continue
		}
		for _, p := range rt.Permissions {
			if p != api.AnyToken {
				out[p] = append(out[p], rt)
			}
		}
	}
	return out
}

var pathParamRE = regexp.MustCompile(`\{([a-z_]+)\}`)

// authorized sends the route's request with token on fresh ids and an
// empty body: nothing is found or created, so any answer but the router's
// refusal means the token got past the permission check.
func authorized(t *testing.T, env *apptest.Env, token string, rt api.Route) bool {
	t.Helper()
	path := pathParamRE.ReplaceAllStringFunc(rt.Path, func(m string) string {
		if m == "{account_id}" {
			return env.AccountID
		}
		return ids.NewHex32()
	})
	var body any
	if rt.Method != http.MethodGet {
		body = "{}"
	}
	r := env.Do(rt.Method, path, token, body)
	if r.Status != http.StatusForbidden {
		return true
	}
	if !strings.Contains(string(r.Body), "the token needs one of") {
		t.Errorf("%s %s: a 403 that is not the permission check: %s", rt.Method, path, r.Body)
	}
	return false
}

func allowsAny(g api.Grants, account string, perms []string) bool {
	for _, p := range perms {
		if p != api.AnyToken && g.Allows(p, account) {
			return true
		}
	}
	return false
}

func input(account, group string) tokens.Input {
	g, _ := tokens.GroupByName(group)
	return app.TokenInput(account, group, []tokens.GroupRef{{ID: g.ID}})
}

var slugRE = regexp.MustCompile(`[^a-z0-9]+`)

func slug(s string) string {
	return strings.Trim(slugRE.ReplaceAllString(strings.ToLower(s), "-"), "-")
}

// signInAs adds a member of role with a password and signs them in.
func signInAs(t *testing.T, env *apptest.Env, role string) *browser {
	t.Helper()
	email, password := slug(role)+"@corp.example.com", slug(role)+"'s long password"
	addMember(t, env, env.AccountID, email, password, role)
	b := newBrowser(t, env)
	if p := b.passwordLogin(email, password); p.Status != http.StatusSeeOther {
		t.Fatalf("%s signing in: %d %s", role, p.Status, errorText(p.Body))
	}
	return b
}

var errorTextRE = regexp.MustCompile(`(?s)<p[^>]*id="(?:error-message|form-error)"[^>]*>(.*?)</p>`)

// errorText is the message of an error page or a refused form, else the
// whole body (for failure messages).
func errorText(body string) string {
	if m := errorTextRE.FindStringSubmatch(body); m != nil {
		return strings.TrimSpace(m[1])
	}
	return body
}
