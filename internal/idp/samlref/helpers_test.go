package samlref

import (
	"bytes"
	"compress/flate"
	"context"
	"encoding/base64"
	"encoding/pem"
	"encoding/xml"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/crewjam/saml"
)

// Never contacted: the tests read the POST form the IdP renders instead.
const testACS = "http://acme.access.localhost:18080/cdn-cgi/access/callback"

var (
	alice = User{Username: "alice", Email: "alice@example.com", Name: "Alice Liddell",
		Password: "wonderland", Groups: []string{"admins", "staff"}}
	bob = User{Username: "bob", Email: "bob@example.com", Name: "Bob Builder", Password: "canwefixit"}
)

// env is a provider on a loopback httptest server and a browser-side HTTP
// client that never follows redirects.
type env struct {
	p   *Provider
	srv *httptest.Server
	hc  *http.Client
	ctx context.Context
}

func newEnv(t *testing.T, mutate func(*Config)) *env {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	cfg := Config{
		Issuer:           srv.URL,
		Users:            []User{alice, bob},
		ServiceProviders: []SP{{EntityID: testACS, ACSURL: testACS}},
		AutoLogin:        "alice",
	}
	if mutate != nil {
		mutate(&cfg)
	}
	p, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	mux.Handle("/", p.Handler())
	hc := &http.Client{
		Timeout:       5 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return &env{p: p, srv: srv, hc: hc, ctx: ctx}
}

// newSP is a crewjam/saml service provider configured the way Access is:
// with the IdP's SSO URLs, entity ID and certificate typed in, not fetched
// metadata (which ModeUnsigned would leave without a certificate).
func (e *env) newSP(t *testing.T, acs string) *saml.ServiceProvider {
	t.Helper()
	block, _ := pem.Decode([]byte(e.p.CertificatePEM()))
	if block == nil || block.Type != "CERTIFICATE" {
		t.Fatalf("CertificatePEM is not a PEM certificate: %q", e.p.CertificatePEM())
	}
	md := &saml.EntityDescriptor{
		EntityID: e.p.EntityID(),
		IDPSSODescriptors: []saml.IDPSSODescriptor{{
			SSODescriptor: saml.SSODescriptor{RoleDescriptor: saml.RoleDescriptor{
				ProtocolSupportEnumeration: "urn:oasis:names:tc:SAML:2.0:protocol",
				KeyDescriptors: []saml.KeyDescriptor{{Use: "signing", KeyInfo: saml.KeyInfo{X509Data: saml.X509Data{
					X509Certificates: []saml.X509Certificate{{Data: base64.StdEncoding.EncodeToString(block.Bytes)}},
				}}}},
			}},
			SingleSignOnServices: []saml.Endpoint{
				{Binding: saml.HTTPRedirectBinding, Location: e.p.SSOURL()},
				{Binding: saml.HTTPPostBinding, Location: e.p.SSOPostURL()},
			},
		}},
	}
	acsURL, err := url.Parse(acs)
	if err != nil {
		t.Fatal(err)
	}
	return &saml.ServiceProvider{
		EntityID:          acs,
		AcsURL:            *acsURL,
		IDPMetadata:       md,
		AuthnNameIDFormat: saml.EmailAddressNameIDFormat,
	}
}

func (e *env) do(t *testing.T, req *http.Request) *http.Response {
	t.Helper()
	resp, err := e.hc.Do(req.WithContext(e.ctx))
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func (e *env) get(t *testing.T, rawURL string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	return e.do(t, req)
}

func (e *env) postForm(t *testing.T, rawURL string, form url.Values) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, rawURL, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return e.do(t, req)
}

func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// posted is the HTML form the IdP hands the browser to POST to the ACS.
type posted struct {
	action, samlResponse, relayState string
	hasRelayState                    bool
}

var (
	formActionRE   = regexp.MustCompile(`<form id="saml-response" method="post" action="([^"]*)">`)
	samlResponseRE = regexp.MustCompile(`<input type="hidden" name="SAMLResponse" value="([^"]*)">`)
	relayStateRE   = regexp.MustCompile(`<input type="hidden" name="RelayState" value="([^"]*)">`)
)

// responseForm expects a 200 page with the auto-submitting response form.
func responseForm(t *testing.T, resp *http.Response) posted {
	t.Helper()
	body := readBody(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200 with the response form; body: %s", resp.StatusCode, body)
	}
	action, sr := formActionRE.FindStringSubmatch(body), samlResponseRE.FindStringSubmatch(body)
	if action == nil || sr == nil {
		t.Fatalf("no SAML response form in: %s", body)
	}
	f := posted{action: html.UnescapeString(action[1]), samlResponse: html.UnescapeString(sr[1])}
	if rs := relayStateRE.FindStringSubmatch(body); rs != nil {
		f.relayState, f.hasRelayState = html.UnescapeString(rs[1]), true
	}
	return f
}

// acsRequest is the request the browser's auto-submit makes at the ACS.
func (f posted) acsRequest(t *testing.T) *http.Request {
	t.Helper()
	form := url.Values{"SAMLResponse": {f.samlResponse}}
	if f.hasRelayState {
		form.Set("RelayState", f.relayState)
	}
	r := httptest.NewRequest(http.MethodPost, f.action, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if err := r.ParseForm(); err != nil {
		t.Fatal(err)
	}
	return r
}

func (f posted) xml(t *testing.T) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(f.samlResponse)
	if err != nil {
		t.Fatalf("SAMLResponse is not base64: %v", err)
	}
	return b
}

// redirectRequest makes an HTTP-Redirect AuthnRequest with sp and returns
// its URL and the request ID the response must answer.
func redirectRequest(t *testing.T, sp *saml.ServiceProvider, relayState string) (string, string) {
	t.Helper()
	u, err := sp.MakeRedirectAuthenticationRequest(relayState)
	if err != nil {
		t.Fatalf("MakeRedirectAuthenticationRequest: %v", err)
	}
	deflated, err := base64.StdEncoding.DecodeString(u.Query().Get("SAMLRequest"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(flate.NewReader(bytes.NewReader(deflated)))
	if err != nil {
		t.Fatal(err)
	}
	var req saml.AuthnRequest
	if err := xml.Unmarshal(raw, &req); err != nil || req.ID == "" {
		t.Fatalf("AuthnRequest %s: %v", raw, err)
	}
	return u.String(), req.ID
}

// autoLogin runs a redirect-binding login in auto-login mode.
func (e *env) autoLogin(t *testing.T, sp *saml.ServiceProvider, relayState string) (posted, string) {
	t.Helper()
	u, id := redirectRequest(t, sp, relayState)
	return responseForm(t, e.get(t, u)), id
}

// attrMap flattens an assertion's attributes to name -> values.
func attrMap(a *saml.Assertion) map[string][]string {
	m := map[string][]string{}
	for _, st := range a.AttributeStatements {
		for _, at := range st.Attributes {
			m[at.Name] = []string{}
			for _, v := range at.Values {
				m[at.Name] = append(m[at.Name], v.Value)
			}
		}
	}
	return m
}
