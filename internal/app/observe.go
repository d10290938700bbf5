package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"net/netip"
	"strings"
	"time"

	"github.com/ssogate/ssogate/internal/api"
	"github.com/ssogate/ssogate/internal/config"
	"github.com/ssogate/ssogate/internal/metrics"
)

// logs are the application log and the request log, which share one
// output: request lines are buffered (metrics.LineBuffer), application
// lines are not, and both leave in the order they were written.
type logs struct {
	app      *slog.Logger
	requests *metrics.RequestLog // nil: --access-log=false
	buf      *metrics.LineBuffer // nil when the caller gave the logger (tests)
}

// newLogs builds the logs the configuration asks for. Request lines are
// written whatever --log-level says: --access-log is their switch, as an
// access log is apart from an error log. Loggers given in Options (tests)
// are used as they are.
func newLogs(cfg config.Config, opts Options, out io.Writer) logs {
	trusted := cfg.TrustedProxies
	clientIP := func(r *http.Request) netip.Addr { return api.ClientIP(r, trusted) }
	if opts.Log != nil {
		l := logs{app: opts.Log}
		if cfg.AccessLog && opts.RequestLog != nil {
			l.requests = metrics.NewRequestLog(opts.RequestLog.Handler(), clientIP)
		}
		return l
	}
	buf := metrics.NewLineBuffer(out)
	l := logs{app: NewLogger(cfg, buf.Direct()), buf: buf}
	if cfg.AccessLog {
		info := cfg
		info.LogLevel = "info"
		l.requests = metrics.NewRequestLog(NewLogger(info, buf).Handler(), clientIP)
	}
	return l
}

// flush writes out pending request lines; Close calls it.
func (l logs) flush() {
	if l.buf != nil {
		_ = l.buf.Close()
	}
}

// observe wraps the handler tree with the request's metrics and log line.
func (a *App) observe(h http.Handler) http.Handler {
	return metrics.Observe(h, a.Metrics, a.logs.requests)
}

// registerCollectors adds what the metrics read at scrape time: the
// database pool, the caches' hit counts, the verification queue.
func (a *App) registerCollectors(now func() time.Time) {
	a.Metrics.Register(metrics.DBCollector(a.DB.DB),
		metrics.CacheCollector(map[string]metrics.CacheStats{
			"api_tokens":      a.Tokens.CacheStats,
			"access_tokens":   a.Keys.CacheStats,
			"access_sessions": a.Portal.SessionCacheStats,
		}),
		metrics.QueueCollector(a.SSO.Queue, now, a.Log))
}

// muxSurface is the surface of a request routeHost hands to the main mux.
func muxSurface(path string) metrics.Surface {
	switch {
	case path == api.Prefix || strings.HasPrefix(path, api.Prefix+"/"):
		return metrics.SurfaceAPI
	case path == "/healthz" || path == "/readyz":
		return metrics.SurfaceHealth
	}
	return metrics.SurfaceDashboard
}

// serveMetrics serves /metrics on --metrics-listen, its own listener: the
// public listener never serves metrics. It returns the function that shuts
// it down, within 5 seconds (a no-op when the listener is off).
func (a *App) serveMetrics() (func(), error) {
	if a.Config.MetricsListen == "" {
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", a.Config.MetricsListen)
	if err != nil {
		return nil, fmt.Errorf("metrics: listen on %s: %w", a.Config.MetricsListen, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", a.Metrics.Handler())
	if a.Config.Pprof {
		servePprof(mux)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn)}
	a.Log.Info("serving metrics", "address", "http://"+ln.Addr().String()+"/metrics", "pprof", a.Config.Pprof)
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.Log.Error("metrics listener stopped", "error", err)
		}
	}()
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}

// servePprof adds Go's profiles under /debug/pprof/ (net/http/pprof's
// handlers). Importing the package also registers them on
// http.DefaultServeMux, which ssogate never serves: every listener has a
// mux of its own, and a test asks the public one for /debug/pprof/.
func servePprof(mux *http.ServeMux) {
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("POST /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
}
