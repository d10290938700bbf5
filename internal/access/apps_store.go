package access

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/ssogate/ssogate/internal/api"
	"github.com/ssogate/ssogate/internal/audit"
	"github.com/ssogate/ssogate/internal/ids"
	"github.com/ssogate/ssogate/internal/store"
)

const appColumns = `id, account_id, aud, name, type, domain, config, created_on, updated_on`

func scanApp(row interface{ Scan(...any) error }) (App, error) {
	var a App
	var config string
	var created, updated int64
	var revoked store.NullTime
	if err := row.Scan(&a.ID, &a.AccountID, &a.AUD, &a.Name, &a.Type, &a.Domain, &config, &created, &updated, &revoked); err != nil {
		return a, err
	}
	a.TokensRevokedOn = revoked.T
	a.CreatedAt, a.UpdatedAt = store.FromMicros(created), store.FromMicros(updated)
	return a, json.Unmarshal([]byte(config), &a.AppSettings)
}

func (s *Service) getApp(ctx context.Context, q store.Querier, accountID, id string) (App, error) {
	a, err := scanApp(q.QueryRowContext(ctx, `SELECT `+appColumns+`, tokens_revoked_on FROM access_apps WHERE account_id=$1 AND id=$2`, accountID, id))
	if errors.Is(store.Translate(err), store.ErrNotFound) {
		return a, api.NotFound("Access application %s was not found in this account", id)
	}
	if err != nil {
		return a, err
	}
	a.Policies, err = s.AppPolicies(ctx, q, accountID, id)
	return a, err
}

// GetApp returns one application with its policies.
func (s *Service) GetApp(ctx context.Context, accountID, id string) (App, error) {
	return s.getApp(ctx, s.db, accountID, id)
}

// AppOfType returns the account's application of a singleton type
// (app_launcher, dash_sso) with its policies, or nil when there is none.
// The team-domain pages ask on every request, so it is one indexed query
// rather than a scan of every application.
func (s *Service) AppOfType(ctx context.Context, q store.Querier, accountID, typ string) (*App, error) {
	a, err := scanApp(q.QueryRowContext(ctx, `SELECT `+appColumns+`, tokens_revoked_on FROM access_apps WHERE account_id=$1 AND type=$2
		ORDER BY created_on LIMIT 1`, accountID, typ))
	if errors.Is(store.Translate(err), store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if a.Policies, err = s.AppPolicies(ctx, q, accountID, a.ID); err != nil {
		return nil, err
	}
	return &a, nil
}

// AppFilter narrows ListApps (Cloudflare's name, domain, aud filters).
type AppFilter struct{ Name, Domain, AUD string }

// ListApps returns the account's applications with their policies.
func (s *Service) ListApps(ctx context.Context, accountID string, f AppFilter) ([]App, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+appColumns+`, tokens_revoked_on FROM access_apps WHERE account_id=$1
		ORDER BY created_on, id`, accountID)
	if err != nil {
		return nil, err
	}
	var out []App
	for rows.Next() {
		a, err := scanApp(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		if (f.Name == "" || strings.EqualFold(a.Name, f.Name)) && (f.Domain == "" || a.Domain == f.Domain) &&
			(f.AUD == "" || a.AUD == f.AUD) {
			out = append(out, a)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Policies, err = s.AppPolicies(ctx, s.db, accountID, out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// AppByAUD finds an application by its audience tag, in any account.
func (s *Service) AppByAUD(ctx context.Context, aud string) (App, error) {
	var accountID, id string
	if err := s.db.QueryRowContext(ctx, `SELECT account_id, id FROM access_apps WHERE aud=$1`, aud).Scan(&accountID, &id); err != nil {
		return App{}, store.Translate(err)
	}
	return s.getApp(ctx, s.db, accountID, id)
}

// AppForHost finds the self-hosted application that protects a request
// for host and path, in any account: the one whose domain is the host, or
// the host and the longest path prefix. An empty path matches any path
// (the gateway's own /cdn-cgi/access/ endpoints). nil when no application
// does.
func (s *Service) AppForHost(ctx context.Context, host, path string) (*App, error) {
	// domain = host, or host/… (a range scan on the unique index: '0'
	// follows '/').
	rows, err := s.db.QueryContext(ctx, `SELECT account_id, id, domain FROM access_apps WHERE type='self_hosted'
		AND (domain = $1 OR (domain > $2 AND domain < $3))`, host, host+"/", host+"0")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var best struct{ account, id, domain string }
	for rows.Next() {
		var account, id, domain string
		if err := rows.Scan(&account, &id, &domain); err != nil {
			return nil, err
		}
		_, prefix, _ := strings.Cut(domain, "/")
		if prefix != "" && path != "" && path != "/"+prefix && !strings.HasPrefix(path, "/"+prefix+"/") {
			continue
		}
		if len(domain) > len(best.domain) {
			best.account, best.id, best.domain = account, id, domain
		}
	}
	if err := rows.Err(); err != nil || best.id == "" {
		return nil, err
	}
	a, err := s.getApp(ctx, s.db, best.account, best.id)
	return &a, err
}

// AppURL is the base URL of an application host, with the deployment's
// scheme and port.
func (s *Service) AppURL(host string) string {
	return s.cfg.Scheme + "://" + host + s.cfg.PortSuffix
}

// RevokeTokens makes every application token issued for the app until now
// invalid (POST …/apps/{id}/revoke_tokens); users sign in again, or get a
// new token from their team session on their next visit.
func (s *Service) RevokeTokens(ctx context.Context, accountID, id string) error {
	return s.tx(ctx, accountID, func(tx *sql.Tx) error {
		if _, err := s.getApp(ctx, tx, accountID, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE access_apps SET tokens_revoked_on=$3 WHERE account_id=$1 AND id=$2`,
			accountID, id, store.Micros(s.now())); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{AccountID: accountID, Action: "access_app_revoke_tokens", Result: true,
			ResourceID: id, ResourceType: "access_app"})
	})
}

// CreateApp creates an application.
func (s *Service) CreateApp(ctx context.Context, accountID string, in AppInput) (App, error) {
	now := s.now()
	a := App{ID: ids.NewUUID(), AUD: newAUD(), AccountID: accountID, CreatedAt: now, UpdatedAt: now,
		AppSettings: AppSettings{SessionDuration: "24h"}}
	if in.Type != nil && (*in.Type == TypeBookmark || *in.Type == TypeSelfHosted) && in.AppLauncherVisible == nil {
		// Cloudflare's default, which the Terraform provider plans for
		// these types when the field is not set.
		a.AppLauncherVisible = true
	}
	if err := s.applyApp(&a, in, true); err != nil {
		return a, err
	}
	err := s.tx(ctx, accountID, func(tx *sql.Tx) error {
		if err := s.checkAppRefs(ctx, tx, &a); err != nil {
			return err
		}
		config, _ := json.Marshal(a.AppSettings)
		_, err := tx.ExecContext(ctx, `INSERT INTO access_apps (`+appColumns+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`,
			a.ID, accountID, a.AUD, a.Name, a.Type, a.Domain, string(config), store.Micros(now), store.Micros(now))
		if err := appConflict(store.Translate(err), a); err != nil {
			return err
		}
		if err := s.setPolicies(ctx, tx, accountID, a.ID, in.Policies); err != nil {
			return err
		}
		if a.Policies, err = s.AppPolicies(ctx, tx, accountID, a.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{AccountID: accountID, Action: "access_app_create", Result: true,
			ResourceID: a.ID, ResourceType: "access_app", NewValue: a})
	})
	return a, err
}

func appConflict(err error, a App) error {
	if err != nil && errors.Is(err, store.ErrConflict) {
		return api.Errorf(400, api.CodeConflict, "another application already protects %s", a.Domain)
	}
	return err
}

// checkAppRefs checks what needs the database: allowed IdPs belong to the
// account, app_launcher and dash_sso are one per account and live on the
// team domain.
func (s *Service) checkAppRefs(ctx context.Context, q store.Querier, a *App) error {
	for i, id := range a.AllowedIdPs {
		var n int
		if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM access_identity_providers WHERE account_id=$1 AND id=$2`,
			a.AccountID, id).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return api.Invalid("/allowed_idps/"+strconv.Itoa(i), "allowed_idps: %q is not an identity provider of this account", id)
		}
	}
	if a.Type != TypeAppLauncher && a.Type != TypeDashSSO {
		return nil
	}
	org, err := s.GetOrganization(ctx, q, a.AccountID)
	if errors.Is(err, store.ErrNotFound) {
		return api.Invalid("/type", "create the Access organization (team domain) before a %s application", a.Type)
	}
	if err != nil {
		return err
	}
	a.Domain = org.AuthDomain
	var n int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM access_apps WHERE account_id=$1 AND type=$2 AND id<>$3`,
		a.AccountID, a.Type, a.ID).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return api.Invalid("/type", "an account has one %s application; update the existing one", a.Type)
	}
	return nil
}

// UpdateApp merges in into an application.
func (s *Service) UpdateApp(ctx context.Context, accountID, id string, in AppInput) (App, error) {
	var a App
	err := s.tx(ctx, accountID, func(tx *sql.Tx) error {
		var err error
		if a, err = s.getApp(ctx, tx, accountID, id); err != nil {
			return err
		}
		old := a
		if err := s.applyApp(&a, in, false); err != nil {
			return err
		}
		if err := s.checkAppRefs(ctx, tx, &a); err != nil {
			return err
		}
		a.UpdatedAt = s.now()
		config, _ := json.Marshal(a.AppSettings)
		_, err = tx.ExecContext(ctx, `UPDATE access_apps SET name=$3, domain=$4, config=$5, updated_on=$6
			WHERE account_id=$1 AND id=$2`, accountID, id, a.Name, a.Domain, string(config), store.Micros(a.UpdatedAt))
		if err := appConflict(store.Translate(err), a); err != nil {
			return err
		}
		if err := s.setPolicies(ctx, tx, accountID, id, in.Policies); err != nil {
			return err
		}
		if a.Policies, err = s.AppPolicies(ctx, tx, accountID, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{AccountID: accountID, Action: "access_app_update", Result: true,
			ResourceID: id, ResourceType: "access_app", OldValue: old, NewValue: a})
	})
	return a, err
}

// DeleteApp deletes an application and its app-scoped policies.
func (s *Service) DeleteApp(ctx context.Context, accountID, id string) error {
	return s.tx(ctx, accountID, func(tx *sql.Tx) error {
		a, err := s.getApp(ctx, tx, accountID, id)
		if err != nil {
			return err
		}
		if err := s.dashAppLocked(ctx, tx, a); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM access_apps WHERE account_id=$1 AND id=$2`, accountID, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{AccountID: accountID, Action: "access_app_delete", Result: true,
			ResourceID: id, ResourceType: "access_app", OldValue: a})
	})
}
