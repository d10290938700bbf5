package accounts

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/ssogate/ssogate/internal/api"
	"github.com/ssogate/ssogate/internal/tokens"
)

// RolePerm is one entry of a role's permissions: Cloudflare's {read, write}.
type RolePerm struct {
	Read  bool `json:"read"`
	Write bool `json:"write"`
}

// Role is a member role. Its JSON is Cloudflare's role object; Groups, the
// token permission groups the role amounts to, is ssogate's own.
type Role struct {
	ID          string              `json:"id"`
	Name        string              `json:"name"`
	Description string              `json:"description"`
	Permissions map[string]RolePerm `json:"permissions"`
	Groups      []string            `json:"-"`
}

// permissionKeys names the permissions-map key of each family of
// permission groups (a group name without " Read"/" Write"). Account
// settings are Cloudflare's "organization"; the others are ssogate's.
// A family missing here gets a key derived from its name.
var permissionKeys = map[string]string{
	"SSO Connector":      "sso_connectors",
	"Account API Tokens": "api_tokens",
	"Account Settings":   "organization",
	"Account Members":    "members",
	"Access: Organizations, Identity Providers, and Groups": "access_organizations",
	"Access: Apps and Policies":                             "access_apps",
	"Access: Service Tokens":                                "access_service_tokens",
}

// roles is built once: the catalogue does not change while running. It is
// the one table of what a member may do: the dashboard derives its pages
// from RoleGrants, and token minting refuses anything beyond it.
//
// Administrators hold neither "Account Members Write" (membership decides
// who holds power at all) nor "SSO Connector Write": enforcing SSO changes
// how every member of the domain signs in, Cloudflare asks for a Super
// Administrator (or an API token with SSO Connector Edit) to enable it, and
// the lock-out recovery token is the Super Administrators' to hold. An
// Administrator who could mint an SSO Connector Write token could switch
// SSO off with it, whatever the dashboard showed.
var roles = []Role{
	newRole(RoleSuperAdmin, "Can change every setting of the account and manage its members, "+
		"including other Super Administrators.", func(string) bool { return true }),
	newRole(RoleAdmin, "Can change every setting of the account except membership and SSO "+
		"connectors, which it can see but not create, check, enable, disable or delete.",
		func(g string) bool { return g != tokens.MembersWrite && g != tokens.SSOWrite }),
	newRole(RoleReadOnly, "Can see every setting of the account, and change nothing.",
		func(g string) bool { return strings.HasSuffix(g, " Read") }),
}

// newRole derives a role from the permission groups it keeps. The id is
// stable (a hash of the name), like the permission groups' ids, so it
// survives restarts and matches across instances without a table.
func newRole(name, description string, keep func(group string) bool) Role {
	sum := sha256.Sum256([]byte("ssogate member role\x00" + name))
	r := Role{ID: hex.EncodeToString(sum[:16]), Name: name, Description: description,
		Permissions: map[string]RolePerm{}}
	for _, g := range tokens.Catalogue() {
		family, access, ok := cutAccess(g.Name)
		if !ok {
			continue
		}
		key := permissionKey(family)
		p := r.Permissions[key]
		if keep(g.Name) {
			r.Groups = append(r.Groups, g.Name)
			if access == "Read" {
				p.Read = true
			} else {
				p.Read, p.Write = true, true // Write implies its Read twin
			}
		}
		r.Permissions[key] = p
	}
	return r
}

func cutAccess(group string) (family, access string, ok bool) {
	for _, a := range []string{"Read", "Write"} {
		if f, found := strings.CutSuffix(group, " "+a); found {
			return f, a, true
		}
	}
	return "", "", false
}

func permissionKey(family string) string {
	if k, ok := permissionKeys[family]; ok {
		return k
	}
	var sb strings.Builder
	for _, c := range strings.ToLower(family) {
		switch {
		case c >= 'a' && c <= 'z' || c >= '0' && c <= '9':
			sb.WriteRune(c)
		case sb.Len() > 0 && !strings.HasSuffix(sb.String(), "_"):
			sb.WriteByte('_')
		}
	}
	return strings.TrimSuffix(sb.String(), "_")
}

// Roles returns the three member roles, most powerful first.
func Roles() []Role {
	out := make([]Role, len(roles))
	for i, r := range roles {
		out[i] = r.clone()
	}
	return out
}

// RoleByID finds a role by id.
func RoleByID(id string) (Role, bool) {
	for _, r := range roles {
		if r.ID == id {
			return r.clone(), true
		}
	}
	return Role{}, false
}

// RoleByName finds a role by its exact name (RoleSuperAdmin…).
func RoleByName(name string) (Role, bool) {
	for _, r := range roles {
		if r.Name == name {
			return r.clone(), true
		}
	}
	return Role{}, false
}

// clone keeps callers from editing the shared table through the map or slice.
func (r Role) clone() Role {
	c := r
	c.Permissions = make(map[string]RolePerm, len(r.Permissions))
	for k, v := range r.Permissions {
		c.Permissions[k] = v
	}
	c.Groups = append([]string(nil), r.Groups...)
	return c
}

// RoleGrants is what a member of the named role may do, as api.Grants: a
// permission is allowed when one of the role's groups implies it, on any
// account (the caller checks membership of the account itself). An unknown
// role allows nothing.
func RoleGrants(role string) api.Grants {
	r, _ := RoleByName(role)
	return roleGrants(r.Groups)
}

type roleGrants []string

// Allows implements api.Grants.
func (g roleGrants) Allows(permission, _ string) bool {
	for _, group := range g {
		if tokens.Implies(group, permission) {
			return true
		}
	}
	return false
}

// validRoleIDs lists the role ids with their names, for error messages.
func validRoleIDs() string {
	var parts []string
	for _, r := range roles {
		parts = append(parts, r.ID+" ("+r.Name+")")
	}
	return strings.Join(parts, ", ")
}
