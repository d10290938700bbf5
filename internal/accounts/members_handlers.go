package accounts

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ssogate/ssogate/internal/api"
	"github.com/ssogate/ssogate/internal/ids"
	"github.com/ssogate/ssogate/internal/store"
	"github.com/ssogate/ssogate/internal/tokens"
)

// memberObject is Cloudflare's member object (cloudflare-api.md §8.2).
// ssogate assigns roles, never policies, and keeps no names or 2FA state.
type memberObject struct {
	ID       string     `json:"id"`
	Email    string     `json:"email"`
	Status   string     `json:"status"`
	Roles    []Role     `json:"roles"`
	Policies []struct{} `json:"policies"`
	User     memberUser `json:"user"`
}

type memberUser struct {
	ID        string `json:"id"`
	Email     string `json:"email"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	TwoFactor bool   `json:"two_factor_authentication_enabled"`
}

func viewMember(m Member) memberObject {
	roles := []Role{}
	if r, ok := RoleByName(m.Role); ok {
		roles = append(roles, r)
	}
	return memberObject{ID: m.ID, Email: m.Email, Status: m.Status, Roles: roles, Policies: []struct{}{},
		User: memberUser{ID: m.UserID, Email: m.Email}}
}

// memberInput is the body of POST and PUT. Roles and policies stay raw:
// roles come as ["<id>"] or [{"id":"<id>"}], and policies are refused.
type memberInput struct {
	Email    *string         `json:"email"`
	Roles    json.RawMessage `json:"roles"`
	Policies json.RawMessage `json:"policies"`
	Status   *string         `json:"status"`
}

func present(raw json.RawMessage) bool {
	return len(raw) > 0 && !bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
}

// role reads the one role of the body, by id.
func (in memberInput) role() (string, error) {
	if present(in.Policies) {
		return "", api.Invalid("/policies", "ssogate gives members roles, not policies: use roles "+
			"(GET /accounts/{account_id}/roles lists them)")
	}
	if !present(in.Roles) {
		return "", api.Invalid("/roles", "a member needs exactly one role: send \"roles\": [\"<role id>\"]; the roles are %s", validRoleIDs())
	}
	var items []json.RawMessage
	if err := json.Unmarshal(in.Roles, &items); err != nil {
		return "", api.Invalid("/roles", "roles must be an array of role ids or of {\"id\": \"<role id>\"} objects")
	}
	if len(items) != 1 {
		return "", api.Invalid("/roles", "a member needs exactly one role, not %d; the roles are %s", len(items), validRoleIDs())
	}
	var id string
	if err := json.Unmarshal(items[0], &id); err != nil {
		var obj struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(items[0], &obj); err != nil {
			return "", api.Invalid("/roles/0", "a role is its id or {\"id\": \"<role id>\"}")
		}
		id = obj.ID
	}
	r, ok := RoleByID(id)
	if !ok {
		return "", api.Invalid("/roles/0", "%q is not a role id; the roles are %s", id, validRoleIDs())
	}
	return r.Name, nil
}

// mayGrant applies the tokens' no-escalation rule to roles: a token cannot
// make someone a member with a permission the token does not hold itself.
func mayGrant(r *api.Request, role string) error {
	rl, _ := RoleByName(role)
	var missing []string
	for _, g := range rl.Groups {
		if !r.Principal.Grants.Allows(g, r.AccountID) {
			missing = append(missing, g)
		}
	}
	if len(missing) > 0 {
		return api.Forbidden(fmt.Sprintf("the token cannot grant the role %q: it lacks [%s] itself",
			role, strings.Join(missing, ", ")))
	}
	return nil
}

func (s *Service) handleMemberCreate(r *api.Request) (any, error) {
	var in memberInput
	if err := r.Decode(&in, false); err != nil {
		return nil, err
	}
	if in.Email == nil {
		return nil, api.Invalid("/email", "email is required: the address of the person to add")
	}
	status := StatusPending
	if in.Status != nil {
		status = *in.Status
	}
	if status != StatusAccepted && status != StatusPending {
		return nil, api.Invalid("/status", "status must be \"accepted\" or \"pending\", not %q", status)
	}
	role, err := in.role()
	if err != nil {
		return nil, err
	}
	if err := mayGrant(r, role); err != nil {
		return nil, err
	}
	var m Member
	err = s.db.Tx(r.Context(), func(tx *sql.Tx) error {
		if status == StatusAccepted {
			m, err = AddMember(r.Context(), tx, r.AccountID, *in.Email, "", role, time.Now())
		} else {
			m, err = Invite(r.Context(), tx, r.AccountID, *in.Email, role, time.Now())
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return viewMember(m), nil
}

func (s *Service) handleMemberList(r *api.Request) (any, error) {
	page, err := r.Paging(20, 5, 50)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	desc, err := direction(q.Get("direction"), false)
	if err != nil {
		return nil, err
	}
	ms, total, err := ListMembers(r.Context(), s.db, r.AccountID, MemberFilter{Status: q.Get("status"),
		Order: q.Get("order"), Desc: desc, Offset: page.Offset(), Limit: page.PerPage})
	if err != nil {
		return nil, err
	}
	out := make([]memberObject, len(ms))
	for i, m := range ms {
		out[i] = viewMember(m)
	}
	return api.List(out, page, total), nil
}

// direction parses asc/desc; empty means the default.
func direction(v string, def bool) (bool, error) {
	switch v {
	case "":
		return def, nil
	case "asc":
		return false, nil
	case "desc":
		return true, nil
	}
	return false, api.Invalid("", "direction must be \"asc\" or \"desc\", not %q", v)
}

func memberID(r *api.Request) (string, error) { return r.PathID("member_id", ids.IsHex32) }

func memberNotFound(err error, id string) error {
	if errors.Is(err, store.ErrNotFound) {
		return api.NotFound("member %s was not found in this account", id)
	}
	return err
}

func (s *Service) handleMemberGet(r *api.Request) (any, error) {
	id, err := memberID(r)
	if err != nil {
		return nil, err
	}
	m, err := GetMember(r.Context(), s.db, r.AccountID, id)
	if err != nil {
		return nil, memberNotFound(err, id)
	}
	return viewMember(m), nil
}

func (s *Service) handleMemberUpdate(r *api.Request) (any, error) {
	id, err := memberID(r)
	if err != nil {
		return nil, err
	}
	var in memberInput
	if err := r.Decode(&in, false); err != nil {
		return nil, err
	}
	role, err := in.role()
	if err != nil {
		return nil, err
	}
	if err := mayGrant(r, role); err != nil {
		return nil, err
	}
	var m Member
	err = s.db.Tx(r.Context(), func(tx *sql.Tx) error {
		m, err = SetMemberRole(r.Context(), tx, r.AccountID, id, role)
		return err
	})
	if err != nil {
		return nil, memberNotFound(err, id)
	}
	return viewMember(m), nil
}

func (s *Service) handleMemberDelete(r *api.Request) (any, error) {
	id, err := memberID(r)
	if err != nil {
		return nil, err
	}
	err = s.db.Tx(r.Context(), func(tx *sql.Tx) error {
		return RemoveMember(r.Context(), tx, r.AccountID, id)
	})
	if err != nil {
		return nil, memberNotFound(err, id)
	}
	return map[string]string{"id": id}, nil
}

func handleRoleList(r *api.Request) (any, error) {
	page, err := r.Paging(20, 1, 50)
	if err != nil {
		return nil, err
	}
	all := Roles()
	items := []Role{}
	if off := page.Offset(); off < len(all) {
		items = all[off:min(off+page.PerPage, len(all))]
	}
	return api.List(items, page, len(all)), nil
}

func handleRoleGet(r *api.Request) (any, error) {
	id, err := r.PathID("role_id", ids.IsHex32)
	if err != nil {
		return nil, err
	}
	role, ok := RoleByID(id)
	if !ok {
		return nil, api.NotFound("role %s does not exist; the roles are %s", id, validRoleIDs())
	}
	return role, nil
}

// The permissions of the member and role routes: reading needs either
// Members group (Write implies Read, listing both keeps the table explicit).
var (
	membersRead  = []string{tokens.MembersRead, tokens.MembersWrite}
	membersWrite = []string{tokens.MembersWrite}
)
