package oidcrp

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/idp/refop"
)

// rotation is two refop providers (A and B, each with its own key) on one
// server, and a JWKS URL that serves whichever is current: B taking over
// from A is an IdP rotating its signing key.
type rotation struct {
	srv     *httptest.Server
	a, b    *env
	current atomic.Pointer[refop.Provider]
	fetches atomic.Int32
}

func newRotation(t *testing.T) *rotation {
	t.Helper()
	r := &rotation{}
	mux := http.NewServeMux()
	r.srv = httptest.NewServer(mux)
	t.Cleanup(r.srv.Close)
	for _, side := range []struct {
		prefix string
		e      **env
	}{{"/a", &r.a}, {"/b", &r.b}} {
		op, err := refop.New(refop.Config{
			Issuer:    r.srv.URL + side.prefix,
			Users:     []refop.User{alice},
			Clients:   []refop.Client{{ID: testClientID, Secret: testSecret, RedirectURIs: []string{testRedirect}}},
			AutoLogin: "alice",
		})
		if err != nil {
			t.Fatal(err)
		}
		mux.Handle(side.prefix+"/", op.Handler())
		e := &env{op: op, srv: r.srv, hits: map[string]int{}, hc: &http.Client{
			Timeout:       5 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}}
		e.prov = Provider{
			ClientID: testClientID, ClientSecret: testSecret,
			AuthURL:  r.srv.URL + side.prefix + "/application/o/authorize/",
			TokenURL: r.srv.URL + side.prefix + "/application/o/token/",
			CertsURL: r.srv.URL + "/rotating/jwks/",
		}
		*side.e = e
	}
	r.current.Store(r.a.op)
	mux.HandleFunc("/rotating/jwks/", func(w http.ResponseWriter, req *http.Request) {
		r.fetches.Add(1)
		op := r.current.Load()
		req = req.Clone(req.Context())
		req.URL.Path = mustPath(t, op.IssuerURL()+"jwks/")
		op.Handler().ServeHTTP(w, req)
	})
	return r
}

func (r *rotation) loginVia(t *testing.T, e *env, o Options) error {
	t.Helper()
	start, q := e.login(t, e.prov)
	_, err := e.finish(t, e.prov, o, start, q)
	return err
}

func TestUnknownKidRefetchesOnce(t *testing.T) {
	r := newRotation(t)
	o := Options{KeyCache: NewKeyCache()}
	step := func(name string, e *env, wantFetches int32) {
		t.Helper()
		if err := r.loginVia(t, e, o); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := r.fetches.Load(); got != wantFetches {
			t.Fatalf("%s: %d JWKS fetches in all, want %d", name, got, wantFetches)
		}
	}
	step("first login fetches", r.a, 1)
	step("second login uses the cache", r.a, 1)
	r.current.Store(r.b.op) // the IdP rotates its key
	step("new kid: exactly one refetch", r.b, 2)
	step("then cached again", r.b, 2)
}

func TestUnknownKidAfterRefetchFails(t *testing.T) {
	r := newRotation(t) // JWKS serves A's key, tokens come from B
	o := Options{KeyCache: NewKeyCache()}
	err := r.loginVia(t, r.b, o)
	wantReason(t, err, ReasonUnknownKID)
	if got := r.fetches.Load(); got != 1 {
		t.Fatalf("cold cache: %d fetches, want 1 (keys fetched by this login are not fetched again)", got)
	}
	err = r.loginVia(t, r.b, o)
	wantReason(t, err, ReasonUnknownKID)
	if got := r.fetches.Load(); got != 2 {
		t.Fatalf("warm cache: %d fetches in all, want 2 (one refetch, then give up)", got)
	}
}

func TestKeyCacheMaxAge(t *testing.T) {
	r := newRotation(t)
	cache := &KeyCache{MaxAge: time.Nanosecond}
	o := Options{KeyCache: cache}
	for i := range 2 {
		if err := r.loginVia(t, r.a, o); err != nil {
			t.Fatal(err)
		}
		if got := r.fetches.Load(); got != int32(i+1) {
			t.Fatalf("login %d: %d fetches, want %d: stale keys must be fetched again", i, got, i+1)
		}
	}
}

func TestConcurrentRefetchesCoalesce(t *testing.T) {
	r := newRotation(t)
	o := Options{KeyCache: NewKeyCache()}
	if err := r.loginVia(t, r.a, o); err != nil {
		t.Fatal(err)
	}
	r.current.Store(r.b.op)
	const n = 8
	type login struct {
		start Start
		q     map[string][]string
	}
	logins := make([]login, n)
	for i := range logins {
		logins[i].start, logins[i].q = r.b.login(t, r.b.prov)
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for _, l := range logins {
		wg.Go(func() {
			_, err := r.b.finish(t, r.b.prov, o, l.start, l.q)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if got := r.fetches.Load(); got != 2 {
		t.Errorf("%d fetches for %d concurrent logins after a rotation, want 2 (one initial, one shared refetch)", got, n)
	}
}
