package metrics

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"strings"
	"sync/atomic"
)

// Surface is the part of ssogate that answered a request.
type Surface uint8

const (
	SurfaceUnknown     Surface = iota
	SurfaceAPI                 // the v4 API under /client/v4
	SurfaceDashboard           // the dashboard's pages
	SurfaceTeam                // an Access team domain: logins, the launcher
	SurfaceGateway             // a protected application's host
	SurfaceForwardAuth         // a proxy's forward-auth subrequest
	SurfaceHealth              // /healthz and /readyz
	numSurfaces
)

var surfaceNames = [numSurfaces]string{"unknown", "api", "dashboard", "team", "gateway", "forward_auth", "health"}

func (s Surface) String() string {
	if s >= numSurfaces {
		return surfaceNames[SurfaceUnknown]
	}
	return surfaceNames[s]
}

// Unmatched is the route of a request that no route of ours matched: the
// label never carries a raw path, whose values are unbounded.
const Unmatched = "unmatched"

// Request is what is known about the request being served. Observe puts
// one in every request's context; handlers fill in what they learn. Its
// methods do nothing on a nil Request (outside Observe, as in unit tests
// that call a handler directly).
//
// A request is handled by one goroutine at a time, and the fields are read
// after the handler returned, so there is no lock.
type Request struct {
	id      uint64
	idText  string // id formatted, once asked for
	surface Surface
	route   string
	account string
	// actor is who made the request, as kind and id ("token", "user",
	// "service_token"): kept apart so that setting it on the gateway's
	// hot path builds no string; the log line joins them.
	actorKind, actorID string
}

type requestKey struct{}

// RequestOf returns the request's Request, nil outside Observe.
func RequestOf(ctx context.Context) *Request {
	r, _ := ctx.Value(requestKey{}).(*Request)
	return r
}

// RequestID is the id of the request being served ("" outside Observe):
// what the request log, the X-Request-Id header and error messages show.
func RequestID(ctx context.Context) string { return RequestOf(ctx).ID() }

// ID is the request's id: 16 hex digits.
func (r *Request) ID() string {
	if r == nil {
		return ""
	}
	if r.idText == "" {
		r.idText = formatID(r.id)
	}
	return r.idText
}

// SetSurface records which part of ssogate answers the request.
func (r *Request) SetSurface(s Surface) {
	if r != nil {
		r.surface = s
	}
}

// SetRoute records the route that matched: a constant or a pattern, never
// a raw path.
func (r *Request) SetRoute(route string) {
	if r != nil && route != "" {
		r.route = route
	}
}

// SetPattern records the http.ServeMux pattern that matched (r.Pattern):
// the method and host are dropped (the method is a label of its own), and
// a catch-all subtree pattern ("/", "/client/v4/") leaves the route
// unmatched.
func (r *Request) SetPattern(pattern string) { r.SetRoute(RouteOf(pattern)) }

// SetAccount records the account the request acts on.
func (r *Request) SetAccount(id string) {
	if r != nil {
		r.account = id
	}
}

// SetActor records who made the request: kind "token" and an API token's
// id, "user" and a user id, "service_token" and a client id — never a
// secret, nor an email.
func (r *Request) SetActor(kind, id string) {
	if r != nil && id != "" {
		r.actorKind, r.actorID = kind, id
	}
}

// actor is the actor as the log shows it, "kind:id".
func (r *Request) actor() string {
	if r.actorID == "" {
		return ""
	}
	return r.actorKind + ":" + r.actorID
}

// RouteOf turns a ServeMux pattern into a route label: "GET
// /accounts/{account_id}/tokens" is "/accounts/{account_id}/tokens"; a
// subtree catch-all such as "/" is "" (unmatched).
func RouteOf(pattern string) string {
	if i := strings.IndexByte(pattern, ' '); i >= 0 {
		pattern = strings.TrimLeft(pattern[i+1:], " \t")
	}
	if i := strings.IndexByte(pattern, '/'); i > 0 {
		pattern = pattern[i:] // a host in the pattern
	}
	if pattern == "" || strings.HasSuffix(pattern, "/") {
		return ""
	}
	return pattern
}

// Request ids are a per-process random start plus a counter: unique within
// a process without a random read per request, unpredictable across
// processes, and as long as the ids the API always used.
var (
	idBase    = randomUint64()
	idCounter atomic.Uint64
)

func nextID() uint64 { return idBase + idCounter.Add(1) }

func randomUint64() uint64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return binary.BigEndian.Uint64(b[:])
}

func formatID(id uint64) string {
	const digits = "0123456789abcdef"
	var b [16]byte
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = digits[id&0xf]
		id >>= 4
	}
	return string(b[:])
}
