package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"time"
)

// RequestLog writes one line per request, at level Info, through an slog
// handler (text or JSON, as the application log). Its fields:
//
//	request_id  the id also sent as X-Request-Id
//	surface     api, dashboard, team, gateway, forward_auth or health
//	method      the request method
//	host        the Host header
//	route       the route pattern that matched, or "unmatched"
//	path        the URL path, never the query string (codes, state)
//	status      the status sent
//	duration    time to the handler's return
//	bytes       response body bytes
//	client_ip   the client address after trusted-proxy handling
//	account_id  the account acted on, when known
//	actor       token:<id>, user:<id> or service_token:<client id>, when known
type RequestLog struct {
	h        slog.Handler
	clientIP func(*http.Request) netip.Addr
}

// NewRequestLog returns a request log writing through h; clientIP finds
// the client's address the way the rest of ssogate does (behind
// --trusted-proxies).
func NewRequestLog(h slog.Handler, clientIP func(*http.Request) netip.Addr) *RequestLog {
	return &RequestLog{h: h, clientIP: clientIP}
}

func (l *RequestLog) write(r *http.Request, q *Request, status int, bytes int64, start time.Time, elapsed time.Duration) {
	if l == nil {
		return
	}
	// The request's own context may be cancelled by now (the client went
	// away); the line is written all the same.
	ctx := context.WithoutCancel(r.Context())
	if !l.h.Enabled(ctx, slog.LevelInfo) {
		return
	}
	rec := slog.NewRecord(start.Add(elapsed), slog.LevelInfo, "request", 0)
	rec.AddAttrs(slog.String("request_id", q.ID()), slog.String("surface", q.surface.String()),
		slog.String("method", r.Method), slog.String("host", r.Host), slog.String("route", q.route),
		slog.String("path", r.URL.Path), slog.Int("status", status), slog.Duration("duration", elapsed),
		slog.Int64("bytes", bytes), slog.String("client_ip", addrString(l.clientIP(r))))
	if q.account != "" {
		rec.AddAttrs(slog.String("account_id", q.account))
	}
	if a := q.actor(); a != "" {
		rec.AddAttrs(slog.String("actor", a))
	}
	_ = l.h.Handle(ctx, rec)
}

func addrString(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}
