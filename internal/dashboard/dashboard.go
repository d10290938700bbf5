package dashboard

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/ssogate/ssogate/internal/access"
	"github.com/ssogate/ssogate/internal/access/portal"
	"github.com/ssogate/ssogate/internal/accounts"
	"github.com/ssogate/ssogate/internal/api"
	"github.com/ssogate/ssogate/internal/audit"
	"github.com/ssogate/ssogate/internal/browser"
	"github.com/ssogate/ssogate/internal/ids"
	"github.com/ssogate/ssogate/internal/metrics"
	"github.com/ssogate/ssogate/internal/ratelimit"
	"github.com/ssogate/ssogate/internal/sso"
	"github.com/ssogate/ssogate/internal/store"
	"github.com/ssogate/ssogate/internal/tokens"
)

// Dashboard is the dashboard's HTTP handler.
type Dashboard struct {
	db      *store.DB
	tokens  *tokens.Service
	sso     *sso.Service
	access  *access.Service
	portal  *portal.Portal
	log     *slog.Logger
	now     func() time.Time
	secure  bool
	trusted []netip.Prefix
	apiURL  string // shown in curl examples
	// Password attempts: per email and per client address.
	byEmail, byClient ratelimit.Limiter
	mux               *http.ServeMux
	handler           http.Handler
	csp               string
	metrics           *metrics.Metrics // nil: not counted
}

// Services are the parts of ssogate the dashboard drives. It calls them
// directly rather than through the HTTP API, with the signed-in user as
// the audit actor and the user's role as the grants.
type Services struct {
	DB     *store.DB
	Tokens *tokens.Service
	SSO    *sso.Service
	Access *access.Service
	Portal *portal.Portal
}

// Config configures the dashboard.
type Config struct {
	// Secure marks cookies Secure (and __Host-): the dashboard is served
	// over https.
	Secure         bool
	TrustedProxies []netip.Prefix
	// APIURL is the API base shown in examples, such as
	// http://localhost:8080/client/v4.
	APIURL string
	// TeamOrigins are CSP host sources for the team domains, such as
	// http://*.access.localhost:8080: the email step answers a form post
	// with a redirect there, and browsers hold redirects of form posts to
	// form-action.
	TeamOrigins []string
	Now         func() time.Time // nil: time.Now
	// Metrics counts sign-ins (nil: not counted).
	Metrics *metrics.Metrics
}

// New returns the dashboard handler.
func New(s Services, cfg Config, log *slog.Logger) *Dashboard {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	d := &Dashboard{db: s.DB, tokens: s.Tokens, sso: s.SSO, access: s.Access, portal: s.Portal, log: log,
		now: cfg.Now, secure: cfg.Secure, trusted: cfg.TrustedProxies, apiURL: cfg.APIURL, metrics: cfg.Metrics,
		byEmail:  ratelimit.New(s.DB, loginPerEmail, ratelimit.Options{Now: cfg.Now, Log: log}),
		byClient: ratelimit.New(s.DB, loginPerClient, ratelimit.Options{Now: cfg.Now, Log: log}),
		mux:      http.NewServeMux(),
		csp: "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
			"form-action " + strings.Join(append([]string{"'self'"}, cfg.TeamOrigins...), " ") +
			"; frame-ancestors 'none'; base-uri 'none'"}
	d.routes()
	// Browsers say where a request comes from (Sec-Fetch-Site, Origin):
	// refusing cross-origin state changes is a second wall behind the
	// CSRF tokens. /login/sso is the one cross-site post by design.
	cop := http.NewCrossOriginProtection()
	cop.AddInsecureBypassPattern("POST /login/sso")
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.renderError(w, r, nil, &pageError{status: http.StatusForbidden, title: "Request refused",
			message: "This form was sent from another site, so ssogate did not act on it. Open the dashboard and try again."})
	}))
	d.handler = cop.Handler(d.mux)
	return d
}

// ServeHTTP serves a dashboard request with the security headers every
// page carries, its form (if any) read within browser.MaxForm first.
func (d *Dashboard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", d.csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	if d.secure {
		h.Set("Strict-Transport-Security", browser.HSTS)
	}
	if refused := browser.ReadForm(w, r); refused != nil {
		d.renderError(w, r, nil, &pageError{status: refused.Status, title: refused.Title, message: refused.Message, back: "/"})
		return
	}
	d.handler.ServeHTTP(w, r)
}

// req is one request as the pages see it.
type req struct {
	*http.Request
	w       http.ResponseWriter
	sess    *Session
	account *accounts.Account
	member  *accounts.Member
	// memberships are the user's accounts, for the account switcher.
	memberships []accounts.Member
	ip          netip.Addr
	// csrf is the token forms on this page must carry.
	csrf string
}

func (rq *req) ctx() context.Context { return rq.Context() }

// role is the signed-in member's role in the current account.
func (rq *req) role() string {
	if rq.member == nil {
		return ""
	}
	return rq.member.Role
}

type handler func(rq *req) error

// pageError is an error with what a person should see.
type pageError struct {
	status         int
	title, message string
	back           string // a relative link to go back to
}

func (e *pageError) Error() string { return e.title + ": " + e.message }

var errRedirected = errors.New("response already written")

// fail is the one place that turns an error into what the browser sees:
// an *api.Error keeps its status and message, a missing row is a 404, an
// unreachable database a 503 with Retry-After, anything else is logged and
// shown as a generic 500 with no internals.
func (d *Dashboard) fail(rq *req, err error) {
	if errors.Is(err, errRedirected) {
		return
	}
	var pe *pageError
	var ae *api.Error
	switch {
	case errors.As(err, &pe):
	case errors.As(err, &ae):
		msg := "The request was refused."
		if len(ae.Messages) > 0 {
			msg = ae.Messages[0].Message
		}
		pe = &pageError{status: ae.Status, title: "That did not work", message: msg}
		if ae.Status >= 500 {
			d.log.Error("dashboard", "request_id", metrics.RequestID(rq.ctx()), "path", rq.URL.Path, "error", err)
			pe = internalError()
		}
	case errors.Is(err, store.ErrNotFound):
		pe = &pageError{status: http.StatusNotFound, title: "Not found", message: "There is nothing at this address."}
	case store.IsUnavailable(err) && rq.Context().Err() == nil:
		// Counted and logged once per 10 s by the store, not per request.
		retry := d.db.Unavailable(d.log, err)
		rq.w.Header().Set("Retry-After", api.RetryAfterValue(retry))
		pe = &pageError{status: http.StatusServiceUnavailable, title: "Temporarily unavailable",
			message: "ssogate cannot reach its database just now. Try again in a few seconds."}
	default:
		d.log.Error("dashboard", "request_id", metrics.RequestID(rq.ctx()), "path", rq.URL.Path, "error", err)
		pe = internalError()
	}
	if pe.back == "" && rq.Method == http.MethodPost {
		pe.back = "/login"
		if rq.account != nil {
			pe.back = backLink(rq)
		}
	}
	d.renderError(rq.w, rq.Request, rq, pe)
}

func internalError() *pageError {
	return &pageError{status: http.StatusInternalServerError, title: "Something went wrong",
		message: "ssogate could not complete this request. Try again; if it keeps failing, tell your administrator."}
}

// backLink is the section page of an account form post.
func backLink(rq *req) string {
	rest := strings.TrimPrefix(rq.URL.Path, "/"+rq.account.ID+"/")
	section, _, _ := strings.Cut(rest, "/")
	return "/" + rq.account.ID + "/" + section
}

// public wraps a handler that needs no session. Posts must carry the
// pre-session CSRF token.
func (d *Dashboard) public(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rq := d.newReq(w, r)
		if s, err := d.currentSession(r); err == nil {
			rq.sess = s
		}
		pre := d.preSecret(w, r)
		rq.csrf = csrfToken(pre)
		if r.Method == http.MethodPost && !validCSRF(r, pre) {
			d.fail(rq, errCSRF)
			return
		}
		if err := h(rq); err != nil {
			d.fail(rq, err)
		}
	}
}

var errCSRF = &pageError{status: http.StatusForbidden, title: "Form expired",
	message: "This form could not be checked (it is old, or your browser does not keep cookies for this site). Reload the page and try again.",
	back:    "/login"}

// preSecret returns the pre-session cookie's secret, setting a new one
// when the browser has none.
func (d *Dashboard) preSecret(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(d.preCookie()); err == nil && len(c.Value) >= 32 && len(c.Value) <= 100 {
		return c.Value
	}
	if r.Method == http.MethodPost {
		return "" // a new cookie cannot vouch for a form already sent
	}
	v := randomToken()
	d.setCookie(w, d.preCookie(), v, 0)
	return v
}

func (d *Dashboard) currentSession(r *http.Request) (*Session, error) {
	c, err := r.Cookie(d.sessionCookie())
	if err != nil {
		return nil, errNoSession
	}
	return d.session(r.Context(), c.Value)
}

// signedIn wraps a handler that needs a session: without one, the browser
// goes to the login page and comes back afterwards.
func (d *Dashboard) signedIn(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rq := d.newReq(w, r)
		s, err := d.currentSession(r)
		if err != nil {
			if !errors.Is(err, errNoSession) {
				d.fail(rq, err)
				return
			}
			if r.Method != http.MethodGet {
				d.fail(rq, &pageError{status: http.StatusUnauthorized, title: "Signed out",
					message: "Your session ended, so nothing was changed. Sign in again and retry.", back: "/login"})
				return
			}
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		rq.sess, rq.csrf = s, csrfToken(s.secret)
		metrics.RequestOf(r.Context()).SetActor("user", s.UserID) // for the request log
		rq.Request = r.WithContext(audit.WithActor(r.Context(), audit.Actor{ID: s.UserID, Email: s.Email,
			IP: ipString(rq.ip), Type: "user", Interface: "UI"}))
		if r.Method == http.MethodPost && !validCSRF(rq.Request, s.secret) {
			d.fail(rq, errCSRF)
			return
		}
		if rq.memberships, err = accounts.MembersByEmail(rq.ctx(), d.db, s.Email); err != nil {
			d.fail(rq, err)
			return
		}
		if err := h(rq); err != nil {
			d.fail(rq, err)
		}
	}
}

// inAccount wraps a handler of an account page: the user must be a
// member of the account in the path. Anything else is a 404, so the
// pages do not tell which account ids exist.
func (d *Dashboard) inAccount(h handler) http.HandlerFunc {
	return d.signedIn(func(rq *req) error {
		id := rq.PathValue("account_id")
		for i := range rq.memberships {
			if m := &rq.memberships[i]; m.AccountID == id && ids.IsHex32(id) {
				a, err := accounts.Get(rq.ctx(), d.db, id)
				if err != nil {
					return err
				}
				rq.account, rq.member = &a, m
				metrics.RequestOf(rq.ctx()).SetAccount(a.ID)
				if !can(m.Role, capView) { // a role the table does not know, say
					return &pageError{status: http.StatusForbidden, title: "Not allowed",
						message: refusal(m.Role, capView), back: "/"}
				}
				return h(rq)
			}
		}
		return &pageError{status: http.StatusNotFound, title: "Account not found",
			message: "There is no account with this id that you are a member of.", back: "/"}
	})
}

func ipString(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

// redirect answers a form post with 303 to a path of this site.
func redirect(rq *req, path string) error {
	http.Redirect(rq.w, rq.Request, path, http.StatusSeeOther)
	return errRedirected
}

// apiGrants is what a member may do through the services, from their role.
func (rq *req) grants() api.Grants { return accounts.RoleGrants(rq.role()) }

// need refuses the request unless the member's role has the capability.
func (rq *req) need(c capability) error {
	if can(rq.role(), c) {
		return nil
	}
	return &pageError{status: http.StatusForbidden, title: "Not allowed", message: refusal(rq.role(), c),
		back: backLink(rq)}
}

// newReq starts the dashboard's view of a request.
func (d *Dashboard) newReq(w http.ResponseWriter, r *http.Request) *req {
	return &req{Request: r, w: w, ip: api.ClientIP(r, d.trusted)}
}
