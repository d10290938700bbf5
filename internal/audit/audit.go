package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/ssogate/ssogate/internal/ids"
	"github.com/ssogate/ssogate/internal/store"
)

// Actor is who caused an event.
type Actor struct {
	ID    string `json:"id"`
	Email string `json:"email"`
	IP    string `json:"ip"`
	// Type is "user", "token" (an API token), or "system" (ssogate itself:
	// the verification worker, bootstrap, admin commands on the data dir).
	Type string `json:"type"`
	// Interface is how the actor reached us: "API", "UI", "CLI" or "system".
	Interface string `json:"-"`
}

// System is the actor for ssogate's own work.
var System = Actor{ID: "ssogate", Type: "system", Interface: "system"}

// Event is one audit log entry.
type Event struct {
	ID           string
	AccountID    string
	When         time.Time
	Actor        Actor
	Action       string // e.g. "token_create", "sso_connector_enable", "login"
	Result       bool
	ResourceID   string
	ResourceType string
	OldValue     any // marshalled to JSON; never a secret
	NewValue     any
	Metadata     map[string]any
}

type actorKey struct{}

// WithActor returns a context carrying the actor.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the context's actor, or System.
func ActorFrom(ctx context.Context) Actor {
	if a, ok := ctx.Value(actorKey{}).(Actor); ok {
		return a
	}
	return System
}

// Record writes ev with q, filling the id, the time and, when ev.Actor is
// empty, the context's actor.
func Record(ctx context.Context, q store.Querier, ev Event) error {
	if ev.ID == "" {
		ev.ID = ids.NewUUID()
	}
	if ev.When.IsZero() {
		ev.When = time.Now()
	}
	if ev.Actor == (Actor{}) {
		ev.Actor = ActorFrom(ctx)
	}
	meta, err := json.Marshal(ev.Metadata)
	if err != nil || ev.Metadata == nil {
		meta = []byte("{}")
	}
	_, err = q.ExecContext(ctx, `INSERT INTO audit_logs (id, account_id, occurred_on, actor_id,
		actor_email, actor_ip, actor_type, interface, action_type, action_result, resource_id,
		resource_type, old_value, new_value, metadata)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15)`,
		ev.ID, ev.AccountID, store.Micros(ev.When), ev.Actor.ID, ev.Actor.Email, ev.Actor.IP,
		ev.Actor.Type, ev.Actor.Interface, ev.Action, ev.Result, ev.ResourceID, ev.ResourceType,
		jsonText(ev.OldValue), jsonText(ev.NewValue), string(meta))
	if err != nil {
		return fmt.Errorf("write audit log entry %s: %w", ev.Action, err)
	}
	return nil
}

func jsonText(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	}
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}
