package dashboard

import "github.com/ssogate/ssogate/internal/accounts"

// capability is something a member may do in the dashboard.
type capability int

const (
	capView          capability = iota // see the account's pages
	capManageSSO                       // create, check and delete connectors
	capToggleSSO                       // enable and disable connectors
	capManageTokens                    // create, roll, disable and delete API tokens
	capManageMembers                   // add, change and remove members
	capManageAccess                    // identity providers, apps, policies
)

func (c capability) String() string {
	return [...]string{"view this account", "manage SSO connectors", "enable or disable SSO",
		"manage API tokens", "manage members", "manage Access"}[c]
}

// can is the dashboard's role table, a pure function. Turning SSO on or
// off changes how every member of the domain signs in, and membership
// decides who holds power at all: both are for Super Administrators only,
// as in Cloudflare. Read-only members only look.
func can(role string, c capability) bool {
	switch role {
	case accounts.RoleSuperAdmin:
		return true
	case accounts.RoleAdmin:
		return c != capToggleSSO && c != capManageMembers
	case accounts.RoleReadOnly:
		return c == capView
	}
	return false
}
