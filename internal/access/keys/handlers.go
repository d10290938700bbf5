package keys

import (
	"context"
	"time"

	"github.com/ssogate/ssogate/internal/api"
	"github.com/ssogate/ssogate/internal/tokens"
)

// Mount registers the key routes of the Access API (Cloudflare's
// /access/keys): read the rotation state, and rotate now.
func (m *Manager) Mount(rt *api.Router) {
	read := []string{tokens.AccessOrgRead, tokens.AccessOrgWrite}
	write := []string{tokens.AccessOrgWrite}
	rt.Handle(api.Route{Method: "GET", Path: "/accounts/{account_id}/access/keys", Permissions: read, Handle: m.handleGet})
	rt.Handle(api.Route{Method: "POST", Path: "/accounts/{account_id}/access/keys/rotate", Permissions: write, Handle: m.handleRotate})
	rt.Handle(api.Route{Method: "PUT", Path: "/accounts/{account_id}/access/keys", Permissions: write, Handle: m.handleUpdate})
}

// keysView is Cloudflare's key-configuration object.
type keysView struct {
	KeyRotationIntervalDays int       `json:"key_rotation_interval_days"`
	LastKeyRotationAt       time.Time `json:"last_key_rotation_at"`
	DaysUntilNextRotation   int       `json:"days_until_next_rotation"`
}

func (m *Manager) rotationView(ctx context.Context, accountID string, k Key) (keysView, error) {
	v, err := m.view(ctx, accountID, false)
	if err != nil {
		return keysView{}, err
	}
	next := k.CreatedOn.Add(v.rotateEvery)
	days := int(next.Sub(m.now()).Hours() / 24)
	return keysView{KeyRotationIntervalDays: int(v.rotateEvery.Hours() / 24), LastKeyRotationAt: k.CreatedOn.UTC(),
		DaysUntilNextRotation: max(days, 0)}, nil
}

func (m *Manager) handleGet(r *api.Request) (any, error) {
	k, err := m.Current(r.Context(), r.AccountID)
	if err != nil {
		return nil, err
	}
	return m.rotationView(r.Context(), r.AccountID, k)
}

// Rotation interval bounds, as Cloudflare's API has them.
const (
	minRotationDays = 21
	maxRotationDays = 365
)

// handleUpdate sets the account's key rotation interval. A key already
// older than the new interval rotates on its next use.
func (m *Manager) handleUpdate(r *api.Request) (any, error) {
	var in struct {
		Days *float64 `json:"key_rotation_interval_days"`
	}
	if err := r.Decode(&in, false); err != nil {
		return nil, err
	}
	if in.Days == nil {
		return nil, api.Invalid("/key_rotation_interval_days", "key_rotation_interval_days is required")
	}
	days := int(*in.Days)
	if float64(days) != *in.Days || days < minRotationDays || days > maxRotationDays {
		return nil, api.Invalid("/key_rotation_interval_days", "key_rotation_interval_days must be a whole number of days from %d to %d, not %v",
			minRotationDays, maxRotationDays, *in.Days)
	}
	if err := m.SetRotationInterval(r.Context(), r.AccountID, days); err != nil {
		return nil, err
	}
	k, err := m.Current(r.Context(), r.AccountID)
	if err != nil {
		return nil, err
	}
	return m.rotationView(r.Context(), r.AccountID, k)
}

// handleRotate replaces the signing key now; the previous key stays in the
// certs document for the overlap period so tokens already issued verify.
func (m *Manager) handleRotate(r *api.Request) (any, error) {
	k, err := m.Rotate(r.Context(), r.AccountID)
	if err != nil {
		return nil, err
	}
	return m.rotationView(r.Context(), r.AccountID, k)
}
