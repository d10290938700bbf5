package apptest

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	cloudflare "github.com/cloudflare/cloudflare-go/v6"
	"github.com/cloudflare/cloudflare-go/v6/option"

	"github.com/ssogate/ssogate/internal/app"
	"github.com/ssogate/ssogate/internal/config"
	"github.com/ssogate/ssogate/internal/dnsverify/dnstest"
	"github.com/ssogate/ssogate/internal/ids"
	"github.com/ssogate/ssogate/internal/sso"
	"github.com/ssogate/ssogate/internal/store/storetest"
	"github.com/ssogate/ssogate/internal/tokens"
)

// Env is a running ssogate.
type Env struct {
	T         testing.TB
	App       *app.App
	Server    *httptest.Server
	APIURL    string // ".../client/v4"
	AccountID string // the bootstrap account
	Token     string // bootstrap token: every permission on AccountID
	DNS       *dnstest.Server
}

// Option adjusts the configuration or options before start.
type Option func(*config.Config, *app.Options)

// WithPostgres runs the instance on a fresh PostgreSQL schema (needs
// SSOGATE_TEST_DATABASE_URL).
func WithPostgres(t testing.TB) Option {
	url := storetest.PostgresURL(t)
	return func(c *config.Config, _ *app.Options) { c.DatabaseURL = url }
}

// WithDatabaseURL runs the instance on an existing PostgreSQL database or
// schema (from storetest.PostgresURL), so several instances can share it,
// as a deployment of several instances does. Only the first start
// bootstraps; the others' AccountID and Token are empty.
func WithDatabaseURL(url string) Option {
	return func(c *config.Config, _ *app.Options) { c.DatabaseURL = url }
}

// WithSecretKey sets the key that seals secrets at rest (base64 of 32
// bytes): instances sharing a database must share it.
func WithSecretKey(key string) Option {
	return func(c *config.Config, _ *app.Options) { c.SecretKey = key }
}

// WithPublicPort makes the instance's public URLs (team domains, app hosts,
// the dashboard) use port instead of its own listener's, as instances
// behind one load balancer share one: tokens another instance minted for
// that port then verify here.
func WithPublicPort(port string) Option {
	return func(c *config.Config, _ *app.Options) {
		c.AccessPort = port
		c.DashboardURL = "http://localhost:" + port
	}
}

// WithNow injects a clock.
func WithNow(now func() time.Time) Option {
	return func(_ *config.Config, o *app.Options) { o.Now = now }
}

// New starts ssogate and registers its shutdown with t.Cleanup.
func New(t testing.TB, opts ...Option) *Env {
	t.Helper()
	dns, err := dnstest.Start("127.0.0.1:0")
	if err != nil {
		t.Fatalf("start DNS server: %v", err)
	}
	t.Cleanup(func() { dns.Close() })
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.DNSNameservers = []string{dns.Addr()}
	cfg.BootstrapToken = ids.NewTokenValue()
	cfg.BootstrapPassword = "correct horse battery staple"
	cfg.VerifyCooldown = 0
	// Listen first, so team-domain URLs can carry the real port.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	cfg.AccessPort = port
	cfg.DashboardURL = "http://localhost:" + port
	o := app.Options{Log: slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	for _, opt := range opts {
		opt(&cfg, &o)
	}
	a, err := app.New(context.Background(), cfg, o, io.Discard)
	if err != nil {
		ln.Close()
		t.Fatalf("start ssogate: %v", err)
	}
	srv := httptest.NewUnstartedServer(a.Handler())
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	feedCtx, stopFeed := context.WithCancel(context.Background())
	feedDone := make(chan struct{})
	go func() { defer close(feedDone); a.RunChangeFeed(feedCtx) }()
	t.Cleanup(func() { srv.Close(); stopFeed(); <-feedDone; a.Close() })
	env := &Env{T: t, App: a, Server: srv, APIURL: srv.URL + "/client/v4", DNS: dns}
	if a.Bootstrap != nil {
		env.AccountID, env.Token = a.Bootstrap.Account.ID, cfg.BootstrapToken
	}
	return env
}

// Browser returns an HTTP client that behaves like a browser on this
// machine: a cookie jar, and every *.localhost host name reaching this
// server (as browsers resolve *.localhost to loopback). Redirects are not
// followed, so tests can check each hop.
func (e *Env) Browser() *http.Client { return BrowserAt(e.Server.Listener.Addr().String()) }

// Port is the server's port.
func (e *Env) Port() string {
	_, port, _ := net.SplitHostPort(e.Server.Listener.Addr().String())
	return port
}

// Client returns an official SDK client for the token, without retries and
// with no legacy headers leaking in from the environment.
func (e *Env) Client(token string) *cloudflare.Client {
	return cloudflare.NewClient(option.WithBaseURL(e.APIURL), option.WithAPIToken(token),
		option.WithMaxRetries(0), option.WithHeaderDel("X-Auth-Key"), option.WithHeaderDel("X-Auth-Email"),
		option.WithRequestTimeout(30*time.Second))
}

// NewToken creates a token on account with the named permission groups,
// the way the admin command does, and returns its value.
func (e *Env) NewToken(account string, perms ...string) string {
	e.T.Helper()
	var refs []tokens.GroupRef
	for _, p := range perms {
		g, ok := tokens.GroupByName(p)
		if !ok {
			e.T.Fatalf("unknown permission %q", p)
		}
		refs = append(refs, tokens.GroupRef{ID: g.ID})
	}
	v, err := e.App.Tokens.Create(context.Background(), account, app.TokenInput(account, "test token", refs), nil)
	if err != nil {
		e.T.Fatalf("create token: %v", err)
	}
	return v.Value
}

// NewAccount creates another account with an all-permissions token.
func (e *Env) NewAccount(name string) (accountID, token string) {
	e.T.Helper()
	a, err := e.App.Accounts.CreateAccount(context.Background(), name)
	if err != nil {
		e.T.Fatalf("create account: %v", err)
	}
	var v tokens.View
	err = e.App.DB.Tx(context.Background(), func(tx *sql.Tx) error {
		var err error
		v, err = e.App.Tokens.CreateTx(context.Background(), tx, a.ID, app.AllPermissions(a.ID, "all"), "")
		return err
	})
	if err != nil {
		e.T.Fatalf("create token: %v", err)
	}
	return a.ID, v.Value
}

// Publish serves a TXT record at the apex of domain (creating its zone).
func (e *Env) Publish(domain, value string) {
	e.DNS.AddZone(domain, "ns1."+domain)
	e.DNS.AddTXT(domain, value)
}

// Response is a raw HTTP response.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into a generic map, failing the test if it is not JSON.
func (r Response) JSON(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("response is not JSON (%v): %s", err, r.Body)
	}
	return m
}

// Do sends a raw request (body: nil, a string, or a value to marshal).
func (e *Env) Do(method, path, token string, body any) Response {
	e.T.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	default:
		buf, _ := json.Marshal(b)
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, e.APIURL+path, rd)
	if err != nil {
		e.T.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := e.Server.Client().Do(req)
	if err != nil {
		e.T.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: raw}
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(bytes.TrimRight(p, "\n")))
	return len(p), nil
}

// WithChecker replaces the DNS verifier.
func WithChecker(c sso.Checker) Option {
	return func(_ *config.Config, o *app.Options) { o.Checker = c }
}

// Clock is a settable clock for tests.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
