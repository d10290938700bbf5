package portal

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/ssogate/ssogate/internal/access"
	"github.com/ssogate/ssogate/internal/access/keys"
	"github.com/ssogate/ssogate/internal/api"
	"github.com/ssogate/ssogate/internal/changes"
	oidcrp "github.com/ssogate/ssogate/internal/idp/oidc"
	"github.com/ssogate/ssogate/internal/metrics"
	"github.com/ssogate/ssogate/internal/store"
)

// Portal serves every team domain.
type Portal struct {
	db      *store.DB
	access  *access.Service
	keys    *keys.Manager
	log     *slog.Logger
	now     func() time.Time
	leeway  time.Duration
	domain  string       // the access domain: team domains are <team>.<domain>
	secure  bool         // https: cookies get Secure
	idpHTTP *http.Client // for token and JWKS requests to IdPs
	mux     *http.ServeMux
	// dashboardACS is where dashboard SSO assertions are posted; csp
	// allows forms to post there.
	dashboardACS string
	csp          string
	idpKeys      *oidcrp.KeyCache // IdP signing keys, shared by every login
	pageHeaders  http.Header      // on ssogate's own pages, never on proxied ones
	trusted      []netip.Prefix   // proxies whose X-Forwarded-For is believed
	// snap and sessions answer what every request asks without the
	// database; the change feed keeps both current on every instance.
	snap     *access.Snapshot
	sessions *sessionCache
	feed     *changes.Feed
	// origins holds a reverse proxy and connection pool per application;
	// originErrors counts their failures.
	origins      *originPool
	originErrors *originErrorCounter
	// serviceJWTs are application tokens minted for service tokens.
	serviceJWTs serviceJWTCache
	metrics     *metrics.Metrics // nil: not counted
}

// Config configures a Portal.
type Config struct {
	AccessDomain string
	Secure       bool
	Now          func() time.Time // nil: time.Now
	IdPClient    *http.Client     // nil: a client with a 10s timeout
	// DashboardACS is the dashboard URL that receives SSO assertions.
	DashboardACS string
	// TrustedProxies are believed about the client address.
	TrustedProxies []netip.Prefix
	// Feed carries configuration changes and session revocations from
	// every instance (nil: only this process's own, for tests).
	Feed *changes.Feed
	// SessionCacheSize bounds the live sessions kept in memory (0: 20,000).
	SessionCacheSize int
	// Metrics counts sign-ins, Access decisions and origin latency and
	// failures (nil: not counted).
	Metrics *metrics.Metrics
}

// New returns the team-domain handler.
func New(db *store.DB, svc *access.Service, km *keys.Manager, cfg Config, log *slog.Logger) *Portal {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.IdPClient == nil {
		cfg.IdPClient = &http.Client{Timeout: 10 * time.Second}
	}
	p := &Portal{db: db, access: svc, keys: km, log: log, now: cfg.Now, leeway: 60 * time.Second,
		domain: cfg.AccessDomain, secure: cfg.Secure, idpHTTP: cfg.IdPClient, dashboardACS: cfg.DashboardACS,
		mux: http.NewServeMux(), idpKeys: oidcrp.NewKeyCache(), trusted: cfg.TrustedProxies,
		snap: access.NewSnapshot(svc, cfg.Feed), sessions: newSessionCache(cfg.SessionCacheSize, cfg.Feed), feed: cfg.Feed,
		origins: newOriginPool(), originErrors: &originErrorCounter{}, metrics: cfg.Metrics}
	// Forms post to this host and, for the SSO App, to the dashboard.
	formTargets := "'self'"
	if u, err := url.Parse(cfg.DashboardACS); err == nil && u.Host != "" {
		formTargets += " " + u.Scheme + "://" + u.Host
	}
	p.csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; form-action " + formTargets +
		"; frame-ancestors 'none'; base-uri 'none'"
	p.pageHeaders = pageHeaders(p.csp, p.secure)
	p.mux.HandleFunc("GET /{$}", p.page(p.handleLauncher))
	p.mux.HandleFunc("GET /cdn-cgi/access/login/{host}", p.page(p.handleLogin))
	p.mux.HandleFunc("GET /cdn-cgi/access/callback", p.page(p.handleCallback))
	p.mux.HandleFunc("POST /cdn-cgi/access/callback", p.page(p.handleSAMLPost))
	p.mux.HandleFunc("GET /cdn-cgi/access/saml-metadata", p.page(p.handleSAMLMetadata))
	p.mux.HandleFunc("GET /cdn-cgi/access/test-idp/{idp_id}", p.page(p.handleTestIdP))
	p.mux.HandleFunc("GET /cdn-cgi/access/certs", p.page(p.handleCerts))
	p.mux.HandleFunc("GET /cdn-cgi/access/get-identity", p.page(p.handleGetIdentity))
	p.mux.HandleFunc("GET /cdn-cgi/access/logout", p.page(p.handleLogout))
	p.mux.HandleFunc("GET /cdn-cgi/access/sso/dash", p.page(p.handleDashSSO))
	p.mux.HandleFunc("GET /cdn-cgi/access/assets/style.css", serveStyle)
	p.mux.HandleFunc("GET /cdn-cgi/access/assets/autosubmit.js", serveAutosubmit)
	p.mux.HandleFunc("/", p.page(func(w http.ResponseWriter, r *http.Request, _ orgInfo) error {
		return &pageError{status: http.StatusNotFound, title: "Not found", message: "There is nothing at this address."}
	}))
	return p
}

// IsTeamHost reports whether host (with or without port) is a team domain.
func (p *Portal) IsTeamHost(host string) bool {
	h := hostOnly(host)
	return strings.HasSuffix(h, "."+p.domain) && !strings.Contains(strings.TrimSuffix(h, "."+p.domain), ".")
}

func hostOnly(host string) string {
	// Without a colon there is no port, and SplitHostPort's error would
	// allocate: a Host header without one is the usual case behind 80/443.
	if strings.Contains(host, ":") {
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
	}
	return strings.ToLower(strings.TrimSuffix(host, "."))
}

// ServeHTTP serves a team-domain request: every route is ssogate's own.
func (p *Portal) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.setPageHeaders(w)
	if p.readForm(w, r) {
		p.mux.ServeHTTP(w, r)
	}
}

// clientIP is the request's client address.
func (p *Portal) clientIP(r *http.Request) netip.Addr { return api.ClientIP(r, p.trusted) }

// orgInfo is the organization a request's host belongs to.
type orgInfo struct {
	access.Organization
	TeamURL string
}

type handler func(w http.ResponseWriter, r *http.Request, org orgInfo) error

// page resolves the organization and turns errors into pages: one place
// maps errors to what a browser sees, with no internals.
func (p *Portal) page(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		org, err := p.org(r.Context(), r.Host)
		if err == nil {
			metrics.RequestOf(r.Context()).SetAccount(org.AccountID)
			err = h(w, r, org)
		}
		if err == nil {
			return
		}
		p.fail(w, r, "access portal", err)
	}
}

// fail is the one place that turns an error into the page a browser sees:
// a *pageError as it says, an unreachable database a 503 with Retry-After
// (logged by the store once per 10 s, not per request), anything else a
// generic 500 whose cause is logged, never shown.
func (p *Portal) fail(w http.ResponseWriter, r *http.Request, where string, err error) {
	var pe *pageError
	switch {
	case errors.As(err, &pe):
	case store.IsUnavailable(err) && r.Context().Err() == nil:
		retry := p.db.Unavailable(p.log, err)
		w.Header().Set("Retry-After", api.RetryAfterValue(retry))
		pe = &pageError{status: http.StatusServiceUnavailable, title: "Temporarily unavailable",
			message: "ssogate cannot reach its database just now. Try again in a few seconds."}
	default:
		p.log.Error(where, "request_id", metrics.RequestID(r.Context()), "host", r.Host, "path", r.URL.Path, "error", err)
		pe = &pageError{status: http.StatusInternalServerError, title: "Something went wrong",
			message: "ssogate could not complete this request. Try again; if it keeps failing, tell your administrator."}
	}
	p.render(w, pe.status, "error", pe)
}

func (p *Portal) org(ctx context.Context, host string) (orgInfo, error) {
	o, err := p.snap.OrganizationByDomain(ctx, hostOnly(host))
	if errors.Is(err, store.ErrNotFound) {
		return orgInfo{}, &pageError{status: http.StatusNotFound, title: "Unknown team",
			message: "No Access organization uses " + hostOnly(host) + "."}
	}
	if err != nil {
		return orgInfo{}, err
	}
	return orgInfo{Organization: *o, TeamURL: p.access.TeamURL(o.AuthDomain)}, nil
}

// pageError is an error with the page that explains it.
type pageError struct {
	status  int
	title   string
	message string
	reasons []string
}

func (e *pageError) Error() string { return e.title + ": " + e.message }

func (p *Portal) setCookie(w http.ResponseWriter, name, value string, maxAge time.Duration) {
	c := &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true, Secure: p.secure,
		SameSite: http.SameSiteLaxMode}
	if maxAge > 0 {
		c.MaxAge = int(maxAge.Seconds())
	} else {
		c.MaxAge = -1
	}
	http.SetCookie(w, c)
}
