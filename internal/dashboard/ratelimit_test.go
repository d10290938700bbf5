package dashboard_test

import (
	"bytes"
	"encoding/base64"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/ssogate/ssogate/internal/apptest"
	"github.com/ssogate/ssogate/internal/store/storetest"
)

// TestPasswordAttemptsLimitedAcrossInstances: password attempts for one
// email alternating between two instances on one PostgreSQL database are
// limited at the same total as on one instance, five, and the sixth is the
// 429 page with a Retry-After of whole seconds. (With a limit per
// instance, alternating allowed ten.)
func TestPasswordAttemptsLimitedAcrossInstances(t *testing.T) {
	storetest.NeedPostgres(t)
	dbURL, key := storetest.PostgresURL(t), base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	a := apptest.New(t, apptest.WithDatabaseURL(dbURL), apptest.WithSecretKey(key))
	b := apptest.New(t, apptest.WithDatabaseURL(dbURL), apptest.WithSecretKey(key))
	browsers := []*browser{newBrowser(t, a), newBrowser(t, b)}
	for _, br := range browsers {
		br.get("/login")
		br.post("/login", url.Values{"email": {adminEmail}})
	}
	for i := range 5 {
		p := browsers[i%2].post("/login/password", url.Values{"email": {adminEmail}, "password": {"wrong"}})
		if p.Status != 401 {
			t.Fatalf("attempt %d (instance %d): %d, want 401", i+1, i%2+1, p.Status)
		}
	}
	for i := 5; i < 10; i++ {
		p := browsers[i%2].post("/login/password", url.Values{"email": {adminEmail}, "password": {"wrong"}})
		if p.Status != 429 || !strings.Contains(p.Body, "Too many sign-in attempts") {
			t.Fatalf("attempt %d (instance %d): %d, want the 429 page", i+1, i%2+1, p.Status)
		}
		if s, err := strconv.Atoi(p.Header.Get("Retry-After")); err != nil || s < 1 || s > 60 {
			t.Fatalf("attempt %d: Retry-After %q, want whole seconds within a minute", i+1, p.Header.Get("Retry-After"))
		}
	}
}
