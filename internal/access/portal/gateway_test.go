package portal_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
)

// grafana adds a self-hosted application on grafana.localhost (which
// loopback browsers resolve) for acmecorp.company staff.
func (a *acme) grafana(t *testing.T) (id, aud, base string) {
	t.Helper()
	id, aud = a.app(t, `{"type":"self_hosted","name":"Grafana","domain":"grafana.localhost","session_duration":"2h","policies":["`+a.staffPolicy+`"]}`)
	return id, aud, "http://grafana.localhost:" + a.env.Port()
}

// appLogin follows an unauthenticated visit to u on the app host through
// the login (the choice page, then the IdP as username) back to the app.
func (a *acme) appLogin(t *testing.T, c *http.Client, u, username string) (hop, []hop) {
	t.Helper()
	a.op.SetAutoLogin(username)
	first, hops := follow(t, c, u)
	if first.status != http.StatusOK || !strings.Contains(first.url.Path, "/cdn-cgi/access/login/") {
		return first, hops // already signed in, or refused before the choice
	}
	m := idpLinkRE.FindStringSubmatch(first.body)
	if m == nil {
		t.Fatalf("no IdP on the choice page: %s", first.body)
	}
	final, more := follow(t, c, a.url+text(m[1]))
	return final, append(hops, more...)
}

// grantFor logs username in for u on the app host and stops before the
// /authorized hop, returning its URL unused.
func (a *acme) grantFor(t *testing.T, c *http.Client, u, username string) string {
	t.Helper()
	a.op.SetAutoLogin(username)
	first, _ := follow(t, c, u)
	m := idpLinkRE.FindStringSubmatch(first.body)
	if m == nil {
		t.Fatalf("no choice page: %s", first.body)
	}
	next := a.url + text(m[1])
	for range 12 {
		h := get(t, c, next)
		if h.loc == "" {
			t.Fatalf("login ended at %s (%d) before /authorized", h.url, h.status)
		}
		if strings.Contains(h.loc, "/cdn-cgi/access/authorized") {
			return h.loc
		}
		next = h.loc
	}
	t.Fatal("too many redirects")
	return ""
}

// Checklist 2, 4, 5, 20, 21, 23–25: an unauthenticated visit goes to the
// team login with kid, redirect_url and a signed meta token, and comes
// back through /authorized with an application token that go-oidc
// verifies with only the certs URL and the AUD.
func TestGatewayLoginRoundTrip(t *testing.T) {
	t.Parallel()
	a := newAcme(t)
	appID, aud, base := a.grafana(t)
	c := a.env.Browser()

	first := get(t, c, base+"/d/home?orgId=1")
	loc, _ := url.Parse(first.loc)
	if first.status != http.StatusFound || loc.Host != a.host || loc.Path != "/cdn-cgi/access/login/grafana.localhost" {
		t.Fatalf("unauthenticated visit: %d %q", first.status, first.loc)
	}
	q := loc.Query()
	if q.Get("kid") != aud || q.Get("redirect_url") != "/d/home?orgId=1" || q.Get("meta") == "" {
		t.Errorf("login query %v, want kid = AUD, redirect_url = the path, a meta token", q)
	}
	if ck := first.setCookie("CF_AppSession"); ck == nil || !ck.HttpOnly || ck.MaxAge != 24*3600 || ck.Value == "" {
		t.Errorf("CF_AppSession: %+v, want HttpOnly, 24 h", ck)
	}
	_, meta := jwtParts(t, q.Get("meta"))
	if meta["type"] != "meta" || meta["hostname"] != "grafana.localhost" || meta["auth_status"] != "NONE" ||
		meta["service_token_status"] != false || meta["redirect_url"] != "/d/home?orgId=1" || meta["exp"] == nil {
		t.Errorf("meta claims %v", meta)
	}

	final, hops := a.appLogin(t, c, base+"/d/home?orgId=1", "alice")
	var authorized hop
	for _, h := range hops {
		if h.url.Path == "/cdn-cgi/access/authorized" {
			authorized = h
		}
	}
	if authorized.url == nil || authorized.url.Host != "grafana.localhost:"+a.env.Port() || authorized.rawLoc != "/d/home?orgId=1" {
		t.Fatalf("no /authorized hop on the app host back to the path: %+v", hops)
	}
	if final.status != http.StatusOK || final.url.String() != base+"/d/home?orgId=1" || !strings.Contains(final.body, "alice@acmecorp.company") {
		t.Fatalf("after login: %d %s %s", final.status, final.url, final.body)
	}
	ck := authorized.setCookie("CF_Authorization")
	if ck == nil || !ck.HttpOnly || ck.MaxAge != 2*3600 {
		t.Fatalf("app cookie %+v, want HttpOnly and the app's 2h session", ck)
	}
	if cleared := authorized.setCookie("CF_AppSession"); cleared == nil || cleared.MaxAge >= 0 {
		t.Errorf("CF_AppSession not cleared after use: %+v", cleared)
	}
	header, claims := jwtParts(t, ck.Value)
	if header["alg"] != "RS256" || claims["type"] != "app" || claims["email"] != "alice@acmecorp.company" ||
		claims["iss"] != a.url {
		t.Errorf("app token header %v claims %v", header, claims)
	}

	// Verifiable by an origin with go-oidc, knowing only certs URL and AUD.
	ctx := oidc.ClientContext(context.Background(), c)
	ks := oidc.NewRemoteKeySet(ctx, a.url+"/cdn-cgi/access/certs")
	v := oidc.NewVerifier(a.url, ks, &oidc.Config{ClientID: aud})
	if _, err := v.Verify(ctx, ck.Value); err != nil {
		t.Errorf("go-oidc refuses the app token: %v", err)
	}
	// The org token is not an app token for this host.
	if h := withCookie(t, c, base+"/", "CF_Authorization", jarCookie(c, a.url, "CF_Authorization")); h.status != http.StatusFound {
		t.Errorf("org token on the app host: %d, want a login redirect", h.status)
	}
	// The app token also works from the header, for non-browser clients.
	if h := get(t, freshBrowser(c), base+"/api", "Cf-Access-Token", ck.Value); h.status != http.StatusOK {
		t.Errorf("app token in cf-access-token: %d", h.status)
	}
	if h := get(t, c, base+"/cdn-cgi/access/get-identity"); h.status != http.StatusOK || !strings.Contains(h.body, "alice@acmecorp.company") {
		t.Errorf("get-identity on the app host: %d %s", h.status, h.body)
	}

	// A second visit with the team session skips the IdP (checklist 12).
	c2 := freshBrowser(c)
	for _, ck := range c.Jar.Cookies(&url.URL{Scheme: "http", Host: a.host}) {
		c2.Jar.SetCookies(&url.URL{Scheme: "http", Host: a.host}, []*http.Cookie{ck})
	}
	final, hops = follow(t, c2, base+"/other")
	if final.status != http.StatusOK || final.url.Path != "/other" {
		t.Errorf("with a team session: %d %s", final.status, final.url)
	}
	for _, h := range hops {
		if strings.Contains(h.loc, "/application/o/authorize") {
			t.Errorf("went to the IdP although a session exists")
		}
	}

	// revoke_tokens ends every token of the app; the team session then
	// gets a new one without the IdP.
	r := a.env.Do("POST", "/accounts/"+a.accountID+"/access/apps/"+appID+"/revoke_tokens", a.token, nil)
	if r.Status != http.StatusOK {
		t.Fatalf("revoke_tokens: %d %s", r.Status, r.Body)
	}
	if h := get(t, freshBrowser(c), base+"/api", "Cf-Access-Token", ck.Value); h.status != http.StatusFound {
		t.Errorf("app token after revoke_tokens: %d, want a login redirect", h.status)
	}
	final, _ = follow(t, c2, base+"/again")
	if final.status != http.StatusOK || final.url.Path != "/again" {
		t.Errorf("after revoke_tokens, with a team session: %d %s", final.status, final.url)
	}

	newTok := jarCookie(c2, base, "CF_Authorization")
	if h := get(t, freshBrowser(c), base+"/", "Cf-Access-Token", newTok); h.status != http.StatusOK {
		t.Fatalf("the token issued after revoke_tokens: %d", h.status)
	}

	// Logging out of the team revokes the session: its app tokens stop.
	get(t, c, a.url+"/cdn-cgi/access/logout")
	if h := get(t, freshBrowser(c), base+"/", "Cf-Access-Token", newTok); h.status != http.StatusFound {
		t.Errorf("app token after logout: %d", h.status)
	}
}

// Checklist 3, 6, 7.
func TestGatewayNonBrowserRequests(t *testing.T) {
	t.Parallel()
	a := newAcme(t)
	_, aud, base := a.grafana(t)
	c := a.env.Browser()
	if h := get(t, c, base+"/api/x", "X-Requested-With", "XMLHttpRequest"); h.status != http.StatusUnauthorized || h.loc != "" {
		t.Errorf("XHR without a token: %d %q, want 401", h.status, h.loc)
	}
	req, _ := http.NewRequest("OPTIONS", base+"/api/x", nil)
	req.Header.Set("Origin", "http://other.localhost")
	if resp, err := c.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("preflight: %v %v, want 403", resp, err)
	} else {
		resp.Body.Close()
	}
	req, _ = http.NewRequest("HEAD", base+"/", nil)
	req.Header.Set("cf-access-metadata-request", "true")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	md := resp.Header.Get("Cf-Access-Metadata")
	if resp.StatusCode != http.StatusOK || md == "" {
		t.Fatalf("metadata request: %d, header %q", resp.StatusCode, md)
	}
	_, claims := jwtParts(t, md)
	if claims["type"] != "match" || claims["hostname"] != "grafana.localhost" || claims["app_hostname"] != "grafana.localhost" ||
		claims["auth_domain"] != "acme.access.localhost" || claims["iat"] == nil {
		t.Errorf("metadata claims %v", claims)
	}
	if got, ok := claims["aud"].([]any); !ok || len(got) != 1 || got[0] != aud {
		t.Errorf("metadata aud %v, want [%s]", claims["aud"], aud)
	}
	if h := get(t, c, base+"/cdn-cgi/access/whatever"); h.status != http.StatusNotFound {
		t.Errorf("unknown /cdn-cgi/access path on the app host: %d", h.status)
	}
}

// Checklist 19, 21: the deny page and a refused /authorized mint nothing.
func TestGatewayRefusals(t *testing.T) {
	t.Parallel()
	a := newAcme(t)
	_, _, base := a.grafana(t)
	c := a.env.Browser()

	// dave@partner.example signs in but the policy does not admit him.
	final, hops := a.appLogin(t, c, base+"/", "dave")
	if final.status != http.StatusForbidden || !strings.Contains(text(final.body), "does not have access to Grafana") {
		t.Errorf("denied user: %d %s", final.status, final.body)
	}
	for _, h := range hops {
		if h.url.Path == "/cdn-cgi/access/authorized" {
			t.Errorf("a denied user reached /authorized")
		}
	}

	// A grant replayed, or presented without this browser's CF_AppSession.
	c = freshBrowser(c)
	_, hops = a.appLogin(t, c, base+"/x", "alice")
	var authorizedURL string
	for _, h := range hops {
		if h.url.Path == "/cdn-cgi/access/authorized" {
			authorizedURL = h.url.String()
		}
	}
	if authorizedURL == "" {
		t.Fatal("no /authorized hop")
	}
	if h := get(t, c, authorizedURL); h.status != http.StatusForbidden || h.setCookie("CF_Authorization") != nil {
		t.Errorf("replayed grant: %d, cookie %v", h.status, h.setCookie("CF_Authorization"))
	}
	// An unused grant, carried to another browser (which has a
	// CF_AppSession of its own), is refused; in its own browser it works.
	fresh := freshBrowser(c)
	grant := a.grantFor(t, fresh, base+"/y", "alice")
	other := freshBrowser(c)
	get(t, other, base+"/") // plants a CF_AppSession of its own
	if h := get(t, other, grant); h.status != http.StatusForbidden || h.setCookie("CF_Authorization") != nil {
		t.Errorf("grant in another browser: %d", h.status)
	}
	if h := get(t, fresh, grant); h.status != http.StatusFound || h.setCookie("CF_Authorization") == nil {
		t.Errorf("the same grant in its own browser: %d", h.status)
	}
	if h := get(t, freshBrowser(c), base+"/cdn-cgi/access/authorized?state=garbage"); h.status != http.StatusForbidden {
		t.Errorf("garbage grant: %d", h.status)
	}

	// A login whose meta token is missing, forged or for another host.
	first := get(t, freshBrowser(c), base+"/")
	loc, _ := url.Parse(first.loc)
	for name, change := range map[string]func(url.Values){
		"no meta":      func(q url.Values) { q.Del("meta") },
		"garbage meta": func(q url.Values) { q.Set("meta", "a.b.c") },
	} {
		q := loc.Query()
		change(q)
		if h := get(t, freshBrowser(c), a.url+loc.Path+"?"+q.Encode()); h.status != http.StatusBadRequest {
			t.Errorf("%s: %d", name, h.status)
		}
	}
	if h := get(t, freshBrowser(c), a.url+"/cdn-cgi/access/login/evil.localhost?"+loc.RawQuery); h.status != http.StatusBadRequest {
		t.Errorf("meta for another host: %d", h.status)
	}
}

// Checklist 4: the return address is reduced to a path on the app host,
// and the query's redirect_url cannot replace the signed one.
func TestGatewayRedirectsStayOnTheAppHost(t *testing.T) {
	t.Parallel()
	a := newAcme(t)
	_, _, base := a.grafana(t)
	c := a.env.Browser()
	for _, payload := range []string{"//evil.example", "/\\evil.example", "/%2f%2fevil.example", "/..//evil.example"} {
		h := get(t, freshBrowser(c), base+payload)
		loc, _ := url.Parse(h.loc)
		if h.status != http.StatusFound || loc.Query().Get("redirect_url") != "/" {
			t.Errorf("%q: %d redirect_url %q, want /", payload, h.status, loc.Query().Get("redirect_url"))
		}
	}
	b := freshBrowser(c)
	first := get(t, b, base+"/safe")
	loc, _ := url.Parse(first.loc)
	q := loc.Query()
	q.Set("redirect_url", "https://evil.example/")
	m := idpLinkRE.FindStringSubmatch(get(t, b, a.url+loc.Path+"?"+q.Encode()).body)
	if m == nil {
		t.Fatal("no choice page")
	}
	final, _ := follow(t, b, a.url+text(m[1]))
	if final.url.String() != base+"/safe" {
		t.Errorf("tampered redirect_url landed on %s, want the signed /safe", final.url)
	}
}

// Application hosts cannot capture hosts ssogate serves itself.
func TestAppHostsExcludeReservedHosts(t *testing.T) {
	t.Parallel()
	a := newAcme(t)
	for _, d := range []string{"localhost", "x.access.localhost", "acme.access.localhost", "127.0.0.1", "grafana.localhost:8443"} {
		r := a.env.Do("POST", "/accounts/"+a.accountID+"/access/apps", a.token,
			`{"type":"self_hosted","name":"x","domain":"`+d+`","policies":["`+a.staffPolicy+`"]}`)
		if r.Status != http.StatusBadRequest || !strings.Contains(string(r.Body), "/domain") {
			t.Errorf("domain %q: %d %s", d, r.Status, r.Body)
		}
	}
	// The dashboard keeps answering on its host.
	if h := get(t, a.env.Browser(), "http://localhost:"+a.env.Port()+"/login"); h.status != http.StatusOK {
		t.Errorf("dashboard: %d", h.status)
	}
}

// Checklist 24: the admitting policy's session duration wins over the
// app's.
func TestGatewayTokenLifetimeFromPolicy(t *testing.T) {
	t.Parallel()
	a := newAcme(t)
	pol := a.call(t, "POST", "/access/policies", `{"name":"short","decision":"allow","session_duration":"45m",
		"include":[{"email_domain":{"domain":"acmecorp.company"}}]}`, 201)["id"].(string)
	a.app(t, `{"type":"self_hosted","name":"Short","domain":"short.localhost","session_duration":"2h","policies":["`+pol+`"]}`)
	c := a.env.Browser()
	_, hops := a.appLogin(t, c, "http://short.localhost:"+a.env.Port()+"/", "alice")
	for _, h := range hops {
		if ck := h.setCookie("CF_Authorization"); ck != nil && h.url.Host == "short.localhost:"+a.env.Port() {
			_, claims := jwtParts(t, ck.Value)
			if ck.MaxAge != 45*60 || num(t, claims, "exp")-num(t, claims, "iat") != 45*60 {
				t.Errorf("app token lifetime: cookie %d s, exp-iat %d s; want the policy's 45m", ck.MaxAge, num(t, claims, "exp")-num(t, claims, "iat"))
			}
			return
		}
	}
	t.Fatal("no app cookie was set")
}

// Checklist 7 and 21: CORS preflights are answered from the app's
// settings, and the app cookie honours its SameSite/HttpOnly/path options.
func TestGatewayCORSAndCookieSettings(t *testing.T) {
	t.Parallel()
	a := newAcme(t)
	a.app(t, `{"type":"self_hosted","name":"API","domain":"api.localhost/v1","policies":["`+a.staffPolicy+`"],
		"same_site_cookie_attribute":"strict","http_only_cookie_attribute":false,"path_cookie_attribute":true,
		"cors_headers":{"allowed_origins":["http://web.localhost:3000"],"allowed_methods":["GET","POST"],
		"allowed_headers":["Content-Type"],"allow_credentials":true,"max_age":600}}`)
	base := "http://api.localhost:" + a.env.Port()
	c := a.env.Browser()
	preflight := func(origin, method, headers string) *http.Response {
		req, _ := http.NewRequest("OPTIONS", base+"/v1/items", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", method)
		if headers != "" {
			req.Header.Set("Access-Control-Request-Headers", headers)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	resp := preflight("http://web.localhost:3000", "POST", "content-type")
	if resp.StatusCode != http.StatusNoContent || resp.Header.Get("Access-Control-Allow-Origin") != "http://web.localhost:3000" ||
		resp.Header.Get("Access-Control-Allow-Credentials") != "true" || resp.Header.Get("Access-Control-Max-Age") != "600" {
		t.Errorf("allowed preflight: %d %v", resp.StatusCode, resp.Header)
	}
	for name, r := range map[string]*http.Response{
		"other origin":  preflight("http://evil.localhost", "POST", ""),
		"other method":  preflight("http://web.localhost:3000", "DELETE", ""),
		"other headers": preflight("http://web.localhost:3000", "POST", "X-Secret"),
	} {
		if r.StatusCode != http.StatusForbidden || r.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("%s: %d %v", name, r.StatusCode, r.Header)
		}
	}
	_, hops := a.appLogin(t, c, base+"/v1/items", "alice")
	for _, h := range hops {
		if ck := h.setCookie("CF_Authorization"); ck != nil && h.url.Host == "api.localhost:"+a.env.Port() {
			if ck.SameSite != http.SameSiteStrictMode || ck.HttpOnly || ck.Path != "/v1" {
				t.Errorf("app cookie: SameSite %v, HttpOnly %v, Path %q; want Strict, false, /v1", ck.SameSite, ck.HttpOnly, ck.Path)
			}
			return
		}
	}
	t.Fatal("no app cookie was set")
}

func TestAppSettingsValidation(t *testing.T) {
	t.Parallel()
	a := newAcme(t)
	for name, body := range map[string]string{
		"same site":        `"same_site_cookie_attribute":"sometimes"`,
		"origin":           `"cors_headers":{"allowed_origins":["web.localhost"]}`,
		"method":           `"cors_headers":{"allowed_methods":["FETCH"]}`,
		"credentials, all": `"cors_headers":{"allow_all_origins":true,"allow_credentials":true}`,
		"max age":          `"cors_headers":{"max_age":100000}`,
		"options bypass":   `"options_preflight_bypass":true`,
	} {
		r := a.env.Do("POST", "/accounts/"+a.accountID+"/access/apps", a.token,
			`{"type":"self_hosted","name":"x","domain":"x.localhost",`+body+`}`)
		if r.Status != http.StatusBadRequest {
			t.Errorf("%s: %d %s", name, r.Status, r.Body)
		}
	}
}
