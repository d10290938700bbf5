package portal_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/ssogate/ssogate/internal/app"
	"github.com/ssogate/ssogate/internal/apptest"
	"github.com/ssogate/ssogate/internal/config"
	"github.com/ssogate/ssogate/internal/idp/refop"
)

// loopbackBrowser is a browser for which every *.localhost name is
// 127.0.0.1, on whatever port the URL says (a proxy in front of ssogate
// has its own).
func loopbackBrowser() *http.Client {
	jar, _ := cookiejar.New(nil)
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		if h, port, err := net.SplitHostPort(addr); err == nil && (h == "localhost" || strings.HasSuffix(h, ".localhost")) {
			addr = net.JoinHostPort("127.0.0.1", port)
		}
		return (&net.Dialer{Timeout: 5 * time.Second}).DialContext(ctx, network, addr)
	}}
	return &http.Client{Jar: jar, Transport: tr, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// freePort is a loopback port nothing listens on (a moment ago).
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

// trusting makes the instance believe proxies on loopback.
func trusting(c *config.Config, _ *app.Options) {
	c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
}

// behindProxy is the acme fixture served through a proxy on port: team
// domain and app hosts alike are reached at that port, as ssogate's
// public URLs say.
func behindProxy(t *testing.T, port string, opts ...apptest.Option) *acme {
	t.Helper()
	env := apptest.New(t, append([]apptest.Option{apptest.WithPublicPort(port), trusting}, opts...)...)
	tn := &tenant{env: env, accountID: env.AccountID, token: env.Token, authHost: "acme.access.localhost"}
	tn.host = tn.authHost + ":" + port
	tn.url = "http://" + tn.host
	tn.call(t, "POST", "/access/organizations", `{"name":"Acme","auth_domain":"acme"}`, 201)
	a := &acme{tenant: tn}
	a.op, a.idpID = a.addOP(t, "authentik", refop.Config{AutoLogin: "alice"})
	a.staffPolicy = a.policy(t, "Acme staff", "allow", `[{"email_domain":{"domain":"acmecorp.company"}}]`)
	return a
}

// docBlock is the fenced block of the given language in
// docs/forward-auth.md: the tests run what the page shows.
func docBlock(t *testing.T, lang string) string {
	t.Helper()
	doc, err := os.ReadFile("../../../docs/forward-auth.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```" + lang + "\n(.*?)```").FindSubmatch(doc)
	if m == nil {
		t.Fatalf("docs/forward-auth.md has no %s block", lang)
	}
	return string(m[1])
}

// runProxy starts a proxy's command, stops it at cleanup and waits until
// it listens on port; logs tells what it said, for failures.
func runProxy(t *testing.T, cmd *exec.Cmd, port string, logs func() string) {
	t.Helper()
	out := &apptest.SyncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("%s said: %s\n%s", cmd.Path, out.String(), logs())
		}
	})
	waitListening(t, port, func() string { return out.String() + logs() })
}

// startNginx runs nginx on port with docs/forward-auth.md's server block —
// only its addresses substituted — for app host fa.localhost, plus a
// server that proxies the team domain to ssogate.
func startNginx(t *testing.T, port, ssogate, upstream string) {
	t.Helper()
	block := strings.NewReplacer("listen 80;", "listen 127.0.0.1:"+port+";", "app.example.com", "fa.localhost",
		"127.0.0.1:8080", ssogate, "127.0.0.1:3000", upstream).Replace(docBlock(t, "nginx"))
	dir := t.TempDir()
	conf := `daemon off; master_process off; worker_processes 1; pid ` + dir + `/nginx.pid;
error_log ` + dir + `/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ` + dir + `/body; proxy_temp_path ` + dir + `/proxy;
  fastcgi_temp_path ` + dir + `/fcgi; uwsgi_temp_path ` + dir + `/uwsgi; scgi_temp_path ` + dir + `/scgi;
  ` + block + `
  server {
    listen 127.0.0.1:` + port + `;
    server_name acme.access.localhost;
    location / { proxy_pass http://` + ssogate + `; proxy_set_header Host $http_host; proxy_set_header X-Forwarded-For $remote_addr; }
  }
}
`
	if err := os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	runProxy(t, exec.Command("nginx", "-p", dir, "-c", filepath.Join(dir, "nginx.conf")), port, func() string {
		log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
		return string(log)
	})
}

// startCaddy runs caddy on port with docs/forward-auth.md's site block —
// only its addresses substituted — for app host fa.localhost, plus a site
// that proxies the team domain to ssogate.
func startCaddy(t *testing.T, port, ssogate, upstream string) {
	t.Helper()
	block := strings.NewReplacer("app.example.com {", "http://fa.localhost:"+port+" {",
		"127.0.0.1:8080", ssogate, "127.0.0.1:3000", upstream).Replace(docBlock(t, "caddy"))
	dir := t.TempDir()
	conf := "{\n\tadmin off\n\tauto_https off\n\tpersist_config off\n}\n" + block +
		"\nhttp://acme.access.localhost:" + port + " {\n\treverse_proxy " + ssogate + "\n}\n"
	path := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("caddy", "run", "--config", path, "--adapter", "caddyfile")
	cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_DATA_HOME="+dir, "XDG_CONFIG_HOME="+dir)
	runProxy(t, cmd, port, func() string { return "" })
}

// startTraefik runs traefik on port with docs/forward-auth.md's dynamic
// configuration — only its addresses substituted — for app host
// fa.localhost, plus a router that sends the team domain to ssogate, and
// waits until it routes the app (its file provider loads after it listens).
func startTraefik(t *testing.T, port, ssogate, upstream string) {
	t.Helper()
	block := strings.NewReplacer("app.example.com", "fa.localhost",
		"127.0.0.1:8080", ssogate, "127.0.0.1:3000", upstream).Replace(docBlock(t, "yaml"))
	dir := t.TempDir()
	team := "http:\n  routers:\n    team:\n      rule: \"Host(`acme.access.localhost`)\"\n      service: ssogate\n"
	for name, body := range map[string]string{"app.yaml": block, "team.yaml": team} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("traefik", "--entryPoints.web.address=127.0.0.1:"+port, "--providers.file.directory="+dir,
		"--log.level=ERROR", "--global.checkNewVersion=false", "--global.sendAnonymousUsage=false")
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	runProxy(t, cmd, port, func() string { return "" })
	c := loopbackBrowser()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		r, err := c.Get("http://fa.localhost:" + port + "/")
		if err == nil {
			r.Body.Close()
			if r.StatusCode != http.StatusNotFound {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("traefik does not route fa.localhost after 10 s: %v", err)
		}
	}
}

// waitListening waits up to 10 s for a proxy to listen on port.
func waitListening(t *testing.T, port string, output func() string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		conn, err := net.Dial("tcp", "127.0.0.1:"+port)
		if err == nil {
			conn.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the proxy did not start: %s", output())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Issue 10: nginx from Debian, configured with the documented block,
// protects an upstream through ssogate's forward auth.
func TestForwardAuthNginx(t *testing.T) {
	apptest.NeedCommand(t, "nginx", "apt-get install -y nginx")
	forwardAuthThrough(t, startNginx)
}

// forwardAuthThrough starts a proxy with start (on a free port, in front
// of an echoing upstream and an ssogate that trusts it) and runs
// checkForwardAuth through it.
func forwardAuthThrough(t *testing.T, start func(t *testing.T, port, ssogate, upstream string)) {
	t.Helper()
	port := freePort(t)
	clock := apptest.NewClock(time.Now())
	a := behindProxy(t, port, apptest.WithNow(clock.Now))
	origin := echoOrigin(t)
	start(t, port, a.env.Server.Listener.Addr().String(), strings.TrimPrefix(origin.URL, "http://"))
	checkForwardAuth(t, a, "http://fa.localhost:"+port, clock)
}

// Issue 10: Caddy v2, built from the Go module proxy (CI builds it once
// and caches it), configured with the documented block, does the same.
func TestForwardAuthCaddy(t *testing.T) {
	apptest.NeedCommand(t, "caddy", "GOBIN=… go install github.com/caddyserver/caddy/v2/cmd/caddy@v2.11.9")
	forwardAuthThrough(t, startCaddy)
}

// Issue 10: Traefik v3, built from its source on the Go module proxy
// (scripts/build-traefik.sh; CI builds it once and caches it), configured
// with the documented dynamic configuration, does the same.
func TestForwardAuthTraefik(t *testing.T) {
	// CI builds Traefik in the background and runs this test, required,
	// once it has one (SSOGATE_TEST_TRAEFIK; see .ci/run).
	if _, err := exec.LookPath("traefik"); err != nil && os.Getenv("SSOGATE_TEST_TRAEFIK") == "" {
		t.Skip("traefik is not installed (scripts/build-traefik.sh DIR, then DIR on PATH)")
	}
	apptest.NeedCommand(t, "traefik", "scripts/build-traefik.sh DIR, then DIR on PATH")
	forwardAuthThrough(t, startTraefik)
}

// checkForwardAuth drives a proxy protecting an upstream through
// ssogate's forward auth at base: an anonymous browser signs in through
// the reference IdP and lands on its deep link; the upstream gets an
// assertion go-oidc verifies and the email, never a client's spoofed
// headers; forged, revoked and expired tokens and a denied user get the
// right answers.
func checkForwardAuth(t *testing.T, a *acme, base string, clock *apptest.Clock) {
	t.Helper()
	appID, aud := a.app(t, `{"type":"self_hosted","name":"FA","domain":"fa.localhost","session_duration":"2h","policies":["`+a.staffPolicy+`"]}`)
	port := base[strings.LastIndex(base, ":")+1:]
	// Anonymous → team login → IdP → /authorized → the deep link.
	c := loopbackBrowser()
	final, hops := a.appLogin(t, c, base+"/deep/link?q=1&r=two", "alice")
	var got seen
	if final.status != http.StatusOK || json.Unmarshal([]byte(final.body), &got) != nil {
		t.Fatalf("after login: %d %s (hops %d)", final.status, final.body, len(hops))
	}
	if got.URI != "/deep/link?q=1&r=two" || got.Header.Get("Cf-Access-Authenticated-User-Email") != "alice@acmecorp.company" {
		t.Errorf("upstream saw %s, email %q", got.URI, got.Header.Get("Cf-Access-Authenticated-User-Email"))
	}
	if g := got.Header.Get("Cf-Access-Authenticated-User-Groups"); g != "staff" {
		t.Errorf("upstream saw groups %q, want alice's IdP groups: staff", g)
	}
	token := jarCookie(c, base, "CF_Authorization")
	if token == "" || got.Header.Get("Cf-Access-Jwt-Assertion") != token {
		t.Fatalf("assertion at the upstream %q, cookie %q", got.Header.Get("Cf-Access-Jwt-Assertion"), token)
	}
	ctx := oidc.ClientContext(context.Background(), c)
	v := oidc.NewVerifier(a.url, oidc.NewRemoteKeySet(ctx, a.url+"/cdn-cgi/access/certs"), &oidc.Config{ClientID: aud,
		Now: clock.Now})
	if _, err := v.Verify(ctx, token); err != nil {
		t.Errorf("the upstream's assertion does not verify: %v", err)
	}

	// Spoofed identity headers are replaced or dropped.
	h := get(t, c, base+"/again", "Cf-Access-Authenticated-User-Email", "mallory@evil.example",
		"Cf-Access-Authenticated-User-Groups", "forged",
		"Cf-Access-Jwt-Assertion", "forged", "Cf-Access-Client-Id", "forged", "cf_access_authenticated_user_email", "mallory@evil.example",
		// Underscore spellings, which CGI-style frameworks read as the same header.
		"cf_access_authenticated_user_groups", "forged", "cf_access_jwt_assertion", "forged",
		"cf_access_client_id", "forged", "cf_access_client_secret", "forged", "cf_access_token", "forged")
	got = seen{}
	if h.status != http.StatusOK || json.Unmarshal([]byte(h.body), &got) != nil {
		t.Fatalf("signed in: %d %s", h.status, h.body)
	}
	for name, vs := range got.Header {
		n := strings.ReplaceAll(strings.ToLower(name), "_", "-")
		if strings.HasPrefix(n, "cf-access-") && (strings.Contains(strings.Join(vs, ","), "mallory") || strings.Contains(strings.Join(vs, ","), "forged")) {
			t.Errorf("a spoofed header reached the upstream: %s: %v", name, vs)
		}
	}

	// Forged: a token with another signature goes to the login, and XHR
	// gets a 401, neither reaching the upstream.
	parts := strings.Split(token, ".")
	forged := parts[0] + "." + parts[1] + ".AAAA" + parts[2][4:]
	if h := withCookie(t, c, base+"/x", "CF_Authorization", forged); h.status != http.StatusFound ||
		!strings.Contains(h.loc, "acme.access.localhost:"+port+"/cdn-cgi/access/login/fa.localhost") {
		t.Errorf("forged cookie: %d %s", h.status, h.loc)
	}
	if h := get(t, loopbackBrowser(), base+"/api", "Cookie", "CF_Authorization="+forged, "X-Requested-With", "XMLHttpRequest"); h.status != http.StatusUnauthorized || strings.Contains(h.body, "URI") {
		t.Errorf("forged cookie, XHR: %d %s", h.status, h.body)
	}

	checkServiceTokenThroughProxy(t, a, base, appID)

	// Revoked: refused at once.
	a.call(t, "POST", "/access/organizations/revoke_user", `{"email":"alice@acmecorp.company"}`, 200)
	if h := withCookie(t, c, base+"/x", "CF_Authorization", token); h.status != http.StatusFound {
		t.Errorf("revoked session: %d %s", h.status, h.body)
	}

	// Denied: dave signs in but the policy does not admit him.
	final, _ = a.appLogin(t, loopbackBrowser(), base+"/z", "dave")
	if final.status != http.StatusForbidden || strings.Contains(final.body, `"URI"`) {
		t.Errorf("denied user: %d %s", final.status, final.body)
	}

	// Expired (last: it moves ssogate's clock): a new login, then three hours later (the app's session is
	// two) the token no longer passes.
	c = loopbackBrowser()
	if final, _ := a.appLogin(t, c, base+"/y", "bob"); final.status != http.StatusOK {
		t.Fatalf("second login: %d %s", final.status, final.body)
	}
	token = jarCookie(c, base, "CF_Authorization")
	clock.Advance(3 * time.Hour)
	if h := withCookie(t, c, base+"/y", "CF_Authorization", token); h.status != http.StatusFound {
		t.Errorf("expired token: %d %s", h.status, h.body)
	}

}

// Only a trusted proxy may describe a request: anyone else gets a 403
// naming the setting, and a described request without its URI a 400.
func TestForwardAuthTrust(t *testing.T) {
	t.Parallel()
	a := newAcme(t) // trusts no proxy
	a.app(t, `{"type":"self_hosted","name":"FA","domain":"fa.localhost","policies":["`+a.staffPolicy+`"]}`)
	c := a.env.Browser()
	u := "http://localhost:" + a.env.Port() + "/cdn-cgi/access/forward-auth/caddy"
	h := get(t, c, u, "X-Forwarded-Host", "fa.localhost", "X-Forwarded-Uri", "/", "X-Forwarded-Method", "GET")
	if h.status != http.StatusForbidden || !strings.Contains(h.body, "--trusted-proxies") {
		t.Errorf("untrusted peer: %d %s", h.status, h.body)
	}

	b := behindProxy(t, a.env.Port())
	b.app(t, `{"type":"self_hosted","name":"FA","domain":"fa.localhost","policies":["`+b.staffPolicy+`"]}`)
	c = b.env.Browser()
	base := "http://localhost:" + b.env.Port() + "/cdn-cgi/access/forward-auth/"
	for _, tc := range []struct {
		mode   string
		header []string
		status int
		body   string
	}{
		{"caddy", []string{"X-Forwarded-Host", "fa.localhost"}, 400, "X-Forwarded-Uri"},
		{"nginx", []string{"X-Original-Method", "GET"}, 400, "X-Original-URI"},
		{"traefik", []string{"X-Forwarded-Host", "fa.localhost", "X-Forwarded-Uri", "http://evil.example/x"}, 302, ""},
		{"caddy", []string{"X-Forwarded-Host", "nothing.localhost", "X-Forwarded-Uri", "/"}, 403, "No Access application protects nothing.localhost"},
		{"caddy", []string{"X-Forwarded-Host", "fa.localhost", "X-Forwarded-Uri", "/p", "X-Forwarded-Method", "POST"}, 401, "sign in"},
		{"other", nil, 404, "nginx, traefik or caddy"},
	} {
		h := get(t, c, base+tc.mode, tc.header...)
		if h.status != tc.status || !strings.Contains(h.body, tc.body) {
			t.Errorf("%s %v: %d %s", tc.mode, tc.header, h.status, h.body)
		}
		if tc.status == 302 && (!strings.Contains(h.loc, "/cdn-cgi/access/login/fa.localhost") || !strings.Contains(h.loc, "redirect_url=%2Fx")) {
			t.Errorf("%s: the login must return to the original path on the app host: %s", tc.mode, h.loc)
		}
	}
	// nginx mode takes the host from Host, never from a client's
	// X-Forwarded-Host.
	h = get(t, c, base+"nginx", "X-Original-URI", "/", "X-Forwarded-Host", "fa.localhost")
	if h.status != http.StatusForbidden || !strings.Contains(h.body, "localhost") {
		t.Errorf("nginx mode with a client's X-Forwarded-Host: %d %s", h.status, h.body)
	}
}

// checkServiceTokenThroughProxy: a machine's service token passes the
// proxy's check (its headers reach ssogate's forward auth), the upstream
// gets a verifiable assertion but never the secret, and a wrong secret is
// a 401 naming the reason, not a login redirect.
func checkServiceTokenThroughProxy(t *testing.T, a *acme, base, appID string) {
	t.Helper()
	id, client, secret := a.serviceToken(t, "CI")
	pol := a.policy(t, "CI", "non_identity", `[{"service_token":{"token_id":"`+id+`"}}]`)
	a.call(t, "PUT", "/access/apps/"+appID, `{"policies":["`+a.staffPolicy+`","`+pol+`"]}`, 200)
	h := get(t, loopbackBrowser(), base+"/job?run=1", "CF-Access-Client-Id", client, "CF-Access-Client-Secret", secret)
	var got seen
	if h.status != http.StatusOK || json.Unmarshal([]byte(h.body), &got) != nil {
		t.Fatalf("service token through the proxy: %d %s", h.status, h.body)
	}
	if got.URI != "/job?run=1" || got.Header.Get("Cf-Access-Jwt-Assertion") == "" ||
		got.Header.Get("Cf-Access-Client-Secret") != "" || got.Header.Get("Cf-Access-Client-Id") != "" ||
		got.Header.Get("Cf-Access-Authenticated-User-Email") != "" {
		t.Errorf("upstream saw %s with %v", got.URI, got.Header)
	}
	if _, claims := jwtParts(t, got.Header.Get("Cf-Access-Jwt-Assertion")); claims["common_name"] != client || claims["sub"] != "" {
		t.Errorf("the assertion is not the service token's: %v", claims)
	}
	resp := doRaw(t, loopbackBrowser(), base+"/job", "CF-Access-Client-Id", client, "CF-Access-Client-Secret", "wrong")
	if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("Cf-Access-Error") != "invalid_secret" {
		t.Errorf("wrong secret through the proxy: %d %q", resp.StatusCode, resp.Header.Get("Cf-Access-Error"))
	}
}
