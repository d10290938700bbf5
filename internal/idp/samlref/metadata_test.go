package samlref

import (
	"encoding/base64"
	"encoding/pem"
	"encoding/xml"
	"net/http"
	"strings"
	"testing"

	"github.com/crewjam/saml"
	"github.com/google/go-cmp/cmp"
)

func (e *env) fetchMetadata(t *testing.T) (*saml.EntityDescriptor, string) {
	t.Helper()
	resp := e.get(t, e.p.MetadataURL())
	body := readBody(t, resp)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/xml") {
		t.Fatalf("metadata: status %d, %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	// What samlsp.ParseMetadata does for a single EntityDescriptor; samlsp
	// itself pulls in a JWT module this repository does not use.
	md := &saml.EntityDescriptor{}
	if err := xml.Unmarshal([]byte(body), md); err != nil {
		t.Fatalf("metadata does not parse: %v\n%s", err, body)
	}
	return md, body
}

func TestMetadata(t *testing.T) {
	e := newEnv(t, nil)
	app := e.srv.URL + "/application/saml/ssogate/"
	if e.p.MetadataURL() != app+"metadata/" || e.p.EntityID() != e.p.MetadataURL() ||
		e.p.SSOURL() != app+"sso/binding/redirect/" || e.p.SSOPostURL() != app+"sso/binding/post/" {
		t.Fatalf("URLs: metadata %q, entity %q, sso %q, post %q", e.p.MetadataURL(), e.p.EntityID(), e.p.SSOURL(), e.p.SSOPostURL())
	}
	md, body := e.fetchMetadata(t)
	if !strings.HasPrefix(body, "<?xml") {
		t.Error("metadata has no XML declaration")
	}
	if md.EntityID != e.p.EntityID() || len(md.IDPSSODescriptors) != 1 {
		t.Fatalf("entityID %q, %d IDPSSODescriptors", md.EntityID, len(md.IDPSSODescriptors))
	}
	d := md.IDPSSODescriptors[0]
	wantSSO := []saml.Endpoint{
		{Binding: saml.HTTPRedirectBinding, Location: e.p.SSOURL()},
		{Binding: saml.HTTPPostBinding, Location: e.p.SSOPostURL()},
	}
	if diff := cmp.Diff(wantSSO, d.SingleSignOnServices); diff != "" {
		t.Errorf("SingleSignOnServices (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]saml.NameIDFormat{saml.EmailAddressNameIDFormat}, d.NameIDFormats); diff != "" {
		t.Errorf("NameIDFormats (-want +got):\n%s", diff)
	}
	block, _ := pem.Decode([]byte(e.p.CertificatePEM()))
	if len(d.KeyDescriptors) != 1 || d.KeyDescriptors[0].Use != "signing" ||
		len(d.KeyDescriptors[0].KeyInfo.X509Data.X509Certificates) != 1 ||
		d.KeyDescriptors[0].KeyInfo.X509Data.X509Certificates[0].Data != base64.StdEncoding.EncodeToString(block.Bytes) {
		t.Errorf("KeyDescriptors %+v: want one signing key, the CertificatePEM certificate", d.KeyDescriptors)
	}

	t.Run("SP configured from fetched metadata", func(t *testing.T) {
		sp := e.newSP(t, testACS)
		sp.IDPMetadata = md
		f, id := e.autoLogin(t, sp, "rs")
		if _, err := sp.ParseResponse(f.acsRequest(t), []string{id}); err != nil {
			t.Fatalf("ParseResponse: %v", privateErr(err))
		}
	})
	t.Run("unsigned mode publishes no certificate", func(t *testing.T) {
		e.p.SetMode(ModeUnsigned)
		defer e.p.SetMode(ModeSigned)
		md, _ := e.fetchMetadata(t)
		if keys := md.IDPSSODescriptors[0].KeyDescriptors; len(keys) != 0 {
			t.Errorf("KeyDescriptors = %+v, want none", keys)
		}
	})
	t.Run("wrong-key mode still publishes the first certificate", func(t *testing.T) {
		e.p.SetMode(ModeWrongKey)
		defer e.p.SetMode(ModeSigned)
		md, _ := e.fetchMetadata(t)
		if diff := cmp.Diff(d.KeyDescriptors, md.IDPSSODescriptors[0].KeyDescriptors); diff != "" {
			t.Errorf("KeyDescriptors changed (-before +after):\n%s", diff)
		}
	})
}

func TestEntityIDOverride(t *testing.T) {
	const entityID = "https://authentik.company/saml/ssogate"
	e := newEnv(t, func(c *Config) { c.EntityID = entityID; c.Slug = "acme" })
	if e.p.EntityID() != entityID || !strings.HasSuffix(e.p.MetadataURL(), "/application/saml/acme/metadata/") {
		t.Fatalf("EntityID %q, MetadataURL %q", e.p.EntityID(), e.p.MetadataURL())
	}
	md, _ := e.fetchMetadata(t)
	if md.EntityID != entityID {
		t.Errorf("metadata entityID = %q", md.EntityID)
	}
	sp := e.newSP(t, testACS)
	f, id := e.autoLogin(t, sp, "")
	a, err := sp.ParseResponse(f.acsRequest(t), []string{id})
	if err != nil {
		t.Fatalf("ParseResponse: %v", privateErr(err))
	}
	if a.Issuer.Value != entityID {
		t.Errorf("Issuer = %q, want %q", a.Issuer.Value, entityID)
	}
}
