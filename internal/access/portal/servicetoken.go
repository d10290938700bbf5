package portal

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ssogate/ssogate/internal/access"
	"github.com/ssogate/ssogate/internal/access/keys"
	"github.com/ssogate/ssogate/internal/access/policy"
	"github.com/ssogate/ssogate/internal/metrics"
	"github.com/ssogate/ssogate/internal/store"
)

// Service tokens let machines in (access-flow.md §1.10): a request to an
// app host carrying CF-Access-Client-Id and CF-Access-Client-Secret (or the
// app's read_service_tokens_from_header) that a Service Auth policy admits
// gets an application token of Cloudflare's service-token shape —
// common_name the client id, sub empty — forwarded as
// Cf-Access-Jwt-Assertion and set as CF_Authorization for later requests.
// A refused token gets 401 (or 403 when valid but not admitted) with the
// reason in Cf-Access-Error, never the login redirect.

// errorHeader names why a service token was refused, in a header-safe word.
const errorHeader = "Cf-Access-Error"

// serviceNoncePrefix marks an application token minted for a service token:
// its identity_nonce is "service_token:<token id>:<secret version>", so a
// later request with it is checked against the token (deleted, expired or
// rotated since: refused) instead of a session.
const serviceNoncePrefix = "service_token:"

// errServiceToken is a refused service token: the answer's status and the
// reason for the header.
type errServiceToken struct {
	status int
	reason string
}

func (e *errServiceToken) Error() string { return "service token refused: " + e.reason }

// serviceTokenAdmit checks the service token a request presents for app
// and returns the application token to forward ("" for a bypass) with its
// Set-Cookie line. The secret is checked on every request; the policies'
// decision, the minted token and its cookie line are remembered per app
// configuration, token, secret version and client address
// (serviceJWTCache), so a machine sending its id and secret on every
// request costs neither an evaluation nor a signature per request.
func (p *Portal) serviceTokenAdmit(r *http.Request, org orgInfo, app *access.App, clientID, secret string) (serviceJWT, error) {
	t, err := p.snap.CheckServiceToken(r.Context(), app.AccountID, clientID, secret)
	if reason := access.ServiceTokenReason(err); reason != "" {
		return serviceJWT{}, &errServiceToken{status: http.StatusUnauthorized, reason: reason}
	}
	if err != nil {
		return serviceJWT{}, err
	}
	metrics.RequestOf(r.Context()).SetActor("service_token", t.ClientID)
	ip := p.clientIP(r)
	e, err := p.serviceJWTs.get(serviceJWTKey{app, t.ID, t.ClientSecretVersion, ip}, p.now(), func(now time.Time) (serviceJWT, error) {
		d := policy.EvaluateServiceToken(app.DecidablePolicies(), policy.ServiceToken{ID: t.ID, IP: ip})
		switch d.Result {
		case policy.ResultBypass:
			return serviceJWT{renewAt: now.Add(time.Hour)}, nil
		case policy.ResultAllow:
		default:
			return serviceJWT{refused: true, renewAt: now.Add(time.Hour)}, nil
		}
		ttl := appTTL(app, d.Policy)
		tok, err := p.keys.Sign(r.Context(), org.AccountID, keys.Claims{Audience: keys.Audience{app.AUD}, Issuer: org.TeamURL,
			Type: "app", CommonName: t.ClientID, Subject: "",
			IdentityNonce: serviceNoncePrefix + t.ID + ":" + strconv.Itoa(t.ClientSecretVersion),
			IssuedAt:      now.Unix(), NotBefore: now.Unix(), Expiry: now.Add(ttl).Unix()})
		if err != nil {
			return serviceJWT{}, err
		}
		return serviceJWT{token: tok, cookie: p.appCookie(app, tok, ttl), renewAt: now.Add(ttl * 4 / 5)}, nil
	})
	switch {
	case err != nil:
		return serviceJWT{}, err
	case e.refused:
		return serviceJWT{}, &errServiceToken{status: http.StatusForbidden, reason: "not_allowed"}
	}
	return e, nil
}

// serviceIdentity checks an application token minted for a service token:
// the token must still exist, be unexpired and have the secret version the
// application token was minted for.
func (p *Portal) serviceIdentity(r *http.Request, org orgInfo, c keys.Claims) (Identity, error) {
	rest, ok := strings.CutPrefix(c.IdentityNonce, serviceNoncePrefix)
	id, version, ok2 := strings.Cut(rest, ":")
	if !ok || !ok2 {
		return Identity{}, errNoSession
	}
	t, err := p.snap.LiveServiceToken(r.Context(), org.AccountID, c.CommonName)
	if store.IsUnavailable(err) {
		return Identity{}, err
	}
	if err != nil || t.ID != id || strconv.Itoa(t.ClientSecretVersion) != version {
		return Identity{}, errNoSession
	}
	metrics.RequestOf(r.Context()).SetActor("service_token", c.CommonName)
	return Identity{AccountID: org.AccountID, IdentityNonce: c.IdentityNonce, IAT: c.IssuedAt}, nil
}

// refuseServiceToken answers a refused service token: the status, the
// reason in Cf-Access-Error, and a JSON body saying the same.
func refuseServiceToken(w http.ResponseWriter, e *errServiceToken) error {
	w.Header().Set(errorHeader, e.reason)
	return writeJSON(w, e.status, map[string]string{"err": fmt.Sprintf("service token refused: %s", e.reason)})
}

// serviceJWTKey names a decision and its minted application token: the
// application as configured (a configuration change, policies included,
// makes a new *App in the snapshot, so old entries never match again), the
// service token and the secret version it was checked with, the client
// address (policies may have ip rules).
type serviceJWTKey struct {
	app     *access.App
	tokenID string
	version int
	ip      netip.Addr
}

// serviceJWTCache keeps minted application tokens for service tokens, so a
// machine that sends its id and secret on every request (most do) costs an
// RSA signature once per token lifetime, not per request. Bounded; an
// entry is reused until a fifth of its lifetime is left.
type serviceJWTCache struct {
	mu sync.Mutex
	m  map[serviceJWTKey]serviceJWT
}

type serviceJWT struct {
	token   string // "" with refused false: a bypass
	cookie  string // token's Set-Cookie line, "" with it
	refused bool   // no Service Auth policy admits the token
	renewAt time.Time
}

const maxServiceJWTs = 10_000

func (c *serviceJWTCache) get(k serviceJWTKey, now time.Time, decide func(time.Time) (serviceJWT, error)) (serviceJWT, error) {
	c.mu.Lock()
	e, ok := c.m[k]
	c.mu.Unlock()
	if ok && now.Before(e.renewAt) {
		return e, nil
	}
	e, err := decide(now)
	if err != nil {
		return e, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[serviceJWTKey]serviceJWT{}
	}
	if len(c.m) >= maxServiceJWTs {
		for old := range c.m { // drop one, never all
			delete(c.m, old)
			break
		}
	}
	c.m[k] = e
	return e, nil
}

// isServiceRefusal reports whether err is a refused service token.
func isServiceRefusal(err error) (*errServiceToken, bool) {
	var e *errServiceToken
	return e, errors.As(err, &e)
}
