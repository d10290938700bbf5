package api

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strings"

	"github.com/ssogate/ssogate/internal/audit"
	"github.com/ssogate/ssogate/internal/ids"
	"github.com/ssogate/ssogate/internal/metrics"
	"github.com/ssogate/ssogate/internal/ratelimit"
)

// Prefix is where the API is served.
const Prefix = "/client/v4"

// AnyToken is the permission of routes any valid token may call on its own
// account (the verify endpoints). It is still a declaration: a route with no
// permission at all is refused when registered.
const AnyToken = "any valid token"

// HandlerFunc handles an authenticated API request. It returns a Reply, a
// bare result value (wrapped into a Reply), or an error for writeError.
type HandlerFunc func(r *Request) (any, error)

// Route is one entry of the route table.
type Route struct {
	Method string
	// Path is relative to Prefix, in net/http pattern syntax:
	// "/accounts/{account_id}/sso_connectors/{sso_connector_id}".
	Path string
	// Permissions lists the permission groups of which the caller needs
	// one (Write groups imply their Read twin, see tokens.Implies).
	Permissions []string
	Handle      HandlerFunc
}

// Request is what a handler sees.
type Request struct {
	*http.Request
	Principal *Principal
	// AccountID is the {account_id} of the path, already checked to be one
	// the principal may act on; empty on routes without it.
	AccountID string
	ClientIP  netip.Addr

	// body is the request body, read once by the router (bufferBody)
	// within MaxBody; read tells Decode it need not read it again.
	body []byte
	read bool
}

// PathID returns a path parameter after checking its shape; a malformed id
// is Cloudflare's 400 7003 "could not route", never a database query.
func (r *Request) PathID(name string, valid func(string) bool) (string, error) {
	v := r.PathValue(name)
	if !valid(v) {
		return "", routeError(r.Request, http.StatusBadRequest)
	}
	return v, nil
}

// Router is the API's route table and HTTP handler.
type Router struct {
	mux     *http.ServeMux
	routes  []Route
	auth    Authenticator
	log     *slog.Logger
	trusted []netip.Prefix
	outages Outages // nil: refusals are logged one by one
	// failures counts failed authentications per client (nil: unlimited).
	failures ratelimit.Limiter
}

// NewRouter returns an empty router.
func NewRouter(auth Authenticator, log *slog.Logger, trustedProxies []netip.Prefix) *Router {
	rt := &Router{mux: http.NewServeMux(), auth: auth, log: log, trusted: trustedProxies}
	rt.mux.HandleFunc(Prefix+"/", rt.noRoute)
	return rt
}

// Handle adds a route. A route that declares no permission is a programming
// error caught at start-up (and by the route-table test), so it panics.
func (rt *Router) Handle(route Route) {
	if len(route.Permissions) == 0 {
		panic(fmt.Sprintf("api: route %s %s declares no permission", route.Method, route.Path))
	}
	rt.routes = append(rt.routes, route)
	rt.mux.Handle(route.Method+" "+Prefix+route.Path, rt.adapt(route))
}

// Routes returns the route table.
func (rt *Router) Routes() []Route { return append([]Route(nil), rt.routes...) }

// ServeHTTP serves the API with request ids and panic recovery.
func (rt *Router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx, id := withRequestID(r.Context())
	w.Header().Set("X-Request-Id", id)
	r = r.WithContext(ctx)
	defer func() {
		if p := recover(); p != nil {
			rt.log.Error("panic in API handler", "request_id", id, "panic", p, "stack", string(debug.Stack()))
			rt.writeError(w, r, fmt.Errorf("panic: %v", p))
		}
	}()
	rt.mux.ServeHTTP(w, r)
}

func (rt *Router) adapt(route Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		metrics.RequestOf(r.Context()).SetPattern(r.Pattern)
		req, err := rt.authorize(r, route)
		if err == nil {
			err = bufferBody(w, req)
		}
		if err != nil {
			rt.writeError(w, r, err)
			return
		}
		out, err := route.Handle(req)
		if err != nil {
			rt.writeError(w, r, err)
			return
		}
		if rep, ok := out.(Reply); ok {
			writeReply(w, rep)
			return
		}
		writeReply(w, Reply{Result: out})
	})
}

// bufferBody reads the body, up to MaxBody, before the handler runs, so
// the limit holds on every route: those that never read a body
// (revoke_tokens, keys/rotate) refuse an oversized one like the rest
// instead of leaving it to the server to drain. Only authenticated
// callers get this far.
func bufferBody(w http.ResponseWriter, r *Request) error {
	r.read = true
	if r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	body, err := readBody(w, r.Body)
	if err != nil {
		return err
	}
	r.body = body
	return nil
}

// authorize authenticates the caller and checks the route's permission on
// the account of the path (or, for routes without one, the token's own
// account). Tenancy is decided here, once, for every route.
func (rt *Router) authorize(r *http.Request, route Route) (*Request, error) {
	ip := ClientIP(r, rt.trusted)
	accountID := r.PathValue("account_id")
	if strings.Contains(route.Path, "{account_id}") && !ids.IsHex32(accountID) {
		return nil, routeError(r, http.StatusBadRequest)
	}
	p, err := rt.authenticate(r, ip)
	if err != nil {
		return nil, err
	}
	// An account-owned token acts on its own account only. Grants say so
	// too; checking here as well keeps tenancy independent of them.
	if accountID != "" && accountID != p.AccountID {
		return nil, Forbidden("the token belongs to another account")
	}
	target := accountID
	if target == "" {
		target = p.AccountID
	}
	if !permitted(p, route.Permissions, target) {
		return nil, Forbidden(fmt.Sprintf("the token needs one of [%s] on account %s",
			strings.Join(route.Permissions, ", "), target))
	}
	ctx := audit.WithActor(r.Context(), audit.Actor{ID: p.TokenID, Email: p.TokenName,
		IP: ip.String(), Type: "token", Interface: "API"})
	q := metrics.RequestOf(ctx) // for the request log: never the token's value
	q.SetAccount(target)
	q.SetActor("token", p.TokenID)
	return &Request{Request: r.WithContext(ctx), Principal: p, AccountID: accountID, ClientIP: ip}, nil
}

func permitted(p *Principal, perms []string, accountID string) bool {
	for _, perm := range perms {
		if perm == AnyToken && p.AccountID == accountID {
			return true
		}
		if perm != AnyToken && p.Grants.Allows(perm, accountID) {
			return true
		}
	}
	return false
}

// noRoute answers paths under the prefix that match no route: 405 when the
// path exists for another method, else Cloudflare's 7003/7000 pair.
func (rt *Router) noRoute(w http.ResponseWriter, r *http.Request) {
	var allowed []string
	for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := rt.mux.Handler(probe); pattern != Prefix+"/" && pattern != "" {
			allowed = append(allowed, m)
		}
	}
	if len(allowed) > 0 {
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		rt.writeError(w, r, Errorf(http.StatusMethodNotAllowed, CodeMethod,
			"Method %s is not allowed on %s; use %s", r.Method, r.URL.Path, strings.Join(allowed, ", ")))
		return
	}
	rt.writeError(w, r, routeError(r, http.StatusNotFound))
}

func routeError(r *http.Request, status int) *Error {
	return &Error{Status: status, Messages: []Message{
		{Code: CodeNoRouteID, Message: fmt.Sprintf("Could not route to %s, perhaps your object identifier is invalid?", r.URL.Path)},
		{Code: CodeNoRoute, Message: "No route for that URI"},
	}}
}

type requestIDKey struct{}

// withRequestID gives the request an id: the one the request log has
// (metrics.Observe, in front of every handler), else a fresh one for a
// router served on its own (tests).
func withRequestID(ctx context.Context) (context.Context, string) {
	if id := metrics.RequestID(ctx); id != "" {
		return ctx, id
	}
	id := ids.NewHex32()[:16]
	return context.WithValue(ctx, requestIDKey{}, id), id
}

// RequestID returns the request id set by the router ("" outside a request).
func RequestID(ctx context.Context) string {
	if id, ok := ctx.Value(requestIDKey{}).(string); ok {
		return id
	}
	return metrics.RequestID(ctx)
}
