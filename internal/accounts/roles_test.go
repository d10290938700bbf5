package accounts_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	cloudflare "github.com/cloudflare/cloudflare-go/v6"
	cfaccounts "github.com/cloudflare/cloudflare-go/v6/accounts"
	"github.com/google/go-cmp/cmp"

	"github.com/ssogate/ssogate/internal/accounts"
	"github.com/ssogate/ssogate/internal/apptest"
	"github.com/ssogate/ssogate/internal/tokens"
)

// Role ids are part of the API: scripts and Terraform keep them. They must
// never change.
var pinnedRoleIDs = map[string]string{
	accounts.RoleSuperAdmin: "52dd645a1b46df6ebdd5e4f8ce78b080",
	accounts.RoleAdmin:      "49e5a1cd7eec217de02c347492fe36b1",
	accounts.RoleReadOnly:   "81799d93bd51a631450d26522c14a38f",
}

func roleID(t testing.TB, name string) string {
	t.Helper()
	r, ok := accounts.RoleByName(name)
	if !ok {
		t.Fatalf("no role %q", name)
	}
	return r.ID
}

func catalogueNames(keep func(string) bool) []string {
	var out []string
	for _, g := range tokens.Catalogue() {
		if keep(g.Name) {
			out = append(out, g.Name)
		}
	}
	return out
}

func TestRoles(t *testing.T) {
	rs := accounts.Roles()
	var names []string
	for _, r := range rs {
		names = append(names, r.Name)
	}
	if diff := cmp.Diff([]string{accounts.RoleSuperAdmin, accounts.RoleAdmin, accounts.RoleReadOnly}, names); diff != "" {
		t.Fatalf("roles (-want +got):\n%s", diff)
	}
	groups := map[string][]string{
		accounts.RoleSuperAdmin: catalogueNames(func(string) bool { return true }),
		accounts.RoleAdmin: catalogueNames(func(g string) bool {
			return g != tokens.MembersWrite && g != tokens.SSOWrite
		}),
		accounts.RoleReadOnly: catalogueNames(func(g string) bool { return strings.HasSuffix(g, " Read") }),
	}
	// The two families Administrators may see and not change.
	readOnlyForAdmins := map[string]map[string]accounts.RolePerm{
		accounts.RoleSuperAdmin: {"members": {Read: true, Write: true}, "sso_connectors": {Read: true, Write: true}},
		accounts.RoleAdmin:      {"members": {Read: true}, "sso_connectors": {Read: true}},
		accounts.RoleReadOnly:   {"members": {Read: true}, "sso_connectors": {Read: true}},
	}
	for _, r := range rs {
		t.Run(r.Name, func(t *testing.T) {
			if r.ID != pinnedRoleIDs[r.Name] {
				t.Errorf("id %s, want the pinned %s", r.ID, pinnedRoleIDs[r.Name])
			}
			if r.Description == "" {
				t.Error("no description")
			}
			if diff := cmp.Diff(groups[r.Name], r.Groups); diff != "" {
				t.Errorf("groups (-want +got):\n%s", diff)
			}
			for key, want := range readOnlyForAdmins[r.Name] {
				if got := r.Permissions[key]; got != want {
					t.Errorf("permissions.%s = %+v, want %+v", key, got, want)
				}
			}
			if len(r.Permissions) != len(tokens.Catalogue())/2 {
				t.Errorf("%d permission keys for %d groups: %v", len(r.Permissions), len(tokens.Catalogue()), r.Permissions)
			}
			byID, ok := accounts.RoleByID(r.ID)
			if !ok || !cmp.Equal(byID, r) {
				t.Errorf("RoleByID(%s) = %+v, %v", r.ID, byID, ok)
			}
			byName, ok := accounts.RoleByName(r.Name)
			if !ok || !cmp.Equal(byName, r) {
				t.Errorf("RoleByName(%q) = %+v, %v", r.Name, byName, ok)
			}
		})
	}
	for _, bad := range []string{"", "administrator", strings.Repeat("0", 32), tokens.Catalogue()[0].ID} {
		if _, ok := accounts.RoleByID(bad); ok {
			t.Errorf("RoleByID(%q) found a role", bad)
		}
		if _, ok := accounts.RoleByName(bad); ok {
			t.Errorf("RoleByName(%q) found a role", bad)
		}
	}
	t.Run("callers get copies", func(t *testing.T) {
		r := accounts.Roles()[2]
		r.Permissions["members"] = accounts.RolePerm{Read: true, Write: true}
		r.Groups[0] = tokens.MembersWrite
		again, _ := accounts.RoleByName(accounts.RoleReadOnly)
		if again.Permissions["members"].Write || slices.Contains(again.Groups, tokens.MembersWrite) {
			t.Error("editing a returned role changed the table")
		}
	})
}

func TestRoleGrants(t *testing.T) {
	anyAccount := strings.Repeat("ab", 16)
	tests := []struct {
		role, perm string
		want       bool
	}{
		{accounts.RoleSuperAdmin, tokens.MembersWrite, true},
		{accounts.RoleSuperAdmin, tokens.SSOWrite, true},
		{accounts.RoleSuperAdmin, tokens.AccessAppsRead, true},
		{accounts.RoleAdmin, tokens.MembersWrite, false},
		{accounts.RoleAdmin, tokens.MembersRead, true},
		{accounts.RoleAdmin, tokens.SSOWrite, false},
		{accounts.RoleAdmin, tokens.SSORead, true},
		{accounts.RoleAdmin, tokens.TokensWrite, true},
		{accounts.RoleAdmin, tokens.AccessOrgWrite, true},
		{accounts.RoleReadOnly, tokens.SSORead, true},
		{accounts.RoleReadOnly, tokens.MembersRead, true},
		{accounts.RoleReadOnly, tokens.SettingsRead, true},
		{accounts.RoleReadOnly, tokens.SSOWrite, false},
		{accounts.RoleReadOnly, tokens.TokensWrite, false},
		{"", tokens.SSORead, false},
		{"Owner", tokens.SSORead, false},
		{accounts.RoleSuperAdmin, "Billing Write", false},
	}
	for _, tc := range tests {
		t.Run(tc.role+"/"+tc.perm, func(t *testing.T) {
			g := accounts.RoleGrants(tc.role)
			for _, acct := range []string{anyAccount, ""} {
				if got := g.Allows(tc.perm, acct); got != tc.want {
					t.Errorf("Allows(%q, %q) = %v, want %v", tc.perm, acct, got, tc.want)
				}
			}
		})
	}
	// Every group the role lists is allowed, through the same rule the
	// route table uses.
	for _, r := range accounts.Roles() {
		for _, g := range r.Groups {
			if !accounts.RoleGrants(r.Name).Allows(g, anyAccount) {
				t.Errorf("%s does not allow its own group %s", r.Name, g)
			}
		}
	}
}

// checkRole asserts Cloudflare's role object (cloudflare-api.md §8.2).
func checkRole(t *testing.T, m map[string]any, name string) {
	t.Helper()
	if diff := cmp.Diff([]string{"description", "id", "name", "permissions"}, sortedKeys(m)); diff != "" {
		t.Errorf("role keys (-want +got):\n%s", diff)
	}
	if m["name"] != name || m["id"] != pinnedRoleIDs[name] {
		t.Errorf("role %v, want %s %s", m, pinnedRoleIDs[name], name)
	}
	perms, _ := m["permissions"].(map[string]any)
	if len(perms) == 0 {
		t.Fatalf("permissions %v", m["permissions"])
	}
	for k, v := range perms {
		p, _ := v.(map[string]any)
		if diff := cmp.Diff([]string{"read", "write"}, sortedKeys(p)); diff != "" {
			t.Errorf("permissions.%s keys (-want +got):\n%s", k, diff)
		}
	}
}

func TestRolesAPI(t *testing.T) {
	env := apptest.New(t)
	ctx := context.Background()
	c := env.Client(env.Token)
	acct := cloudflare.F(env.AccountID)

	t.Run("list", func(t *testing.T) {
		page, err := c.Accounts.Roles.List(ctx, cfaccounts.RoleListParams{AccountID: acct})
		if err != nil {
			t.Fatal(err)
		}
		m := object(t, page.JSON.RawJSON())
		items := m["result"].([]any)
		if len(items) != 3 {
			t.Fatalf("%d roles: %s", len(items), page.JSON.RawJSON())
		}
		for i, name := range []string{accounts.RoleSuperAdmin, accounts.RoleAdmin, accounts.RoleReadOnly} {
			checkRole(t, items[i].(map[string]any), name)
			if page.Result[i].ID != pinnedRoleIDs[name] || page.Result[i].Name != name {
				t.Errorf("SDK decoded %+v", page.Result[i])
			}
		}
		want := map[string]any{"page": 1.0, "per_page": 20.0, "count": 3.0, "total_count": 3.0, "total_pages": 1.0}
		if diff := cmp.Diff(want, m["result_info"]); diff != "" {
			t.Errorf("result_info (-want +got):\n%s", diff)
		}
	})

	t.Run("auto-paging terminates", func(t *testing.T) {
		var got []string
		iter := c.Accounts.Roles.ListAutoPaging(ctx, cfaccounts.RoleListParams{AccountID: acct, PerPage: cloudflare.F(2.0)})
		for iter.Next() {
			got = append(got, iter.Current().Name)
			if len(got) > 3 {
				t.Fatal("the auto-pager does not stop")
			}
		}
		if err := iter.Err(); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{accounts.RoleSuperAdmin, accounts.RoleAdmin, accounts.RoleReadOnly}, got); diff != "" {
			t.Errorf("roles (-want +got):\n%s", diff)
		}
	})

	t.Run("page past the end", func(t *testing.T) {
		r := env.Do("GET", "/accounts/"+env.AccountID+"/roles?page=2&per_page=3", env.Token, nil)
		m := r.JSON(t)
		if r.Status != http.StatusOK || len(m["result"].([]any)) != 0 {
			t.Errorf("%d %s", r.Status, r.Body)
		}
	})

	t.Run("get", func(t *testing.T) {
		for name, id := range pinnedRoleIDs {
			role, err := c.Accounts.Roles.Get(ctx, id, cfaccounts.RoleGetParams{AccountID: acct})
			if err != nil {
				t.Fatal(err)
			}
			checkRole(t, object(t, role.JSON.RawJSON()), name)
		}
	})

	t.Run("Administrators see SSO connectors and do not change them", func(t *testing.T) {
		role, err := c.Accounts.Roles.Get(ctx, pinnedRoleIDs[accounts.RoleAdmin], cfaccounts.RoleGetParams{AccountID: acct})
		if err != nil {
			t.Fatal(err)
		}
		m := object(t, role.JSON.RawJSON())
		want := map[string]any{"read": true, "write": false}
		if diff := cmp.Diff(want, m["permissions"].(map[string]any)["sso_connectors"]); diff != "" {
			t.Errorf("permissions.sso_connectors (-want +got):\n%s", diff)
		}
		if d, _ := m["description"].(string); !strings.Contains(d, "SSO") {
			t.Errorf("the description does not say what Administrators may not do with SSO: %q", d)
		}
	})

	t.Run("unknown and malformed ids", func(t *testing.T) {
		_, err := c.Accounts.Roles.Get(ctx, strings.Repeat("0", 32), cfaccounts.RoleGetParams{AccountID: acct})
		e := sdkError(t, err, http.StatusNotFound)
		if len(e.Errors) == 0 || e.Errors[0].Code != 1003 || !strings.Contains(e.Errors[0].Message, pinnedRoleIDs[accounts.RoleAdmin]) {
			t.Errorf("errors: %+v", e.Errors)
		}
		_, err = c.Accounts.Roles.Get(ctx, "admin", cfaccounts.RoleGetParams{AccountID: acct})
		e = sdkError(t, err, http.StatusBadRequest)
		if len(e.Errors) == 0 || e.Errors[0].Code != 7003 {
			t.Errorf("errors: %+v", e.Errors)
		}
	})

	t.Run("needs Account Members Read", func(t *testing.T) {
		sso := env.Client(env.NewToken(env.AccountID, tokens.SSOWrite, tokens.SettingsWrite))
		_, err := sso.Accounts.Roles.List(ctx, cfaccounts.RoleListParams{AccountID: acct})
		sdkError(t, err, http.StatusForbidden)
		_, err = sso.Accounts.Roles.Get(ctx, pinnedRoleIDs[accounts.RoleAdmin], cfaccounts.RoleGetParams{AccountID: acct})
		sdkError(t, err, http.StatusForbidden)
		for _, g := range []string{tokens.MembersRead, tokens.MembersWrite} {
			ro := env.Client(env.NewToken(env.AccountID, g))
			if _, err := ro.Accounts.Roles.List(ctx, cfaccounts.RoleListParams{AccountID: acct}); err != nil {
				t.Errorf("%s: %v", g, err)
			}
		}
	})

	t.Run("another account", func(t *testing.T) {
		b, bToken := env.NewAccount("Beta Corp")
		_, err := env.Client(bToken).Accounts.Roles.List(ctx, cfaccounts.RoleListParams{AccountID: acct})
		sdkError(t, err, http.StatusForbidden)
		if _, err := env.Client(bToken).Accounts.Roles.List(ctx, cfaccounts.RoleListParams{AccountID: cloudflare.F(b)}); err != nil {
			t.Errorf("B's own roles: %v", err)
		}
	})
}

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
