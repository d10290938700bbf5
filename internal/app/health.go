package app

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// healthz is liveness: the process is up and serving. It does not touch
// the database, so an orchestrator does not restart ssogate during a
// database outage, which ssogate rides out by itself (readyz says it).
func (a *App) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = io.WriteString(w, "ok\n")
}

// readyz is readiness: 200 "ready" when the database answers and has every
// migration this binary embeds, else 503 with a one-line reason.
func (a *App) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := a.ready(r.Context()); err != nil {
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, err.Error()+"\n")
		return
	}
	_, _ = io.WriteString(w, "ready\n")
}

// ready checks within two seconds, so a probe never hangs on a database
// that drops packets.
func (a *App) ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := a.DB.PingContext(ctx); err != nil {
		return fmt.Errorf("database unreachable (%s)", a.DB.Dialect)
	}
	pending, err := a.DB.PendingMigrations(ctx)
	if err != nil {
		return fmt.Errorf("database unreachable (%s): cannot read its migrations", a.DB.Dialect)
	}
	if len(pending) > 0 {
		return fmt.Errorf("migrations pending (%d, from %04d_%s): run `ssogate migrate up` or restart ssogate",
			len(pending), pending[0].Version, pending[0].Name)
	}
	return nil
}
