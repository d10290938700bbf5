package refop

import (
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/google/go-cmp/cmp"
	"golang.org/x/oauth2"
)

func TestCodeFlow(t *testing.T) {
	for _, tc := range []struct {
		mode  SigningMode
		style oauth2.AuthStyle
	}{
		{SigningRS256, oauth2.AuthStyleInHeader}, // client_secret_basic
		{SigningRS256, oauth2.AuthStyleInParams}, // client_secret_post
		{SigningES256, oauth2.AuthStyleInHeader},
		{SigningES256, oauth2.AuthStyleInParams},
	} {
		name := string(tc.mode) + map[oauth2.AuthStyle]string{oauth2.AuthStyleInHeader: "/basic", oauth2.AuthStyleInParams: "/post"}[tc.style]
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, func(c *Config) { c.Signing = tc.mode })
			conf := e.oauth2Config(t, tc.style)
			before := time.Now().Truncate(time.Second)
			code := e.autoLoginCode(t, conf, "state-123", oidc.Nonce("nonce-456"))
			tok, err := conf.Exchange(e.ctx, code)
			if err != nil {
				t.Fatalf("exchange: %v", err)
			}
			after := time.Now()
			raw := rawIDToken(t, tok)
			idt, err := e.verifier(t).Verify(e.ctx, raw)
			if err != nil {
				t.Fatalf("go-oidc Verify: %v", err)
			}
			if idt.Nonce != "nonce-456" {
				t.Errorf("nonce = %q", idt.Nonce)
			}
			header, _ := jwtParts(t, raw)
			if header["alg"] != string(tc.mode) || header["kid"] == nil || header["kid"] == "" {
				t.Errorf("header = %v, want alg %s and a kid", header, tc.mode)
			}
			var claims map[string]any
			if err := idt.Claims(&claims); err != nil {
				t.Fatal(err)
			}
			sub, _ := e.p.Subject("alice")
			if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(sub) {
				t.Errorf("sub %q is not a hashed id", sub)
			}
			want := map[string]any{
				"iss": e.p.IssuerURL(), "sub": sub, "nonce": "nonce-456",
				"email": "alice@example.com", "email_verified": true,
				"name": "Alice Liddell", "given_name": "Alice Liddell",
				"preferred_username": "alice", "nickname": "alice",
				"groups": []any{"admins", "staff"},
				"acr":    "goauthentik.io/providers/oauth2/default", "amr": []any{"pwd"},
			}
			got := map[string]any{}
			for k := range want {
				got[k] = claims[k]
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("claims (-want +got):\n%s", diff)
			}
			if !audIs(claims["aud"], testClientID) {
				t.Errorf("aud = %v, want %q", claims["aud"], testClientID)
			}
			iat, exp, authTime := numClaim(t, claims, "iat"), numClaim(t, claims, "exp"), numClaim(t, claims, "auth_time")
			if iat.Before(before) || iat.After(after) || authTime.Before(before) || authTime.After(after) {
				t.Errorf("iat %v, auth_time %v not within [%v, %v]", iat, authTime, before, after)
			}
			// ±1s: the library reads the clock for iat and exp separately.
			if (exp.Sub(iat) - time.Hour).Abs() > time.Second {
				t.Errorf("exp - iat = %v, want 1h", exp.Sub(iat))
			}
			if claims["at_hash"] == nil {
				t.Error("no at_hash")
			}
			if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
				t.Errorf("at_hash: %v", err)
			}

			op, err := oidc.NewProvider(e.ctx, e.p.IssuerURL())
			if err != nil {
				t.Fatal(err)
			}
			ui, err := op.UserInfo(e.ctx, oauth2.StaticTokenSource(tok))
			if err != nil {
				t.Fatalf("userinfo: %v", err)
			}
			var uiClaims map[string]any
			ui.Claims(&uiClaims)
			if ui.Subject != sub || ui.Email != "alice@example.com" || !ui.EmailVerified ||
				!cmp.Equal(uiClaims["groups"], []any{"admins", "staff"}) || uiClaims["nickname"] != "alice" {
				t.Errorf("userinfo = %v", uiClaims)
			}
		})
	}
}

func audIs(aud any, want string) bool {
	switch a := aud.(type) {
	case string:
		return a == want
	case []any:
		return len(a) == 1 && a[0] == want
	}
	return false
}

// claimsOf runs an auto-login flow and returns the verified ID token claims.
func (e *env) claimsOf(t *testing.T, conf *oauth2.Config, opts ...oauth2.AuthCodeOption) map[string]any {
	t.Helper()
	code := e.autoLoginCode(t, conf, "s", opts...)
	tok, err := conf.Exchange(e.ctx, code)
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	idt, err := e.verifier(t).Verify(e.ctx, rawIDToken(t, tok))
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	return claims
}

func TestClaimVariants(t *testing.T) {
	t.Run("email_verified false is present", func(t *testing.T) {
		e := newEnv(t, func(c *Config) { c.AutoLogin = "bob" })
		claims := e.claimsOf(t, e.oauth2Config(t, oauth2.AuthStyleAutoDetect))
		if v, ok := claims["email_verified"]; !ok || v != false {
			t.Errorf("email_verified = %v (present %v), want false", v, ok)
		}
		if g, ok := claims["groups"].([]any); !ok || len(g) != 0 {
			t.Errorf("groups = %#v, want []", claims["groups"])
		}
	})
	t.Run("OmitEmailClaim", func(t *testing.T) {
		e := newEnv(t, func(c *Config) { c.OmitEmailClaim = true })
		claims := e.claimsOf(t, e.oauth2Config(t, oauth2.AuthStyleAutoDetect))
		for _, c := range []string{"email", "email_verified"} {
			if v, ok := claims[c]; ok {
				t.Errorf("%s = %v, want absent", c, v)
			}
		}
		if claims["preferred_username"] != "alice" {
			t.Errorf("profile claims missing: %v", claims)
		}
	})
	t.Run("no scope means every scope", func(t *testing.T) {
		e := newEnv(t, nil)
		conf := e.oauth2Config(t, oauth2.AuthStyleAutoDetect)
		conf.Scopes = nil
		claims := e.claimsOf(t, conf)
		if claims["email"] != "alice@example.com" || claims["nickname"] != "alice" {
			t.Errorf("claims = %v", claims)
		}
	})
	t.Run("openid only", func(t *testing.T) {
		e := newEnv(t, nil)
		conf := e.oauth2Config(t, oauth2.AuthStyleAutoDetect)
		conf.Scopes = []string{"openid"}
		claims := e.claimsOf(t, conf)
		if _, ok := claims["email"]; ok {
			t.Errorf("email without the email scope: %v", claims)
		}
	})
}

func TestPKCE(t *testing.T) {
	const verifier = "a-code-verifier-that-is-43-characters-long-at-least"
	for _, tc := range []struct {
		name      string
		authOpts  []oauth2.AuthCodeOption
		exchOpts  []oauth2.AuthCodeOption
		wantError string // OAuth error code; "" for success
	}{
		{"S256", []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier)}, []oauth2.AuthCodeOption{oauth2.VerifierOption(verifier)}, ""},
		{"plain by default", []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("code_challenge", verifier)}, []oauth2.AuthCodeOption{oauth2.VerifierOption(verifier)}, ""},
		{"wrong verifier", []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier)}, []oauth2.AuthCodeOption{oauth2.VerifierOption(verifier + "x")}, "invalid_grant"},
		{"challenge without verifier", []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier)}, nil, "invalid_request"},
		{"verifier without challenge", nil, []oauth2.AuthCodeOption{oauth2.VerifierOption(verifier)}, "invalid_request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			conf := e.oauth2Config(t, oauth2.AuthStyleInHeader)
			code := e.autoLoginCode(t, conf, "s", tc.authOpts...)
			_, err := conf.Exchange(e.ctx, code, tc.exchOpts...)
			checkOAuthError(t, err, tc.wantError)
		})
	}
	t.Run("public client needs PKCE", func(t *testing.T) {
		e := newEnv(t, func(c *Config) {
			c.Clients = []Client{{ID: testClientID, RedirectURIs: []string{testRedirect}}}
		})
		conf := e.oauth2Config(t, oauth2.AuthStyleInParams)
		conf.ClientSecret = ""
		code := e.autoLoginCode(t, conf, "s")
		_, err := conf.Exchange(e.ctx, code)
		checkOAuthError(t, err, "invalid_request")
		code = e.autoLoginCode(t, conf, "s", oauth2.S256ChallengeOption(verifier))
		_, err = conf.Exchange(e.ctx, code, oauth2.VerifierOption(verifier))
		checkOAuthError(t, err, "")
	})
}

func checkOAuthError(t *testing.T, err error, want string) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatalf("exchange: %v", err)
		}
		return
	}
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		t.Fatalf("exchange error = %v, want OAuth error %q", err, want)
	}
	if re.ErrorCode != want {
		t.Fatalf("error = %q (%s), want %q", re.ErrorCode, re.ErrorDescription, want)
	}
}

func TestRedirectURIRefused(t *testing.T) {
	authorize := func(clientID, redirect string) string {
		q := url.Values{"client_id": {clientID}, "response_type": {"code"}, "scope": {"openid"}, "state": {"s"}}
		if redirect != "" {
			q.Set("redirect_uri", redirect)
		}
		return "/application/o/authorize/?" + q.Encode()
	}
	e := newEnv(t, nil)
	for _, tc := range []struct{ name, path string }{
		{"trailing slash", authorize(testClientID, testRedirect+"/")},
		{"http instead of https", authorize(testClientID, strings.Replace(testRedirect, "https:", "http:", 1))},
		{"explicit port", authorize(testClientID, strings.Replace(testRedirect, ".com/", ".com:443/", 1))},
		{"other host", authorize(testClientID, "https://evil.example/cdn-cgi/access/callback")},
		{"host case", authorize(testClientID, strings.Replace(testRedirect, "team", "TEAM", 1))},
		{"extra query", authorize(testClientID, testRedirect+"?next=x")},
		{"missing", authorize(testClientID, "")},
		{"unknown client", authorize("nobody", testRedirect)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := e.get(t, e.srv.URL+tc.path)
			body := readBody(t, resp)
			if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("Location") != "" {
				t.Fatalf("status %d, Location %q; want 400 and no redirect", resp.StatusCode, resp.Header.Get("Location"))
			}
			if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !strings.Contains(body, "invalid_request") {
				t.Errorf("want an HTML error page naming the error, got %q: %s", resp.Header.Get("Content-Type"), body)
			}
		})
	}
	t.Run("other errors go back to a registered URI", func(t *testing.T) {
		q := url.Values{"client_id": {testClientID}, "redirect_uri": {testRedirect}, "response_type": {"token"}, "scope": {"openid"}, "state": {"s1"}}
		resp := e.get(t, e.srv.URL+"/application/o/authorize/?"+q.Encode())
		loc, _ := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc.String(), testRedirect) ||
			loc.Query().Get("error") != "unauthorized_client" || loc.Query().Get("state") != "s1" {
			t.Errorf("status %d, Location %q; want an unauthorized_client redirect with the state", resp.StatusCode, loc)
		}
	})
}

func TestCodeSingleUse(t *testing.T) {
	t.Run("replay", func(t *testing.T) {
		e := newEnv(t, nil)
		conf := e.oauth2Config(t, oauth2.AuthStyleInHeader)
		code := e.autoLoginCode(t, conf, "s")
		_, err := conf.Exchange(e.ctx, code)
		checkOAuthError(t, err, "")
		_, err = conf.Exchange(e.ctx, code)
		checkOAuthError(t, err, "invalid_grant")
	})
	t.Run("concurrent redemptions: one wins", func(t *testing.T) {
		e := newEnv(t, nil)
		code := e.autoLoginCode(t, e.oauth2Config(t, oauth2.AuthStyleInHeader), "s")
		form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {testRedirect}}
		var wins atomic.Int32
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if status, _ := e.postToken(form); status == http.StatusOK {
					wins.Add(1)
				}
			}()
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Errorf("%d redemptions succeeded, want 1", wins.Load())
		}
	})
	t.Run("a failed attempt does not spend the code", func(t *testing.T) {
		e := newEnv(t, nil)
		conf := e.oauth2Config(t, oauth2.AuthStyleInHeader)
		code := e.autoLoginCode(t, conf, "s")
		bad := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {testRedirect + "/"}}
		if status, oauthErr := e.tokenError(t, bad); status != http.StatusBadRequest || oauthErr != "invalid_grant" {
			t.Fatalf("wrong redirect_uri: %d %q", status, oauthErr)
		}
		_, err := conf.Exchange(e.ctx, code)
		checkOAuthError(t, err, "")
	})
	t.Run("valid one minute", func(t *testing.T) {
		var now atomic.Int64
		now.Store(time.Now().UnixNano())
		e := newEnv(t, func(c *Config) { c.Now = func() time.Time { return time.Unix(0, now.Load()) } })
		conf := e.oauth2Config(t, oauth2.AuthStyleInHeader)
		fresh := e.autoLoginCode(t, conf, "s")
		stale := e.autoLoginCode(t, conf, "s")
		now.Add(int64(59 * time.Second))
		_, err := conf.Exchange(e.ctx, fresh)
		checkOAuthError(t, err, "")
		now.Add(int64(2 * time.Second))
		_, err = conf.Exchange(e.ctx, stale)
		checkOAuthError(t, err, "invalid_grant")
	})
}

// postToken is tokenError without testing.T, for goroutines.
func (e *env) postToken(form url.Values) (int, error) {
	req, err := http.NewRequestWithContext(e.ctx, http.MethodPost, e.srv.URL+"/application/o/token/", strings.NewReader(form.Encode()))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(testClientID, testSecret)
	resp, err := e.hc.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

func TestAutoLoginSwitch(t *testing.T) {
	e := newEnv(t, nil)
	conf := e.oauth2Config(t, oauth2.AuthStyleAutoDetect)
	if got := e.claimsOf(t, conf)["preferred_username"]; got != "alice" {
		t.Fatalf("first login as %v", got)
	}
	e.p.SetAutoLogin("bob")
	if got := e.claimsOf(t, conf)["preferred_username"]; got != "bob" {
		t.Fatalf("after SetAutoLogin(bob): %v", got)
	}

	// Switching while logins run is safe (run with -race).
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(2)
		go func() { defer wg.Done(); e.p.SetAutoLogin([]string{"alice", "bob"}[i%2]) }()
		go func() {
			defer wg.Done()
			resp, err := e.hc.Get(conf.AuthCodeURL("s"))
			if err == nil {
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()

	e.p.SetAutoLogin("carol")
	resp := e.get(t, conf.AuthCodeURL("s"))
	if resp.StatusCode != http.StatusInternalServerError || resp.Header.Get("Location") != "" {
		t.Errorf("unknown auto-login user: status %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}

	if err := e.p.AddUser(User{Username: "carol", Password: "pw", Email: "carol@example.com"}); err != nil {
		t.Fatal(err)
	}
	if got := e.claimsOf(t, conf)["email"]; got != "carol@example.com" {
		t.Errorf("after AddUser(carol): email %v", got)
	}
}

func TestPromptNoneWithoutSession(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.AutoLogin = "" })
	conf := e.oauth2Config(t, oauth2.AuthStyleAutoDetect)
	resp := e.get(t, conf.AuthCodeURL("s9", oauth2.SetAuthURLParam("prompt", "none")))
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || loc.Query().Get("error") != "login_required" || loc.Query().Get("state") != "s9" {
		t.Errorf("status %d, Location %q; want login_required back to the client", resp.StatusCode, loc)
	}
}

func TestAddClient(t *testing.T) {
	e := newEnv(t, nil)
	other := "http://127.0.0.1:9/callback"
	if err := e.p.AddClient(Client{ID: "second", Secret: "two", RedirectURIs: []string{other}}); err != nil {
		t.Fatal(err)
	}
	conf := &oauth2.Config{ClientID: "second", ClientSecret: "two", RedirectURL: other, Scopes: []string{"openid"},
		Endpoint: oauth2.Endpoint{AuthURL: e.srv.URL + "/application/o/authorize/", TokenURL: e.srv.URL + "/application/o/token/"}}
	resp := e.get(t, conf.AuthCodeURL("s"))
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || loc.Query().Get("code") == "" {
		t.Fatalf("status %d, Location %q", resp.StatusCode, loc)
	}
	if _, err := conf.Exchange(e.ctx, loc.Query().Get("code")); err != nil {
		t.Fatal(err)
	}
	if err := e.p.AddClient(Client{ID: "bad", RedirectURIs: []string{"javascript:alert(1)"}}); err == nil {
		t.Error("AddClient accepted a javascript: redirect URI")
	}
}
