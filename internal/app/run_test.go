package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ssogate/ssogate/internal/app"
	"github.com/ssogate/ssogate/internal/apptest"
	"github.com/ssogate/ssogate/internal/backup"
	"github.com/ssogate/ssogate/internal/config"
	"github.com/ssogate/ssogate/internal/dnsverify/dnstest"
	"github.com/ssogate/ssogate/internal/ids"
)

// testConfig is a loopback configuration on a fresh data directory whose DNS
// queries go to a real loopback DNS server.
func testConfig(t *testing.T) (config.Config, *dnstest.Server) {
	t.Helper()
	dns, err := dnstest.Start("127.0.0.1:0")
	if err != nil {
		t.Fatalf("start DNS server: %v", err)
	}
	t.Cleanup(func() { dns.Close() })
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.DNSNameservers = []string{dns.Addr()}
	cfg.LogLevel = "warn"
	cfg.VerifyCooldown = 0
	if err := cfg.Validate(); err != nil {
		t.Fatalf("test configuration: %v", err)
	}
	return cfg, dns
}

// running is one app.Run in a goroutine.
type running struct {
	t      *testing.T
	base   string // http://127.0.0.1:PORT
	stdout *apptest.SyncBuffer
	stderr *apptest.SyncBuffer
	cancel context.CancelFunc
	done   chan error
}

var listeningRE = regexp.MustCompile(`ssogate listening on (http://\S+) `)

// start runs app.Run and waits until it prints its address and /healthz answers.
func start(t *testing.T, cfg config.Config) *running {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	r := &running{t: t, stdout: &apptest.SyncBuffer{}, stderr: &apptest.SyncBuffer{}, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- app.Run(ctx, cfg, r.stdout, r.stderr) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(20 * time.Second):
			t.Errorf("Run did not return after cancel")
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for r.base == "" {
		if m := listeningRE.FindStringSubmatch(r.stdout.String()); m != nil {
			r.base = m[1]
			break
		}
		select {
		case err := <-r.done:
			r.done <- err
			t.Fatalf("Run returned before listening: %v\nstdout:\n%s\nstderr:\n%s", err, r.stdout, r.stderr)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("Run printed no address within 15s:\n%s", r.stdout)
		}
	}
	for {
		status, body := r.get("/healthz", "")
		if status == 200 && body == "ok\n" {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("/healthz never answered ok: %d %q", status, body)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// stop cancels Run's context and requires a nil return within a few seconds.
func (r *running) stop() {
	r.t.Helper()
	r.cancel()
	select {
	case err := <-r.done:
		r.done <- err // for the cleanup
		if err != nil {
			r.t.Errorf("Run returned %v after cancel, want nil", err)
		}
	case <-time.After(5 * time.Second):
		r.t.Fatalf("Run did not shut down within 5s of cancel")
	}
}

var client = &http.Client{Timeout: 10 * time.Second}

func (r *running) do(method, path, token, body string) (int, string) {
	r.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, r.base+path, rd)
	if err != nil {
		r.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

func (r *running) get(path, token string) (int, string) {
	r.t.Helper()
	return r.do("GET", path, token, "")
}

// accountIDs lists the accounts the token sees through the API.
func (r *running) accountIDs(token string) []string {
	r.t.Helper()
	status, body := r.get("/client/v4/accounts", token)
	if status != 200 {
		r.t.Fatalf("GET /client/v4/accounts: %d %s", status, body)
	}
	var env struct {
		Success bool `json:"success"`
		Result  []struct {
			ID string `json:"id"`
		} `json:"result"`
	}
	if err := json.Unmarshal([]byte(body), &env); err != nil || !env.Success {
		r.t.Fatalf("GET /client/v4/accounts: %v %s", err, body)
	}
	var out []string
	for _, a := range env.Result {
		out = append(out, a.ID)
	}
	return out
}

var accountIDRE = regexp.MustCompile(`account id: ([0-9a-f]{32})\n`)

func TestRunServesAndShutsDownGracefully(t *testing.T) {
	cfg, _ := testConfig(t)
	cfg.BootstrapToken = ids.NewTokenValue()
	cfg.LogLevel = "debug"
	r := start(t, cfg)

	m := accountIDRE.FindStringSubmatch(r.stdout.String())
	if m == nil {
		t.Fatalf("first start printed no account id:\n%s", r.stdout)
	}
	if diff := cmp.Diff([]string{m[1]}, r.accountIDs(cfg.BootstrapToken)); diff != "" {
		t.Errorf("accounts seen by the bootstrap token (-printed +API):\n%s", diff)
	}
	if status, _ := r.get("/client/v4/accounts", ""); status != 401 && status != 400 {
		t.Errorf("GET /accounts without a token: %d, want 400 or 401", status)
	}
	if status, body := r.get("/", ""); status != 200 || !strings.Contains(body, "Sign in to ssogate") {
		t.Errorf("GET /: %d %q", status, body)
	}
	if strings.Contains(r.stdout.String()+r.stderr.String(), cfg.BootstrapToken) {
		t.Errorf("the bootstrap token's value was printed")
	}
	// Once started, the server unmaps what only its start needed of the
	// binary (internal/startpages), and serves on (the requests above).
	if runtime.GOOS == "linux" && !strings.Contains(r.stderr.String(), "released the binary's startup pages") {
		t.Errorf("serve did not release its startup pages; its log:\n%s", r.stderr)
	}

	r.stop()
	if _, err := net.DialTimeout("tcp", strings.TrimPrefix(r.base, "http://"), time.Second); err == nil {
		t.Errorf("%s still accepts connections after shutdown", r.base)
	}
}

// TestShutdownWaitsForRequestsInFlight holds a begin_verification request in
// DNS for a while, cancels Run meanwhile and expects the request to finish.
func TestShutdownWaitsForRequestsInFlight(t *testing.T) {
	cfg, dns := testConfig(t)
	cfg.BootstrapToken = ids.NewTokenValue()
	r := start(t, cfg)
	account := r.accountIDs(cfg.BootstrapToken)[0]

	status, body := r.do("POST", "/client/v4/accounts/"+account+"/sso_connectors", cfg.BootstrapToken,
		`{"email_domain":"acmecorp.company"}`)
	if status != 200 && status != 201 {
		t.Fatalf("create connector: %d %s", status, body)
	}
	var created struct {
		Result struct {
			ID           string `json:"id"`
			Verification struct {
				Code string `json:"code"`
			} `json:"verification"`
		} `json:"result"`
	}
	if err := json.Unmarshal([]byte(body), &created); err != nil {
		t.Fatal(err)
	}
	dns.AddZone("acmecorp.company", "ns1.acmecorp.company")
	dns.AddTXT("acmecorp.company", created.Result.Verification.Code)
	dns.Delay("acmecorp.company", 1500*time.Millisecond)
	dns.ResetLog()

	type reply struct {
		status int
		body   string
	}
	replied := make(chan reply, 1)
	go func() {
		s, b := r.do("POST", "/client/v4/accounts/"+account+"/sso_connectors/"+created.Result.ID+"/begin_verification",
			cfg.BootstrapToken, "")
		replied <- reply{s, b}
	}()
	for deadline := time.Now().Add(5 * time.Second); dns.QueryCount() == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("begin_verification never queried DNS")
		}
	}
	started := time.Now()
	r.stop()
	if time.Since(started) < time.Second {
		t.Errorf("Run returned after %v, before the request in flight could finish", time.Since(started))
	}
	select {
	case got := <-replied:
		if got.status != 200 || !strings.Contains(got.body, "status verified") {
			t.Errorf("request in flight during shutdown: %d %s, want 200 and verified", got.status, got.body)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the request in flight never got its reply")
	}
}

func TestRestartKeepsEverythingAndBootstrapsOnce(t *testing.T) {
	cfg, _ := testConfig(t)
	cfg.BootstrapToken = ids.NewTokenValue()

	first := start(t, cfg)
	out := first.stdout.String()
	m := accountIDRE.FindStringSubmatch(out)
	if m == nil || !strings.Contains(out, "First start:") {
		t.Fatalf("first start printed no bootstrap block:\n%s", out)
	}
	first.stop()

	// The second start has another bootstrap token: it must not be created.
	other := cfg
	other.BootstrapToken = ids.NewTokenValue()
	second := start(t, other)
	out2 := second.stdout.String()
	for _, never := range []string{"First start:", "password", "account id:"} {
		if strings.Contains(out2, never) {
			t.Errorf("restart printed %q again:\n%s", never, out2)
		}
	}
	if diff := cmp.Diff([]string{m[1]}, second.accountIDs(cfg.BootstrapToken)); diff != "" {
		t.Errorf("accounts after restart (-before +after):\n%s", diff)
	}
	if status, body := second.get("/client/v4/accounts", other.BootstrapToken); status == 200 {
		t.Errorf("a bootstrap token given only on restart works: %d %s", status, body)
	}
	second.stop()
	// ... and says so, in one line, instead of leaving the token to fail.
	warned := regexp.MustCompile(`(?m)^.*SSOGATE_BOOTSTRAP_TOKEN ignored: the database in \S+ was initialised by an earlier start.*$`)
	if n := len(warned.FindAllString(second.stderr.String(), -1)); n != 1 {
		t.Errorf("restart with a bootstrap token warned %d times, want once:\n%s", n, second.stderr)
	}
	if strings.Contains(first.stderr.String(), "ignored") {
		t.Errorf("the first start warned about its own bootstrap settings:\n%s", first.stderr)
	}
}

func TestFirstStartOutput(t *testing.T) {
	const password = "correct horse battery staple"
	tests := []struct {
		name        string
		password    string
		token       bool
		accountName string
		wants       []string
		never       []string
	}{
		{"generated password, no token", "", false, "",
			[]string{"First start: created account \"Default account\"", "super administrator: admin@ssogate.localhost",
				"password (shown once", "ssogate admin token create --account {account} --permission \"SSO Connector Write\"",
				"export CLOUDFLARE_ACCOUNT_ID={account}", "/client/v4/accounts/$CLOUDFLARE_ACCOUNT_ID/sso_connectors",
				"ssogate sso list --api-url {base}/client/v4"},
			nil},
		{"chosen password and token", password, true, "Acme Corp",
			[]string{"First start: created account \"Acme Corp\"", "the value of SSOGATE_BOOTSTRAP_TOKEN",
				"export CLOUDFLARE_ACCOUNT_ID={account}", "ssogate sso list --api-url {base}/client/v4"},
			[]string{"password (shown once", password, "ssogate admin token create"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, _ := testConfig(t)
			cfg.BootstrapPassword = tt.password
			if tt.token {
				cfg.BootstrapToken = ids.NewTokenValue()
			}
			if tt.accountName != "" {
				cfg.BootstrapAccountName = tt.accountName
			}
			r := start(t, cfg)
			out := r.stdout.String()
			m := accountIDRE.FindStringSubmatch(out)
			if m == nil {
				t.Fatalf("no account id in:\n%s", out)
			}
			for _, w := range tt.wants {
				w = strings.NewReplacer("{account}", m[1], "{base}", r.base).Replace(w)
				if !strings.Contains(out, w) {
					t.Errorf("first start output lacks %q:\n%s", w, out)
				}
			}
			for _, n := range tt.never {
				if strings.Contains(out, n) {
					t.Errorf("first start output contains %q:\n%s", n, out)
				}
			}
			if tt.token && strings.Contains(out, cfg.BootstrapToken) {
				t.Errorf("first start printed the token value")
			}
			if tt.token {
				if diff := cmp.Diff([]string{m[1]}, r.accountIDs(cfg.BootstrapToken)); diff != "" {
					t.Errorf("accounts (-printed +API):\n%s", diff)
				}
			}
			r.stop()
		})
	}
}

func TestRunListenErrors(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	tests := []struct {
		name, listen, want string
	}{
		{"address in use", busy.Addr().String(), "listen on " + busy.Addr().String()},
		{"not host:port", "127.0.0.1", "listen on 127.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, _ := testConfig(t)
			cfg.Listen = tt.listen
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err := app.Run(ctx, cfg, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Run = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestNewStorageErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "regular-file")
	if err := os.WriteFile(file, []byte("not a directory"), 0o600); err != nil {
		t.Fatal(err)
	}
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().String()
	closed.Close()
	const secret = "s3cr3t-pw"

	tests := []struct {
		name        string
		dataDir     string
		databaseURL string
		wants       []string
	}{
		{"data dir under a regular file", filepath.Join(file, "data"), "", []string{"data director", file}},
		{"data dir is a regular file", file, "", []string{file}},
		{"postgres on a closed port", "", fmt.Sprintf("postgres://ssogate:%s@%s/ssogate?sslmode=disable", secret, closedAddr),
			[]string{"postgres", closedAddr}},
		{"postgres password as a query parameter", "", fmt.Sprintf("postgres://ssogate@%s/ssogate?sslmode=disable&password=%s", closedAddr, secret),
			[]string{"postgres", closedAddr}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, _ := testConfig(t)
			cfg.DataDir, cfg.DatabaseURL = tt.dataDir, tt.databaseURL
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			began := time.Now()
			a, err := app.New(ctx, cfg, app.Options{}, io.Discard)
			if err == nil {
				a.Close()
				t.Fatal("New succeeded, want an error")
			}
			if took := time.Since(began); took > 5*time.Second {
				t.Errorf("New took %v to fail", took)
			}
			for _, w := range tt.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("New error does not mention %q: %v", w, err)
				}
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("New error shows the database password: %v", err)
			}
			if err := app.Run(ctx, cfg, io.Discard, io.Discard); err == nil {
				t.Errorf("Run succeeded on a broken store")
			}
		})
	}
}

// TestSecondServerOnOneDataDirIsRefused: a server holds its SQLite data
// directory; a second one on it stops before opening the database, naming
// the holder, and the directory is free again once the first stops.
func TestSecondServerOnOneDataDirIsRefused(t *testing.T) {
	cfg, _ := testConfig(t)
	r := start(t, cfg)
	second := cfg
	second.Listen = "127.0.0.1:0"
	err := app.Run(context.Background(), second, io.Discard, io.Discard)
	if !errors.Is(err, backup.ErrLocked) || !strings.Contains(err.Error(), fmt.Sprint(os.Getpid())) {
		t.Fatalf("second Run on %s = %v, want ErrLocked naming pid %d", cfg.DataDir, err, os.Getpid())
	}
	r.stop()
	start(t, second).stop()
}
