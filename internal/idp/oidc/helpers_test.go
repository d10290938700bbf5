package oidcrp

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/idp/refop"
)

const (
	testClientID = "cf-access"
	testSecret   = "a-client-secret-of-authentik-length-0123456789abcdef"
	// Never contacted: tests read the IdP's redirect instead of following it.
	testRedirect = "https://team.cloudflareaccess.com/cdn-cgi/access/callback"
)

var (
	alice = refop.User{ID: "1", Username: "alice", Email: "alice@example.com", Name: "Alice Liddell",
		Password: "wonderland", Groups: []string{"admins", "staff"}, EmailVerified: true}
	bob = refop.User{ID: "2", Username: "bob", Email: "bob@example.com", Name: "Bob Builder",
		Password: "canwefixit"}
)

// env is a refop provider on a loopback server, wrapped so tests can see
// what the relying party sent: token requests and JWKS fetches.
type env struct {
	op   *refop.Provider
	srv  *httptest.Server
	hc   *http.Client // never follows redirects: the browser's part is read, not done
	prov Provider

	mu     sync.Mutex
	tokens []tokenRequest
	hits   map[string]int // requests per path
}

type tokenRequest struct {
	basic bool // client_secret_basic (else post, or none)
	form  url.Values
}

func newEnv(t testing.TB, mutate func(*refop.Config)) *env {
	t.Helper()
	e := &env{hits: map[string]int{}}
	mux := http.NewServeMux()
	e.srv = httptest.NewServer(e.record(mux))
	t.Cleanup(e.srv.Close)
	cfg := refop.Config{
		Issuer:    e.srv.URL,
		Users:     []refop.User{alice, bob},
		Clients:   []refop.Client{{ID: testClientID, Secret: testSecret, RedirectURIs: []string{testRedirect}}},
		AutoLogin: "alice",
	}
	if mutate != nil {
		mutate(&cfg)
	}
	op, err := refop.New(cfg)
	if err != nil {
		t.Fatalf("refop.New: %v", err)
	}
	mux.Handle("/", op.Handler())
	e.op = op
	e.hc = &http.Client{
		Timeout:       5 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	e.prov = Provider{
		ClientID:     testClientID,
		ClientSecret: testSecret,
		AuthURL:      e.srv.URL + "/application/o/authorize/",
		TokenURL:     e.srv.URL + "/application/o/token/",
		CertsURL:     op.IssuerURL() + "jwks/",
	}
	return e
}

func (e *env) record(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		e.hits[r.URL.Path]++
		e.mu.Unlock()
		if strings.HasSuffix(r.URL.Path, "/token/") && r.Method == http.MethodPost {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			form, _ := url.ParseQuery(string(body))
			e.mu.Lock()
			e.tokens = append(e.tokens, tokenRequest{basic: r.Header.Get("Authorization") != "", form: form})
			e.mu.Unlock()
		}
		next.ServeHTTP(w, r)
	})
}

func (e *env) hitCount(path string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.hits[path]
}

func (e *env) tokenRequests() []tokenRequest {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]tokenRequest(nil), e.tokens...)
}

func (e *env) opts() Options {
	return Options{HTTPClient: &http.Client{Timeout: 5 * time.Second}}
}

// authorize plays the browser at the IdP (auto-login) and returns the
// callback query the IdP redirected to.
func (e *env) authorize(t testing.TB, start Start) url.Values {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, start.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := e.hc.Do(req)
	if err != nil {
		t.Fatalf("GET authorize: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("authorize: status %d, want 302; body: %.500s", resp.StatusCode, body)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != testRedirect {
		t.Fatalf("IdP redirected to %q, want %q", got, testRedirect)
	}
	return loc.Query()
}

// login runs Begin and the authorize step.
func (e *env) login(t testing.TB, p Provider) (Start, url.Values) {
	t.Helper()
	start, err := Begin(p, testRedirect)
	if err != nil {
		t.Fatalf("Begin: %v", err)
	}
	return start, e.authorize(t, start)
}

func (e *env) finish(t testing.TB, p Provider, o Options, start Start, q url.Values) (Identity, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return Finish(ctx, p, o, testRedirect, q, start)
}

// wantReason checks err is an *Error with reason and that neither its
// message nor its cause gives away a secret, the code or a token.
func wantReason(t testing.TB, err error, reason string, secrets ...string) *Error {
	t.Helper()
	var oe *Error
	if !errors.As(err, &oe) {
		t.Fatalf("error = %v (%T), want *Error with reason %q", err, err, reason)
	}
	if oe.Reason != reason {
		t.Fatalf("reason = %q, want %q; error: %v", oe.Reason, reason, err)
	}
	if oe.Message == "" {
		t.Errorf("empty message for reason %q", reason)
	}
	text := err.Error()
	t.Logf("%s", text)
	for _, s := range append(secrets, testSecret, "eyJhbGci") {
		if s != "" && strings.Contains(text, s) {
			t.Errorf("error text leaks %q: %s", s, text)
		}
	}
	return oe
}

func ptr[T any](v T) *T { return &v }
