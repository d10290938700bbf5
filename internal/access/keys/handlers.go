package keys

import (
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
}

// keysView is Cloudflare's key-configuration object.
type keysView struct {
	KeyRotationIntervalDays int       `json:"key_rotation_interval_days"`
	LastKeyRotationAt       time.Time `json:"last_key_rotation_at"`
	DaysUntilNextRotation   int       `json:"days_until_next_rotation"`
}

func (m *Manager) rotationView(k Key) keysView {
	next := k.CreatedOn.Add(m.opts.RotateEvery)
	days := int(next.Sub(m.now()).Hours() / 24)
	return keysView{KeyRotationIntervalDays: int(m.opts.RotateEvery.Hours() / 24), LastKeyRotationAt: k.CreatedOn.UTC(),
		DaysUntilNextRotation: max(days, 0)}
}

func (m *Manager) handleGet(r *api.Request) (any, error) {
	k, err := m.Current(r.Context(), r.AccountID)
	if err != nil {
		return nil, err
	}
	return m.rotationView(k), nil
}

// handleRotate replaces the signing key now; the previous key stays in the
// certs document for the overlap period so tokens already issued verify.
func (m *Manager) handleRotate(r *api.Request) (any, error) {
	k, err := m.Rotate(r.Context(), r.AccountID)
	if err != nil {
		return nil, err
	}
	return m.rotationView(k), nil
}
