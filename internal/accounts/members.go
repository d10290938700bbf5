package accounts

import (
	"context"
	"net/mail"
	"strings"
	"time"

	"github.com/ssogate/ssogate/internal/api"
	"github.com/ssogate/ssogate/internal/audit"
	"github.com/ssogate/ssogate/internal/ids"
	"github.com/ssogate/ssogate/internal/store"
)

// Member is a user's membership of an account.
type Member struct {
	ID        string
	AccountID string
	UserID    string
	Email     string
	Role      string
	Status    string
	CreatedOn time.Time
}

// NormalizeEmail checks an address and lower-cases it (the domain part is
// case-insensitive by definition; treating the local part the same is what
// every IdP we federate with does).
func NormalizeEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" || !strings.Contains(s, "@") || len(s) > 254 {
		return "", api.Invalid("/email", "%q is not an email address such as alice@example.com", s)
	}
	return strings.ToLower(s), nil
}

// AddMember creates the user when needed (with passwordHash, which may be
// empty for SSO-only users) and makes them a member of the account.
func AddMember(ctx context.Context, q store.Querier, accountID, email, passwordHash, role string, now time.Time) (Member, error) {
	email, err := NormalizeEmail(email)
	if err != nil {
		return Member{}, err
	}
	userID, err := ensureUser(ctx, q, email, passwordHash, now)
	if err != nil {
		return Member{}, err
	}
	m := Member{ID: ids.NewHex32(), AccountID: accountID, UserID: userID, Email: email, Role: role,
		Status: "accepted", CreatedOn: now.UTC().Truncate(time.Microsecond)}
	_, err = q.ExecContext(ctx, `INSERT INTO members (id, account_id, user_id, role, status, created_on)
		VALUES ($1,$2,$3,$4,$5,$6)`, m.ID, m.AccountID, m.UserID, m.Role, m.Status, store.Micros(m.CreatedOn))
	if err != nil {
		return Member{}, store.Translate(err)
	}
	return m, audit.Record(ctx, q, audit.Event{AccountID: accountID, Action: "member_add", Result: true,
		ResourceID: m.ID, ResourceType: "member", NewValue: map[string]string{"email": email, "role": role}})
}

func ensureUser(ctx context.Context, q store.Querier, email, passwordHash string, now time.Time) (string, error) {
	var id string
	err := q.QueryRowContext(ctx, `SELECT id FROM users WHERE email=$1`, email).Scan(&id)
	if err == nil {
		return id, nil
	}
	if err = store.Translate(err); err != store.ErrNotFound {
		return "", err
	}
	id = ids.NewHex32()
	_, err = q.ExecContext(ctx, `INSERT INTO users (id, email, password_hash, created_on) VALUES ($1,$2,$3,$4)`,
		id, email, passwordHash, store.Micros(now))
	return id, store.Translate(err)
}
