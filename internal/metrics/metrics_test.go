package metrics

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

func TestRouteOf(t *testing.T) {
	for pattern, want := range map[string]string{
		"GET /client/v4/accounts/{account_id}/tokens": "/client/v4/accounts/{account_id}/tokens",
		"POST  /login":        "/login",
		"/healthz":            "/healthz",
		"GET /{$}":            "/{$}",
		"/":                   "",
		"/client/v4/":         "",
		"":                    "",
		"GET example.com/x/y": "/x/y",
	} {
		if got := RouteOf(pattern); got != want {
			t.Errorf("RouteOf(%q) = %q, want %q", pattern, got, want)
		}
	}
}

// testTree is a handler tree like ssogate's: a surface chosen outside,
// a ServeMux inside, a handler that fills the Request itself.
func testTree() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /things/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
	})
	mux.HandleFunc("POST /filled", func(w http.ResponseWriter, r *http.Request) {
		q := RequestOf(r.Context())
		q.SetAccount("acc1")
		q.SetActor("token", "tok1")
		r = r.WithContext(r.Context()) // a shallow copy fills the same Request
		RequestOf(r.Context()).SetRoute("/filled-by-handler")
		_, _ = w.Write([]byte("hello"))
	})
	mux.HandleFunc("GET /abort", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		panic(http.ErrAbortHandler)
	})
	mux.HandleFunc("/", http.NotFound)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		RequestOf(r.Context()).SetSurface(SurfaceAPI)
		mux.ServeHTTP(w, r)
	})
}

func serve(h http.Handler, method, target string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	r := httptest.NewRequest(method, target, nil)
	r.RemoteAddr = "192.0.2.7:1234"
	func() {
		defer func() { _ = recover() }()
		h.ServeHTTP(rec, r)
	}()
	return rec
}

func TestObserveCountsByPatternAndLogs(t *testing.T) {
	m := New()
	var out bytes.Buffer
	log := NewRequestLog(slog.NewJSONHandler(&out, nil), func(r *http.Request) netip.Addr {
		return netip.MustParseAddrPort(r.RemoteAddr).Addr()
	})
	h := Observe(testTree(), m, log)

	rec := serve(h, "GET", "/things/42?code=secret-code")
	if id := rec.Header().Get("X-Request-Id"); len(id) != 16 {
		t.Errorf("X-Request-Id %q, want 16 hex digits", id)
	}
	serve(h, "GET", "/things/43")
	serve(h, "POST", "/filled")
	serve(h, "GET", "/no/such/path")
	serve(h, "BREW", "/things/1")
	serve(h, "GET", "/abort")

	got := counts(t, m, "ssogate_http_requests_total")
	want := map[string]float64{
		"method=GET,route=/things/{id},status_class=4xx,surface=api":        2,
		"method=POST,route=/filled-by-handler,status_class=2xx,surface=api": 1,
		"method=GET,route=unmatched,status_class=4xx,surface=api":           1,
		"method=other,route=unmatched,status_class=4xx,surface=api":         1,
		"method=GET,route=/abort,status_class=2xx,surface=api":              1,
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("ssogate_http_requests_total (-want +got):\n%s", d)
	}

	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 6 {
		t.Fatalf("%d log lines, want 6:\n%s", len(lines), out.String())
	}
	if strings.Contains(out.String(), "secret-code") {
		t.Errorf("the query string reached the log:\n%s", lines[0])
	}
	var first, filled map[string]any
	_ = json.Unmarshal([]byte(lines[0]), &first)
	_ = json.Unmarshal([]byte(lines[2]), &filled)
	for k, v := range map[string]any{"msg": "request", "request_id": rec.Header().Get("X-Request-Id"), "surface": "api",
		"method": "GET", "route": "/things/{id}", "path": "/things/42", "status": 401.0, "client_ip": "192.0.2.7", "bytes": 0.0} {
		if first[k] != v {
			t.Errorf("first line: %s = %v, want %v (%s)", k, first[k], v, lines[0])
		}
	}
	if _, ok := first["duration"]; !ok {
		t.Errorf("first line has no duration: %s", lines[0])
	}
	if _, ok := first["account_id"]; ok {
		t.Errorf("first line has an account though none was known: %s", lines[0])
	}
	if filled["account_id"] != "acc1" || filled["actor"] != "token:tok1" || filled["bytes"] != 5.0 {
		t.Errorf("filled line: %s", lines[2])
	}
}

// counts parses a scrape with the client's text parser and returns the
// family's samples by their labels.
func counts(t *testing.T, m *Metrics, family string) map[string]float64 {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(rec.Body)
	if err != nil {
		t.Fatalf("parse the scrape: %v", err)
	}
	out := map[string]float64{}
	for _, mt := range fams[family].GetMetric() {
		out[labelString(mt)] = value(mt)
	}
	return out
}

func labelString(mt *dto.Metric) string {
	var parts []string
	for _, l := range mt.GetLabel() {
		parts = append(parts, l.GetName()+"="+l.GetValue())
	}
	return strings.Join(parts, ",")
}

func value(mt *dto.Metric) float64 {
	switch {
	case mt.Counter != nil:
		return mt.GetCounter().GetValue()
	case mt.Gauge != nil:
		return mt.GetGauge().GetValue()
	case mt.Histogram != nil:
		return float64(mt.GetHistogram().GetSampleCount())
	}
	return 0
}

// TestObserveAllocatesNothingForMetrics holds the hot-path promise: once a
// route's series exist, counting and timing a request allocates nothing
// more than the same wrapper without metrics.
func TestObserveAllocatesNothingForMetrics(t *testing.T) {
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		RequestOf(r.Context()).SetSurface(SurfaceGateway)
		RequestOf(r.Context()).SetRoute("proxy")
		w.WriteHeader(http.StatusOK)
	})
	m := New()
	with, without := Observe(inner, m, nil), Observe(inner, nil, nil)
	r := httptest.NewRequest("GET", "/", nil)
	w := &discardWriter{h: http.Header{}}
	run := func(h http.Handler) func() {
		return func() { clear(w.h); h.ServeHTTP(w, r) }
	}
	run(with)() // creates the series
	a, b := testing.AllocsPerRun(200, run(with)), testing.AllocsPerRun(200, run(without))
	if a > b {
		t.Errorf("metrics add %.1f allocations per request (%.1f with, %.1f without)", a-b, a, b)
	}
	m.AccessDecision("app1", "App", DecisionAllow)
	if n := testing.AllocsPerRun(200, func() {
		m.AccessDecision("app1", "App", DecisionAllow)
		m.Upstream("app1", "App", time.Millisecond)
	}); n != 0 {
		t.Errorf("an access decision and an upstream observation allocate %.1f times", n)
	}
}

type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}

func TestRenamedAppDropsOldSeries(t *testing.T) {
	m := New()
	m.AccessDecision("app1", "Old name", DecisionAllow)
	m.AccessDecision("app1", "New name", DecisionDeny)
	for labels := range counts(t, m, "ssogate_access_decisions_total") {
		if strings.Contains(labels, "Old name") {
			t.Errorf("a series of the old name is still scraped: %s", labels)
		}
	}
	if got := counts(t, m, "ssogate_access_decisions_total")["app=New name,app_id=app1,outcome=deny"]; got != 1 {
		t.Errorf("deny under the new name = %v, want 1", got)
	}
}

func TestLineBuffer(t *testing.T) {
	var out syncBuffer
	b := NewLineBuffer(&out)
	_, _ = b.Write([]byte("request 1\n"))
	_, _ = b.Write([]byte("request 2\n"))
	if out.String() != "" {
		t.Fatalf("request lines written at once: %q", out.String())
	}
	_, _ = b.Direct().Write([]byte("warning\n"))
	if want := "request 1\nrequest 2\nwarning\n"; out.String() != want {
		t.Fatalf("after a direct line: %q, want %q (pending lines first)", out.String(), want)
	}
	_, _ = b.Write([]byte("request 3\n"))
	deadline := time.Now().Add(5 * time.Second)
	for !strings.HasSuffix(out.String(), "request 3\n") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.HasSuffix(out.String(), "request 3\n") {
		t.Fatalf("a pending line was not written within %s: %q", FlushAfter, out.String())
	}
	_, _ = b.Write([]byte("request 4\n"))
	_ = b.Close()
	_, _ = b.Write([]byte("request 5\n"))
	if !strings.HasSuffix(out.String(), "request 4\nrequest 5\n") {
		t.Errorf("Close did not write out pending lines, or later lines waited: %q", out.String())
	}
	big := bytes.Repeat([]byte("x"), maxPending+1)
	if n, err := b.Write(big); n != len(big) || err != nil {
		t.Errorf("a line larger than the buffer: %d, %v", n, err)
	}
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestRequestContextCancels(t *testing.T) {
	parent, cancel := context.WithCancel(context.Background())
	var done <-chan struct{}
	h := Observe(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if RequestOf(r.Context()) == nil {
			t.Error("no Request in the handler's context")
		}
		child, stop := context.WithCancel(r.Context())
		defer stop()
		cancel()
		done = child.Done()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Error("cancelling the request's context did not reach a context derived from it")
		}
	}), nil, nil)
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil).WithContext(parent))
}

// BenchmarkObserve is what Observe costs a request, with and without
// metrics and the request log (text, to a LineBuffer over io.Discard).
func BenchmarkObserve(b *testing.B) {
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := RequestOf(r.Context())
		q.SetSurface(SurfaceGateway)
		q.SetRoute("proxy")
		q.SetAccount("0123456789abcdef0123456789abcdef")
		q.SetActor("user", "3f1c8a8e-5b7a-5d3e-9b1f-2a7c4e6d8f00")
		w.WriteHeader(http.StatusOK)
	})
	clientIP := func(r *http.Request) netip.Addr { return netip.MustParseAddr("192.0.2.7") }
	lb := NewLineBuffer(io.Discard)
	for _, c := range []struct {
		name string
		h    http.Handler
	}{
		{"bare", inner},
		{"observe", Observe(inner, nil, nil)},
		{"metrics", Observe(inner, New(), nil)},
		{"metrics+log-text", Observe(inner, New(), NewRequestLog(slog.NewTextHandler(lb, nil), clientIP))},
		{"metrics+log-json", Observe(inner, New(), NewRequestLog(slog.NewJSONHandler(lb, nil), clientIP))},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			r := httptest.NewRequest("GET", "/some/path?q=1", nil)
			w := &discardWriter{h: http.Header{}}
			for b.Loop() {
				clear(w.h)
				c.h.ServeHTTP(w, r)
			}
		})
	}
}
