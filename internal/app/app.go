package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/ssogate/ssogate/internal/access"
	"github.com/ssogate/ssogate/internal/access/keys"
	"github.com/ssogate/ssogate/internal/access/portal"
	"github.com/ssogate/ssogate/internal/accounts"
	"github.com/ssogate/ssogate/internal/api"
	"github.com/ssogate/ssogate/internal/backup"
	"github.com/ssogate/ssogate/internal/changes"
	"github.com/ssogate/ssogate/internal/config"
	"github.com/ssogate/ssogate/internal/dashboard"
	"github.com/ssogate/ssogate/internal/dnsverify"
	"github.com/ssogate/ssogate/internal/domains"
	"github.com/ssogate/ssogate/internal/metrics"
	"github.com/ssogate/ssogate/internal/ratelimit"
	"github.com/ssogate/ssogate/internal/secretbox"
	"github.com/ssogate/ssogate/internal/sso"
	"github.com/ssogate/ssogate/internal/startpages"
	"github.com/ssogate/ssogate/internal/store"
	"github.com/ssogate/ssogate/internal/tokens"
)

// App is a wired ssogate instance.
type App struct {
	Config    config.Config
	DB        *store.DB
	Log       *slog.Logger
	Tokens    *tokens.Service
	Accounts  *accounts.Service
	SSO       *sso.Service
	Worker    *sso.Worker
	Access    *access.Service
	Keys      *keys.Manager
	Portal    *portal.Portal
	Dashboard *dashboard.Dashboard
	API       *api.Router
	Feed      *changes.Feed
	Metrics   *metrics.Metrics // scraped on --metrics-listen (Metrics.Handler)
	Bootstrap *BootstrapResult // set when this start bootstrapped the database
	handler   http.Handler
	logs      logs
}

// Options are the parts tests replace.
type Options struct {
	Log     *slog.Logger     // nil: from the config's level and format, to stderr
	Now     func() time.Time // nil: time.Now
	Checker sso.Checker      // nil: a dnsverify.Verifier from the config
	// RequestLog takes the request lines when Log is set (nil: none, so a
	// test that counts the application's lines counts only those).
	RequestLog *slog.Logger
}

// New opens and migrates the database, bootstraps it on first start and
// builds the services and handler tree. It starts nothing.
func New(ctx context.Context, cfg config.Config, opts Options, logOut io.Writer) (*App, error) {
	logs := newLogs(cfg, opts, logOut)
	log := logs.app
	db, err := store.Open(ctx, cfg.DatabaseURL, cfg.DataDir)
	if err != nil {
		return nil, err
	}
	if _, err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	a := &App{Config: cfg, DB: db, Log: log, logs: logs}
	if a.Feed, err = changes.New(ctx, db, log); err != nil {
		db.Close()
		return nil, err
	}
	if err := a.wire(opts); err != nil {
		db.Close()
		return nil, err
	}
	if a.Bootstrap, err = Bootstrap(ctx, db, a.Tokens, cfg); err != nil {
		db.Close()
		return nil, fmt.Errorf("bootstrap: %w", err)
	}
	if a.Bootstrap == nil {
		if set := IgnoredBootstrap(cfg); len(set) > 0 {
			log.Warn(strings.Join(set, ", ") + " ignored: " + a.where() + " was initialised by an earlier start, and " +
				"bootstrap settings apply only to the first one. Start with an empty --data-dir (or database) to use them, " +
				"or make a token with `ssogate admin token create`.")
		}
	}
	return a, nil
}

func (a *App) wire(opts Options) error {
	a.Metrics = metrics.New()
	checker := opts.Checker
	if checker == nil {
		dc := dnsverify.DefaultConfig()
		dc.Nameservers, dc.Resolvers = a.Config.DNSNameservers, a.Config.DNSResolvers
		dc.CheckTimeout = sso.CheckTimeout
		v, err := dnsverify.New(dc)
		if err != nil {
			return fmt.Errorf("DNS verifier: %w", err)
		}
		checker = v
	}
	policy := domains.DefaultPolicy()
	policy.ExtraDenied, policy.DeniedTLDs = a.Config.DeniedDomains, a.Config.DeniedTLDs
	a.Tokens = tokens.NewService(a.DB, a.Log, opts.Now)
	a.Accounts = accounts.NewService(a.DB)
	a.SSO = sso.NewService(a.DB, checker, sso.Config{Policy: policy, Now: opts.Now, Metrics: a.Metrics,
		Settings: sso.Settings{PendingTTL: a.Config.VerificationDeadline, ManualCooldown: a.Config.VerifyCooldown}}, a.Log)
	box, err := a.secretBox()
	if err != nil {
		return err
	}
	a.Access = access.NewService(a.DB, box, access.Config{AccessDomain: a.Config.AccessDomain,
		Scheme: a.Config.AccessScheme, PortSuffix: a.portSuffix(), ReservedHosts: a.reservedHosts()}, a.Log, opts.Now)
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	a.Keys = keys.NewManager(a.DB, box, now, keys.Options{})
	// Caches that must agree across instances hear each other's changes.
	a.Keys.SetFeed(a.Feed)
	a.Tokens.SetFeed(a.Feed)
	a.Access.SetFeed(a.Feed)
	a.Portal = portal.New(a.DB, a.Access, a.Keys, portal.Config{AccessDomain: a.Config.AccessDomain,
		Secure: a.Config.AccessScheme == "https", Now: now, DashboardACS: a.dashboardURL() + "/login/sso",
		TrustedProxies: a.Config.TrustedProxies, Feed: a.Feed, Metrics: a.Metrics}, a.Log)
	// The SSO App follows the enabled connectors (access.ReconcileDashSSO).
	a.Access.SetConnectorDomains(sso.EnabledDomains)
	a.SSO.OnEnabledChange(func(ctx context.Context, q store.Querier, c sso.Connector) (string, error) {
		return a.Access.ReconcileDashSSO(ctx, q, c.AccountID)
	})
	a.Worker = sso.NewWorker(a.SSO, a.Config.VerifyConcurrency)
	a.Worker.Interval = a.Config.VerifyInterval

	a.API = api.NewRouter(a.Tokens, a.Log, a.Config.TrustedProxies)
	a.API.SetOutages(a.DB)
	a.API.LimitFailedAuth(ratelimit.New(a.DB, api.FailedAuthLimit, ratelimit.Options{Now: opts.Now, Log: a.Log}))
	a.Accounts.Mount(a.API)
	a.Tokens.Mount(a.API)
	a.SSO.Mount(a.API)
	a.Access.Mount(a.API)
	a.Keys.Mount(a.API)

	a.Dashboard = dashboard.New(dashboard.Services{DB: a.DB, Tokens: a.Tokens, SSO: a.SSO, Access: a.Access, Portal: a.Portal},
		dashboard.Config{Secure: strings.HasPrefix(a.dashboardURL(), "https://"), TrustedProxies: a.Config.TrustedProxies,
			APIURL: a.dashboardURL() + api.Prefix, Now: opts.Now, Metrics: a.Metrics,
			TeamOrigins: []string{a.Config.AccessScheme + "://*." + a.Config.AccessDomain + a.portSuffix()}}, a.Log)

	mux := http.NewServeMux()
	mux.Handle(api.Prefix+"/", a.API)
	mux.HandleFunc("GET /healthz", a.healthz)
	mux.HandleFunc("GET /readyz", a.readyz)
	mux.Handle("/", a.Dashboard)
	a.handler = a.observe(a.routeHost(mux))
	a.registerCollectors(now)
	return nil
}

// secretBox opens the key that seals secrets at rest: SSOGATE_SECRET_KEY,
// else the key file (created on first start).
func (a *App) secretBox() (*secretbox.Box, error) {
	if a.Config.SecretKey != "" {
		key, err := secretbox.ParseKey(a.Config.SecretKey)
		if err != nil {
			return nil, fmt.Errorf("SSOGATE_SECRET_KEY: %w", err)
		}
		return secretbox.New(key)
	}
	path := a.Config.SecretKeyFile
	if path == "" {
		path = filepath.Join(a.Config.DataDir, "secret.key")
	}
	if a.Config.DatabaseURL != "" {
		a.Log.Warn("sealing secrets with a key file; every instance on this PostgreSQL database must use the same key (set SSOGATE_SECRET_KEY)", "file", path)
	}
	key, err := secretbox.LoadOrCreateKeyFile(path)
	if err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	return secretbox.New(key)
}

// portSuffix is the ":port" of team-domain URLs, empty for 80 and 443.
func (a *App) portSuffix() string {
	port := a.Config.AccessPort
	if port == "" {
		_, port, _ = net.SplitHostPort(a.Config.Listen)
	}
	if port == "" || port == "80" || port == "443" || port == "0" {
		return ""
	}
	return ":" + port
}

// routeHost sends requests for a team domain to the Access portal, for a
// protected application's host to the Access gateway, and everything else
// (the API, the dashboard) to mux. The dashboard's host never reaches the
// application lookup: applications cannot claim it.
func (a *App) routeHost(mux http.Handler) http.Handler {
	dashHost := a.dashboardHost()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Each branch names its surface, for the metrics and the request log.
		q := metrics.RequestOf(r.Context())
		if portal.IsForwardAuth(r.URL.Path) { // on every host: proxies call it by address
			q.SetSurface(metrics.SurfaceForwardAuth)
			a.Portal.ServeForwardAuth(w, r)
			return
		}
		if a.Portal.IsTeamHost(r.Host) {
			q.SetSurface(metrics.SurfaceTeam)
			a.Portal.ServeHTTP(w, r)
			return
		}
		if hostname(r.Host) != dashHost {
			app, err := a.Portal.AppFor(r)
			if err != nil {
				q.SetSurface(metrics.SurfaceGateway)
				a.hostLookupFailed(w, r, err)
				return
			}
			if app != nil {
				q.SetSurface(metrics.SurfaceGateway)
				a.Portal.ServeApp(w, r, app)
				return
			}
		}
		q.SetSurface(muxSurface(r.URL.Path))
		mux.ServeHTTP(w, r)
	})
}

// hostLookupFailed answers a request whose host could not be looked up:
// 503 either way, but an unreachable database is counted and logged once
// per 10 s by the store rather than once per request.
func (a *App) hostLookupFailed(w http.ResponseWriter, r *http.Request, err error) {
	if store.IsUnavailable(err) && r.Context().Err() == nil {
		w.Header().Set("Retry-After", api.RetryAfterValue(a.DB.Unavailable(a.Log, err)))
	} else {
		a.Log.Error("find application for host", "host", r.Host, "error", err)
	}
	http.Error(w, "ssogate could not look up this host", http.StatusServiceUnavailable)
}

// hostname is a Host header without its port, lower-cased.
func hostname(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		hostport = h
	}
	return strings.ToLower(strings.TrimSuffix(hostport, "."))
}

// dashboardHost is the dashboard's host name, without port.
func (a *App) dashboardHost() string {
	u, err := url.Parse(a.dashboardURL())
	if err != nil {
		return "localhost"
	}
	return strings.ToLower(u.Hostname())
}

// reservedHosts can never be application hosts.
func (a *App) reservedHosts() []string {
	return []string{a.dashboardHost(), "localhost"}
}

// dashboardURL is the dashboard's external base URL.
func (a *App) dashboardURL() string {
	if a.Config.DashboardURL != "" {
		return strings.TrimSuffix(a.Config.DashboardURL, "/")
	}
	return "http://localhost" + a.portSuffix()
}

// Handler is the whole HTTP handler tree.
// FeedRefresh is how often every cache rereads everything, whatever the
// change feed said: the safety net for a notification lost in transit.
const FeedRefresh = 30 * time.Second

// RunChangeFeed listens for other instances' changes until ctx ends
// (PostgreSQL); Run starts it, and tests that serve the handler start it
// themselves.
func (a *App) RunChangeFeed(ctx context.Context) { a.Feed.Run(ctx, a.Config.DatabaseURL, FeedRefresh) }

func (a *App) Handler() http.Handler { return a.handler }

// Close writes out pending request log lines and releases the database.
func (a *App) Close() error {
	a.logs.flush()
	return a.DB.Close()
}

// Run serves until ctx ends, then shuts down gracefully: the listener stops
// accepting, requests in flight get up to 15 seconds, the worker stops.
func Run(ctx context.Context, cfg config.Config, out io.Writer, logOut io.Writer) error {
	release, err := claimData(ctx, cfg, logOut)
	if err != nil {
		return err
	}
	defer release()
	a, err := New(ctx, cfg, Options{}, logOut)
	if err != nil {
		return err
	}
	defer a.Close()
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	scheme := "http://"
	if cfg.TLSCert != "" {
		scheme = "https://"
	}
	stopMetrics, err := a.serveMetrics()
	if err != nil {
		ln.Close()
		return err
	}
	defer stopMetrics()
	PrintStart(out, a, scheme+ln.Addr().String())
	releaseStartPages(a.Log)
	srv := &http.Server{Handler: a.Handler(), ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: 30 * time.Second, WriteTimeout: 60 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn)}
	workerCtx, stopWorker := context.WithCancel(context.WithoutCancel(ctx))
	workerDone := make(chan struct{})
	go func() { defer close(workerDone); a.Worker.Run(workerCtx) }()
	go a.RunChangeFeed(workerCtx)
	serveErr := make(chan error, 1)
	go func() {
		if cfg.TLSCert != "" {
			serveErr <- srv.ServeTLS(ln, cfg.TLSCert, cfg.TLSKey)
			return
		}
		serveErr <- srv.Serve(ln)
	}()
	select {
	case err = <-serveErr:
	case <-ctx.Done():
		a.Log.Info("shutting down")
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
		err = srv.Shutdown(sctx)
		cancel()
	}
	stopWorker()
	<-workerDone
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// releaseStartPages unmaps the code and read-only data only starting the
// server touched (package internal/startpages says why), now that it has
// started. Failing to is harmless: the pages stay mapped, as without it.
func releaseStartPages(log *slog.Logger) {
	n, err := startpages.Release()
	if err != nil {
		log.Warn("could not release the binary's startup pages", "error", err)
		return
	}
	log.Debug("released the binary's startup pages", "bytes", n)
}

// claimData takes the SQLite data directory's lock, so that no second
// server, restore or key rotation works on it meanwhile, and finishes a
// key rotation a crash interrupted, before the key is read.
func claimData(ctx context.Context, cfg config.Config, logOut io.Writer) (release func(), err error) {
	release = func() {}
	if cfg.DatabaseURL == "" {
		if release, err = backup.LockDataDir(cfg.DataDir); err != nil {
			return nil, err
		}
	}
	did, err := backup.FinishInterruptedRotation(ctx, cfg)
	if err != nil {
		release()
		return nil, err
	}
	if did != "" {
		NewLogger(cfg, logOut).Warn(did)
	}
	return release, nil
}

// NewLogger builds the slog logger the configuration asks for.
func NewLogger(cfg config.Config, out io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(out, opts))
	}
	return slog.New(slog.NewTextHandler(out, opts))
}
