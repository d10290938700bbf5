package access

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/ssogate/ssogate/internal/api"
	"github.com/ssogate/ssogate/internal/audit"
	"github.com/ssogate/ssogate/internal/ids"
	"github.com/ssogate/ssogate/internal/store"
)

const idpColumns = `id, account_id, name, type, config, secret, created_on, updated_on`

type idpRow struct {
	IdentityProvider
	sealed string
}

func scanIdP(row interface{ Scan(...any) error }) (idpRow, error) {
	var r idpRow
	var config string
	var created, updated int64
	if err := row.Scan(&r.ID, &r.AccountID, &r.Name, &r.Type, &config, &r.sealed, &created, &updated); err != nil {
		return r, err
	}
	r.CreatedAt, r.UpdatedAt = store.FromMicros(created), store.FromMicros(updated)
	return r, json.Unmarshal([]byte(config), &r.Config)
}

func (s *Service) getIdP(ctx context.Context, q store.Querier, accountID, id string) (idpRow, error) {
	r, err := scanIdP(q.QueryRowContext(ctx, `SELECT `+idpColumns+` FROM access_identity_providers
		WHERE account_id=$1 AND id=$2`, accountID, id))
	if errors.Is(store.Translate(err), store.ErrNotFound) {
		return r, api.NotFound("identity provider %s was not found in this account", id)
	}
	return r, err
}

// view is what responses carry: never the secret, which is write-only.
func (r idpRow) view() IdentityProvider { return r.IdentityProvider }

// ListIdPs returns the account's identity providers, oldest first.
func (s *Service) ListIdPs(ctx context.Context, accountID string) ([]IdentityProvider, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+idpColumns+` FROM access_identity_providers
		WHERE account_id=$1 ORDER BY created_on, id`, accountID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []IdentityProvider
	for rows.Next() {
		r, err := scanIdP(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r.view())
	}
	return out, rows.Err()
}

// GetIdP returns one identity provider, without its secret.
func (s *Service) GetIdP(ctx context.Context, accountID, id string) (IdentityProvider, error) {
	r, err := s.getIdP(ctx, s.db, accountID, id)
	return r.view(), err
}

// IdPSecret returns an identity provider with its defaults applied
// (Effective) and its client secret opened, for the login flow only.
func (s *Service) IdPSecret(ctx context.Context, accountID, id string) (IdentityProvider, string, error) {
	r, err := s.getIdP(ctx, s.db, accountID, id)
	if err != nil {
		return IdentityProvider{}, "", err
	}
	r.IdentityProvider = r.Effective()
	if r.sealed == "" {
		return r.IdentityProvider, "", nil // SAML: no secret
	}
	secret, err := s.box.Open(r.sealed, sealAAD(r.ID))
	if err != nil {
		return IdentityProvider{}, "", fmt.Errorf("open the client secret of identity provider %s: %w", id, err)
	}
	return r.IdentityProvider, string(secret), nil
}

// CreateIdP adds an identity provider.
func (s *Service) CreateIdP(ctx context.Context, accountID string, in IdPInput) (IdentityProvider, error) {
	now := s.now()
	p := IdentityProvider{ID: ids.NewUUID(), AccountID: accountID, CreatedAt: now, UpdatedAt: now}
	secret, err := s.applyIdP(ctx, &p, in, true)
	if err != nil {
		return p, err
	}
	r := idpRow{IdentityProvider: p}
	if secret != nil { // SAML providers have none
		r.sealed = s.box.Seal([]byte(*secret), sealAAD(p.ID))
	}
	err = s.tx(ctx, accountID, func(tx *sql.Tx) error {
		config, _ := json.Marshal(p.Config)
		_, err := tx.ExecContext(ctx, `INSERT INTO access_identity_providers (`+idpColumns+`)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`, p.ID, accountID, p.Name, p.Type, string(config), r.sealed,
			store.Micros(now), store.Micros(now))
		if err != nil {
			return store.Translate(err)
		}
		if err := audit.Record(ctx, tx, audit.Event{AccountID: accountID, Action: "access_idp_create", Result: true,
			ResourceID: p.ID, ResourceType: "access_identity_provider", NewValue: r.view()}); err != nil {
			return err
		}
		_, err = s.ReconcileDashSSO(ctx, tx, accountID)
		return err
	})
	return r.view(), err
}

// UpdateIdP merges in into the identity provider; an absent or masked
// client_secret keeps the stored one.
func (s *Service) UpdateIdP(ctx context.Context, accountID, id string, in IdPInput) (IdentityProvider, error) {
	var out IdentityProvider
	err := s.tx(ctx, accountID, func(tx *sql.Tx) error {
		r, err := s.getIdP(ctx, tx, accountID, id)
		if err != nil {
			return err
		}
		old := r.view()
		secret, err := s.applyIdP(ctx, &r.IdentityProvider, in, false)
		if err != nil {
			return err
		}
		if secret != nil {
			if *secret == "" {
				return api.Invalid("/config/client_secret", "config.client_secret cannot be emptied; leave it out to keep the stored one")
			}
			r.sealed = s.box.Seal([]byte(*secret), sealAAD(r.ID))
		}
		r.UpdatedAt = s.now()
		config, _ := json.Marshal(r.Config)
		res, err := tx.ExecContext(ctx, `UPDATE access_identity_providers SET name=$3, type=$4, config=$5, secret=$6,
			updated_on=$7 WHERE account_id=$1 AND id=$2`, accountID, id, r.Name, r.Type, string(config), r.sealed,
			store.Micros(r.UpdatedAt))
		if err := store.Affected(res, err); err != nil {
			return err
		}
		out = r.view()
		return audit.Record(ctx, tx, audit.Event{AccountID: accountID, Action: "access_idp_update", Result: true,
			ResourceID: id, ResourceType: "access_identity_provider", OldValue: old, NewValue: out})
	})
	return out, err
}

// DeleteIdP removes an identity provider.
func (s *Service) DeleteIdP(ctx context.Context, accountID, id string) error {
	return s.tx(ctx, accountID, func(tx *sql.Tx) error {
		if err := s.idpInUse(ctx, tx, accountID, id); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM access_identity_providers WHERE account_id=$1 AND id=$2`, accountID, id)
		if errors.Is(store.Affected(res, err), store.ErrNotFound) {
			return api.NotFound("identity provider %s was not found in this account", id)
		} else if err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, audit.Event{AccountID: accountID, Action: "access_idp_delete", Result: true,
			ResourceID: id, ResourceType: "access_identity_provider"}); err != nil {
			return err
		}
		_, err = s.ReconcileDashSSO(ctx, tx, accountID)
		return err
	})
}

// idpInUse refuses to delete a provider an application allows: the app
// would name a provider that is gone, offer no login, and refuse every
// later update for the dangling id.
func (s *Service) idpInUse(ctx context.Context, q store.Querier, accountID, id string) error {
	rows, err := q.QueryContext(ctx, `SELECT `+appColumns+`, tokens_revoked_on FROM access_apps WHERE account_id=$1`, accountID)
	if err != nil {
		return err
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		a, err := scanApp(rows)
		if err != nil {
			return err
		}
		if contains(a.AllowedIdPs, id) {
			names = append(names, fmt.Sprintf("%q (%s)", a.Name, a.ID))
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(names) > 0 {
		return api.Invalid("", "identity provider %s is allowed by application(s) %s; remove it from their allowed_idps first",
			id, strings.Join(names, ", "))
	}
	return nil
}
