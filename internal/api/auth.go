package api

import (
	"context"
	"net/http"
	"net/netip"
	"strings"

	"github.com/ssogate/ssogate/internal/ids"
)

// Grants answers whether a caller holds a permission on an account. The
// tokens package implements it from a token's policies.
type Grants interface {
	Allows(permission, accountID string) bool
}

// Principal is an authenticated API caller.
type Principal struct {
	TokenID   string
	TokenName string
	// AccountID is the account that owns the token.
	AccountID string
	Grants    Grants
}

// Authenticator turns a bearer secret into a Principal, or an *Error that
// says why not (401 unknown/disabled/expired, 403 refused client IP).
type Authenticator interface {
	Authenticate(ctx context.Context, secret string, clientIP netip.Addr) (*Principal, error)
}

// bearer extracts the token from the request headers, with Cloudflare's
// errors for missing and malformed credentials.
func bearer(r *http.Request) (string, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		if r.Header.Get("X-Auth-Key") != "" || r.Header.Get("X-Auth-Email") != "" {
			e := Errorf(http.StatusBadRequest, CodeInvalidHeaders, "Invalid request headers")
			e.Messages[0].ErrorChain = []Message{{Code: 6103,
				Message: "ssogate accepts API tokens only, not Global API keys: send Authorization: Bearer <token>"}}
			return "", e
		}
		return "", Errorf(http.StatusBadRequest, CodeMissingAuth, "Missing X-Auth-Key, X-Auth-Email or Authorization headers")
	}
	scheme, value, ok := strings.Cut(h, " ")
	value = strings.TrimSpace(value)
	if !ok || !strings.EqualFold(scheme, "Bearer") || !ids.WellFormedToken(value) {
		e := Errorf(http.StatusBadRequest, CodeInvalidHeaders, "Invalid request headers")
		e.Messages[0].ErrorChain = []Message{{Code: CodeBadAuthHeader,
			Message: "Invalid format for Authorization header: expected \"Bearer <token>\" with a 40-character token"}}
		return "", e
	}
	return value, nil
}

// ClientIP returns the address the request came from. X-Forwarded-For is
// believed only when the direct peer is a trusted proxy, and then the
// right-most address that is not itself a trusted proxy wins (the left-most
// entries are whatever the client chose to send).
func ClientIP(r *http.Request, trusted []netip.Prefix) netip.Addr {
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	addr := peer.Addr().Unmap()
	if !inAny(addr, trusted) {
		return addr
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return addr
		}
		hop = hop.Unmap()
		if !inAny(hop, trusted) {
			return hop
		}
	}
	return addr
}

func inAny(a netip.Addr, prefixes []netip.Prefix) bool {
	for _, p := range prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
