package refop

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

func (e *env) jwksBody(t *testing.T) string {
	t.Helper()
	resp := e.get(t, e.p.IssuerURL()+"jwks/")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("JWKS: status %d, %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return readBody(t, resp)
}

func (e *env) exchangeRaw(t *testing.T, conf *oauth2.Config) (string, *oauth2.Token) {
	t.Helper()
	tok, err := conf.Exchange(e.ctx, e.autoLoginCode(t, conf, "s", oidc.Nonce("n")))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	return rawIDToken(t, tok), tok
}

func TestJWKSPublishesTheKey(t *testing.T) {
	for _, mode := range []SigningMode{SigningRS256, SigningES256} {
		t.Run(string(mode), func(t *testing.T) {
			e := newEnv(t, func(c *Config) { c.Signing = mode })
			var set struct {
				Keys []map[string]any `json:"keys"`
			}
			if err := json.Unmarshal([]byte(e.jwksBody(t)), &set); err != nil {
				t.Fatal(err)
			}
			raw, _ := e.exchangeRaw(t, e.oauth2Config(t, oauth2.AuthStyleInHeader))
			header, _ := jwtParts(t, raw)
			if len(set.Keys) != 1 || set.Keys[0]["kid"] != header["kid"] || set.Keys[0]["alg"] != string(mode) ||
				set.Keys[0]["use"] != "sig" || set.Keys[0]["d"] != nil {
				t.Errorf("JWKS %v does not publish the public key the token (kid %v) names", set.Keys, header["kid"])
			}
		})
	}
}

func TestHS256Mode(t *testing.T) {
	const shortSecret = "short" // authentik allows it; go-jose would not
	e := newEnv(t, func(c *Config) {
		c.Signing = SigningHS256
		c.Clients = append(c.Clients, Client{ID: "short", Secret: shortSecret, RedirectURIs: []string{testRedirect}})
	})
	if body := e.jwksBody(t); body != "{}" {
		t.Errorf("JWKS body = %q, want exactly {}", body)
	}
	for _, tc := range []struct{ clientID, secret string }{{testClientID, testSecret}, {"short", shortSecret}} {
		t.Run(tc.clientID, func(t *testing.T) {
			conf := e.oauth2Config(t, oauth2.AuthStyleInParams)
			conf.ClientID, conf.ClientSecret = tc.clientID, tc.secret
			raw, tok := e.exchangeRaw(t, conf)
			header, claims := jwtParts(t, raw)
			if header["alg"] != "HS256" || header["typ"] != "JWT" {
				t.Errorf("header = %v, want alg HS256", header)
			}
			if _, ok := header["kid"]; ok {
				t.Errorf("header has a kid: %v", header)
			}
			i := strings.LastIndex(raw, ".")
			mac := hmac.New(sha256.New, []byte(tc.secret))
			mac.Write([]byte(raw[:i]))
			if sig, _ := base64.RawURLEncoding.DecodeString(raw[i+1:]); !hmac.Equal(sig, mac.Sum(nil)) {
				t.Error("signature is not HMAC-SHA256 with the client secret")
			}
			if claims["iss"] != e.p.IssuerURL() || claims["nonce"] != "n" || claims["email"] != "alice@example.com" || !audIs(claims["aud"], tc.clientID) {
				t.Errorf("claims = %v", claims)
			}
			if _, err := e.verifier(t).Verify(e.ctx, raw); err == nil {
				t.Error("go-oidc accepted an HS256 ID token")
			} else {
				t.Logf("go-oidc refuses, as expected: %v", err)
			}
			if tok.AccessToken == "" {
				t.Error("no access token")
			}
		})
	}
}

func TestNoneJWKSMode(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Signing = SigningNoneJWKS })
	if body := e.jwksBody(t); body != "{}" {
		t.Errorf("JWKS body = %q, want exactly {}", body)
	}
	raw, _ := e.exchangeRaw(t, e.oauth2Config(t, oauth2.AuthStyleInHeader))
	header, _ := jwtParts(t, raw)
	if header["alg"] != "RS256" || header["kid"] == nil {
		t.Errorf("header = %v, want RS256 with a kid", header)
	}
	if _, err := e.verifier(t).Verify(e.ctx, raw); err == nil {
		t.Error("go-oidc verified a token against an empty JWKS")
	}
}

func TestClockOffset(t *testing.T) {
	for _, offset := range []time.Duration{10 * time.Minute, -10 * time.Minute, 0} {
		t.Run(offset.String(), func(t *testing.T) {
			e := newEnv(t, func(c *Config) { c.ClockOffset = offset })
			before := time.Now().Add(offset).Truncate(time.Second)
			raw, tok := e.exchangeRaw(t, e.oauth2Config(t, oauth2.AuthStyleInHeader))
			after := time.Now().Add(offset)
			_, claims := jwtParts(t, raw)
			iat, exp, authTime := numClaim(t, claims, "iat"), numClaim(t, claims, "exp"), numClaim(t, claims, "auth_time")
			if iat.Before(before) || iat.After(after) {
				t.Errorf("iat = %v, want within [%v, %v]", iat, before, after)
			}
			if authTime.Before(before) || authTime.After(after) {
				t.Errorf("auth_time = %v, want within [%v, %v]", authTime, before, after)
			}
			if d := exp.Sub(iat); (d - time.Hour).Abs() > time.Second {
				t.Errorf("exp - iat = %v, want 1h", d)
			}
			if _, ok := claims["nbf"]; ok {
				t.Error("nbf is set; authentik does not set it")
			}
			// expires_in is relative, so the relying party's view is unshifted.
			if left := time.Until(tok.Expiry); left < 59*time.Minute || left > time.Hour {
				t.Errorf("access token expires in %v, want about 1h", left)
			}
			if _, err := e.verifier(t).Verify(e.ctx, raw); err != nil {
				t.Errorf("go-oidc: %v", err)
			}
		})
	}
	t.Run("-2h: expired on arrival", func(t *testing.T) {
		e := newEnv(t, func(c *Config) { c.ClockOffset = -2 * time.Hour })
		raw, _ := e.exchangeRaw(t, e.oauth2Config(t, oauth2.AuthStyleInHeader))
		if _, err := e.verifier(t).Verify(e.ctx, raw); err == nil || !strings.Contains(err.Error(), "expired") {
			t.Errorf("go-oidc: %v, want a token-expired error", err)
		}
	})
}

func TestInjectedNow(t *testing.T) {
	fixed := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	e := newEnv(t, func(c *Config) { c.Now = func() time.Time { return fixed }; c.ClockOffset = time.Minute })
	raw, _ := e.exchangeRaw(t, e.oauth2Config(t, oauth2.AuthStyleInHeader))
	_, claims := jwtParts(t, raw)
	want := fixed.Add(time.Minute)
	for name, d := range map[string]time.Duration{"iat": 0, "auth_time": 0, "exp": time.Hour} {
		if got := numClaim(t, claims, name); got.Sub(want.Add(d)).Abs() > time.Second {
			t.Errorf("%s = %v, want %v", name, got, want.Add(d))
		}
	}
}
