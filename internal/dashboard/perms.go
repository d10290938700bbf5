package dashboard

import (
	"fmt"
	"strings"

	"github.com/ssogate/ssogate/internal/accounts"
	"github.com/ssogate/ssogate/internal/api"
	"github.com/ssogate/ssogate/internal/tokens"
)

// capability is something a member may do in the dashboard. Who may do it
// is not decided here: each capability names the permission groups its
// actions need through the API, and accounts.RoleGrants — the table token
// minting checks too — says whether a role holds them. So a page offers an
// action exactly when a token the member could mint would be allowed it.
type capability int

const (
	capView                capability = iota // see the account's pages
	capManageSSO                             // create, check, enable, disable and delete connectors
	capManageTokens                          // create, roll, disable and delete API tokens
	capManageMembers                         // add, change and remove members
	capManageAccessOrg                       // the Access organization and identity providers
	capManageAccessApps                      // Access applications and policies
	capManageServiceTokens                   // Access service tokens
)

// capabilityInfo is what a capability needs and how pages name it.
type capabilityInfo struct {
	key    string   // the name templates use: {{if .Can "sso"}}
	does   string   // completes "Your role cannot …"
	groups []string // every one is needed, as the API routes of the actions need them
}

var capabilities = [...]capabilityInfo{
	capView:             {"view", "see this account", []string{tokens.SettingsRead}},
	capManageSSO:        {"sso", "create, check, enable, disable or delete SSO connectors", []string{tokens.SSOWrite}},
	capManageTokens:     {"tokens", "create, roll, disable or delete API tokens", []string{tokens.TokensWrite}},
	capManageMembers:    {"members", "add, change or remove members", []string{tokens.MembersWrite}},
	capManageAccessOrg:  {"access_org", "change the Access organization or its identity providers", []string{tokens.AccessOrgWrite}},
	capManageAccessApps: {"access_apps", "change Access applications or policies", []string{tokens.AccessAppsWrite}},
	capManageServiceTokens: {"service_tokens", "create, rotate, refresh or delete Access service tokens",
		[]string{tokens.ServiceTokensWrite}},
}

func (c capability) String() string { return capabilities[c].does }

// capabilityByKey finds the capability a template names.
func capabilityByKey(key string) (capability, bool) {
	for c, info := range capabilities {
		if info.key == key {
			return capability(c), true
		}
	}
	return 0, false
}

// can is the pure decision: the role holds every group c needs.
func can(role string, c capability) bool {
	return len(lacking(accounts.RoleGrants(role), capabilities[c].groups)) == 0
}

// lacking lists the groups grants do not hold, in order.
func lacking(grants api.Grants, groups []string) []string {
	var out []string
	for _, g := range groups {
		if !grants.Allows(g, "") {
			out = append(out, g)
		}
	}
	return out
}

// holders names the roles holding every one of groups, most powerful
// first, so a refusal can say whom to ask.
func holders(groups []string) []string {
	var out []string
	for _, r := range accounts.Roles() {
		if len(lacking(accounts.RoleGrants(r.Name), groups)) == 0 {
			out = append(out, r.Name)
		}
	}
	return out
}

// shortRole is the role's name as pages show it.
func shortRole(role string) string {
	switch role {
	case accounts.RoleSuperAdmin:
		return "Super Administrator"
	case accounts.RoleReadOnly:
		return "Read only"
	}
	return role
}

// roleNoun is how a sentence names a member of the role.
func roleNoun(role string) string {
	if role == accounts.RoleReadOnly {
		return "Read only member"
	}
	return shortRole(role)
}

// askWhom is whom to ask for groups, from the role table: "a Super
// Administrator of this account".
func askWhom(groups []string) string {
	names := holders(groups)
	if len(names) == 0 {
		return "whoever runs this ssogate: no member role holds " + strings.Join(groups, " and ")
	}
	for i, n := range names {
		n = roleNoun(n)
		names[i] = article(n) + " " + n
	}
	return series(names, "or") + " of this account"
}

// whoMay names the roles holding groups, for the pages' read-only notes:
// "Super Administrators".
func whoMay(groups []string) string {
	names := holders(groups)
	if len(names) == 0 {
		return "no member role"
	}
	for i, n := range names {
		names[i] = roleNoun(n) + "s"
	}
	return series(names, "and")
}

// series is "a, b and c".
func series(items []string, conj string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " " + conj + " " + items[len(items)-1]
}

func article(noun string) string {
	if strings.ContainsRune("AEIOU", rune(noun[0])) {
		return "an"
	}
	return "a"
}

// refusal is the message of a capability the role lacks: what, why, whom
// to ask.
func refusal(role string, c capability) string {
	info := capabilities[c]
	return fmt.Sprintf("Your role (%s) cannot %s: that needs the %s permission, which only %s hold. Ask %s.",
		shortRole(role), info.does, strings.Join(info.groups, " and "), whoMay(info.groups), askWhom(info.groups))
}

// tokenRefusal says why a member may not make (verb "create") or act on a
// token allowing group: a token carries its permissions to whoever holds
// its value, so the member could otherwise do through the API what their
// role may not, or destroy a stronger member's token.
func tokenRefusal(role, verb, group string) string {
	if verb == "create" {
		return fmt.Sprintf("Your role (%s) does not hold %s, so a token you create cannot hold it either: "+
			"an API token can have only permissions your role has. Choose a lower level for it, "+
			"or ask %s to create this token.", shortRole(role), group, askWhom([]string{group}))
	}
	return fmt.Sprintf("This token holds %s, which your role (%s) does not hold, so you cannot %s it: "+
		"you can only act on tokens within your own role. Ask %s.", group, shortRole(role), verb, askWhom([]string{group}))
}
