package dashboard

import (
	"database/sql"
	"net/http"
	"strings"

	"github.com/ssogate/ssogate/internal/accounts"
	"github.com/ssogate/ssogate/internal/api"
)

func (d *Dashboard) handleMembers(rq *req) error {
	ms, _, err := accounts.ListMembers(rq.ctx(), d.db, rq.account.ID, accounts.MemberFilter{Order: "user.email", Limit: 1000})
	if err != nil {
		return err
	}
	return d.render(rq, http.StatusOK, "members", "Members", struct {
		Members []accounts.Member
		Roles   []accounts.Role
		Self    string
	}{ms, accounts.Roles(), rq.sess.UserID})
}

// roleFromForm maps the role select's value (a role id) to the role name.
func roleFromForm(v string) (string, error) {
	r, ok := accounts.RoleByID(v)
	if !ok {
		return "", api.Invalid("/role", "Choose a role: Super Administrator, Administrator or Read only.")
	}
	return r.Name, nil
}

// handleAddMember adds a member. The optional password is set only when
// the address is new to ssogate: an admin of one account must not reset
// the password of a user who already belongs to another.
func (d *Dashboard) handleAddMember(rq *req) error {
	if err := rq.need(capManageMembers); err != nil {
		return err
	}
	role, err := roleFromForm(rq.PostFormValue("role"))
	if err != nil {
		return err
	}
	hash := ""
	if pw := rq.PostFormValue("password"); pw != "" {
		if len(pw) < 12 {
			return api.Invalid("/password", "A password needs at least 12 characters.")
		}
		hash = accounts.HashPassword(pw)
	}
	err = d.db.Tx(rq.ctx(), func(tx *sql.Tx) error {
		_, err := accounts.AddMember(rq.ctx(), tx, rq.account.ID, strings.TrimSpace(rq.PostFormValue("email")), hash, role, d.now())
		return err
	})
	if err != nil {
		return err
	}
	return redirect(rq, "/"+rq.account.ID+"/members?done=member_added")
}

func (d *Dashboard) handleMemberRole(rq *req) error {
	if err := rq.need(capManageMembers); err != nil {
		return err
	}
	role, err := roleFromForm(rq.PostFormValue("role"))
	if err != nil {
		return err
	}
	err = d.db.Tx(rq.ctx(), func(tx *sql.Tx) error {
		_, err := accounts.SetMemberRole(rq.ctx(), tx, rq.account.ID, rq.PathValue("id"), role)
		return err
	})
	if err != nil {
		return err
	}
	return redirect(rq, "/"+rq.account.ID+"/members?done=member_updated")
}

func (d *Dashboard) handleRemoveMember(rq *req) error {
	if err := rq.need(capManageMembers); err != nil {
		return err
	}
	err := d.db.Tx(rq.ctx(), func(tx *sql.Tx) error {
		return accounts.RemoveMember(rq.ctx(), tx, rq.account.ID, rq.PathValue("id"))
	})
	if err != nil {
		return err
	}
	return redirect(rq, "/"+rq.account.ID+"/members?done=member_removed")
}
