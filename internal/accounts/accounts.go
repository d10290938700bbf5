package accounts

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
	"unicode"

	"github.com/ssogate/ssogate/internal/api"
	"github.com/ssogate/ssogate/internal/audit"
	"github.com/ssogate/ssogate/internal/ids"
	"github.com/ssogate/ssogate/internal/store"
)

// Account is a tenant.
type Account struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Type      string    `json:"type"`
	CreatedOn time.Time `json:"created_on"`
	Settings  Settings  `json:"settings"`
}

// Settings mirrors Cloudflare's account settings block.
type Settings struct {
	AbuseContactEmail string `json:"abuse_contact_email"`
	EnforceTwofactor  bool   `json:"enforce_twofactor"`
}

// Roles of members. Names follow Cloudflare's.
const (
	RoleSuperAdmin = "Super Administrator - All Privileges"
	RoleAdmin      = "Administrator"
	RoleReadOnly   = "Administrator Read Only"
)

// CheckName validates an account name.
func CheckName(name string) (string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", api.Invalid("/name", "an account needs a name")
	case len(name) > 100:
		return "", api.Invalid("/name", "an account name is at most 100 bytes")
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return "", api.Invalid("/name", "an account name must not contain control characters")
	}
	return name, nil
}

// Create inserts a new account with q (inside the caller's transaction).
func Create(ctx context.Context, q store.Querier, name string, now time.Time) (Account, error) {
	name, err := CheckName(name)
	if err != nil {
		return Account{}, err
	}
	a := Account{ID: ids.NewHex32(), Name: name, Type: "standard", CreatedOn: now.UTC().Truncate(time.Microsecond)}
	if _, err := q.ExecContext(ctx, `INSERT INTO accounts (id, name, type, created_on) VALUES ($1,$2,$3,$4)`,
		a.ID, a.Name, a.Type, store.Micros(a.CreatedOn)); err != nil {
		return Account{}, store.Translate(err)
	}
	return a, audit.Record(ctx, q, audit.Event{AccountID: a.ID, Action: "account_create", Result: true,
		ResourceID: a.ID, ResourceType: "account", NewValue: a})
}

// Get returns one account.
func Get(ctx context.Context, q store.Querier, id string) (Account, error) {
	var a Account
	var created int64
	err := q.QueryRowContext(ctx, `SELECT id, name, type, created_on FROM accounts WHERE id=$1`, id).
		Scan(&a.ID, &a.Name, &a.Type, &created)
	a.CreatedOn = store.FromMicros(created)
	return a, store.Translate(err)
}

// Service serves the accounts API.
type Service struct {
	db *store.DB
}

// NewService returns the accounts API service.
func NewService(db *store.DB) *Service { return &Service{db: db} }

// CreateAccount creates an account in its own transaction (admin command).
func (s *Service) CreateAccount(ctx context.Context, name string) (Account, error) {
	var a Account
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		a, err = Create(ctx, tx, name, time.Now())
		return err
	})
	return a, err
}

// Mount registers the account routes.
func (s *Service) Mount(rt *api.Router) {
	perms := []string{"Account Settings Read"}
	rt.Handle(api.Route{Method: "GET", Path: "/accounts", Permissions: perms, Handle: s.handleList})
	rt.Handle(api.Route{Method: "GET", Path: "/accounts/{account_id}", Permissions: perms, Handle: s.handleGet})

	members := "/accounts/{account_id}/members"
	rt.Handle(api.Route{Method: "GET", Path: members, Permissions: membersRead, Handle: s.handleMemberList})
	rt.Handle(api.Route{Method: "POST", Path: members, Permissions: membersWrite, Handle: s.handleMemberCreate})
	rt.Handle(api.Route{Method: "GET", Path: members + "/{member_id}", Permissions: membersRead, Handle: s.handleMemberGet})
	rt.Handle(api.Route{Method: "PUT", Path: members + "/{member_id}", Permissions: membersWrite, Handle: s.handleMemberUpdate})
	rt.Handle(api.Route{Method: "DELETE", Path: members + "/{member_id}", Permissions: membersWrite, Handle: s.handleMemberDelete})
	rt.Handle(api.Route{Method: "GET", Path: "/accounts/{account_id}/roles", Permissions: membersRead, Handle: handleRoleList})
	rt.Handle(api.Route{Method: "GET", Path: "/accounts/{account_id}/roles/{role_id}", Permissions: membersRead, Handle: handleRoleGet})
	rt.Handle(api.Route{Method: "GET", Path: "/accounts/{account_id}/audit_logs", Permissions: perms, Handle: s.handleAuditLogs})
}

// handleList answers with the token's own account. Unlike Cloudflare (which
// ignores page for account-owned tokens and so makes the SDK's auto-pager
// loop forever), page 2 and beyond are empty.
func (s *Service) handleList(r *api.Request) (any, error) {
	page, err := r.Paging(20, 1, 50)
	if err != nil {
		return nil, err
	}
	if d := r.URL.Query().Get("direction"); d != "" && d != "asc" && d != "desc" {
		return nil, api.Invalid("", "direction must be \"asc\" or \"desc\", not %q", d)
	}
	a, err := Get(r.Context(), s.db, r.Principal.AccountID)
	if err != nil {
		return nil, err
	}
	name := strings.ToLower(r.URL.Query().Get("name"))
	total, items := 0, []Account{}
	if name == "" || strings.Contains(strings.ToLower(a.Name), name) {
		total = 1
		if page.Offset() == 0 {
			items = append(items, a)
		}
	}
	return api.List(items, page, total), nil
}

func (s *Service) handleGet(r *api.Request) (any, error) {
	a, err := Get(r.Context(), s.db, r.AccountID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, api.NotFound("account %s was not found", r.AccountID)
	}
	return a, err
}
