package portal

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ssogate/ssogate/internal/access"
	"github.com/ssogate/ssogate/internal/access/keys"
	"github.com/ssogate/ssogate/internal/access/policy"
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
// and returns the application token to forward, "" for a bypass.
func (p *Portal) serviceTokenAdmit(r *http.Request, org orgInfo, app *access.App, clientID, secret string) (string, time.Duration, error) {
	t, d, err := p.snap.AdmitServiceToken(r.Context(), app, clientID, secret, p.clientIP(r))
	if reason := access.ServiceTokenReason(err); reason != "" {
		return "", 0, &errServiceToken{status: http.StatusUnauthorized, reason: reason}
	}
	if err != nil {
		return "", 0, err
	}
	switch d.Result {
	case policy.ResultBypass:
		return "", 0, nil
	case policy.ResultAllow:
	default:
		return "", 0, &errServiceToken{status: http.StatusForbidden, reason: "not_allowed"}
	}
	ttl := appTTL(app, d.Policy)
	jwt, err := p.serviceJWTs.get(serviceJWTKey{t.ID, t.ClientSecretVersion, app.AUD}, p.now(), func(now time.Time) (string, error) {
		return p.keys.Sign(r.Context(), org.AccountID, keys.Claims{Audience: keys.Audience{app.AUD}, Issuer: org.TeamURL,
			Type: "app", CommonName: t.ClientID, Subject: "",
			IdentityNonce: serviceNoncePrefix + t.ID + ":" + strconv.Itoa(t.ClientSecretVersion),
			IssuedAt:      now.Unix(), NotBefore: now.Unix(), Expiry: now.Add(ttl).Unix()})
	}, ttl)
	return jwt, ttl, err
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
	return Identity{AccountID: org.AccountID, IdentityNonce: c.IdentityNonce, IAT: c.IssuedAt}, nil
}

// refuseServiceToken answers a refused service token: the status, the
// reason in Cf-Access-Error, and a JSON body saying the same.
func refuseServiceToken(w http.ResponseWriter, e *errServiceToken) error {
	w.Header().Set(errorHeader, e.reason)
	return writeJSON(w, e.status, map[string]string{"err": fmt.Sprintf("service token refused: %s", e.reason)})
}

// serviceJWTKey names a minted application token: the service token, the
// secret version it was checked with, the application.
type serviceJWTKey struct {
	tokenID string
	version int
	aud     string
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
	token   string
	renewAt time.Time
}

const maxServiceJWTs = 10_000

func (c *serviceJWTCache) get(k serviceJWTKey, now time.Time, mint func(time.Time) (string, error), ttl time.Duration) (string, error) {
	c.mu.Lock()
	e, ok := c.m[k]
	c.mu.Unlock()
	if ok && now.Before(e.renewAt) {
		return e.token, nil
	}
	tok, err := mint(now)
	if err != nil {
		return "", err
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
	c.m[k] = serviceJWT{token: tok, renewAt: now.Add(ttl * 4 / 5)}
	return tok, nil
}

// isServiceRefusal reports whether err is a refused service token.
func isServiceRefusal(err error) (*errServiceToken, bool) {
	var e *errServiceToken
	return e, errors.As(err, &e)
}
