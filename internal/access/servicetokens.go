package access

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"strings"
	"time"
	"unicode"

	"github.com/ssogate/ssogate/internal/api"
	"github.com/ssogate/ssogate/internal/audit"
	"github.com/ssogate/ssogate/internal/ids"
)

// ServiceToken is an Access service token as the API shows it: never its
// secret, which is returned once by create and rotate and stored only as a
// hash.
type ServiceToken struct {
	ID                  string `json:"id"`
	Name                string `json:"name"`
	ClientID            string `json:"client_id"`
	ClientSecretVersion int    `json:"client_secret_version"`
	// PreviousClientSecretExpiresAt is when the secret replaced by the
	// last rotation stops working (absent: no previous secret works).
	PreviousClientSecretExpiresAt *time.Time `json:"previous_client_secret_expires_at,omitempty"`
	Duration                      string     `json:"duration"`
	ExpiresAt                     *time.Time `json:"expires_at"` // null: duration "forever"
	LastSeenAt                    *time.Time `json:"last_seen_at"`
	CreatedAt                     time.Time  `json:"created_at"`
	UpdatedAt                     time.Time  `json:"updated_at"`
	AccountID                     string     `json:"-"`

	secretHash, previousHash string
}

// ServiceTokenWithSecret is the answer of create and rotate: the only
// time the client secret is shown.
type ServiceTokenWithSecret struct {
	ServiceToken
	ClientSecret string `json:"client_secret"`
}

// ServiceTokenInput is a create or (merged) update body, with Cloudflare's
// names.
type ServiceTokenInput struct {
	Name                          *string  `json:"name"`
	Duration                      *string  `json:"duration"`
	ClientSecretVersion           *float64 `json:"client_secret_version"`
	PreviousClientSecretExpiresAt *string  `json:"previous_client_secret_expires_at"` // RFC 3339
}

// RotateInput is the optional body of POST …/service_tokens/{id}/rotate.
type RotateInput struct {
	PreviousClientSecretExpiresAt *string `json:"previous_client_secret_expires_at"` // RFC 3339
}

// parseSecretExpiry reads previous_client_secret_expires_at.
func parseSecretExpiry(v string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return t, api.Invalid("/previous_client_secret_expires_at",
			"previous_client_secret_expires_at must be an RFC 3339 time such as \"2026-01-02T15:04:05Z\", not %q", v)
	}
	return t.UTC(), nil
}

const (
	// DefaultServiceTokenDuration is Cloudflare's: one year, in hours.
	DefaultServiceTokenDuration = "8760h"
	// DurationForever is Cloudflare's value for a token that never expires.
	DurationForever = "forever"

	serviceTokenSuffix  = ".access"
	minServiceTokenLife = time.Minute
	maxServiceTokenLife = 100 * 8760 * time.Hour
)

// newClientID is Cloudflare's shape: 32 hex characters and ".access".
func newClientID() string { return ids.NewHex32() + serviceTokenSuffix }

// newClientSecret is Cloudflare's shape: 64 hex characters, 256 random bits.
func newClientSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b[:])
}

// expiryOf is when a token of duration d, (re)started at now, expires
// (nil: never).
func expiryOf(d string, now time.Time) *time.Time {
	if d == DurationForever {
		return nil
	}
	dd, _ := time.ParseDuration(d) // checked on input
	t := now.Add(dd)
	return &t
}

func checkServiceTokenDuration(d string) error {
	if d == DurationForever {
		return nil
	}
	dd, err := time.ParseDuration(d)
	if err != nil || dd < minServiceTokenLife || dd > maxServiceTokenLife {
		return api.Invalid("/duration", "duration must be %q or a duration from 1m to %s such as \"8760h\" (a year) or \"720h\" (30 days), not %q",
			DurationForever, "876000h", d)
	}
	return nil
}

func checkServiceTokenName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 200 || strings.IndexFunc(name, unicode.IsControl) >= 0 {
		return "", api.Invalid("/name", "name must be 1 to 200 characters without control characters, e.g. \"CI deploy\"")
	}
	return name, nil
}

// applyServiceToken merges in into t; create requires a name.
func applyServiceToken(t *ServiceToken, in ServiceTokenInput, create bool, now time.Time) error {
	if create && in.Name == nil {
		return api.Invalid("/name", "name is required, e.g. {\"name\":\"CI deploy\",\"duration\":\"8760h\"}")
	}
	if in.Name != nil {
		name, err := checkServiceTokenName(*in.Name)
		if err != nil {
			return err
		}
		t.Name = name
	}
	if in.Duration != nil && *in.Duration != t.Duration {
		if err := checkServiceTokenDuration(*in.Duration); err != nil {
			return err
		}
		// A new duration counts from now, as a refresh does.
		t.Duration, t.ExpiresAt = *in.Duration, expiryOf(*in.Duration, now)
	}
	if v := in.ClientSecretVersion; v != nil && *v != float64(t.ClientSecretVersion) && !(create && *v == 0) {
		return api.Invalid("/client_secret_version", "client_secret_version is %d; to get a new secret use POST …/service_tokens/{id}/rotate, which returns it once",
			t.ClientSecretVersion)
	}
	if p := in.PreviousClientSecretExpiresAt; p != nil {
		at, err := parseSecretExpiry(*p)
		if err != nil {
			return err
		}
		if !create && t.previousHash != "" { // nothing to expire otherwise
			t.PreviousClientSecretExpiresAt = &at
		}
	}
	return nil
}

// CreateServiceToken creates a token and returns it with its secret, the
// only time the secret exists outside the caller.
func (s *Service) CreateServiceToken(ctx context.Context, accountID string, in ServiceTokenInput) (ServiceTokenWithSecret, error) {
	now := s.now()
	t := ServiceToken{ID: ids.NewUUID(), AccountID: accountID, ClientID: newClientID(), ClientSecretVersion: 1,
		CreatedAt: now, UpdatedAt: now}
	if in.Duration == nil {
		d := DefaultServiceTokenDuration
		in.Duration = &d
	}
	if err := applyServiceToken(&t, in, true, now); err != nil {
		return ServiceTokenWithSecret{}, err
	}
	secret := newClientSecret()
	t.secretHash = ids.HashToken(secret)
	err := s.tx(ctx, accountID, func(tx *sql.Tx) error {
		if err := insertServiceToken(ctx, tx, t); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{AccountID: accountID, Action: "access_service_token_create", Result: true,
			ResourceID: t.ID, ResourceType: "access_service_token", NewValue: t})
	})
	if err != nil {
		return ServiceTokenWithSecret{}, err
	}
	return ServiceTokenWithSecret{ServiceToken: t, ClientSecret: secret}, nil
}

// GetServiceToken reads one token of the account.
func (s *Service) GetServiceToken(ctx context.Context, accountID, id string) (ServiceToken, error) {
	return getServiceToken(ctx, s.db, accountID, id)
}

// ServiceTokenFilter narrows a list: Name exact, Search a substring of the
// name (case-insensitive).
type ServiceTokenFilter struct{ Name, Search string }

// ListServiceTokens lists the account's tokens, oldest first.
func (s *Service) ListServiceTokens(ctx context.Context, accountID string, f ServiceTokenFilter) ([]ServiceToken, error) {
	all, err := listServiceTokens(ctx, s.db, accountID)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, t := range all {
		if (f.Name == "" || t.Name == f.Name) && (f.Search == "" || strings.Contains(strings.ToLower(t.Name), strings.ToLower(f.Search))) {
			out = append(out, t)
		}
	}
	return out, nil
}

// modifyServiceToken reads a token in a transaction, lets change alter it,
// writes it back and audits action with the old and new values.
func (s *Service) modifyServiceToken(ctx context.Context, accountID, id, action string, change func(t *ServiceToken) error) (ServiceToken, error) {
	var t ServiceToken
	err := s.tx(ctx, accountID, func(tx *sql.Tx) error {
		var err error
		if t, err = getServiceToken(ctx, tx, accountID, id); err != nil {
			return err
		}
		old := t
		if err := change(&t); err != nil {
			return err
		}
		t.UpdatedAt = s.now()
		if err := updateServiceToken(ctx, tx, t); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{AccountID: accountID, Action: action, Result: true,
			ResourceID: id, ResourceType: "access_service_token", OldValue: old, NewValue: t})
	})
	return t, err
}

// UpdateServiceToken merges in into a token: its name, its duration (which
// then counts from now) and when the previous secret stops working.
func (s *Service) UpdateServiceToken(ctx context.Context, accountID, id string, in ServiceTokenInput) (ServiceToken, error) {
	return s.modifyServiceToken(ctx, accountID, id, "access_service_token_update", func(t *ServiceToken) error {
		return applyServiceToken(t, in, false, s.now())
	})
}

// RefreshServiceToken restarts the token's duration from now (a token that
// has expired works again; a "forever" one is unchanged).
func (s *Service) RefreshServiceToken(ctx context.Context, accountID, id string) (ServiceToken, error) {
	return s.modifyServiceToken(ctx, accountID, id, "access_service_token_refresh", func(t *ServiceToken) error {
		t.ExpiresAt = expiryOf(t.Duration, s.now())
		return nil
	})
}

// RotateServiceToken gives the token a new secret and returns it once. The
// old secret keeps working until previousExpires (nil: it stops at once,
// Cloudflare's default); a secret rotated away before that is gone.
func (s *Service) RotateServiceToken(ctx context.Context, accountID, id string, in RotateInput) (ServiceTokenWithSecret, error) {
	secret := newClientSecret()
	t, err := s.modifyServiceToken(ctx, accountID, id, "access_service_token_rotate", func(t *ServiceToken) error {
		until := s.now()
		if in.PreviousClientSecretExpiresAt != nil {
			var err error
			if until, err = parseSecretExpiry(*in.PreviousClientSecretExpiresAt); err != nil {
				return err
			}
		}
		t.previousHash, t.PreviousClientSecretExpiresAt = t.secretHash, &until
		t.secretHash = ids.HashToken(secret)
		t.ClientSecretVersion++
		return nil
	})
	if err != nil {
		return ServiceTokenWithSecret{}, err
	}
	return ServiceTokenWithSecret{ServiceToken: t, ClientSecret: secret}, nil
}

// DeleteServiceToken deletes a token and returns it as it was.
func (s *Service) DeleteServiceToken(ctx context.Context, accountID, id string) (ServiceToken, error) {
	var t ServiceToken
	err := s.tx(ctx, accountID, func(tx *sql.Tx) error {
		var err error
		if t, err = getServiceToken(ctx, tx, accountID, id); err != nil {
			return err
		}
		if err := deleteServiceToken(ctx, tx, accountID, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{AccountID: accountID, Action: "access_service_token_delete", Result: true,
			ResourceID: id, ResourceType: "access_service_token", OldValue: t})
	})
	return t, err
}
