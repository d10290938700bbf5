package portal_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ssogate/ssogate/internal/apptest"
)

// gatewayAllocBudget is how many allocations the gateway may add to an
// admitted request, over what a bare httputil.ReverseProxy to the same
// origin allocates for it (docs/benchmarks.md, "Gateway"). Reported, not
// enforced: BenchmarkGateway logs when a run is over it.
const gatewayAllocBudget = 50

// originBody is what the benchmark's origin answers.
var originBody = []byte("ok")

// gatewayBench is a self-hosted app on bench.localhost in front of an
// origin answering "ok", a signed-in browser's application token, a
// service token a Service Auth policy of the app admits, ssogate's whole
// handler tree and a bare reverse proxy to the same origin.
type gatewayBench struct {
	gateway, bare    http.Handler
	url              string // http://bench.localhost:<port>/
	token            string // CF_Authorization for bench.localhost
	clientID, secret string // the service token
}

func newGatewayBench(b *testing.B, opts ...apptest.Option) *gatewayBench {
	b.Helper()
	a := newAcme(b, opts...)
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write(originBody)
	}))
	b.Cleanup(origin.Close)
	tok := a.call(b, "POST", "/access/service_tokens", `{"name":"bench"}`, 201)
	machines := a.policy(b, "Bench machines", "non_identity", `[{"service_token":{"token_id":"`+tok["id"].(string)+`"}}]`)
	a.app(b, `{"type":"self_hosted","name":"Bench","domain":"bench.localhost","origin_url":"`+origin.URL+`",
		"policies":["`+a.staffPolicy+`","`+machines+`"],"allowed_idps":["`+a.idpID+`"],"auto_redirect_to_identity":true}`)
	g := &gatewayBench{gateway: a.env.Server.Config.Handler, url: "http://bench.localhost:" + a.env.Port() + "/",
		clientID: tok["client_id"].(string), secret: tok["client_secret"].(string)}
	c := a.env.Browser()
	if final, hops := follow(b, c, g.url); final.status != http.StatusOK || final.body != string(originBody) {
		b.Fatalf("login through the gateway ended at %s with %d %q after %d redirects", final.url, final.status, final.body, len(hops))
	}
	if g.token = jarCookie(c, g.url, "CF_Authorization"); g.token == "" {
		b.Fatal("no CF_Authorization after the login")
	}
	to, _ := url.Parse(origin.URL)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns, tr.MaxIdleConnsPerHost = 512, 512
	b.Cleanup(tr.CloseIdleConnections)
	g.bare = &httputil.ReverseProxy{Transport: tr, Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(to)
		pr.SetXForwarded()
		pr.Out.Host = pr.In.Host
	}}
	return g
}

// request is an admitted request as the listener would hand it to the
// handler tree: the app's host, a client address, and the application
// token in the cookie or the cf-access-token header, or the service
// token's CF-Access-Client-Id and CF-Access-Client-Secret and no cookie,
// as a CI job sends them on every request ("" for no credential).
func (g *gatewayBench) request(credential string) *http.Request {
	r := httptest.NewRequest("GET", g.url, nil)
	r.RemoteAddr = "127.0.0.1:40000"
	switch credential {
	case "cookie":
		r.Header.Set("Cookie", "CF_Authorization="+g.token)
	case "header":
		r.Header.Set("Cf-Access-Token", g.token)
	case "service-token":
		r.Header.Set("Cf-Access-Client-Id", g.clientID)
		r.Header.Set("Cf-Access-Client-Secret", g.secret)
	}
	return r
}

// gatewayCredentials are the admitted requests BenchmarkGateway measures.
var gatewayCredentials = []string{"cookie", "header", "service-token"}

// sink is a reusable ResponseWriter that keeps the status and body. Like
// the server's own writer it takes deadlines and full duplex (as no-ops):
// without them http.ResponseController builds an ErrNotSupported error
// for each call the gateway makes, allocations a served request never has.
type sink struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newSink() *sink { return &sink{header: http.Header{}} }

func (s *sink) Header() http.Header { return s.header }
func (s *sink) Flush()              {}

func (s *sink) EnableFullDuplex() error          { return nil }
func (s *sink) SetReadDeadline(time.Time) error  { return nil }
func (s *sink) SetWriteDeadline(time.Time) error { return nil }

func (s *sink) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
}

func (s *sink) Write(p []byte) (int, error) {
	s.WriteHeader(http.StatusOK)
	return s.body.Write(p)
}

// serve sends a copy of req through h and reports whether the origin's
// answer came back.
func (s *sink) serve(h http.Handler, req *http.Request) bool {
	clear(s.header)
	s.status = 0
	s.body.Reset()
	h.ServeHTTP(s, req.Clone(context.Background()))
	return s.status == http.StatusOK && bytes.Equal(s.body.Bytes(), originBody)
}

// BenchmarkGateway measures an admitted request through ssogate's whole
// handler tree — host routing, the application lookup, the token check,
// the proxy to the origin over loopback — next to a bare
// httputil.ReverseProxy to the same origin, in the same run. What is left
// out is the same for both: the listener, the client, HTTP parsing of the
// incoming request. allocs/op counts every allocation in the process
// during the loop, the origin's included (it is the same for both).
//
//	go test -run '^$' -bench Gateway -benchtime 2000x ./internal/access/portal/
//
// The credentials: the CF_Authorization cookie, the same token in
// cf-access-token, and a service token's id and secret (no cookie).
// serial/* and parallel/* are the usual ns/op and allocs/op, one request
// at a time and with RunParallel. vs-bare/* alternate one bare and one
// gateway request per iteration, so both see the machine at the same
// moment, and report the gateway's throughput as a percentage of the bare
// proxy's and the allocations it adds (allocs-over-bare/op, against
// gatewayAllocBudget).
func BenchmarkGateway(b *testing.B) {
	g := newGatewayBench(b)
	for _, cred := range append([]string{""}, gatewayCredentials...) {
		h := g.gateway
		if cred == "" {
			h = g.bare
		}
		req := g.request(cred)
		if s := newSink(); !s.serve(h, req) {
			b.Fatalf("%s: %d %q, want the origin's %q", credName(cred), s.status, s.body.String(), originBody)
		}
		if cred != "" {
			if s := newSink(); s.serve(h, g.request("")) || s.status == http.StatusOK {
				b.Fatalf("%s: a request without the token reached the origin (%d)", credName(cred), s.status)
			}
		}
		if cred == "service-token" {
			wrong := g.request(cred)
			wrong.Header.Set("Cf-Access-Client-Secret", strings.Repeat("0", len(g.secret)))
			if s := newSink(); s.serve(h, wrong) || s.status != http.StatusUnauthorized {
				b.Fatalf("service-token: a wrong secret got %d, want 401", s.status)
			}
		}
		b.Run("serial/"+credName(cred), func(b *testing.B) {
			b.ReportAllocs()
			s := newSink()
			for b.Loop() {
				if !s.serve(h, req) {
					b.Fatalf("%d %q", s.status, s.body.String())
				}
			}
		})
		b.Run("parallel/"+credName(cred), func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				s := newSink()
				for pb.Next() {
					if !s.serve(h, req) {
						b.Errorf("%d %q", s.status, s.body.String())
						return
					}
				}
			})
		})
	}
	for _, cred := range gatewayCredentials {
		b.Run("vs-bare/"+cred, func(b *testing.B) { benchVsBare(b, g, cred) })
	}
}

func credName(cred string) string {
	if cred == "" {
		return "bare"
	}
	return cred
}

// benchVsBare alternates a bare and a gateway request.
func benchVsBare(b *testing.B, g *gatewayBench, cred string) {
	bareReq, gwReq := g.request(""), g.request(cred)
	s := newSink()
	one := func(h http.Handler, req *http.Request) time.Duration {
		start := time.Now()
		if !s.serve(h, req) {
			b.Fatalf("%d %q", s.status, s.body.String())
		}
		return time.Since(start)
	}
	over := testing.AllocsPerRun(200, func() { one(g.gateway, gwReq) }) - testing.AllocsPerRun(200, func() { one(g.bare, bareReq) })
	var bareTotal, gwTotal time.Duration
	for b.Loop() {
		bareTotal += one(g.bare, bareReq)
		gwTotal += one(g.gateway, gwReq)
	}
	b.ReportMetric(float64(bareTotal.Nanoseconds())/float64(b.N), "bare-ns/req")
	b.ReportMetric(float64(gwTotal.Nanoseconds())/float64(b.N), "gateway-ns/req")
	b.ReportMetric(100*float64(bareTotal)/float64(gwTotal), "%-of-bare")
	b.ReportMetric(over, "allocs-over-bare/op")
	if over > gatewayAllocBudget {
		b.Logf("over the allocation budget: %.0f allocations per admitted request over the bare proxy, budget %d", over, gatewayAllocBudget)
	}
}

// BenchmarkForwardAuth measures nginx's auth_request subrequest as ssogate
// answers it (/cdn-cgi/access/forward-auth/nginx from a trusted proxy, the
// original URI in X-Original-URI), with the CF_Authorization cookie or a
// service token, through the whole handler tree: the part of
// nginx-forward-auth's cost (docs/benchmarks.md) that is ssogate's.
//
//	go test -run '^$' -bench ForwardAuth -benchtime 2000x ./internal/access/portal/
func BenchmarkForwardAuth(b *testing.B) {
	g := newGatewayBench(b, trusting)
	for _, cred := range []string{"cookie", "service-token"} {
		req := g.request(cred)
		req.URL.Path = "/cdn-cgi/access/forward-auth/nginx"
		req.Header.Set("X-Original-URI", "/deep/link?q=1")
		req.Header.Set("X-Original-Method", "GET")
		check := func(s *sink) bool {
			return s.status == http.StatusOK && s.header.Get("Cf-Access-Jwt-Assertion") != ""
		}
		s := newSink()
		s.serve(g.gateway, req) // false: forward auth answers with headers, not the origin's body
		if !check(s) {
			b.Fatalf("%s: %d %v, want 200 with the assertion", cred, s.status, s.header)
		}
		b.Run(cred, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				s.serve(g.gateway, req)
				if !check(s) {
					b.Fatalf("%d %v", s.status, s.header)
				}
			}
		})
	}
}
