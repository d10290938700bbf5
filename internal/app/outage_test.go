package app_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	cloudflare "github.com/cloudflare/cloudflare-go/v6"
	"github.com/cloudflare/cloudflare-go/v6/accounts"
	"github.com/cloudflare/cloudflare-go/v6/option"
	"github.com/cloudflare/cloudflare-go/v6/shared"

	"github.com/ssogate/ssogate/internal/app"
	"github.com/ssogate/ssogate/internal/apptest"
	"github.com/ssogate/ssogate/internal/config"
	"github.com/ssogate/ssogate/internal/store/storetest"
	"github.com/ssogate/ssogate/internal/tokens"
)

// outcome is one API write of the load.
type outcome struct {
	start, end  time.Time
	status      int
	retryAfter  string
	shouldRetry string
	code        int    // the envelope's first error code
	err         string // transport error
}

// load sends token-creating POSTs from a few workers until stopped.
type load struct {
	env  *apptest.Env
	body string
	mu   sync.Mutex
	out  []outcome
	stop atomic.Bool
	wg   sync.WaitGroup
}

func startLoad(env *apptest.Env, workers int) *load {
	sso, _ := tokens.GroupByName(tokens.SSORead)
	l := &load{env: env, body: fmt.Sprintf(`{"name":"load","policies":[{"effect":"allow","permission_groups":[{"id":%q}],`+
		`"resources":{"%s.%s":"*"}}]}`, sso.ID, tokens.AccountScope, env.AccountID)}
	client := &http.Client{Timeout: 15 * time.Second}
	for range workers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for !l.stop.Load() {
				o := l.post(client)
				l.mu.Lock()
				l.out = append(l.out, o)
				l.mu.Unlock()
				time.Sleep(10 * time.Millisecond)
			}
		}()
	}
	return l
}

func (l *load) post(client *http.Client) outcome {
	o := outcome{start: time.Now()}
	req, _ := http.NewRequest("POST", l.env.APIURL+"/accounts/"+l.env.AccountID+"/tokens", strings.NewReader(l.body))
	req.Header.Set("Authorization", "Bearer "+l.env.Token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	o.end = time.Now()
	if err != nil {
		o.err = err.Error()
		return o
	}
	defer resp.Body.Close()
	var env struct {
		Errors []struct{ Code int } `json:"errors"`
	}
	raw, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(raw, &env)
	o.status, o.retryAfter, o.shouldRetry = resp.StatusCode, resp.Header.Get("Retry-After"), resp.Header.Get("X-Should-Retry")
	if len(env.Errors) > 0 {
		o.code = env.Errors[0].Code
	}
	return o
}

// successesAfter counts 200s of requests sent after t.
func (l *load) successesAfter(t time.Time) (n int, first time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, o := range l.out {
		if o.status == http.StatusOK && o.start.After(t) {
			if n == 0 || o.end.Before(first) {
				first = o.end
			}
			n++
		}
	}
	return n, first
}

func (l *load) finish() []outcome {
	l.stop.Store(true)
	l.wg.Wait()
	return l.out
}

// countingTransport counts the responses the SDK saw, by status.
type countingTransport struct {
	mu     sync.Mutex
	status map[int]int
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err == nil {
		c.mu.Lock()
		c.status[resp.StatusCode]++
		c.mu.Unlock()
	}
	return resp, err
}

var refusedRE = regexp.MustCompile(`database unavailable, (\d+) requests? refused in the last 10 s`)

// TestPostgresRestartUnderLoad stops ssogate's own PostgreSQL for a few
// seconds under a load of API writes: every refusal must be a 503 the SDK
// retries, never a 500; the log must get a few lines, not one per request;
// and writes must succeed again once PostgreSQL is back, without
// restarting ssogate. The official SDK, with its default retries, must
// ride the outage out.
func TestPostgresRestartUnderLoad(t *testing.T) {
	pg := storetest.StartServer(t)
	logs := &apptest.SyncBuffer{}
	env := apptest.New(t, func(c *config.Config, o *app.Options) {
		c.DatabaseURL = pg.URL
		o.Log = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	})
	browser := openBrowserPages(t, env)
	l := startLoad(env, 6)
	waitFor(t, "writes before the outage", func() bool { n, _ := l.successesAfter(time.Time{}); return n >= 20 })

	logsBefore := len(logs.String())
	stopping := time.Now()
	pg.Stop()
	down := time.Now()
	sdk := &countingTransport{status: map[int]int{}}
	sdkDone := make(chan error, 1)
	go func() { sdkDone <- sdkWrite(env, sdk) }()
	checkProbes(t, env, http.StatusOK, http.StatusServiceUnavailable)
	pages := browser.checkUnavailable(t)
	time.Sleep(3 * time.Second)
	pg.Start()
	up := time.Now()

	waitFor(t, "a write after PostgreSQL is back", func() bool { n, _ := l.successesAfter(up); return n > 0 })
	time.Sleep(300 * time.Millisecond)
	out := l.finish()
	_, first := l.successesAfter(up)
	if err := <-sdkDone; err != nil {
		t.Errorf("SDK write across the outage, with its default retries: %v", err)
	}
	checkProbes(t, env, http.StatusOK, http.StatusOK)
	refused := checkOutcomes(t, out, stopping, up)
	t.Logf("PostgreSQL down %.1f s (stop took %.0f ms); %d writes, %d refused with 503; first success %.0f ms after PostgreSQL was back; SDK saw %v",
		up.Sub(down).Seconds(), down.Sub(stopping).Seconds()*1000, len(out), refused, first.Sub(up).Seconds()*1000, sdk.status)
	if first.Sub(up) > 5*time.Second {
		t.Errorf("first success %v after PostgreSQL was back, want under 5 s", first.Sub(up))
	}

	// Close flushes the refusals not logged yet, so the lines add up.
	env.Server.Close()
	env.App.Close()
	checkOutageLog(t, logs.String()[logsBefore:], refused+sdk.status[http.StatusServiceUnavailable]+pages)
}

// browserPages are a dashboard form and a team domain's page, opened
// before the outage.
type browserPages struct {
	env  *apptest.Env
	c    *http.Client
	csrf string
	team string // the team domain's URL
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func openBrowserPages(t *testing.T, env *apptest.Env) *browserPages {
	t.Helper()
	if r := env.Do("POST", "/accounts/"+env.AccountID+"/access/organizations", env.Token,
		map[string]string{"name": "Acme", "auth_domain": "acme"}); r.Status != http.StatusCreated {
		t.Fatalf("create the Access organization: %d %s", r.Status, r.Body)
	}
	b := &browserPages{env: env, c: env.Browser(), team: "http://acme.access.localhost:" + env.Port()}
	status, body, _ := b.do(t, "GET", "http://localhost:"+env.Port()+"/login", nil)
	m := csrfRE.FindStringSubmatch(body)
	if status != http.StatusOK || m == nil {
		t.Fatalf("GET /login: %d, no CSRF token:\n%s", status, body)
	}
	b.csrf = m[1]
	return b
}

// checkUnavailable requires the dashboard's email step and the team
// domain's launcher to answer a 503 page with Retry-After while the
// database is down, and an application host a 503; it returns how many
// refusals that made.
func (b *browserPages) checkUnavailable(t *testing.T) int {
	t.Helper()
	form := url.Values{"csrf": {b.csrf}, "email": {"admin@ssogate.localhost"}}
	for _, req := range []struct{ method, url, form string }{
		{"POST", "http://localhost:" + b.env.Port() + "/login", form.Encode()},
		{"GET", b.team + "/", ""},
	} {
		status, body, h := b.do(t, req.method, req.url, strings.NewReader(req.form))
		if status != http.StatusServiceUnavailable || h.Get("Retry-After") == "" ||
			!strings.Contains(body, "Temporarily unavailable") || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
			t.Errorf("%s %s during the outage: %d, Retry-After %q, %s, want a 503 page:\n%s",
				req.method, req.url, status, h.Get("Retry-After"), h.Get("Content-Type"), body)
		}
	}
	// A host that may be an application's: the lookup itself needs the
	// database.
	status, body, h := b.do(t, "GET", "http://app.localhost:"+b.env.Port()+"/", nil)
	if status != http.StatusServiceUnavailable || h.Get("Retry-After") == "" {
		t.Errorf("GET an app host during the outage: %d, Retry-After %q, want 503 with Retry-After:\n%s",
			status, h.Get("Retry-After"), body)
	}
	return 3
}

func (b *browserPages) do(t *testing.T, method, u string, body io.Reader) (int, string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(method, u, body)
	if method == "POST" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw), resp.Header
}

// checkOutcomes requires every write to be a 200 or, while PostgreSQL was
// not serving, a 503 the SDK retries; it returns the number of 503s.
func checkOutcomes(t *testing.T, out []outcome, stopping, up time.Time) (refused int) {
	t.Helper()
	bad := 0
	for _, o := range out {
		ok := o.status == http.StatusOK
		if o.status == http.StatusServiceUnavailable {
			refused++
			ra, err := strconv.Atoi(o.retryAfter)
			ok = err == nil && ra >= 1 && o.shouldRetry == "true" && o.code == 10503 &&
				o.end.After(stopping) && o.start.Before(up)
		}
		if !ok && bad < 5 {
			t.Errorf("write at +%v (PostgreSQL back at +%v): status %d, Retry-After %q, X-Should-Retry %q, code %d, transport error %q",
				o.start.Sub(stopping).Round(time.Millisecond), up.Sub(stopping).Round(time.Millisecond),
				o.status, o.retryAfter, o.shouldRetry, o.code, o.err)
		}
		if !ok {
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d writes were neither 200 nor a retryable 503 during the outage", bad, len(out))
	}
	if refused == 0 {
		t.Errorf("no write was refused: the outage was not observed")
	}
	return refused
}

// checkOutageLog requires the outage to be a few rate-limited lines whose
// counts add up to the refusals, and nothing at ERROR besides.
func checkOutageLog(t *testing.T, log string, refused int) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(log), "\n")
	sum, outageLines := 0, 0
	for _, line := range lines {
		if m := refusedRE.FindStringSubmatch(line); m != nil {
			n, _ := strconv.Atoi(m[1])
			sum += n
			outageLines++
			continue
		}
		if strings.Contains(line, "level=ERROR") {
			t.Errorf("an ERROR line besides the outage's: %s", line)
		}
	}
	t.Logf("the outage took %d log lines (%d rate-limited): %q", len(lines), outageLines, lines)
	if outageLines == 0 || outageLines > 3 {
		t.Errorf("%d 'database unavailable' lines, want 1 to 3 for one short outage", outageLines)
	}
	// The change feed's reconnection lines back off exponentially: about
	// six for this outage, however many requests were refused.
	if len(lines) > 15 {
		t.Errorf("%d log lines for one outage, want at most 15", len(lines))
	}
	if sum != refused {
		t.Errorf("the log counts %d refused requests, the clients saw %d 503s", sum, refused)
	}
}

// sdkWrite creates a token with the official SDK and its default retries
// (ten, honouring Retry-After), as a script would during the outage.
func sdkWrite(env *apptest.Env, rt http.RoundTripper) error {
	sso, _ := tokens.GroupByName(tokens.SSORead)
	c := cloudflare.NewClient(option.WithBaseURL(env.APIURL), option.WithAPIToken(env.Token),
		option.WithHeaderDel("X-Auth-Key"), option.WithHeaderDel("X-Auth-Email"),
		option.WithHTTPClient(&http.Client{Transport: rt}))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := c.Accounts.Tokens.New(ctx, accounts.TokenNewParams{
		AccountID: cloudflare.F(env.AccountID),
		Name:      cloudflare.F("written across an outage"),
		Policies: cloudflare.F([]shared.TokenPolicyParam{{
			Effect:           cloudflare.F(shared.TokenPolicyEffectAllow),
			PermissionGroups: cloudflare.F([]shared.TokenPolicyPermissionGroupParam{{ID: cloudflare.F(sso.ID)}}),
			Resources: cloudflare.F[shared.TokenPolicyResourcesUnionParam](
				shared.TokenPolicyResourcesIAMResourcesTypeObjectStringParam{tokens.AccountScope + "." + env.AccountID: "*"}),
		}}),
	})
	return err
}

// checkProbes requires /healthz (liveness) and /readyz (readiness) to
// answer with the given statuses.
func checkProbes(t *testing.T, env *apptest.Env, health, ready int) {
	t.Helper()
	for path, want := range map[string]int{"/healthz": health, "/readyz": ready} {
		resp, err := env.Server.Client().Get(env.Server.URL + path)
		if err != nil {
			t.Errorf("GET %s: %v", path, err)
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s: %d %q, want %d", path, resp.StatusCode, body, want)
		}
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 15 s", what)
		}
	}
}

// TestSQLiteBusyIsUnavailable holds SQLite's write lock from another
// connection longer than ssogate's busy_timeout: the write is a retryable
// 503, reads still work, and the write succeeds once the lock is released.
func TestSQLiteBusyIsUnavailable(t *testing.T) {
	logs := &apptest.SyncBuffer{}
	env := apptest.New(t, func(_ *config.Config, o *app.Options) {
		o.Log = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	})
	// One connection with a 200 ms busy_timeout instead of 10 s, so the
	// test waits for it past its timeout quickly.
	env.App.DB.SetMaxOpenConns(1)
	if _, err := env.App.DB.ExecContext(context.Background(), "PRAGMA busy_timeout = 200"); err != nil {
		t.Fatal(err)
	}
	holder, err := sql.Open("sqlite", "file:"+filepath.Join(env.App.Config.DataDir, "ssogate.db")+"?_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	tx, err := holder.Begin()
	if err != nil {
		t.Fatal(err)
	}
	l := &load{env: env}
	sso, _ := tokens.GroupByName(tokens.SSORead)
	l.body = fmt.Sprintf(`{"name":"busy","policies":[{"effect":"allow","permission_groups":[{"id":%q}],"resources":{"%s.%s":"*"}}]}`,
		sso.ID, tokens.AccountScope, env.AccountID)
	client := &http.Client{Timeout: 15 * time.Second}

	o := l.post(client)
	if o.status != http.StatusServiceUnavailable || o.retryAfter == "" || o.shouldRetry != "true" || o.code != 10503 {
		t.Errorf("write while another connection holds the lock: %+v, want a retryable 503", o)
	}
	if took := o.end.Sub(o.start); took < 200*time.Millisecond {
		t.Errorf("refused after %v, before the busy timeout", took)
	}
	if r := env.Do("GET", "/accounts", env.Token, nil); r.Status != http.StatusOK {
		t.Errorf("read while the write lock is held: %d %s", r.Status, r.Body)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if o := l.post(client); o.status != http.StatusOK {
		t.Errorf("write after the lock is released: %+v", o)
	}
	if !regexp.MustCompile(`level=ERROR msg="database unavailable, 1 request refused in the last 10 s".*database is locked`).MatchString(logs.String()) {
		t.Errorf("no rate-limited line for the refusal in the log:\n%s", logs)
	}
}

// TestDataFilesArePrivate: the SQLite database (with its WAL and shared
// memory) and the secret key file are created readable by their owner only.
func TestDataFilesArePrivate(t *testing.T) {
	env := apptest.New(t)
	dir := env.App.Config.DataDir
	for _, name := range []string{"ssogate.db", "ssogate.db-wal", "ssogate.db-shm", "secret.key"} {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %04o, want 0600", name, st.Mode().Perm())
		}
	}
}

// TestReadyz: /readyz is 200 "ready" with the database reachable and
// migrated, 503 with the reason when a migration is pending; /healthz is
// liveness and says ok either way.
func TestReadyz(t *testing.T) {
	env := apptest.New(t)
	get := func(path string) (int, string) {
		resp, err := env.Server.Client().Get(env.Server.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if status, body := get("/readyz"); status != http.StatusOK || body != "ready\n" {
		t.Errorf("/readyz on a migrated database: %d %q", status, body)
	}
	if _, err := env.App.DB.ExecContext(context.Background(),
		`DELETE FROM schema_migrations WHERE version = (SELECT MAX(version) FROM schema_migrations)`); err != nil {
		t.Fatal(err)
	}
	status, body := get("/readyz")
	if status != http.StatusServiceUnavailable || !strings.HasPrefix(body, "migrations pending (1, from ") ||
		strings.Count(body, "\n") != 1 {
		t.Errorf("/readyz with a migration pending: %d %q, want 503 and one line naming it", status, body)
	}
	if status, body := get("/healthz"); status != http.StatusOK || body != "ok\n" {
		t.Errorf("/healthz: %d %q, want 200 ok", status, body)
	}
}
