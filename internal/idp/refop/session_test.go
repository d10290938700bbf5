package refop

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"
)

func TestEndSession(t *testing.T) {
	for _, mode := range []SigningMode{SigningRS256, SigningES256, SigningHS256} {
		t.Run(string(mode), func(t *testing.T) {
			e := newEnv(t, func(c *Config) { c.Signing = mode })
			raw, _ := e.exchangeRaw(t, e.oauth2Config(t, oauth2.AuthStyleInHeader))
			q := url.Values{"id_token_hint": {raw}, "post_logout_redirect_uri": {testRedirect}}
			resp := e.get(t, e.p.IssuerURL()+"end-session/?"+q.Encode())
			if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc, testRedirect) {
				t.Errorf("status %d, Location %q: %s", resp.StatusCode, loc, readBody(t, resp))
			}
		})
	}
	t.Run("no redirect asked", func(t *testing.T) {
		e := newEnv(t, nil)
		resp := e.get(t, e.p.IssuerURL()+"end-session/")
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusFound || loc != e.p.IssuerURL()+"logged-out/" {
			t.Fatalf("status %d, Location %q", resp.StatusCode, loc)
		}
		if page := e.get(t, e.p.IssuerURL()+"logged-out/"); page.StatusCode != http.StatusOK {
			t.Errorf("logged-out page: %d", page.StatusCode)
		}
	})
	t.Run("unregistered post-logout URI", func(t *testing.T) {
		e := newEnv(t, nil)
		q := url.Values{"client_id": {testClientID}, "post_logout_redirect_uri": {"https://evil.example/"}}
		resp := e.get(t, e.p.IssuerURL()+"end-session/?"+q.Encode())
		if strings.HasPrefix(resp.Header.Get("Location"), "https://evil.example") {
			t.Errorf("redirected to an unregistered URI")
		}
	})
}

func TestIntrospectAndRevoke(t *testing.T) {
	e := newEnv(t, nil)
	_, tok := e.exchangeRaw(t, e.oauth2Config(t, oauth2.AuthStyleInHeader))
	call := func(endpoint string) (int, map[string]any) {
		req, _ := http.NewRequestWithContext(e.ctx, http.MethodPost, e.srv.URL+"/application/o/"+endpoint+"/",
			strings.NewReader(url.Values{"token": {tok.AccessToken}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(testClientID, testSecret)
		resp, err := e.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body := map[string]any{}
		json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body
	}
	sub, _ := e.p.Subject("alice")
	if status, body := call("introspect"); status != http.StatusOK || body["active"] != true || body["sub"] != sub || body["client_id"] != testClientID {
		t.Errorf("introspect: %d %v", status, body)
	}
	if status, _ := call("revoke"); status != http.StatusOK {
		t.Errorf("revoke: %d", status)
	}
	if _, body := call("introspect"); body["active"] != false {
		t.Errorf("introspect after revoke: %v", body)
	}
	req, _ := http.NewRequestWithContext(e.ctx, http.MethodGet, e.srv.URL+"/application/o/userinfo/", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, err := e.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		t.Error("userinfo answered a revoked token")
	}
}
