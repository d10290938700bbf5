package keys_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/google/go-cmp/cmp"

	"github.com/ssogate/ssogate/internal/access/keys"
	"github.com/ssogate/ssogate/internal/store"
	"github.com/ssogate/ssogate/internal/store/storetest"
)

const testAUD = "4714c1358e65fe4b408ad6d432a5f878f08194bdb4752441fd56faefa9b2b6f2"

func claimsFor(now time.Time, ttl time.Duration) keys.Claims {
	return keys.Claims{
		Audience: keys.Audience{testAUD}, Email: "user@example.com",
		Expiry: now.Add(ttl).Unix(), IssuedAt: now.Unix(), NotBefore: now.Unix(),
		Issuer: "https://team.example.com", Type: "app", IdentityNonce: "6ei69kawdKzMIAPF",
		Subject: "7335d417-61da-459d-899c-0a01c76a2f94", Country: "US",
		Custom: map[string]any{"department": "eng"},
	}
}

func mustSign(t testing.TB, m *keys.Manager, acct string, claims any) string {
	t.Helper()
	tok, err := m.Sign(ctx, acct, claims)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func header(t testing.TB, tok string) map[string]any {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
	if err != nil {
		t.Fatal(err)
	}
	var h map[string]any
	if err := json.Unmarshal(raw, &h); err != nil {
		t.Fatal(err)
	}
	return h
}

func TestSignVerify(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		acct, clk := newAccount(t, db), newClock()
		m := keys.NewManager(db, newBox(t), clk.Now, keys.Options{})
		want := claimsFor(clk.Now(), 24*time.Hour)
		tok := mustSign(t, m, acct, want)
		k, _ := m.Current(ctx, acct)

		rawHeader, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
		if got := string(rawHeader); got != `{"alg":"RS256","kid":"`+k.KID+`","typ":"JWT"}` {
			t.Errorf("header = %s", got)
		}
		var got keys.Claims
		if err := m.Verify(ctx, acct, tok, &got); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("claims (-want +got):\n%s", diff)
		}
		var asMap map[string]any
		if err := m.Verify(ctx, acct, tok, &asMap); err != nil {
			t.Fatal(err)
		}
		if _, isArray := asMap["aud"].([]any); !isArray || asMap["sub"] == nil {
			t.Errorf("aud must be an array and sub present: %v", asMap)
		}
		cached, err := m.VerifyCached(ctx, acct, tok)
		if err != nil || cmp.Diff(want, cached) != "" {
			t.Errorf("VerifyCached = %+v, %v", cached, err)
		}
		if err := keys.ValidateStandard(got, "https://team.example.com", testAUD, clk.Now(), 0); err != nil {
			t.Errorf("ValidateStandard: %v", err)
		}

		// Service tokens: sub is present and empty.
		svc := mustSign(t, m, acct, keys.Claims{Audience: keys.Audience{testAUD}, Type: "app",
			Expiry: clk.Now().Add(time.Hour).Unix(), Issuer: "https://team.example.com", CommonName: "abc.access"})
		var svcMap map[string]any
		if err := m.Verify(ctx, acct, svc, &svcMap); err != nil || svcMap["sub"] != "" {
			t.Errorf("service token sub = %#v, %v; want \"\"", svcMap["sub"], err)
		}
	})
}

// TestGoOIDCVerifies is the compatibility test: an origin using Cloudflare's
// own Go sample (go-oidc v3 with only the certs URL) accepts our tokens.
func TestGoOIDCVerifies(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		acct := newAccount(t, db)
		m := keys.NewManager(db, newBox(t), nil, keys.Options{})
		srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/cdn-cgi/access/certs" {
				http.NotFound(w, r)
				return
			}
			doc, err := m.Certs(r.Context(), acct)
			if err != nil {
				http.Error(w, err.Error(), 500)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(doc)
		}))
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv.Listener = ln
		srv.Start()
		defer srv.Close()
		team := srv.URL // the issuer, no trailing slash

		octx, cancel := contextWithTimeout(t)
		defer cancel()
		verifier := oidc.NewVerifier(team, oidc.NewRemoteKeySet(octx, team+"/cdn-cgi/access/certs"),
			&oidc.Config{ClientID: testAUD})
		sign := func() string {
			c := claimsFor(time.Now(), time.Hour)
			c.Issuer = team
			return mustSign(t, m, acct, c)
		}
		before := sign()
		idt, err := verifier.Verify(octx, before)
		if err != nil {
			t.Fatalf("go-oidc refused our token: %v", err)
		}
		var claims struct {
			Email string `json:"email"`
			Type  string `json:"type"`
		}
		if err := idt.Claims(&claims); err != nil || claims.Email != "user@example.com" || claims.Type != "app" {
			t.Fatalf("claims through go-oidc: %+v, %v", claims, err)
		}

		// After a rotation, go-oidc refetches on the unknown kid and accepts both.
		if _, err := m.Rotate(ctx, acct); err != nil {
			t.Fatal(err)
		}
		after := sign()
		for name, tok := range map[string]string{"after rotation": after, "before rotation": before} {
			if _, err := verifier.Verify(octx, tok); err != nil {
				t.Errorf("go-oidc, token %s: %v", name, err)
			}
		}

		wrongAud := oidc.NewVerifier(team, oidc.NewRemoteKeySet(octx, team+"/cdn-cgi/access/certs"),
			&oidc.Config{ClientID: strings.Repeat("0", 64)})
		if _, err := wrongAud.Verify(octx, after); err == nil {
			t.Error("go-oidc accepted a token for another AUD")
		}
		wrongIss := oidc.NewVerifier(team+"/", oidc.NewRemoteKeySet(octx, team+"/cdn-cgi/access/certs"),
			&oidc.Config{ClientID: testAUD})
		if _, err := wrongIss.Verify(octx, after); err == nil {
			t.Error("go-oidc accepted a token for another issuer")
		}
	})
}

func TestVerifyRefuses(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		acct, other, clk := newAccount(t, db), newAccount(t, db), newClock()
		m := keys.NewManager(db, newBox(t), clk.Now, keys.Options{})
		good := mustSign(t, m, acct, claimsFor(clk.Now(), time.Hour))
		otherClaims := claimsFor(clk.Now(), time.Hour)
		otherClaims.Email = "admin@example.com"
		otherTok := mustSign(t, m, other, otherClaims)
		k, _ := m.Current(ctx, acct)
		parts := strings.Split(good, ".")

		pubDER, _ := x509.MarshalPKIXPublicKey(k.Public)
		pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
		payload, _ := json.Marshal(claimsFor(clk.Now(), time.Hour))
		hs256 := func(secret []byte) string {
			s, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: secret},
				(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", k.KID))
			if err != nil {
				t.Fatal(err)
			}
			jws, _ := s.Sign(payload)
			tok, _ := jws.CompactSerialize()
			return tok
		}
		stranger, _ := rsa.GenerateKey(rand.Reader, 2048)
		signWith := func(key *rsa.PrivateKey, kid string) string {
			s, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: kid}},
				(&jose.SignerOptions{}).WithType("JWT"))
			jws, _ := s.Sign(payload)
			tok, _ := jws.CompactSerialize()
			return tok
		}
		strangerDER, _ := x509.MarshalPKIXPublicKey(&stranger.PublicKey)
		strangerSum := sha256.Sum256(strangerDER)
		enc := base64.RawURLEncoding.EncodeToString
		flip := func(s string) string {
			b, _ := base64.RawURLEncoding.DecodeString(s)
			b[len(b)/2] ^= 1
			return enc(b)
		}

		tests := []struct {
			name  string
			token string
			want  error
		}{
			{"tampered payload", parts[0] + "." + flip(parts[1]) + "." + parts[2], keys.ErrSignature},
			{"tampered signature", parts[0] + "." + parts[1] + "." + flip(parts[2]), keys.ErrSignature},
			{"payload swapped from another token", parts[0] + "." + strings.Split(otherTok, ".")[1] + "." + parts[2], keys.ErrSignature},
			{"HS256 keyed with the public key PEM", hs256(pubPEM), keys.ErrAlgorithm},
			{"HS256 keyed with the public key DER", hs256(pubDER), keys.ErrAlgorithm},
			{"alg none", enc([]byte(`{"alg":"none","kid":"`+k.KID+`","typ":"JWT"}`)) + "." + parts[1] + ".", keys.ErrAlgorithm},
			{"RS512", enc([]byte(`{"alg":"RS512","kid":"`+k.KID+`"}`)) + "." + parts[1] + "." + parts[2], keys.ErrAlgorithm},
			{"unknown kid, foreign key", signWith(stranger, hex.EncodeToString(strangerSum[:])), keys.ErrUnknownKey},
			{"our kid, foreign key", signWith(stranger, k.KID), keys.ErrSignature},
			{"no kid", signWith(stranger, ""), keys.ErrUnknownKey},
			{"junk kid", signWith(stranger, "../../etc/passwd"), keys.ErrUnknownKey},
			{"another account's key", otherTok, keys.ErrUnknownKey},
			{"empty", "", keys.ErrMalformed},
			{"two parts", parts[0] + "." + parts[1], keys.ErrMalformed},
			{"four parts", good + ".x", keys.ErrMalformed},
			{"garbage", "not.a.token", keys.ErrMalformed},
			{"claims not an object", signWith2(t, m, acct, `["x"]`), keys.ErrClaims},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				err := m.Verify(ctx, acct, tt.token, &keys.Claims{})
				if !errors.Is(err, tt.want) || !errors.Is(err, keys.ErrInvalidToken) {
					t.Errorf("Verify: %v, want %v", err, tt.want)
				}
				if _, err := m.VerifyCached(ctx, acct, tt.token); !errors.Is(err, tt.want) {
					t.Errorf("VerifyCached: %v, want %v", err, tt.want)
				}
			})
		}
		if err := m.Verify(ctx, acct, good, &keys.Claims{}); err != nil {
			t.Fatalf("the untampered token: %v", err)
		}
	})
}

// signWith2 signs a raw JSON payload with the account's key.
func signWith2(t *testing.T, m *keys.Manager, acct, raw string) string {
	t.Helper()
	return mustSign(t, m, acct, json.RawMessage(raw))
}

func TestVerifyCached(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, db *store.DB) {
		acct, other, clk := newAccount(t, db), newAccount(t, db), newClock()
		m := keys.NewManager(db, newBox(t), clk.Now, keys.Options{CacheSize: 4, Overlap: -1})
		short := mustSign(t, m, acct, claimsFor(clk.Now(), time.Minute))
		if _, err := m.VerifyCached(ctx, acct, short); err != nil {
			t.Fatal(err)
		}
		if _, err := m.VerifyCached(ctx, other, short); !errors.Is(err, keys.ErrUnknownKey) {
			t.Fatalf("token cached for one account, presented for another: %v", err)
		}
		if n := m.CacheLen(); n != 1 {
			t.Fatalf("cache holds %d, want 1", n)
		}
		clk.Advance(time.Minute)
		c, err := m.VerifyCached(ctx, acct, short) // the signature is still good...
		if err != nil || keys.ValidateStandard(c, c.Issuer, testAUD, clk.Now(), 0) == nil {
			t.Fatalf("expired token: %v; ValidateStandard must refuse it", err)
		}
		if n := m.CacheLen(); n != 0 {
			t.Fatalf("expired entry kept: cache holds %d", n)
		}

		for i := range 10 {
			c := claimsFor(clk.Now(), time.Hour)
			c.IdentityNonce = string(rune('a' + i))
			if _, err := m.VerifyCached(ctx, acct, mustSign(t, m, acct, c)); err != nil {
				t.Fatal(err)
			}
		}
		if n := m.CacheLen(); n > 4 {
			t.Fatalf("cache of size 4 holds %d", n)
		}

		cachedTok := mustSign(t, m, acct, claimsFor(clk.Now(), time.Hour))
		if _, err := m.VerifyCached(ctx, acct, cachedTok); err != nil {
			t.Fatal(err)
		}
		if _, err := m.Rotate(ctx, acct); err != nil { // Overlap < 0: the old key retires at once
			t.Fatal(err)
		}
		if _, err := m.VerifyCached(ctx, acct, cachedTok); !errors.Is(err, keys.ErrUnknownKey) {
			t.Fatalf("cached token of a retired key: %v", err)
		}
	})
}

func TestValidateStandard(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	base := claimsFor(now, time.Hour)
	iss := base.Issuer
	with := func(f func(*keys.Claims)) keys.Claims { c := base; f(&c); return c }
	tests := []struct {
		name   string
		c      keys.Claims
		leeway time.Duration
		want   error
	}{
		{"valid", base, 0, nil},
		{"second audience", with(func(c *keys.Claims) { c.Audience = keys.Audience{"x", testAUD} }), 0, nil},
		{"wrong issuer", with(func(c *keys.Claims) { c.Issuer = iss + "/" }), 0, keys.ErrIssuer},
		{"wrong audience", with(func(c *keys.Claims) { c.Audience = keys.Audience{"x"} }), 0, keys.ErrAudience},
		{"no audience", with(func(c *keys.Claims) { c.Audience = nil }), 0, keys.ErrAudience},
		{"no exp", with(func(c *keys.Claims) { c.Expiry = 0 }), 0, keys.ErrMissingClaim},
		{"exp now", with(func(c *keys.Claims) { c.Expiry = now.Unix() }), 0, keys.ErrExpired},
		{"exp now, leeway", with(func(c *keys.Claims) { c.Expiry = now.Unix() }), time.Minute, nil},
		{"expired beyond leeway", with(func(c *keys.Claims) { c.Expiry = now.Unix() - 60 }), time.Minute, keys.ErrExpired},
		{"nbf future", with(func(c *keys.Claims) { c.NotBefore = now.Unix() + 30 }), 0, keys.ErrNotYetValid},
		{"nbf future within leeway", with(func(c *keys.Claims) { c.NotBefore = now.Unix() + 30 }), time.Minute, nil},
		{"iat future beyond leeway", with(func(c *keys.Claims) { c.IssuedAt = now.Unix() + 120 }), time.Minute, keys.ErrNotYetValid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := keys.ValidateStandard(tt.c, iss, testAUD, now, tt.leeway)
			if !errors.Is(err, tt.want) || (tt.want != nil && !errors.Is(err, keys.ErrInvalidToken)) {
				t.Errorf("ValidateStandard = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestAudienceAcceptsString(t *testing.T) {
	var c keys.Claims
	if err := json.Unmarshal([]byte(`{"aud":"`+testAUD+`"}`), &c); err != nil || !c.Audience.Contains(testAUD) {
		t.Fatalf("aud as a string: %v, %v", c.Audience, err)
	}
	out, _ := json.Marshal(keys.Claims{Audience: keys.Audience{testAUD}})
	if !strings.Contains(string(out), `"aud":["`+testAUD+`"]`) {
		t.Fatalf("aud must marshal as an array: %s", out)
	}
	if err := json.Unmarshal([]byte(`{"aud":5}`), &c); err == nil {
		t.Fatal("aud 5 accepted")
	}
}

func contextWithTimeout(t *testing.T) (context.Context, context.CancelFunc) {
	t.Helper()
	return context.WithTimeout(ctx, 20*time.Second)
}
