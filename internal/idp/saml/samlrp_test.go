package samlrp

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/crewjam/saml"
)

func assertion(nameID string, attrs map[string][]string) *saml.Assertion {
	a := &saml.Assertion{Subject: &saml.Subject{NameID: &saml.NameID{Value: nameID}}}
	st := saml.AttributeStatement{}
	for name, vs := range attrs {
		at := saml.Attribute{Name: name}
		for _, v := range vs {
			at.Values = append(at.Values, saml.AttributeValue{Value: v})
		}
		st.Attributes = append(st.Attributes, at)
	}
	a.AttributeStatements = []saml.AttributeStatement{st}
	return a
}

func reason(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}

func TestIdentityMapping(t *testing.T) {
	authentik := map[string][]string{
		"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress": {"Alice@AcmeCorp.company"},
		"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name":         {"Alice"},
		"http://schemas.xmlsoap.org/claims/Group":                            {"staff", "admins"},
		"department": {"eng"},
	}
	id, err := Provider{Attributes: []string{"department"}}.identity(assertion("ak-hash", authentik))
	if err != nil || id.Email != "alice@acmecorp.company" || id.Name != "Alice" || strings.Join(id.Groups, ",") != "staff,admins" ||
		id.Claims["department"] != "eng" || id.NameID != "ak-hash" {
		t.Fatalf("authentik attributes: %+v %v", id, err)
	}
	// No email attribute: an email-shaped NameID is used.
	if id, err := (Provider{}).identity(assertion("bob@acmecorp.company", nil)); err != nil || id.Email != "bob@acmecorp.company" {
		t.Errorf("NameID fallback: %+v %v", id, err)
	}
	// A configured attribute is required: the NameID does not stand in.
	if _, err := (Provider{EmailAttribute: "mail"}).identity(assertion("bob@acmecorp.company", nil)); reason(err) != ReasonMissingEmail {
		t.Errorf("configured attribute missing: %v", err)
	}
	if id, err := (Provider{EmailAttribute: "mail"}).identity(assertion("x", map[string][]string{"mail": {"carol@acmecorp.company"}})); err != nil || id.Email != "carol@acmecorp.company" {
		t.Errorf("configured attribute: %+v %v", id, err)
	}
	// Neither: the message Access users know.
	_, err = (Provider{}).identity(assertion("opaque-id", map[string][]string{"name": {"X"}}))
	if reason(err) != ReasonMissingEmail || !strings.Contains(err.Error(), "Failed to fetch user/group information") {
		t.Errorf("no email: %v", err)
	}
	// Comma-joined group values (some IdPs send one value) are split.
	id, _ = (Provider{}).identity(assertion("d@acmecorp.company", map[string][]string{"groups": {"a, b", "c"}}))
	if strings.Join(id.Groups, "|") != "a|b|c" {
		t.Errorf("groups %v", id.Groups)
	}
}

func TestConfigAndMetadata(t *testing.T) {
	if _, err := ParseCertificates("not a certificate"); err == nil {
		t.Error("garbage parsed as a certificate")
	}
	if _, _, err := Begin(Provider{EntityID: "https://idp", SSOURL: "https://idp/sso", CertPEM: "x", ACSURL: "https://t/cb"}, "s", timeNow()); reason(err) != ReasonInvalidConfig {
		t.Errorf("bad certificate: %v", err)
	}
	md, err := Metadata("https://acme.access.example/cdn-cgi/access/callback")
	if err != nil || !strings.Contains(string(md), `entityID="https://acme.access.example/cdn-cgi/access/callback"`) ||
		!strings.Contains(string(md), `Location="https://acme.access.example/cdn-cgi/access/callback"`) {
		t.Errorf("metadata: %v %s", err, md)
	}
	if _, err := Finish(Provider{EntityID: "https://idp", SSOURL: "https://idp/sso", CertPEM: "x", ACSURL: "https://t/cb"}, "!!", "id", timeNow()); err == nil {
		t.Error("Finish accepted a bad configuration and a non-base64 response")
	}
}

func timeNow() time.Time { return time.Now() }
