package api_test

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"net/netip"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/app"
	"github.com/ssogate/ssogate/internal/apptest"
	"github.com/ssogate/ssogate/internal/config"
	"github.com/ssogate/ssogate/internal/ids"
	"github.com/ssogate/ssogate/internal/store/storetest"
)

// trustLoopback makes loopback a trusted proxy, so X-Forwarded-For names
// the client and one test can speak from several addresses.
func trustLoopback(c *config.Config, _ *app.Options) {
	c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
}

func from(ip, token string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + token, "X-Forwarded-For": ip}
}

// TestWrongTokensLimitedPerClient: 300 wrong tokens from one address are
// 20 × 401, then 429 in the v4 envelope with Retry-After, before the
// token is even looked at — a valid token from that address waits too.
// Another address is not affected, and valid tokens never count.
func TestWrongTokensLimitedPerClient(t *testing.T) {
	clock := apptest.NewClock(time.Now()) // still: no attempt is regained unless the test says so
	env := apptest.New(t, trustLoopback, apptest.WithNow(clock.Now))
	const guesser, other = "203.0.113.9", "198.51.100.7"
	unauthorized := 0
	for i := range 300 {
		r := send(t, env, "GET", "/user/tokens/verify", from(guesser, ids.NewTokenValue()), nil)
		if i < 20 {
			failure(t, r, http.StatusUnauthorized, 1000)
			unauthorized++
			continue
		}
		f := failure(t, r, http.StatusTooManyRequests, 971)
		if got := r.Header.Get("Retry-After"); got != "3" {
			t.Fatalf("request %d: Retry-After %q, want 3 (whole seconds, as the SDK reads it)", i+1, got)
		}
		if c := f.chainCodes(); len(c) != 1 || c[0] != 971 {
			t.Fatalf("request %d: error_chain %v", i+1, c)
		}
	}
	if unauthorized != 20 {
		t.Fatalf("%d × 401 before the limit, want 20", unauthorized)
	}
	failure(t, send(t, env, "GET", "/user/tokens/verify", from(guesser, env.Token), nil), http.StatusTooManyRequests, 971)
	for i := range 50 {
		if r := send(t, env, "GET", "/user/tokens/verify", from(other, env.Token), nil); r.Status != http.StatusOK {
			t.Fatalf("valid token from another address, request %d: %d %s", i+1, r.Status, r.Body)
		}
	}
	// One attempt is regained every 3 s: one more guess is answered.
	clock.Advance(3 * time.Second)
	failure(t, send(t, env, "GET", "/user/tokens/verify", from(guesser, ids.NewTokenValue()), nil), http.StatusUnauthorized, 1000)
	failure(t, send(t, env, "GET", "/user/tokens/verify", from(guesser, ids.NewTokenValue()), nil), http.StatusTooManyRequests, 971)
}

// TestEveryWayOfPresentingCredentialsCounts: a malformed Authorization
// header and a Global API key are refused credentials and count like
// wrong tokens; sending no credentials at all does not.
func TestEveryWayOfPresentingCredentialsCounts(t *testing.T) {
	env := apptest.New(t, trustLoopback, apptest.WithNow(apptest.NewClock(time.Now()).Now))
	for range 30 {
		r := send(t, env, "GET", "/user/tokens/verify", map[string]string{"X-Forwarded-For": "192.0.2.1"}, nil)
		failure(t, r, http.StatusBadRequest, 9106)
	}
	for range 10 {
		failure(t, send(t, env, "GET", "/user/tokens/verify", map[string]string{
			"X-Forwarded-For": "192.0.2.1", "Authorization": "Bearer short"}, nil), http.StatusBadRequest, 6003)
		failure(t, send(t, env, "GET", "/user/tokens/verify", map[string]string{
			"X-Forwarded-For": "192.0.2.1", "X-Auth-Key": "0123456789abcdef", "X-Auth-Email": "a@example.com"}, nil),
			http.StatusBadRequest, 6003)
	}
	failure(t, send(t, env, "GET", "/user/tokens/verify", from("192.0.2.1", env.Token), nil), http.StatusTooManyRequests, 971)
}

// TestWrongTokensLimitedAcrossInstances: two instances on one PostgreSQL
// database count one client's failures together, so alternating between
// them buys nothing (with a limit per instance it doubled the guesses).
func TestWrongTokensLimitedAcrossInstances(t *testing.T) {
	storetest.NeedPostgres(t)
	url, key := storetest.PostgresURL(t), base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	clock := apptest.NewClock(time.Now())
	envs := []*apptest.Env{
		apptest.New(t, trustLoopback, apptest.WithNow(clock.Now), apptest.WithDatabaseURL(url), apptest.WithSecretKey(key)),
		apptest.New(t, trustLoopback, apptest.WithNow(clock.Now), apptest.WithDatabaseURL(url), apptest.WithSecretKey(key)),
	}
	for i := range 60 {
		r := send(t, envs[i%2], "GET", "/user/tokens/verify", from("203.0.113.9", ids.NewTokenValue()), nil)
		if i < 20 {
			failure(t, r, http.StatusUnauthorized, 1000)
			continue
		}
		failure(t, r, http.StatusTooManyRequests, 971)
	}
	if r := send(t, envs[1], "GET", "/user/tokens/verify", from("198.51.100.7", envs[0].Token), nil); r.Status != http.StatusOK {
		t.Fatalf("valid token from another address through the other instance: %d %s", r.Status, r.Body)
	}
}
