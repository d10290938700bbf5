package accounts

import (
	"encoding/json"
	"net/netip"
	"net/url"
	"strconv"
	"time"

	"github.com/ssogate/ssogate/internal/api"
	"github.com/ssogate/ssogate/internal/audit"
	"github.com/ssogate/ssogate/internal/ids"
)

// The audit log API lives here rather than in package audit because api
// imports audit: audit cannot import api back.

// auditLogObject is Cloudflare's v1 audit log item (cloudflare-api.md
// §9.1), camelCase keys included. Every field comes from the stored row.
type auditLogObject struct {
	ID        string          `json:"id"`
	Action    auditAction     `json:"action"`
	Actor     auditActor      `json:"actor"`
	Interface string          `json:"interface"`
	Metadata  json.RawMessage `json:"metadata"`
	NewValue  string          `json:"newValue"`
	OldValue  string          `json:"oldValue"`
	Owner     auditRef        `json:"owner"`
	Resource  auditResource   `json:"resource"`
	When      time.Time       `json:"when"`
}

type auditAction struct {
	Result bool   `json:"result"`
	Type   string `json:"type"`
}

type auditActor struct {
	ID    string `json:"id"`
	Email string `json:"email"`
	IP    string `json:"ip"`
	Type  string `json:"type"`
}

type auditRef struct {
	ID string `json:"id"`
}

type auditResource struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

func viewAuditEntry(e audit.Entry) auditLogObject {
	meta := e.Metadata
	if !json.Valid(meta) || len(meta) == 0 || meta[0] != '{' {
		meta = json.RawMessage("{}")
	}
	return auditLogObject{
		ID:        e.ID,
		Action:    auditAction{Result: e.Result, Type: e.Action},
		Actor:     auditActor{ID: e.Actor.ID, Email: e.Actor.Email, IP: e.Actor.IP, Type: e.Actor.Type},
		Interface: e.Interface,
		Metadata:  meta,
		NewValue:  e.NewValue,
		OldValue:  e.OldValue,
		Owner:     auditRef{ID: e.AccountID},
		Resource:  auditResource{ID: e.ResourceID, Type: e.ResourceType},
		When:      e.When.UTC(),
	}
}

// auditPerPage bounds per_page as Cloudflare does (default 100, at most 1000).
const (
	auditPerPageDefault = 100
	auditPerPageMax     = 1000
)

func (s *Service) handleAuditLogs(r *api.Request) (any, error) {
	page, err := r.Paging(auditPerPageDefault, 1, auditPerPageMax)
	if err != nil {
		return nil, err
	}
	f, none, err := auditFilter(r.URL.Query())
	if err != nil {
		return nil, err
	}
	if none {
		return api.List([]auditLogObject{}, page, 0), nil
	}
	f.Offset, f.Limit = page.Offset(), page.PerPage
	entries, total, err := audit.List(r.Context(), s.db, r.AccountID, f)
	if err != nil {
		return nil, err
	}
	out := make([]auditLogObject, len(entries))
	for i, e := range entries {
		out[i] = viewAuditEntry(e)
	}
	return api.List(out, page, total), nil
}

// auditFilter reads the query. none is true when the filters cannot match
// anything ssogate stores (zone.name: there are no zones).
func auditFilter(q url.Values) (f audit.Filter, none bool, err error) {
	if id := q.Get("id"); id != "" {
		if !ids.IsUUID(id) {
			return f, false, api.Invalid("", "id must be an audit log id (a lower-case UUID), not %q", id)
		}
		f.ID = id
	}
	f.Action, f.ActorEmail = q.Get("action.type"), q.Get("actor.email")
	if v := q.Get("actor.ip"); v != "" {
		ip, err := netip.ParseAddr(v)
		if err != nil {
			return f, false, api.Invalid("", "actor.ip must be an IP address, not %q", v)
		}
		f.ActorIP = ip.Unmap().String()
	}
	if f.Since, err = auditTime(q, "since"); err != nil {
		return f, false, err
	}
	if f.Before, err = auditTime(q, "before"); err != nil {
		return f, false, err
	}
	desc, err := direction(q.Get("direction"), true)
	if err != nil {
		return f, false, err
	}
	f.Ascending = !desc
	if _, err := boolParam(q, "hide_user_logs"); err != nil {
		return f, false, err
	}
	export, err := boolParam(q, "export")
	if err != nil {
		return f, false, err
	}
	if export {
		return f, false, api.Invalid("", "export=true (CSV) is not supported; page through the JSON list instead")
	}
	return f, q.Get("zone.name") != "", nil
}

// auditTime parses since/before: a date (midnight UTC) or an RFC 3339 time.
func auditTime(q url.Values, name string) (time.Time, error) {
	v := q.Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	return time.Time{}, api.Invalid("", "%s must be a date such as 2025-01-31 or an RFC 3339 time such as "+
		"2025-01-31T12:00:00Z, not %q", name, v)
}

func boolParam(q url.Values, name string) (bool, error) {
	v := q.Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, api.Invalid("", "%s must be true or false, not %q", name, v)
	}
	return b, nil
}
