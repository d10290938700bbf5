package portal_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// benchTeam is the acme fixture with Instant Auth on the launcher, so a
// login is root → login → IdP authorize (auto-login) → callback → root.
func benchTeam(b *testing.B) (*acme, *http.Client) {
	b.Helper()
	a := newAcme(b)
	a.call(b, "PUT", "/access/apps/"+a.launcherID, `{"allowed_idps":["`+a.idpID+`"],"auto_redirect_to_identity":true}`, 200)
	c := a.env.Browser()
	if err := roundTrip(c, a.url+"/"); err != nil { // warm up; c stays signed in
		b.Fatal(err)
	}
	return a, c
}

// roundTrip is one browser login: it follows redirects from u and wants
// the launcher after exactly four hops. It does not use b, so RunParallel
// workers can call it.
func roundTrip(c *http.Client, u string) error {
	for hops := 0; ; hops++ {
		resp, err := c.Get(u)
		if err != nil {
			return err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusFound {
			if resp.StatusCode != http.StatusOK || hops != 4 || !strings.Contains(string(body), "alice@acmecorp.company") {
				return fmt.Errorf("login round trip: %d after %d redirects: %s", resp.StatusCode, hops, body)
			}
			return nil
		}
		next, err := resp.Request.URL.Parse(resp.Header.Get("Location"))
		if err != nil || hops > 5 {
			return fmt.Errorf("login round trip: redirect %d to %q", hops, resp.Header.Get("Location"))
		}
		u = next.String()
	}
}

// BenchmarkLogin measures full browser logins, one after the other.
func BenchmarkLogin(b *testing.B) {
	a, c := benchTeam(b)
	for b.Loop() {
		if err := roundTrip(freshBrowser(c), a.url+"/"); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "logins/s")
}

// BenchmarkLoginParallel measures full browser logins from GOMAXPROCS
// browsers at once.
func BenchmarkLoginParallel(b *testing.B) {
	a, c := benchTeam(b)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := roundTrip(freshBrowser(c), a.url+"/"); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "logins/s")
}

// BenchmarkOrgTokenCheck measures what every signed-in page pays to know
// its user (currentIdentity: verify the org token, read the session) via
// GET /cdn-cgi/access/get-identity.
func BenchmarkOrgTokenCheck(b *testing.B) {
	a, c := benchTeam(b)
	u := a.url + "/cdn-cgi/access/get-identity"
	if h := get(b, c, u); h.status != http.StatusOK {
		b.Fatalf("get-identity: %d %s", h.status, h.body)
	}
	for b.Loop() {
		if h := get(b, c, u); h.status != http.StatusOK {
			b.Fatalf("get-identity: %d", h.status)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "checks/s")
}
