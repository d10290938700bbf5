package samlref

import (
	"encoding/base64"
	"encoding/xml"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/crewjam/saml"
	"github.com/google/go-cmp/cmp"
)

// responseShape is what a SAMLResponse says about its signatures.
type responseShape struct {
	Destination  string    `xml:",attr"`
	InResponseTo string    `xml:",attr"`
	IssueInstant time.Time `xml:",attr"`
	Signature    *sigShape `xml:"http://www.w3.org/2000/09/xmldsig# Signature"`
	Issuer       string    `xml:"urn:oasis:names:tc:SAML:2.0:assertion Issuer"`
	Assertion    struct {
		IssueInstant time.Time `xml:",attr"`
		Signature    *sigShape `xml:"http://www.w3.org/2000/09/xmldsig# Signature"`
		Attributes   []struct {
			Name       string `xml:",attr"`
			NameFormat string `xml:",attr"`
			Values     []struct {
				Type string `xml:"http://www.w3.org/2001/XMLSchema-instance type,attr"`
			} `xml:"AttributeValue"`
		} `xml:"AttributeStatement>Attribute"`
	} `xml:"urn:oasis:names:tc:SAML:2.0:assertion Assertion"`
}

type sigShape struct {
	SignatureMethod struct {
		Algorithm string `xml:",attr"`
	} `xml:"SignedInfo>SignatureMethod"`
	DigestMethod struct {
		Algorithm string `xml:",attr"`
	} `xml:"SignedInfo>Reference>DigestMethod"`
	Certificate string `xml:"KeyInfo>X509Data>X509Certificate"`
}

func shapeOf(t *testing.T, f posted) responseShape {
	t.Helper()
	var s responseShape
	if err := xml.Unmarshal(f.xml(t), &s); err != nil {
		t.Fatalf("SAMLResponse is not XML: %v", err)
	}
	return s
}

const (
	rsaSHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
	sha256URI = "http://www.w3.org/2001/04/xmlenc#sha256"
)

func TestRoundTripSigned(t *testing.T) {
	e := newEnv(t, nil)
	sp := e.newSP(t, testACS)
	const relayState = "rs-Opaque/+= value&more"
	f, id := e.autoLogin(t, sp, relayState)

	if f.action != testACS {
		t.Errorf("form action = %q, want the registered ACS %q", f.action, testACS)
	}
	if !f.hasRelayState || f.relayState != relayState {
		t.Errorf("RelayState = %q (present %v), want %q unchanged", f.relayState, f.hasRelayState, relayState)
	}
	a, err := sp.ParseResponse(f.acsRequest(t), []string{id})
	if err != nil {
		t.Fatalf("ParseResponse: %v (%+v)", err, err)
	}
	if a.Subject.NameID.Value != alice.Email || a.Subject.NameID.Format != string(saml.EmailAddressNameIDFormat) {
		t.Errorf("NameID = %+v, want %s in emailAddress format", a.Subject.NameID, alice.Email)
	}
	if got := a.Subject.SubjectConfirmations[0].SubjectConfirmationData.InResponseTo; got != id {
		t.Errorf("SubjectConfirmationData InResponseTo = %q, want %q", got, id)
	}
	if a.Issuer.Value != e.p.EntityID() {
		t.Errorf("assertion Issuer = %q, want %q", a.Issuer.Value, e.p.EntityID())
	}
	if got := a.Conditions.AudienceRestrictions[0].Audience.Value; got != testACS {
		t.Errorf("Audience = %q, want %q", got, testACS)
	}
	if c := a.Conditions; c.NotOnOrAfter.Sub(c.NotBefore) != validBefore+validAfter ||
		a.Subject.SubjectConfirmations[0].SubjectConfirmationData.NotOnOrAfter != c.NotOnOrAfter ||
		c.NotOnOrAfter.Sub(a.IssueInstant) != validAfter {
		t.Errorf("validity: IssueInstant %v, Conditions %v..%v; want authentik's 5 minutes either side",
			a.IssueInstant, c.NotBefore, c.NotOnOrAfter)
	}
	if s := a.AuthnStatements[0].SessionNotOnOrAfter; s == nil || s.Sub(a.IssueInstant) != sessionValid {
		t.Errorf("SessionNotOnOrAfter = %v, want IssueInstant + 24h", s)
	}
	if got := a.AuthnStatements[0].AuthnContext.AuthnContextClassRef.Value; got != classUnspecified {
		t.Errorf("AuthnContextClassRef = %q, want %q for auto-login", got, classUnspecified)
	}
	want := map[string][]string{
		AttrUID:                {"1"},
		AttrUsername:           {"alice"},
		AttrWindowsAccountName: {"alice"},
		AttrGroups:             {"admins", "staff"},
		AttrEmail:              {alice.Email},
		AttrName:               {alice.Name},
		AttrUPN:                {alice.Email},
	}
	if diff := cmp.Diff(want, attrMap(a)); diff != "" {
		t.Errorf("attributes (-want +got):\n%s", diff)
	}

	s := shapeOf(t, f)
	if s.InResponseTo != id || s.Destination != testACS || s.Issuer != e.p.EntityID() {
		t.Errorf("Response InResponseTo %q, Destination %q, Issuer %q", s.InResponseTo, s.Destination, s.Issuer)
	}
	pemBody := strings.Join(strings.Split(e.p.CertificatePEM(), "\n")[1:], "")
	pemBody = strings.TrimSuffix(pemBody, "-----END CERTIFICATE-----")
	for name, sig := range map[string]*sigShape{"response": s.Signature, "assertion": s.Assertion.Signature} {
		if sig == nil {
			t.Errorf("%s is not signed", name)
			continue
		}
		if sig.SignatureMethod.Algorithm != rsaSHA256 || sig.DigestMethod.Algorithm != sha256URI {
			t.Errorf("%s signature: %s / %s, want RSA-SHA256 / SHA-256", name, sig.SignatureMethod.Algorithm, sig.DigestMethod.Algorithm)
		}
		if strings.Join(strings.Fields(sig.Certificate), "") != pemBody {
			t.Errorf("%s KeyInfo does not carry the published certificate", name)
		}
	}
	names := []string{}
	for _, at := range s.Assertion.Attributes {
		names = append(names, at.Name)
		if at.NameFormat != "" {
			t.Errorf("attribute %s has NameFormat %q; authentik sends none", at.Name, at.NameFormat)
		}
		for _, v := range at.Values {
			if v.Type != "" {
				t.Errorf("attribute %s value has xsi:type %q; authentik sends none", at.Name, v.Type)
			}
		}
	}
	wantOrder := []string{AttrUID, AttrUsername, AttrWindowsAccountName, AttrGroups, AttrEmail, AttrName, AttrUPN}
	if diff := cmp.Diff(wantOrder, names); diff != "" {
		t.Errorf("attribute order (-want +got):\n%s", diff)
	}

	t.Run("answer to another request refused", func(t *testing.T) {
		if _, err := sp.ParseResponse(f.acsRequest(t), []string{"id-other"}); err == nil {
			t.Error("a response to another request was accepted")
		}
	})
}

func TestPostBinding(t *testing.T) {
	e := newEnv(t, nil)
	sp := e.newSP(t, testACS)
	req, err := sp.MakeAuthenticationRequest(e.p.SSOPostURL(), saml.HTTPPostBinding, saml.HTTPPostBinding)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := xml.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	resp := e.postForm(t, e.p.SSOPostURL(), url.Values{
		"SAMLRequest": {base64.StdEncoding.EncodeToString(doc)}, "RelayState": {"rs-post"},
	})
	f := responseForm(t, resp)
	if f.relayState != "rs-post" {
		t.Errorf("RelayState = %q, want rs-post", f.relayState)
	}
	a, err := sp.ParseResponse(f.acsRequest(t), []string{req.ID})
	if err != nil {
		t.Fatalf("ParseResponse: %+v", err)
	}
	if a.Subject.NameID.Value != alice.Email {
		t.Errorf("NameID = %q", a.Subject.NameID.Value)
	}
}

func TestNoRelayStateNoField(t *testing.T) {
	e := newEnv(t, nil)
	f, _ := e.autoLogin(t, e.newSP(t, testACS), "")
	if f.hasRelayState {
		t.Errorf("empty RelayState posted as a field: %q", f.relayState)
	}
}

func TestRefusedRequests(t *testing.T) {
	e := newEnv(t, nil)
	for _, tc := range []struct {
		name   string
		sp     func() *saml.ServiceProvider
		status int
		want   string
	}{
		{"unregistered ACS", func() *saml.ServiceProvider {
			sp := e.newSP(t, testACS)
			sp.AcsURL = url.URL{Scheme: "https", Host: "evil.example", Path: "/cdn-cgi/access/callback"}
			return sp
		}, http.StatusBadRequest, "assertion consumer service"},
		{"ACS with trailing slash", func() *saml.ServiceProvider {
			sp := e.newSP(t, testACS)
			sp.AcsURL.Path += "/"
			return sp
		}, http.StatusBadRequest, "assertion consumer service"},
		{"unknown SP", func() *saml.ServiceProvider {
			sp := e.newSP(t, testACS)
			sp.EntityID = "http://other.access.localhost/cdn-cgi/access/callback"
			return sp
		}, http.StatusBadRequest, "unknown service provider"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u, _ := redirectRequest(t, tc.sp(), "rs")
			resp := e.get(t, u)
			body := readBody(t, resp)
			if resp.StatusCode != tc.status || !strings.Contains(body, tc.want) {
				t.Errorf("status %d, body %s; want %d mentioning %q", resp.StatusCode, body, tc.status, tc.want)
			}
			if strings.Contains(body, "SAMLResponse") {
				t.Error("a SAMLResponse was handed out")
			}
		})
	}
}

// authentik ignores AuthnRequest signatures when the provider has no
// verification certificate; so does samlref.
func TestSignedRedirectRequestIgnored(t *testing.T) {
	e := newEnv(t, nil)
	sp := e.newSP(t, testACS)
	kp, err := newKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	sp.Key, sp.Certificate, sp.SignatureMethod = kp.key, kp.cert, rsaSHA256
	u, id := redirectRequest(t, sp, "rs-signed")
	if q, _ := url.Parse(u); q.Query().Get("Signature") == "" {
		t.Fatalf("request is not signed: %s", u)
	}
	f := responseForm(t, e.get(t, u))
	if _, err := sp.ParseResponse(f.acsRequest(t), []string{id}); err != nil {
		t.Fatalf("ParseResponse: %+v", err)
	}
}

func TestRoutes(t *testing.T) {
	e := newEnv(t, nil)
	app := e.srv.URL + "/application/saml/ssogate/"
	for _, tc := range []struct {
		method, url string
		status      int
	}{
		{http.MethodPost, app + "metadata/", http.StatusMethodNotAllowed},
		{http.MethodPost, app + "sso/binding/redirect/", http.StatusMethodNotAllowed},
		{http.MethodGet, app + "sso/binding/post/", http.StatusMethodNotAllowed},
		{http.MethodGet, app + "login/", http.StatusMethodNotAllowed},
		{http.MethodGet, e.srv.URL + "/application/saml/other/metadata/", http.StatusNotFound},
		{http.MethodGet, app + "sso/binding/init/", http.StatusNotFound},
		{http.MethodGet, app + "sso/binding/redirect/", http.StatusBadRequest}, // no SAMLRequest
	} {
		req, _ := http.NewRequest(tc.method, tc.url, nil)
		if resp := e.do(t, req); resp.StatusCode != tc.status {
			t.Errorf("%s %s: status %d, want %d", tc.method, tc.url, resp.StatusCode, tc.status)
		}
	}
}
