package app_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/ssogate/ssogate/internal/apptest"
	"github.com/ssogate/ssogate/internal/config"
	"github.com/ssogate/ssogate/internal/idp/refop"
	"github.com/ssogate/ssogate/internal/ids"
	"github.com/ssogate/ssogate/internal/store"
	"github.com/ssogate/ssogate/internal/store/storetest"
)

// The tests of this file run ssogate as `ssogate serve` does (app.Run),
// drive every surface the way clients do — API calls, a dashboard
// password login, an Access login through a real OpenID provider, a
// protected application behind the gateway — and then read what an
// operator reads: the /metrics scrape on --metrics-listen, parsed with the
// Prometheus client's own text parser, and the request log on stderr.

const (
	obsPassword  = "correct horse battery staple, observed"
	obsIdPSecret = "observe-tests-client-secret-0123456789abcdef"
	obsUserPass  = "alice's own IdP password"
)

// freeAddr is a loopback address nothing listens on (for --metrics-listen).
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// recorder sits under the test's browser and remembers what a careless
// log could leak — every authorization code, state and meta token in a
// URL, every cookie value set — and the X-Request-Id of every answer
// ssogate sent.
type recorder struct {
	rt         http.RoundTripper
	ssogate    string // host:port of ssogate's listener
	mu         sync.Mutex
	secrets    map[string]string // value → what it is
	requestIDs []string
}

func (rec *recorder) RoundTrip(r *http.Request) (*http.Response, error) {
	rec.mu.Lock()
	for _, k := range []string{"code", "state", "meta", "saml_ref"} {
		if v := r.URL.Query().Get(k); len(v) >= 8 {
			rec.secrets[v] = "the " + k + " parameter"
		}
	}
	rec.mu.Unlock()
	resp, err := rec.rt.RoundTrip(r)
	if err != nil {
		return resp, err
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, c := range resp.Cookies() {
		if len(c.Value) >= 16 {
			rec.secrets[c.Value] = "the " + c.Name + " cookie"
		}
	}
	if h := r.URL.Hostname(); h == "localhost" || strings.HasSuffix(h, ".localhost") {
		if id := resp.Header.Get("X-Request-Id"); id != "" {
			rec.requestIDs = append(rec.requestIDs, id)
		}
	}
	return resp, nil
}

// observed is one run of the scenario: the running ssogate, what the
// browser saw, and the values that must never reach the log.
type observed struct {
	r       *running
	rec     *recorder
	cfg     config.Config
	token   string
	account string
	idpID   string // the Access identity provider setUpAccess adds
}

// runScenario starts ssogate with cfg and exercises every surface.
func runScenario(t *testing.T, cfg config.Config) *observed {
	t.Helper()
	cfg.BootstrapToken = ids.NewTokenValue()
	cfg.BootstrapPassword = obsPassword
	r := start(t, cfg)
	o := &observed{r: r, cfg: cfg, token: cfg.BootstrapToken}
	o.account = r.accountIDs(o.token)[0]
	c := apptest.BrowserAt(strings.TrimPrefix(r.base, "http://"))
	o.rec = &recorder{rt: c.Transport, secrets: map[string]string{}}
	c.Transport = o.rec

	// The API: a missing token (400), an unknown one (401), a good one.
	o.browserAPI(t, c, "")
	o.browserAPI(t, c, ids.NewTokenValue())
	o.browserAPI(t, c, o.token)

	o.setUpAccess(t)
	apptest.SignInToLauncher(t, c, "http://acme.access.localhost", "alice", obsUserPass)
	if status, body := browse(t, c, "http://wiki.localhost/page?x=1"); status != 200 || body != "origin says hi" {
		t.Fatalf("through the gateway: %d %q", status, body)
	}
	if status, _ := browse(t, c, "http://broken.localhost/"); status != http.StatusBadGateway {
		t.Fatalf("an app whose origin is down: %d, want 502", status)
	}
	dashboardLogin(t, c, o.account)
	if status, _ := r.get("/healthz", ""); status != 200 {
		t.Fatalf("/healthz: %d", status)
	}
	// A DNS check: the connector's domain publishes no record, so it stays
	// pending in the verification queue.
	conn := o.api(t, "POST", "/accounts/"+o.account+"/sso_connectors", `{"email_domain":"acmecorp.company"}`)
	o.api(t, "POST", "/accounts/"+o.account+"/sso_connectors/"+conn["id"].(string)+"/begin_verification", "")
	return o
}

// browserAPI lists accounts through the browser's transport, so the
// answer's request id is recorded.
func (o *observed) browserAPI(t *testing.T, c *http.Client, token string) {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://localhost/client/v4/accounts", nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

// api calls the v4 API with the bootstrap token and returns the result.
func (o *observed) api(t *testing.T, method, path, body string) map[string]any {
	t.Helper()
	status, raw := o.r.do(method, "/client/v4"+path, o.token, body)
	if status >= 300 {
		t.Fatalf("%s %s: %d %s", method, path, status, raw)
	}
	var env struct {
		Result map[string]any `json:"result"`
	}
	_ = json.Unmarshal([]byte(raw), &env)
	return env.Result
}

// setUpAccess makes the organization "acme" with a reference OpenID
// provider, an App Launcher, and two protected applications: Wiki, whose
// origin answers, and Broken, whose origin refuses connections.
func (o *observed) setUpAccess(t *testing.T) {
	t.Helper()
	acct := "/accounts/" + o.account
	o.api(t, "POST", acct+"/access/organizations", `{"name":"Acme","auth_domain":"acme"}`)
	var handler http.Handler = http.NotFoundHandler()
	idp := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(idp.Close)
	op, err := refop.New(refop.Config{Issuer: idp.URL,
		Users: []refop.User{{Username: "alice", Email: "alice@acmecorp.company", Name: "Alice", Password: obsUserPass,
			EmailVerified: true}},
		Clients: []refop.Client{{ID: "ssogate", Secret: obsIdPSecret,
			RedirectURIs: []string{"http://acme.access.localhost/cdn-cgi/access/callback"}}}})
	if err != nil {
		t.Fatal(err)
	}
	handler = op.Handler()
	o.idpID = o.api(t, "POST", acct+"/access/identity_providers", `{"name":"authentik","type":"oidc","config":{
		"client_id":"ssogate","client_secret":"`+obsIdPSecret+`","issuer_url":"`+op.IssuerURL()+`","pkce_enabled":true}}`)["id"].(string)
	staff := o.api(t, "POST", acct+"/access/policies",
		`{"name":"Staff","decision":"allow","include":[{"email_domain":{"domain":"acmecorp.company"}}]}`)["id"].(string)
	o.api(t, "POST", acct+"/access/apps", `{"type":"app_launcher","policies":["`+staff+`"]}`)
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "origin says hi")
	}))
	t.Cleanup(origin.Close)
	for name, originURL := range map[string]string{"Wiki": origin.URL, "Broken": "http://" + freeAddr(t)} {
		o.api(t, "POST", acct+"/access/apps", `{"type":"self_hosted","name":"`+name+`","domain":"`+strings.ToLower(name)+
			`.localhost","origin_url":"`+originURL+`","policies":["`+staff+`"],"allowed_idps":["`+o.idpID+`"],
			"auto_redirect_to_identity":true}`)
	}
}

// browse GETs u and follows redirects; it returns the last answer.
func browse(t *testing.T, c *http.Client, u string) (int, string) {
	t.Helper()
	for range 12 {
		resp, err := c.Get(u)
		if err != nil {
			t.Fatalf("GET %s: %v", u, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		loc, err := resp.Location()
		if err != nil || resp.StatusCode < 300 || resp.StatusCode > 399 {
			return resp.StatusCode, string(body)
		}
		u = loc.String()
	}
	t.Fatalf("too many redirects from %s", u)
	return 0, ""
}

// dashboardLogin signs the bootstrap admin in with the password and opens
// the account's home page.
func dashboardLogin(t *testing.T, c *http.Client, account string) {
	t.Helper()
	csrf := ""
	post := func(path string, form url.Values) int {
		form.Set("csrf", csrf)
		resp, err := c.PostForm("http://localhost"+path, form)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if m := csrfRE.FindSubmatch(body); m != nil {
			csrf = string(m[1])
		}
		return resp.StatusCode
	}
	_, page := browse(t, c, "http://localhost/login")
	if m := csrfRE.FindStringSubmatch(page); m != nil {
		csrf = m[1]
	}
	post("/login", url.Values{"email": {"admin@ssogate.localhost"}})
	if status := post("/login/password", url.Values{"email": {"admin@ssogate.localhost"}, "password": {obsPassword}}); status != http.StatusSeeOther && status != http.StatusFound {
		t.Fatalf("password login: %d", status)
	}
	if status, body := browse(t, c, "http://localhost/"+account+"/home"); status != 200 {
		t.Fatalf("dashboard home after login: %d %s", status, body)
	}
}

// scrape reads /metrics from the metrics listener and parses it with the
// client's text parser.
func scrape(t *testing.T, addr string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := client.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("scrape: %d", resp.StatusCode)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse the scrape: %v", err)
	}
	return fams
}

// sum adds the samples of a family whose labels include want (a
// histogram's sample counts).
func sum(fams map[string]*dto.MetricFamily, family string, want map[string]string) float64 {
	total := 0.0
	for _, m := range fams[family].GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		match := true
		for k, v := range want {
			match = match && labels[k] == v
		}
		if !match {
			continue
		}
		switch {
		case m.Counter != nil:
			total += m.GetCounter().GetValue()
		case m.Gauge != nil:
			total += m.GetGauge().GetValue()
		case m.Histogram != nil:
			total += float64(m.GetHistogram().GetSampleCount())
		}
	}
	return total
}

// TestMetricsScrapeAfterTraffic runs on every backend: the verification
// queue is read with SQL at scrape time, and the pool is PostgreSQL's or
// SQLite's.
func TestMetricsScrapeAfterTraffic(t *testing.T) {
	for _, d := range storetest.Backends() {
		t.Run(string(d), func(t *testing.T) {
			cfg, _ := testConfig(t)
			if d == store.Postgres {
				cfg.DatabaseURL = storetest.PostgresURL(t)
			}
			cfg.MetricsListen = freeAddr(t)
			checkScrape(t, cfg)
		})
	}
}

func checkScrape(t *testing.T, cfg config.Config) {
	o := runScenario(t, cfg)
	fams := scrape(t, cfg.MetricsListen)

	atLeast := []struct {
		family string
		labels map[string]string
		min    float64
	}{
		// The 400 and the 401 of the API, under the route pattern.
		{"ssogate_http_requests_total", map[string]string{"surface": "api", "route": "/client/v4/accounts", "method": "GET", "status_class": "4xx"}, 2},
		{"ssogate_http_requests_total", map[string]string{"surface": "api", "route": "/client/v4/accounts/{account_id}/sso_connectors", "method": "POST", "status_class": "2xx"}, 1},
		{"ssogate_http_requests_total", map[string]string{"surface": "dashboard", "route": "/login/password", "method": "POST", "status_class": "3xx"}, 1},
		{"ssogate_http_requests_total", map[string]string{"surface": "dashboard", "route": "/{account_id}/home", "status_class": "2xx"}, 1},
		{"ssogate_http_requests_total", map[string]string{"surface": "team", "route": "/cdn-cgi/access/callback", "status_class": "3xx"}, 1},
		{"ssogate_http_requests_total", map[string]string{"surface": "gateway", "route": "proxy", "status_class": "2xx"}, 1},
		{"ssogate_http_requests_total", map[string]string{"surface": "gateway", "route": "/cdn-cgi/access/authorized", "status_class": "3xx"}, 2},
		{"ssogate_http_requests_total", map[string]string{"surface": "health", "route": "/healthz"}, 1},
		{"ssogate_http_request_duration_seconds", map[string]string{"surface": "gateway", "route": "proxy"}, 1},
		{"ssogate_logins_total", map[string]string{"flow": "access", "idp": "oidc", "idp_id": o.idpID, "outcome": "success"}, 1},
		{"ssogate_logins_total", map[string]string{"flow": "dashboard", "idp": "password", "idp_id": "", "outcome": "success"}, 1},
		{"ssogate_access_decisions_total", map[string]string{"app": "Wiki", "outcome": "allow"}, 1},
		{"ssogate_access_decisions_total", map[string]string{"app": "Wiki", "outcome": "login_required"}, 1},
		{"ssogate_gateway_upstream_duration_seconds", map[string]string{"app": "Wiki"}, 1},
		{"ssogate_gateway_upstream_errors_total", map[string]string{"app": "Broken", "failure": "connect"}, 1},
		{"ssogate_dns_checks_total", nil, 1},
		{"ssogate_verification_pending_connectors", nil, 1},
		{"ssogate_cache_lookups_total", map[string]string{"cache": "api_tokens"}, 1},
		{"ssogate_cache_lookups_total", map[string]string{"cache": "access_tokens"}, 1},
		{"ssogate_cache_lookups_total", map[string]string{"cache": "access_sessions"}, 1},
		{"go_sql_max_open_connections", map[string]string{"db_name": "ssogate"}, 1},
		{"go_goroutines", nil, 1},
	}
	for _, c := range atLeast {
		if got := sum(fams, c.family, c.labels); got < c.min {
			t.Errorf("%s%v = %v, want at least %v", c.family, c.labels, got, c.min)
		}
	}
	if got := sum(fams, "ssogate_logins_total", map[string]string{"outcome": "failure"}); got != 0 {
		t.Errorf("%v failed logins counted, want none", got)
	}
	if _, ok := fams["process_resident_memory_bytes"]; !ok {
		t.Errorf("no process metrics in the scrape")
	}
	// Route labels are patterns and constants: never a raw path with an id.
	hex32 := regexp.MustCompile(`[0-9a-f]{32}`)
	for _, m := range fams["ssogate_http_requests_total"].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "route" && (hex32.MatchString(l.GetValue()) || strings.Contains(l.GetValue(), "?")) {
				t.Errorf("a route label carries a raw path: %q", l.GetValue())
			}
		}
	}
	t.Run("the Grafana dashboard uses only scraped names", func(t *testing.T) { checkDashboardNames(t, fams) })
	o.r.stop()
}

// checkDashboardNames fails for each metric name a query of
// deploy/grafana-dashboard.json uses that the scrape does not have, so the
// dashboard cannot drift from the code.
func checkDashboardNames(t *testing.T, fams map[string]*dto.MetricFamily) {
	raw, err := os.ReadFile("../../deploy/grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash any
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("deploy/grafana-dashboard.json: %v", err)
	}
	names := map[string]bool{}
	nameRE := regexp.MustCompile(`\b(?:ssogate|go|process)_[a-z0-9_]+\b`)
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if s, ok := x.(string); ok && (k == "expr" || k == "definition") {
					for _, n := range nameRE.FindAllString(s, -1) {
						names[n] = true
					}
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(dash)
	if len(names) < 10 {
		t.Fatalf("the dashboard's queries name only %d metrics: %v", len(names), names)
	}
	for n := range names {
		base := n
		for _, suffix := range []string{"_bucket", "_count", "_sum"} {
			b, ok := strings.CutSuffix(n, suffix)
			if typ := fams[b].GetType(); ok && (typ == dto.MetricType_HISTOGRAM || typ == dto.MetricType_SUMMARY) {
				base = b
			}
		}
		if _, ok := fams[base]; !ok {
			t.Errorf("the dashboard queries %s, which the scrape does not have", n)
		}
	}
}

func TestRequestLogHasEveryRequestAndNoSecret(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			cfg, _ := testConfig(t)
			cfg.LogFormat = format
			o := runScenario(t, cfg)
			o.r.stop() // writes out the buffered lines
			log := o.r.stderr.String()

			// Each secret of the scenario: the values it sent and those it
			// saw in URLs and cookies (the recorder's).
			secrets := map[string]string{o.token: "the API token", obsPassword: "the dashboard password",
				obsUserPass: "the IdP password", obsIdPSecret: "the IdP client secret"}
			for v, what := range o.rec.secrets {
				secrets[v] = what
			}
			for v, what := range secrets {
				if strings.Contains(log, v) {
					t.Errorf("the log holds %s (%.12s…)", what, v)
				}
			}
			lines := requestLines(t, log, format)
			if len(o.rec.requestIDs) < 15 {
				t.Fatalf("only %d answers with a request id were seen", len(o.rec.requestIDs))
			}
			for _, id := range o.rec.requestIDs {
				if n := len(lines[id]); n != 1 {
					t.Errorf("request %s has %d log lines, want 1", id, n)
				}
			}
			fields := []string{"request_id", "surface", "method", "host", "route", "path", "status", "duration", "bytes", "client_ip"}
			actors := map[string]int{}
			for id, ls := range lines {
				for _, l := range ls {
					for _, f := range fields {
						if _, ok := l[f]; !ok {
							t.Errorf("request %s: no %s in %v", id, f, l)
						}
					}
					if l["client_ip"] != "127.0.0.1" {
						t.Errorf("request %s: client_ip %q", id, l["client_ip"])
					}
					if strings.Contains(l["path"], "?") {
						t.Errorf("request %s: path with a query: %q", id, l["path"])
					}
					if a := l["actor"]; a != "" {
						actors[strings.SplitN(a, ":", 2)[0]]++
						if l["account_id"] == "" {
							t.Errorf("request %s: an actor without an account: %v", id, l)
						}
					}
				}
			}
			for _, kind := range []string{"token", "user"} {
				if actors[kind] == 0 {
					t.Errorf("no request line names a %s actor (%v)", kind, actors)
				}
			}
		})
	}
}

// textFieldRE is one key=value of slog's text format (values quoted when
// they need it).
var textFieldRE = regexp.MustCompile(`(\w+)=("(?:[^"\\]|\\.)*"|\S*)`)

// requestLines parses the log's request lines, by request id.
func requestLines(t *testing.T, log, format string) map[string][]map[string]string {
	t.Helper()
	out := map[string][]map[string]string{}
	for _, line := range strings.Split(log, "\n") {
		f := map[string]string{}
		if format == "json" {
			var m map[string]any
			if json.Unmarshal([]byte(line), &m) != nil {
				continue
			}
			for k, v := range m {
				b, _ := json.Marshal(v)
				f[k] = strings.Trim(string(b), `"`)
			}
		} else {
			for _, m := range textFieldRE.FindAllStringSubmatch(line, -1) {
				f[m[1]] = strings.Trim(m[2], `"`)
			}
		}
		if f["msg"] == "request" {
			out[f["request_id"]] = append(out[f["request_id"]], f)
		}
	}
	return out
}

func TestMetricsAndRequestLogOffByDefaultOrRequest(t *testing.T) {
	cfg, _ := testConfig(t)
	if cfg.MetricsListen != "" {
		t.Fatalf("--metrics-listen defaults to %q, want off", cfg.MetricsListen)
	}
	cfg.AccessLog = false
	cfg.BootstrapToken = ids.NewTokenValue()
	r := start(t, cfg)
	r.accountIDs(cfg.BootstrapToken)
	// /metrics on the public listener is a dashboard page (the sign-in,
	// after redirects), never the metrics.
	status, body := r.get("/metrics", "")
	if strings.Contains(body, "ssogate_http_requests_total") || strings.Contains(body, "go_goroutines") {
		t.Errorf("the public listener serves metrics: %d\n%.300s", status, body)
	}
	r.stop()
	if strings.Contains(r.stderr.String(), "msg=request") {
		t.Errorf("--access-log=false still logged requests:\n%s", r.stderr)
	}
}

// TestPprofOnlyWhenAskedAndOnlyOnTheMetricsListener: --pprof adds Go's
// profiles to the metrics listener; without it that listener has none, and
// the public listener never has them (net/http/pprof also registers on
// http.DefaultServeMux, which no listener may serve).
func TestPprofOnlyWhenAskedAndOnlyOnTheMetricsListener(t *testing.T) {
	for _, on := range []bool{false, true} {
		t.Run(fmt.Sprintf("pprof=%v", on), func(t *testing.T) {
			cfg, _ := testConfig(t)
			cfg.MetricsListen, cfg.Pprof = freeAddr(t), on
			r := start(t, cfg)
			for _, path := range []string{"/debug/pprof/", "/debug/pprof/heap?debug=1", "/debug/pprof/goroutine?debug=1"} {
				status, body := getURL(t, "http://"+cfg.MetricsListen+path)
				served := status == 200 && (strings.Contains(body, "goroutine") || strings.Contains(body, "heap profile"))
				if served != on {
					t.Errorf("metrics listener %s with --pprof=%v: %d\n%.200s", path, on, status, body)
				}
				if status, body := r.get(path, ""); strings.Contains(body, "heap profile") || strings.Contains(body, "goroutine profile") || strings.Contains(body, "Types of profiles") {
					t.Errorf("the public listener serves %s: %d\n%.200s", path, status, body)
				}
			}
		})
	}
}

// getURL is one GET with the tests' client, retried for up to 5 s while
// the listener is not up yet.
func getURL(t *testing.T, u string) (int, string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := client.Get(u)
		if err == nil {
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b)
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: %v", u, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
