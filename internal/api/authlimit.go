package api

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"time"

	"github.com/ssogate/ssogate/internal/ratelimit"
)

// FailedAuthLimit is the limit on failed authentications per client
// address: 20 at once, then one every 3 s (20 a minute). A person or a CI
// job with a wrong token fails once per run, far below it; a script trying
// tokens is down to 28,800 guesses a day, and each guess at a token's 178
// random bits is hopeless anyway — the limit mostly keeps such scripts
// from costing a database lookup per request.
var FailedAuthLimit = ratelimit.Policy{Name: "api-auth-ip", Every: 3 * time.Second, Burst: 20}

// LimitFailedAuth makes the router count failed authentications per
// client address in l and refuse a client over the limit with 429 before
// looking at its credentials at all. A valid token from that address is
// refused too: answering it would tell a guesser which guess was right,
// the very thing the limit withholds. Only failures are counted, so
// clients that authenticate never reach the limit.
func (rt *Router) LimitFailedAuth(l ratelimit.Limiter) { rt.failures = l }

// authenticate turns the request's credentials into a Principal: every
// way of presenting them passes here, so every refusal is counted against
// the client, and a client over the limit is refused before its
// credentials are read.
func (rt *Router) authenticate(r *http.Request, ip netip.Addr) (*Principal, error) {
	if err := rt.checkFailures(r, ip); err != nil {
		return nil, err
	}
	secret, err := bearer(r)
	if err != nil {
		rt.countFailure(r, ip, err)
		return nil, err
	}
	p, err := rt.auth.Authenticate(r.Context(), secret, ip)
	if err != nil {
		rt.countFailure(r, ip, err)
		return nil, err
	}
	return p, nil
}

// checkFailures refuses a client that failed too often.
func (rt *Router) checkFailures(r *http.Request, ip netip.Addr) error {
	if rt.failures == nil {
		return nil
	}
	if ok, wait := rt.failures.Check(r.Context(), ratelimit.ClientKey(ip)); !ok {
		return RateLimited(wait, "too many failed authentications from this address")
	}
	return nil
}

// countFailure counts err against the client when it refused the
// credentials presented: an unknown, disabled or expired token (401), a
// malformed Authorization header or a Global API key (400 6003). Missing
// credentials are not a guess, a token refused for the client address
// (9109) proved its secret, and a database error is not the client's doing.
func (rt *Router) countFailure(r *http.Request, ip netip.Addr, err error) {
	var e *Error
	if rt.failures == nil || !errors.As(err, &e) {
		return
	}
	if e.Status == http.StatusUnauthorized || (e.Status == http.StatusBadRequest && hasCode(e, CodeInvalidHeaders)) {
		rt.failures.Take(r.Context(), ratelimit.ClientKey(ip))
	}
}

func hasCode(e *Error, code int) bool {
	for _, m := range e.Messages {
		if m.Code == code {
			return true
		}
	}
	return false
}

// RateLimited is Cloudflare's 429 (code 971) with a Retry-After of whole
// seconds, at least one: the SDK retries a 429 after exactly that long.
func RateLimited(retryAfter time.Duration, why string) *Error {
	retryAfter = max(retryAfter, time.Second)
	e := Errorf(http.StatusTooManyRequests, CodeRateLimited, "Please wait and consider throttling your request speed")
	e.Messages[0].ErrorChain = []Message{{Code: CodeRateLimited,
		Message: fmt.Sprintf("%s; retry after %s s", why, RetryAfterValue(retryAfter))}}
	e.RetryAfter = retryAfter
	return e
}
