package accounts

import (
	"context"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/ssogate/ssogate/internal/api"
	"github.com/ssogate/ssogate/internal/audit"
	"github.com/ssogate/ssogate/internal/ids"
	"github.com/ssogate/ssogate/internal/store"
)

// Member is a user's membership of an account.
type Member struct {
	ID          string
	AccountID   string
	AccountName string
	UserID      string
	Email       string
	Role        string // a role name: RoleSuperAdmin, RoleAdmin or RoleReadOnly
	Status      string // "accepted", or "pending" until the user first signs in
	CreatedOn   time.Time
}

// Member statuses. Cloudflare's list filter also knows "rejected"; ssogate
// never stores it (a refused invitation is simply removed).
const (
	StatusAccepted = "accepted"
	StatusPending  = "pending"
)

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

// CheckRole refuses anything but the three role names.
func CheckRole(role string) error {
	if _, ok := RoleByName(role); !ok {
		return api.Invalid("/roles", "%q is not a role; the roles are %q, %q and %q",
			role, RoleSuperAdmin, RoleAdmin, RoleReadOnly)
	}
	return nil
}

// AddMember creates the user when needed (with passwordHash, which may be
// empty for SSO-only users) and makes them an accepted member of the
// account.
func AddMember(ctx context.Context, q store.Querier, accountID, email, passwordHash, role string, now time.Time) (Member, error) {
	return addMember(ctx, q, accountID, email, passwordHash, role, StatusAccepted, now)
}

// Invite makes email a pending member of the account, creating the user
// without a password when needed. The invitation is accepted by signing in
// (AcceptPending).
func Invite(ctx context.Context, q store.Querier, accountID, email, role string, now time.Time) (Member, error) {
	return addMember(ctx, q, accountID, email, "", role, StatusPending, now)
}

func addMember(ctx context.Context, q store.Querier, accountID, email, passwordHash, role, status string, now time.Time) (Member, error) {
	email, err := NormalizeEmail(email)
	if err != nil {
		return Member{}, err
	}
	if err := CheckRole(role); err != nil {
		return Member{}, err
	}
	userID, err := ensureUser(ctx, q, email, passwordHash, now)
	if err != nil {
		return Member{}, err
	}
	duplicate := api.Invalid("/email", "%s is already a member of this account", email)
	var n int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM members WHERE account_id=$1 AND user_id=$2`,
		accountID, userID).Scan(&n); err != nil {
		return Member{}, err
	}
	if n > 0 {
		return Member{}, duplicate
	}
	m := Member{ID: ids.NewHex32(), AccountID: accountID, UserID: userID, Email: email, Role: role,
		Status: status, CreatedOn: now.UTC().Truncate(time.Microsecond)}
	_, err = q.ExecContext(ctx, `INSERT INTO members (id, account_id, user_id, role, status, created_on)
		VALUES ($1,$2,$3,$4,$5,$6)`, m.ID, m.AccountID, m.UserID, m.Role, m.Status, store.Micros(m.CreatedOn))
	if store.IsUniqueViolation(err) { // a concurrent add won the (account_id, user_id) constraint
		return Member{}, duplicate
	}
	if err != nil {
		return Member{}, store.Translate(err)
	}
	return m, audit.Record(ctx, q, audit.Event{AccountID: accountID, Action: "member_add", Result: true,
		ResourceID: m.ID, ResourceType: "member",
		NewValue: map[string]string{"email": email, "role": role, "status": status}})
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

// MemberFilter narrows ListMembers. Zero fields do not filter.
type MemberFilter struct {
	Status string // "accepted", "pending" or "rejected" (never stored, so nothing matches)
	// Order is "user.email" or "status"; Cloudflare's "user.first_name" and
	// "user.last_name" are accepted and order by email (ssogate keeps no
	// names). Empty means the order members were added in.
	Order  string
	Desc   bool
	Offset int
	Limit  int // <= 0: every member
}

const memberColumns = `m.id, m.account_id, a.name, m.user_id, u.email, m.role, m.status, m.created_on
	FROM members m JOIN users u ON u.id = m.user_id JOIN accounts a ON a.id = m.account_id`

var memberOrders = map[string]string{
	"":                "m.created_on",
	"user.email":      "u.email",
	"user.first_name": "u.email",
	"user.last_name":  "u.email",
	"status":          "m.status",
}

// ListMembers returns one page of an account's members and how many match f.
func ListMembers(ctx context.Context, q store.Querier, accountID string, f MemberFilter) ([]Member, int, error) {
	col, ok := memberOrders[f.Order]
	if !ok {
		return nil, 0, api.Invalid("", "order must be user.email, user.first_name, user.last_name or status, not %q", f.Order)
	}
	where, args := "m.account_id = $1", []any{accountID}
	switch f.Status {
	case "":
	case StatusAccepted, StatusPending, "rejected":
		where += " AND m.status = $2"
		args = append(args, f.Status)
	default:
		return nil, 0, api.Invalid("", "status must be accepted, pending or rejected, not %q", f.Status)
	}
	var total int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM members m WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	dir := " ASC"
	if f.Desc {
		dir = " DESC"
	}
	query := `SELECT ` + memberColumns + ` WHERE ` + where + ` ORDER BY ` + col + dir + `, u.email` + dir + `, m.id` + dir
	if f.Limit > 0 {
		args = append(args, f.Limit, max(f.Offset, 0))
		query += ` LIMIT $` + strconv.Itoa(len(args)-1) + ` OFFSET $` + strconv.Itoa(len(args))
	}
	out, err := queryMembers(ctx, q, query, args...)
	return out, total, err
}

func queryMembers(ctx context.Context, q store.Querier, query string, args ...any) ([]Member, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Member
	for rows.Next() {
		m, err := scanMember(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

func scanMember(row interface{ Scan(...any) error }) (Member, error) {
	var m Member
	var created int64
	err := row.Scan(&m.ID, &m.AccountID, &m.AccountName, &m.UserID, &m.Email, &m.Role, &m.Status, &created)
	m.CreatedOn = store.FromMicros(created)
	return m, store.Translate(err)
}

// GetMember returns one member of the account, or store.ErrNotFound.
func GetMember(ctx context.Context, q store.Querier, accountID, memberID string) (Member, error) {
	return scanMember(q.QueryRowContext(ctx, `SELECT `+memberColumns+` WHERE m.account_id = $1 AND m.id = $2`,
		accountID, memberID))
}

// MembersByEmail returns every membership of the user with that address,
// in every account, oldest account first (none when there is no such user).
func MembersByEmail(ctx context.Context, q store.Querier, email string) ([]Member, error) {
	return queryMembers(ctx, q, `SELECT `+memberColumns+` WHERE u.email = $1 ORDER BY a.created_on, a.id`,
		strings.ToLower(strings.TrimSpace(email)))
}

// SetMemberRole changes a member's role. Demoting the account's last
// accepted Super Administrator is refused: nobody could manage members any
// more. Run it in a transaction for that rule to hold under concurrency.
func SetMemberRole(ctx context.Context, q store.Querier, accountID, memberID, role string) (Member, error) {
	if err := CheckRole(role); err != nil {
		return Member{}, err
	}
	m, err := lockedMember(ctx, q, accountID, memberID)
	if err != nil || m.Role == role {
		return m, err
	}
	if err := keepSuperAdmin(ctx, q, m, "change the role of"); err != nil {
		return Member{}, err
	}
	if err := store.Affected(q.ExecContext(ctx, `UPDATE members SET role=$1 WHERE account_id=$2 AND id=$3`,
		role, accountID, memberID)); err != nil {
		return Member{}, err
	}
	old := m.Role
	m.Role = role
	return m, audit.Record(ctx, q, audit.Event{AccountID: accountID, Action: "member_update", Result: true,
		ResourceID: m.ID, ResourceType: "member",
		OldValue: map[string]string{"email": m.Email, "role": old},
		NewValue: map[string]string{"email": m.Email, "role": role}})
}

// RemoveMember removes a member from the account (the user stays, with
// their other memberships). Removing the last accepted Super Administrator
// is refused.
func RemoveMember(ctx context.Context, q store.Querier, accountID, memberID string) error {
	m, err := lockedMember(ctx, q, accountID, memberID)
	if err != nil {
		return err
	}
	if err := keepSuperAdmin(ctx, q, m, "remove"); err != nil {
		return err
	}
	if err := store.Affected(q.ExecContext(ctx, `DELETE FROM members WHERE account_id=$1 AND id=$2`,
		accountID, memberID)); err != nil {
		return err
	}
	return audit.Record(ctx, q, audit.Event{AccountID: accountID, Action: "member_remove", Result: true,
		ResourceID: m.ID, ResourceType: "member",
		OldValue: map[string]string{"email": m.Email, "role": m.Role, "status": m.Status}})
}

// lockedMember reads a member after locking its account's row, so that two
// transactions demoting or removing the last two Super Administrators at
// once are serialised and the second sees the first's change. A no-op
// UPDATE is the row lock both engines understand (SQLite has no FOR UPDATE,
// and its IMMEDIATE transactions serialise writers anyway).
func lockedMember(ctx context.Context, q store.Querier, accountID, memberID string) (Member, error) {
	if _, err := q.ExecContext(ctx, `UPDATE accounts SET name = name WHERE id = $1`, accountID); err != nil {
		return Member{}, err
	}
	return GetMember(ctx, q, accountID, memberID)
}

// keepSuperAdmin refuses a change that would leave the account without an
// accepted Super Administrator.
func keepSuperAdmin(ctx context.Context, q store.Querier, m Member, doing string) error {
	if m.Role != RoleSuperAdmin || m.Status != StatusAccepted {
		return nil
	}
	var n int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM members WHERE account_id=$1 AND role=$2 AND status=$3`,
		m.AccountID, RoleSuperAdmin, StatusAccepted).Scan(&n); err != nil {
		return err
	}
	if n <= 1 {
		return api.Invalid("", "cannot %s %s: they are the last Super Administrator of this account; "+
			"make another member Super Administrator first", doing, m.Email)
	}
	return nil
}

// User is a person who can sign in to the dashboard.
type User struct {
	ID           string
	Email        string
	PasswordHash string // PHC argon2id, or empty for users who sign in only through SSO
	CreatedOn    time.Time
}

// UserByEmail returns the user with that address, or store.ErrNotFound.
func UserByEmail(ctx context.Context, q store.Querier, email string) (User, error) {
	var u User
	var created int64
	err := q.QueryRowContext(ctx, `SELECT id, email, password_hash, created_on FROM users WHERE email = $1`,
		strings.ToLower(strings.TrimSpace(email))).Scan(&u.ID, &u.Email, &u.PasswordHash, &created)
	u.CreatedOn = store.FromMicros(created)
	return u, store.Translate(err)
}

// SetPassword stores a new password hash for the user (store.ErrNotFound
// when there is none). The change is audited in each of the user's
// accounts, without the hash.
func SetPassword(ctx context.Context, q store.Querier, userID, passwordHash string) error {
	if err := store.Affected(q.ExecContext(ctx, `UPDATE users SET password_hash=$1 WHERE id=$2`,
		passwordHash, userID)); err != nil {
		return err
	}
	ms, err := userMembers(ctx, q, userID, "")
	if err != nil {
		return err
	}
	return recordEach(ctx, q, ms, func(m Member) audit.Event {
		return audit.Event{Action: "user_password_set", Result: true, ResourceID: userID, ResourceType: "user",
			Metadata: map[string]any{"email": m.Email}}
	})
}

// AcceptPending accepts every pending invitation of the user: an
// invitation is accepted by signing in.
func AcceptPending(ctx context.Context, q store.Querier, userID string) error {
	ms, err := userMembers(ctx, q, userID, StatusPending)
	if err != nil || len(ms) == 0 {
		return err
	}
	if _, err := q.ExecContext(ctx, `UPDATE members SET status=$1 WHERE user_id=$2 AND status=$3`,
		StatusAccepted, userID, StatusPending); err != nil {
		return err
	}
	return recordEach(ctx, q, ms, func(m Member) audit.Event {
		return audit.Event{Action: "member_accept", Result: true, ResourceID: m.ID, ResourceType: "member",
			OldValue: map[string]string{"email": m.Email, "status": StatusPending},
			NewValue: map[string]string{"email": m.Email, "status": StatusAccepted}}
	})
}

// userMembers lists a user's memberships, those with status only when it
// is set.
func userMembers(ctx context.Context, q store.Querier, userID, status string) ([]Member, error) {
	where, args := "m.user_id = $1", []any{userID}
	if status != "" {
		where, args = where+" AND m.status = $2", append(args, status)
	}
	return queryMembers(ctx, q, `SELECT `+memberColumns+` WHERE `+where+` ORDER BY a.created_on, a.id`, args...)
}

// recordEach records one event per membership, in that membership's account.
func recordEach(ctx context.Context, q store.Querier, ms []Member, event func(Member) audit.Event) error {
	for _, m := range ms {
		ev := event(m)
		ev.AccountID = m.AccountID
		if err := audit.Record(ctx, q, ev); err != nil {
			return err
		}
	}
	return nil
}
