package tokens

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Permission group names, as Cloudflare spells them.
const (
	SSORead            = "SSO Connector Read"
	SSOWrite           = "SSO Connector Write"
	TokensRead         = "Account API Tokens Read"
	TokensWrite        = "Account API Tokens Write"
	SettingsRead       = "Account Settings Read"
	SettingsWrite      = "Account Settings Write"
	MembersRead        = "Account Members Read"
	MembersWrite       = "Account Members Write"
	AccessOrgRead      = "Access: Organizations, Identity Providers, and Groups Read"
	AccessOrgWrite     = "Access: Organizations, Identity Providers, and Groups Write"
	AccessAppsRead     = "Access: Apps and Policies Read"
	AccessAppsWrite    = "Access: Apps and Policies Write"
	ServiceTokensRead  = "Access: Service Tokens Read"
	ServiceTokensWrite = "Access: Service Tokens Write"
	AccountScope       = "com.cloudflare.api.account"
	accountResourceKey = AccountScope + "."
)

// PermissionGroup is an entry of the catalogue.
type PermissionGroup struct {
	ID     string   `json:"id"`
	Name   string   `json:"name"`
	Scopes []string `json:"scopes"`
}

// catalogue lists the groups ssogate knows, Read before Write.
var catalogue = buildCatalogue(
	SSORead, SSOWrite, TokensRead, TokensWrite, SettingsRead, SettingsWrite,
	MembersRead, MembersWrite, AccessOrgRead, AccessOrgWrite, AccessAppsRead, AccessAppsWrite,
	ServiceTokensRead, ServiceTokensWrite,
)

// buildCatalogue gives each group a stable 32-hex id derived from its name,
// so ids survive restarts and match across instances without a table.
func buildCatalogue(names ...string) []PermissionGroup {
	out := make([]PermissionGroup, len(names))
	for i, n := range names {
		sum := sha256.Sum256([]byte("ssogate permission group\x00" + n))
		out[i] = PermissionGroup{ID: hex.EncodeToString(sum[:16]), Name: n, Scopes: []string{AccountScope}}
	}
	return out
}

// Catalogue returns every permission group.
func Catalogue() []PermissionGroup { return append([]PermissionGroup(nil), catalogue...) }

// GroupByID finds a group by id.
func GroupByID(id string) (PermissionGroup, bool) {
	for _, g := range catalogue {
		if g.ID == id {
			return g, true
		}
	}
	return PermissionGroup{}, false
}

// GroupByName finds a group by name, ignoring case.
func GroupByName(name string) (PermissionGroup, bool) {
	for _, g := range catalogue {
		if strings.EqualFold(g.Name, strings.TrimSpace(name)) {
			return g, true
		}
	}
	return PermissionGroup{}, false
}

// Implies reports whether holding group grants perm: itself, and a Write
// group grants its Read twin.
func Implies(group, perm string) bool {
	if group == perm {
		return true
	}
	base, ok := strings.CutSuffix(group, " Write")
	return ok && perm == base+" Read"
}
