package audit

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/ssogate/ssogate/internal/store"
)

// Entry is a stored audit event as read back.
type Entry struct {
	ID           string
	AccountID    string
	When         time.Time
	Actor        Actor
	Interface    string
	Action       string
	Result       bool
	ResourceID   string
	ResourceType string
	OldValue     string
	NewValue     string
	Metadata     json.RawMessage
}

// Filter narrows List. Zero fields do not filter.
type Filter struct {
	ID         string
	Action     string
	ActorEmail string
	ActorIP    string
	Since      time.Time
	Before     time.Time
	Ascending  bool
	Offset     int
	Limit      int
}

// List returns one account's entries matching f, newest first unless
// f.Ascending, and the total number matching.
func List(ctx context.Context, q store.Querier, accountID string, f Filter) ([]Entry, int, error) {
	where := []string{"account_id = $1"}
	args := []any{accountID}
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.Replace(cond, "?", "$"+strconv.Itoa(len(args)), 1))
	}
	if f.ID != "" {
		add("id = ?", f.ID)
	}
	if f.Action != "" {
		add("action_type = ?", f.Action)
	}
	if f.ActorEmail != "" {
		add("actor_email = ?", f.ActorEmail)
	}
	if f.ActorIP != "" {
		add("actor_ip = ?", f.ActorIP)
	}
	if !f.Since.IsZero() {
		add("occurred_on >= ?", store.Micros(f.Since))
	}
	if !f.Before.IsZero() {
		add("occurred_on < ?", store.Micros(f.Before))
	}
	cond := strings.Join(where, " AND ")
	var total int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_logs WHERE `+cond, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	order := "DESC"
	if f.Ascending {
		order = "ASC"
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	args = append(args, f.Limit, f.Offset)
	rows, err := q.QueryContext(ctx, `SELECT id, account_id, occurred_on, actor_id, actor_email, actor_ip,
		actor_type, interface, action_type, action_result, resource_id, resource_type, old_value,
		new_value, metadata FROM audit_logs WHERE `+cond+` ORDER BY occurred_on `+order+`, id `+order+
		` LIMIT $`+strconv.Itoa(len(args)-1)+` OFFSET $`+strconv.Itoa(len(args)), args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		var when int64
		var meta string
		if err := rows.Scan(&e.ID, &e.AccountID, &when, &e.Actor.ID, &e.Actor.Email, &e.Actor.IP,
			&e.Actor.Type, &e.Interface, &e.Action, &e.Result, &e.ResourceID, &e.ResourceType,
			&e.OldValue, &e.NewValue, &meta); err != nil {
			return nil, 0, err
		}
		e.When = store.FromMicros(when)
		e.Metadata = json.RawMessage(meta)
		out = append(out, e)
	}
	return out, total, rows.Err()
}
