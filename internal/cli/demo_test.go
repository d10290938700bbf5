package cli_test

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ssogate/ssogate/internal/apptest"
)

// demoRun is a running `ssogate demo` and what it printed.
type demoRun struct {
	*background
	base, account, token, connector, teamURL, issuer, dataDir string
	passwords                                                 map[string]string // email → password
}

var (
	demoListenRE = regexp.MustCompile(`ssogate listening on (http://127\.0\.0\.1:\d+) `)
	demoFieldREs = map[string]*regexp.Regexp{
		"account":   regexp.MustCompile(`export CLOUDFLARE_ACCOUNT_ID=([0-9a-f]{32})\n`),
		"token":     regexp.MustCompile(`export CLOUDFLARE_API_TOKEN=(\S+)\n`),
		"connector": regexp.MustCompile(`export CLOUDFLARE_SSO_CONNECTOR_ID=([0-9a-f]{32})\n`),
		"team":      regexp.MustCompile(`Open the App Launcher +(http://acme\.access\.localhost:\d+)/\n`),
		"issuer":    regexp.MustCompile(`issuer (http://127\.0\.0\.1:\d+/application/o/ssogate/)\n`),
		"data":      regexp.MustCompile(`data: +(\S+) \(`),
	}
	demoPersonRE = regexp.MustCompile(`(?m)^  (\S+@\S+) +(\S+) `)
)

// startDemo runs the demo on a free loopback port and reads what it printed.
func startDemo(t *testing.T, args ...string) *demoRun {
	t.Helper()
	b := startCommand(t, map[string]string{"SSOGATE_LOG_LEVEL": "warn"}, append([]string{"demo", "--listen", "127.0.0.1:0"}, args...)...)
	d := &demoRun{background: b, passwords: map[string]string{}}
	d.base = b.waitFor(t, demoListenRE)
	out := b.stdout.String()
	fields := map[string]*string{"account": &d.account, "token": &d.token, "connector": &d.connector,
		"team": &d.teamURL, "issuer": &d.issuer, "data": &d.dataDir}
	for name, re := range demoFieldREs {
		m := re.FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("the demo did not print its %s (%s):\n%s", name, re, out)
		}
		*fields[name] = m[1]
	}
	for _, m := range demoPersonRE.FindAllStringSubmatch(out, -1) {
		d.passwords[m[1]] = m[2]
	}
	if _, port, _ := net.SplitHostPort(strings.TrimPrefix(d.base, "http://")); !strings.HasSuffix(d.teamURL, ":"+port) {
		t.Fatalf("team domain %s is not on the listen port of %s", d.teamURL, d.base)
	}
	return d
}

// api sends a v4 API request with the printed token and decodes result.
func (d *demoRun) api(t *testing.T, method, path string, result any) {
	t.Helper()
	req, _ := http.NewRequest(method, d.base+"/client/v4/accounts/"+d.account+path, nil)
	if method == "PATCH" {
		req.Body = io.NopCloser(strings.NewReader(`{"enabled": false}`))
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+d.token)
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var env struct {
		Success bool            `json:"success"`
		Result  json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(body, &env); err != nil || !env.Success || resp.StatusCode != 200 {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, body)
	}
	if err := json.Unmarshal(env.Result, result); err != nil {
		t.Fatalf("%s %s: %v: %s", method, path, err, body)
	}
}

var csrfFieldRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// dashboardPasswordLogin signs in with the email and password steps and
// returns where the dashboard sends the browser.
func (d *demoRun) dashboardPasswordLogin(t *testing.T, email string) string {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	csrf := func(resp *http.Response) string {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		m := csrfFieldRE.FindStringSubmatch(string(body))
		if m == nil {
			t.Fatalf("no form at %s (%d): %s", resp.Request.URL, resp.StatusCode, body)
		}
		return m[1]
	}
	resp, err := c.Get(d.base + "/login")
	if err != nil {
		t.Fatal(err)
	}
	tok := csrf(resp)
	if resp, err = c.PostForm(d.base+"/login", url.Values{"csrf": {tok}, "email": {email}}); err != nil {
		t.Fatal(err)
	}
	tok = csrf(resp)
	if resp, err = c.PostForm(d.base+"/login/password", url.Values{"csrf": {tok}, "email": {email}, "password": {d.passwords[email]}}); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.Header.Get("Location")
}

type demoConnector struct {
	Enabled      bool   `json:"enabled"`
	EmailDomain  string `json:"email_domain"`
	Verification struct {
		Status string `json:"status"`
	} `json:"verification"`
}

type demoApp struct {
	Name               string `json:"name"`
	Type               string `json:"type"`
	Domain             string `json:"domain"`
	AppLauncherVisible bool   `json:"app_launcher_visible"`
}

// checkSetup checks through the API what the guide leaves behind.
func (d *demoRun) checkSetup(t *testing.T) {
	t.Helper()
	var conns []demoConnector
	d.api(t, "GET", "/sso_connectors", &conns)
	if len(conns) != 1 || !conns[0].Enabled || conns[0].EmailDomain != "acmecorp.company" || conns[0].Verification.Status != "verified" {
		t.Errorf("SSO connectors: %+v, want one for acmecorp.company, verified and enabled", conns)
	}
	var apps []demoApp
	d.api(t, "GET", "/access/apps", &apps)
	team := strings.TrimPrefix(d.teamURL, "http://")
	team = team[:strings.LastIndex(team, ":")]
	want := []demoApp{
		{Name: "App Launcher", Type: "app_launcher", Domain: team},
		{Name: "Grafana", Type: "bookmark", Domain: "https://grafana.acmecorp.company", AppLauncherVisible: true},
		// dash_sso has no app_launcher_visible in the API (Cloudflare's
		// per-type fields, issue 11); ssogate shows it in the launcher.
		{Name: "SSO App", Type: "dash_sso", Domain: team},
	}
	if diff := cmp.Diff(want, apps); diff != "" {
		t.Errorf("Access apps (-want +got):\n%s", diff)
	}
	var idps []struct {
		Name   string `json:"name"`
		Config struct {
			IssuerURL string `json:"issuer_url"`
		} `json:"config"`
	}
	d.api(t, "GET", "/access/identity_providers", &idps)
	if len(idps) != 1 || idps[0].Name != "authentik" || idps[0].Config.IssuerURL != d.issuer {
		t.Errorf("identity providers: %+v, want authentik at %s", idps, d.issuer)
	}
}

// browser is a cookie-keeping client that reaches *.localhost on the demo's
// address, as browsers do, and does not follow redirects by itself.
func (d *demoRun) browser() *http.Client {
	return apptest.BrowserAt(strings.TrimPrefix(d.base, "http://"))
}

// signIn signs email in at the App Launcher through the demo's IdP and
// returns the browser and the launcher's tiles (name → URL).
func (d *demoRun) signIn(t *testing.T, email string) (*http.Client, map[string]string) {
	t.Helper()
	c := d.browser()
	return c, apptest.SignInToLauncher(t, c, d.teamURL, email, d.passwords[email])
}

func TestDemo(t *testing.T) {
	t.Parallel()
	d := startDemo(t)
	if pw := d.passwords["alice@acmecorp.company"]; pw == "" || d.passwords["carol@contractor.dev"] == "" ||
		d.passwords["mallory@acmecorp.company"] == "" || d.passwords["admin@ssogate.localhost"] == "" {
		t.Fatalf("credentials missing from the output: %v\n%s", d.passwords, d.stdout)
	}
	contains(t, "demo stdout", d.stdout.String(), "temporary, removed on exit", "http://localhost:"+d.teamURL[strings.LastIndex(d.teamURL, ":")+1:]+"/login",
		`--request PATCH --header "Authorization: Bearer `+d.token+`" --json '{"enabled": false}'`)
	d.checkSetup(t)

	_, tiles := d.signIn(t, "alice@acmecorp.company")
	want := map[string]string{"SSO App": "/cdn-cgi/access/sso/dash", "Grafana": "https://grafana.acmecorp.company"}
	if diff := cmp.Diff(want, tiles); diff != "" {
		t.Errorf("alice's App Launcher (-want +got):\n%s", diff)
	}

	// The guide's lock-out recovery, with the printed token.
	var off demoConnector
	d.api(t, "PATCH", "/sso_connectors/"+d.connector, &off)
	if off.Enabled {
		t.Errorf("PATCH enabled:false left the connector enabled")
	}
	// …after which bob's password signs him in to the dashboard.
	if loc := d.dashboardPasswordLogin(t, "bob@acmecorp.company"); loc != "/"+d.account+"/home" {
		t.Errorf("bob's password login after disabling SSO landed on %q", loc)
	}

	if code := d.stop(t); code != 0 {
		t.Errorf("demo exited %d after cancel, want 0\nstderr:\n%s", code, d.stderr)
	}
	if _, err := os.Stat(d.dataDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temporary data dir %s is still there after exit (%v)", d.dataDir, err)
	}
	for _, u := range []string{d.base, d.issuer} {
		if resp, err := http.Get(u); err == nil {
			resp.Body.Close()
			t.Errorf("%s still answers after the demo stopped", u)
		}
	}
}

// TestDemoDataDirReuse: a second run on the same --data-dir seeds nothing,
// prints the same credentials and works with its new IdP port.
func TestDemoDataDirReuse(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first := startDemo(t, "--data-dir", dir)
	contains(t, "first run", first.stdout.String(), "is set up as the integration guide leaves it", dir+" (kept")
	if code := first.stop(t); code != 0 {
		t.Fatalf("first run exited %d\nstderr:\n%s", code, first.stderr)
	}

	again := startDemo(t, "--data-dir", dir)
	contains(t, "second run", again.stdout.String(), dir+" already holds the demo")
	if again.account != first.account || again.token != first.token || again.connector != first.connector ||
		!cmp.Equal(again.passwords, first.passwords) {
		t.Errorf("second run printed other credentials:\n%s\nfirst:\n%s", again.stdout, first.stdout)
	}
	var accounts []struct {
		ID string `json:"id"`
	}
	req, _ := http.NewRequest("GET", again.base+"/client/v4/accounts", nil)
	req.Header.Set("Authorization", "Bearer "+again.token)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		var env struct {
			Result json.RawMessage `json:"result"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&env)
		resp.Body.Close()
		_ = json.Unmarshal(env.Result, &accounts)
	}
	if len(accounts) != 1 || accounts[0].ID != first.account {
		t.Errorf("accounts after the second run: %+v, want only %s", accounts, first.account)
	}
	again.checkSetup(t) // one connector, three apps, the IdP at this run's issuer
	if _, tiles := again.signIn(t, "bob@acmecorp.company"); tiles["SSO App"] == "" {
		t.Errorf("bob's App Launcher after a restart: %v, want the SSO App", tiles)
	}
	if code := again.stop(t); code != 0 {
		t.Errorf("second run exited %d\nstderr:\n%s", code, again.stderr)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Errorf("--data-dir %s was removed: %v", dir, err)
	}
}

func TestDemoRefusals(t *testing.T) {
	t.Parallel()
	served := t.TempDir()
	srv := startCommand(t, map[string]string{"SSOGATE_LOG_LEVEL": "warn"}, "serve", "--listen", "127.0.0.1:0", "--data-dir", served)
	srv.waitFor(t, demoListenRE)
	srv.stop(t)

	tests := []struct {
		name string
		args []string
		want string
	}{
		{"a server's data dir", []string{"--data-dir", served}, "the demo did not set up"},
		{"database url", []string{"--database-url", "postgres://db/sg"}, "--database-url"},
		{"name servers", []string{"--dns-nameservers", "127.0.0.1:53"}, "--dns-listen"},
		{"argument", []string{"now"}, `unexpected argument "now"`},
		{"bad server flag", []string{"--verify-concurrency", "0"}, "verify-concurrency"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := must(t, 2, nil, append([]string{"demo", "--listen", "127.0.0.1:0"}, tt.args...)...)
			contains(t, "demo stderr", r.stderr, tt.want)
			if strings.Contains(r.stdout, "listening") {
				t.Errorf("the demo started:\n%s", r.stdout)
			}
		})
	}
}
