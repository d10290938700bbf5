package dashboard

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ssogate/ssogate/internal/api"
	"github.com/ssogate/ssogate/internal/audit"
)

const auditPageSize = 50

// auditData is the audit log page's data: the filter as typed, one page
// of entries and links to the neighbouring pages.
type auditData struct {
	Action, Actor, IP, Since, Before string
	Entries                          []audit.Entry
	Total, Page                      int
	Prev, Next                       string
}

func (d *Dashboard) handleAuditLog(rq *req) error {
	q := rq.URL.Query()
	a := auditData{Action: strings.TrimSpace(q.Get("action")), Actor: strings.TrimSpace(q.Get("actor")),
		IP: strings.TrimSpace(q.Get("ip")), Since: q.Get("since"), Before: q.Get("before"), Page: 1}
	f := audit.Filter{Action: a.Action, ActorEmail: strings.ToLower(a.Actor), ActorIP: a.IP, Limit: auditPageSize}
	var err error
	if f.Since, err = dateParam("since", a.Since, 0); err != nil {
		return err
	}
	// "before" is inclusive of the day typed, as people read a date range.
	if f.Before, err = dateParam("before", a.Before, 24*time.Hour); err != nil {
		return err
	}
	if p, err := strconv.Atoi(q.Get("page")); err == nil && p > 1 && p < 1_000_000 {
		a.Page = p
	}
	f.Offset = (a.Page - 1) * auditPageSize
	if a.Entries, a.Total, err = audit.List(rq.ctx(), d.db, rq.account.ID, f); err != nil {
		return err
	}
	link := func(page int) string {
		v := url.Values{}
		for k, s := range map[string]string{"action": a.Action, "actor": a.Actor, "ip": a.IP, "since": a.Since, "before": a.Before} {
			if s != "" {
				v.Set(k, s)
			}
		}
		v.Set("page", strconv.Itoa(page))
		return "/" + rq.account.ID + "/audit-log?" + v.Encode()
	}
	if a.Page > 1 {
		a.Prev = link(a.Page - 1)
	}
	if a.Page*auditPageSize < a.Total {
		a.Next = link(a.Page + 1)
	}
	return d.render(rq, http.StatusOK, "audit", "Audit log", a)
}

// dateParam parses a YYYY-MM-DD filter (UTC), shifted by add.
func dateParam(name, v string, add time.Duration) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse("2006-01-02", v)
	if err != nil {
		return t, api.Invalid("", "%s: %q is not a date such as 2026-01-31", name, v)
	}
	return t.Add(add), nil
}
