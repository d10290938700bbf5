package dashboard_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/ssogate/ssogate/internal/apptest"
)

// A signed-in dashboard page through the whole stack (loopback TCP, host
// routing, cross-origin check, session lookup by hashed cookie, SSO
// enforcement check, memberships, the page's queries, template), next to a
// bare net/http handler writing the same bytes, measured in the same run.
// Rerun with
//
//	go test -run '^$' -bench 'Dashboard' -benchtime 3s ./internal/dashboard/

func benchHome(b *testing.B) (*http.Client, string, []byte) {
	env := apptest.New(b)
	br := &browser{t: b, env: env, c: env.Browser(), base: "http://localhost:" + env.Port()}
	br.get("/login")
	br.post("/login", map[string][]string{"email": {adminEmail}})
	if p := br.post("/login/password", map[string][]string{"email": {adminEmail}, "password": {adminPassword}}); p.Status != 303 {
		b.Fatalf("login: %d", p.Status)
	}
	url := br.base + "/" + env.AccountID + "/home"
	p := br.get(url)
	if p.Status != 200 {
		b.Fatalf("home: %d", p.Status)
	}
	return br.c, url, []byte(p.Body)
}

func runPages(b *testing.B, c *http.Client, url string) {
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := c.Get(url)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Fatalf("status %d", resp.StatusCode)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

func BenchmarkDashboardBareHandler(b *testing.B) {
	_, _, body := benchHome(b)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(body)
	}))
	defer srv.Close()
	runPages(b, srv.Client(), srv.URL+"/home")
}

func BenchmarkDashboardHome(b *testing.B) {
	c, url, _ := benchHome(b)
	runPages(b, c, url)
}
