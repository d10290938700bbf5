package access

import (
	"database/sql"
	"strings"

	"github.com/ssogate/ssogate/internal/api"
	"github.com/ssogate/ssogate/internal/audit"
	"github.com/ssogate/ssogate/internal/changes"
	"github.com/ssogate/ssogate/internal/store"
)

// RevokeInput is the body of POST /access/organizations/revoke_user.
type RevokeInput struct {
	Email *string `json:"email"`
}

// handleRevokeUser ends every Access session of one user in the account:
// the tokens they hold stop working on their next request, on every
// instance within a second (the session caches hear the change feed). The
// answer is true when a session was ended.
func (s *Service) handleRevokeUser(r *api.Request) (any, error) {
	var in RevokeInput
	if err := r.Decode(&in, false); err != nil {
		return nil, err
	}
	if in.Email == nil || !strings.Contains(*in.Email, "@") {
		return nil, api.Invalid("/email", "email is required: the address whose sessions to end")
	}
	email := strings.ToLower(strings.TrimSpace(*in.Email))
	var n int64
	err := s.db.Tx(r.Context(), func(tx *sql.Tx) error {
		res, err := tx.ExecContext(r.Context(), `UPDATE access_sessions SET revoked_on=$3
			WHERE account_id=$1 AND email=$2 AND revoked_on IS NULL`, r.AccountID, email, store.Micros(s.now()))
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		// Caches of live sessions drop the account's: the user's next
		// request rereads a revoked row, on every instance.
		if err := s.feed.Publish(r.Context(), tx, changes.Event{Kind: changes.Sessions, AccountID: r.AccountID}); err != nil {
			return err
		}
		return audit.Record(r.Context(), tx, audit.Event{AccountID: r.AccountID, Action: "access_revoke_user",
			Result: true, ResourceID: email, ResourceType: "access_user", Metadata: map[string]any{"sessions": n}})
	})
	if err != nil {
		return nil, err
	}
	return n > 0, nil
}
