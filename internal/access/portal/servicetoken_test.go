package portal_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
)

// serviceToken creates a service token and returns its id, client id and
// secret.
func (tn *tenant) serviceToken(t *testing.T, name string) (id, clientID, secret string) {
	t.Helper()
	res := tn.call(t, "POST", "/access/service_tokens", `{"name":"`+name+`"}`, 201)
	return res["id"].(string), res["client_id"].(string), res["client_secret"].(string)
}

// Issue 10: a machine with a service token that a Service Auth policy
// admits reaches the origin with an application token of Cloudflare's
// service-token shape (common_name the client id, empty sub), verifiable
// with go-oidc, and gets CF_Authorization for later requests; refusals
// are 401/403 with the reason in Cf-Access-Error, never the login; a
// rotated or deleted token stops at once, its minted cookie too.
func TestServiceTokensAtTheGateway(t *testing.T) {
	t.Parallel()
	a := newAcme(t)
	origin := echoOrigin(t)
	ciID, ciClient, ciSecret := a.serviceToken(t, "CI")
	_, cronClient, cronSecret := a.serviceToken(t, "cron")
	ciPolicy := a.policy(t, "CI", "non_identity", `[{"service_token":{"token_id":"`+ciID+`"}}]`)
	appID, aud := a.app(t, `{"type":"self_hosted","name":"API","domain":"api.localhost","origin_url":"`+origin.URL+`",
		"policies":["`+a.staffPolicy+`","`+ciPolicy+`"]}`)
	base := "http://api.localhost:" + a.env.Port()
	c := a.env.Browser()
	creds := func(id, secret string) []string {
		return []string{"CF-Access-Client-Id", id, "CF-Access-Client-Secret", secret}
	}

	h := get(t, c, base+"/v1/items?page=2", creds(ciClient, ciSecret)...)
	var got seen
	if h.status != http.StatusOK || json.Unmarshal([]byte(h.body), &got) != nil {
		t.Fatalf("CI token: %d %s", h.status, h.body)
	}
	jwt := got.Header.Get("Cf-Access-Jwt-Assertion")
	_, claims := jwtParts(t, jwt)
	if claims["common_name"] != ciClient || claims["sub"] != "" || claims["type"] != "app" || got.URI != "/v1/items?page=2" ||
		got.Header.Get("Cf-Access-Authenticated-User-Email") != "" || got.Header.Get("Cf-Access-Client-Secret") != "" {
		t.Errorf("origin saw %s, claims %v, headers %v", got.URI, claims, got.Header)
	}
	ctx := oidc.ClientContext(context.Background(), c)
	v := oidc.NewVerifier(a.url, oidc.NewRemoteKeySet(ctx, a.url+"/cdn-cgi/access/certs"), &oidc.Config{ClientID: aud})
	if _, err := v.Verify(ctx, jwt); err != nil {
		t.Errorf("the service token's assertion does not verify: %v", err)
	}
	cookie := h.setCookie("CF_Authorization")
	if cookie == nil || cookie.Value != jwt {
		t.Fatalf("no CF_Authorization for later requests: %v", h.cookies)
	}
	if !cookie.HttpOnly || cookie.Path != "/" || cookie.MaxAge != 24*60*60 {
		t.Errorf("CF_Authorization for a service token: HttpOnly %v, Path %q, Max-Age %d (want the app token's 24 h)",
			cookie.HttpOnly, cookie.Path, cookie.MaxAge)
	}
	// The minted token is reused, not signed per request, and set again
	// on every answer to a client that keeps no cookies, as a CI job (the
	// line is remembered with the token); the cookie alone works.
	again := get(t, freshBrowser(c), base+"/again", creds(ciClient, ciSecret)...)
	if !strings.Contains(again.body, jwt) {
		t.Errorf("a second request minted another token: %d", again.status)
	}
	if c2 := again.setCookie("CF_Authorization"); c2 == nil || c2.Raw != cookie.Raw {
		t.Errorf("the second answer's CF_Authorization differs from the first's: %v", again.cookies)
	}
	if h := withCookie(t, c, base+"/with-cookie", "CF_Authorization", jwt); h.status != http.StatusOK || !strings.Contains(h.body, "/with-cookie") {
		t.Errorf("the minted cookie alone: %d %s", h.status, h.body)
	}

	// Refusals: status, reason, never the login redirect.
	for _, tc := range []struct {
		name   string
		header []string
		status int
		reason string
	}{
		{"wrong secret", creds(ciClient, cronSecret), 401, "invalid_secret"},
		{"unknown id", creds("0123456789abcdef0123456789abcdef.access", ciSecret), 401, "unknown_token"},
		{"id only", []string{"CF-Access-Client-Id", ciClient}, 401, "invalid_secret"},
		{"a token no policy admits", creds(cronClient, cronSecret), 403, "not_allowed"},
	} {
		h := get(t, freshBrowser(c), base+"/x", tc.header...)
		if h.status != tc.status || !strings.Contains(h.body, tc.reason) || h.loc != "" || strings.Contains(h.body, `"URI"`) {
			t.Errorf("%s: %d %q %s", tc.name, h.status, h.loc, h.body)
		}
		resp := doRaw(t, freshBrowser(c), base+"/x", tc.header...)
		if resp.Header.Get("Cf-Access-Error") != tc.reason {
			t.Errorf("%s: Cf-Access-Error %q, want %q", tc.name, resp.Header.Get("Cf-Access-Error"), tc.reason)
		}
	}

	// The app's single header instead of the two.
	a.call(t, "PUT", "/access/apps/"+appID, `{"read_service_tokens_from_header":"X-Service-Token"}`, 200)
	single := `{"cf-access-client-id":"` + ciClient + `","cf-access-client-secret":"` + ciSecret + `"}`
	if h := get(t, freshBrowser(c), base+"/single", "X-Service-Token", single); h.status != http.StatusOK {
		t.Errorf("read_service_tokens_from_header: %d %s", h.status, h.body)
	}
	if h := get(t, freshBrowser(c), base+"/single", creds(ciClient, ciSecret)...); h.status == http.StatusOK {
		t.Errorf("with read_service_tokens_from_header set, the two headers still admitted: %d", h.status)
	}
	a.call(t, "PUT", "/access/apps/"+appID, `{"read_service_tokens_from_header":""}`, 200)

	// Rotated: the old secret and the cookie minted with it stop at once.
	rot := a.call(t, "POST", "/access/service_tokens/"+ciID+"/rotate", "", 200)
	if h := get(t, freshBrowser(c), base+"/x", creds(ciClient, ciSecret)...); h.status != http.StatusUnauthorized {
		t.Errorf("rotated-away secret: %d %s", h.status, h.body)
	}
	if h := get(t, freshBrowser(c), base+"/x", "Cookie", "CF_Authorization="+jwt, "X-Requested-With", "XMLHttpRequest"); h.status != http.StatusUnauthorized {
		t.Errorf("cookie minted before the rotation: %d %s", h.status, h.body)
	}
	newSecret := rot["client_secret"].(string)
	if h := get(t, freshBrowser(c), base+"/x", creds(ciClient, newSecret)...); h.status != http.StatusOK {
		t.Errorf("new secret: %d %s", h.status, h.body)
	}
	// Deleted: refused.
	a.call(t, "DELETE", "/access/service_tokens/"+ciID, "", 200)
	if h := get(t, freshBrowser(c), base+"/x", creds(ciClient, newSecret)...); h.status != http.StatusUnauthorized || !strings.Contains(h.body, "unknown_token") {
		t.Errorf("deleted token: %d %s", h.status, h.body)
	}
}

// Forward auth admits a service token the same way, for a trusted proxy.
func TestServiceTokensThroughForwardAuth(t *testing.T) {
	t.Parallel()
	a := behindProxy(t, freePort(t))
	id, client, secret := a.serviceToken(t, "CI")
	pol := a.policy(t, "CI", "non_identity", `[{"service_token":{"token_id":"`+id+`"}}]`)
	a.app(t, `{"type":"self_hosted","name":"FA","domain":"fa.localhost","policies":["`+pol+`"]}`)
	c := a.env.Browser()
	u := "http://localhost:" + a.env.Port() + "/cdn-cgi/access/forward-auth/caddy"
	resp := doRaw(t, c, u, "X-Forwarded-Host", "fa.localhost", "X-Forwarded-Uri", "/job", "X-Forwarded-Method", "POST",
		"CF-Access-Client-Id", client, "CF-Access-Client-Secret", secret)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Cf-Access-Jwt-Assertion") == "" || resp.Header.Get("Cf-Access-Authenticated-User-Email") != "" {
		t.Errorf("forward auth with a service token: %d %v", resp.StatusCode, resp.Header)
	}
	resp = doRaw(t, c, u, "X-Forwarded-Host", "fa.localhost", "X-Forwarded-Uri", "/job", "X-Forwarded-Method", "POST",
		"CF-Access-Client-Id", client, "CF-Access-Client-Secret", "wrong")
	if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("Cf-Access-Error") != "invalid_secret" {
		t.Errorf("forward auth with a wrong secret: %d %v", resp.StatusCode, resp.Header)
	}
}

// doRaw sends one GET and returns the response (body closed).
func doRaw(t *testing.T, c *http.Client, u string, header ...string) *http.Response {
	t.Helper()
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Add(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}
