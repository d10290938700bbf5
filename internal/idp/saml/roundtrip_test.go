package samlrp_test

import (
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"
	"time"

	samlrp "github.com/ssogate/ssogate/internal/idp/saml"
	"github.com/ssogate/ssogate/internal/idp/samlref"
)

const acs = "http://acme.access.localhost/cdn-cgi/access/callback"

var responseRE = regexp.MustCompile(`name="SAMLResponse" value="([^"]+)"`)

// respond runs Begin against a reference IdP in mode and returns the
// provider config, the request ID and the SAMLResponse the IdP posted.
func respond(t *testing.T, mode samlref.Mode) (samlrp.Provider, string, string) {
	t.Helper()
	var h http.Handler = http.NotFoundHandler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	op, err := samlref.New(samlref.Config{Issuer: srv.URL, Mode: mode, AutoLogin: "alice",
		Users:            []samlref.User{{Username: "alice", Email: "alice@acmecorp.company", Groups: []string{"staff"}}},
		ServiceProviders: []samlref.SP{{EntityID: acs}}})
	if err != nil {
		t.Fatal(err)
	}
	h = op.Handler()
	p := samlrp.Provider{EntityID: op.EntityID(), SSOURL: op.SSOURL(), CertPEM: op.CertificatePEM(), ACSURL: acs}
	if mode == samlref.ModeUnsigned { // no certificate is published then; configure a real one anyway
		other, _ := samlref.New(samlref.Config{Issuer: srv.URL, ServiceProviders: []samlref.SP{{EntityID: acs}}})
		p.CertPEM = other.CertificatePEM()
	}
	u, id, err := samlrp.Begin(p, "relay", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.Client().Get(u)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := responseRE.FindSubmatch(body)
	if m == nil {
		t.Fatalf("no SAMLResponse from the IdP (%d): %s", resp.StatusCode, body)
	}
	return p, id, html.UnescapeString(string(m[1]))
}

func TestRoundTrip(t *testing.T) {
	for _, mode := range []samlref.Mode{samlref.ModeSigned, samlref.ModeSignedAssertion} {
		p, id, resp := respond(t, mode)
		got, err := samlrp.Finish(p, resp, id, time.Now())
		if err != nil || got.Email != "alice@acmecorp.company" || len(got.Groups) != 1 || got.Groups[0] != "staff" {
			t.Errorf("%s: %+v %v", mode, got, err)
		}
		// The same response does not answer another request.
		if _, err := samlrp.Finish(p, resp, "id-of-another-login", time.Now()); reasonOf(err) != samlrp.ReasonRequest {
			t.Errorf("%s, another request id: %v", mode, err)
		}
		// Long after, it is out of its validity window.
		if _, err := samlrp.Finish(p, resp, id, time.Now().Add(time.Hour)); reasonOf(err) != samlrp.ReasonClockSkew {
			t.Errorf("%s, an hour later: %v", mode, err)
		}
	}
	for mode, want := range map[samlref.Mode]string{samlref.ModeUnsigned: samlrp.ReasonUnsigned,
		samlref.ModeWrongKey: samlrp.ReasonBadSignature, samlref.ModeNoEmail: samlrp.ReasonMissingEmail} {
		p, id, resp := respond(t, mode)
		if _, err := samlrp.Finish(p, resp, id, time.Now()); reasonOf(err) != want {
			t.Errorf("%s: %v, want reason %s", mode, err, want)
		}
	}
}

func reasonOf(err error) string {
	if e, ok := err.(*samlrp.Error); ok {
		return e.Reason
	}
	return ""
}
