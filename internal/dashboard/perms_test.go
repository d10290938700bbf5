package dashboard

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ssogate/ssogate/internal/accounts"
	"github.com/ssogate/ssogate/internal/tokens"
)

// TestCan pins what each role may do in the dashboard, as derived from
// accounts.RoleGrants: a change to the role table shows up here as a
// change of what the pages offer.
func TestCan(t *testing.T) {
	all := []capability{capView, capManageSSO, capManageTokens, capManageMembers, capManageAccessOrg, capManageAccessApps}
	tests := []struct {
		role string
		want []capability
	}{
		{accounts.RoleSuperAdmin, all},
		{accounts.RoleAdmin, []capability{capView, capManageTokens, capManageAccessOrg, capManageAccessApps}},
		{accounts.RoleReadOnly, []capability{capView}},
		{"Owner", nil}, // not a role: nothing, not even the pages
		{"", nil},
	}
	for _, tc := range tests {
		t.Run(tc.role, func(t *testing.T) {
			var got []capability
			for _, c := range all {
				if can(tc.role, c) {
					got = append(got, c)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("capabilities (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCapabilitiesNameCatalogueGroups: every capability needs at least one
// group, and only groups of the catalogue (the names token minting and
// the API routes use).
func TestCapabilitiesNameCatalogueGroups(t *testing.T) {
	keys := map[string]bool{}
	for c, info := range capabilities {
		if len(info.groups) == 0 || info.key == "" || info.does == "" || keys[info.key] {
			t.Errorf("capability %d: %+v", c, info)
		}
		keys[info.key] = true
		for _, g := range info.groups {
			if pg, ok := tokens.GroupByName(g); !ok || pg.Name != g {
				t.Errorf("capability %q needs %q, which is not a catalogue group", info.key, g)
			}
		}
		if got, ok := capabilityByKey(info.key); !ok || got != capability(c) {
			t.Errorf("capabilityByKey(%q) = %v, %v", info.key, got, ok)
		}
	}
	if _, err := (view{Role: accounts.RoleSuperAdmin}).Can("toggle_sso"); err == nil {
		t.Error("a template asking for an unknown capability is not an error")
	}
}

func TestRefusalMessages(t *testing.T) {
	tests := []struct {
		name, got string
		want      []string
	}{
		{"admin and SSO", refusal(accounts.RoleAdmin, capManageSSO), []string{"Your role (Administrator) cannot create, check, enable, disable or delete SSO connectors",
			"needs the SSO Connector Write permission, which only Super Administrators hold", "Ask a Super Administrator of this account."}},
		{"read only and tokens", refusal(accounts.RoleReadOnly, capManageTokens), []string{"Your role (Read only)",
			"which only Super Administrators and Administrators hold", "Ask a Super Administrator or an Administrator of this account."}},
		{"minting beyond the role", tokenRefusal(accounts.RoleAdmin, "create", tokens.MembersWrite), []string{
			"Your role (Administrator) does not hold Account Members Write", "Choose a lower level", "ask a Super Administrator of this account"}},
		{"acting on a stronger token", tokenRefusal(accounts.RoleAdmin, "delete", tokens.SSOWrite), []string{
			"This token holds SSO Connector Write, which your role (Administrator) does not hold, so you cannot delete it",
			"Ask a Super Administrator of this account."}},
		{"a group no role holds", askWhom([]string{"Billing Write"}), []string{"no member role holds Billing Write"}},
		{"who may read SSO", whoMay([]string{tokens.SSORead}), []string{"Super Administrators, Administrators and Read only members"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, w := range tc.want {
				if !strings.Contains(tc.got, w) {
					t.Errorf("%q\nlacks %q", tc.got, w)
				}
			}
		})
	}
}
