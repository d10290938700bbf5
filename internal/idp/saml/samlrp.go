package samlrp

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"encoding/xml"
	"errors"
	"net/mail"
	"net/url"
	"strings"
	"time"

	"github.com/beevik/etree"
	"github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/ssogate/ssogate/internal/idp"
)

// Provider is a SAML IdP as an Access identity provider configures it.
type Provider struct {
	// EntityID is the IdP's issuer (authentik: its metadata URL).
	EntityID string
	// SSOURL receives AuthnRequests (HTTP-Redirect binding).
	SSOURL string
	// CertPEM holds the IdP's signing certificate(s), PEM.
	CertPEM string
	// ACSURL is ssogate's callback URL: the ACS and the SP entity ID.
	ACSURL string
	// EmailAttribute names the attribute holding the email ("" = the
	// usual ones, then the NameID).
	EmailAttribute string
	// Attributes are extra attributes copied into the identity's claims.
	Attributes []string
}

// Identity is what a SAML login established.
type Identity struct {
	Email  string
	Name   string
	NameID string
	Groups []string
	Claims map[string]any
	// Raw is every attribute received, for the IdP test page.
	Raw map[string][]string
}

// Reasons a SAML login fails.
const (
	ReasonInvalidConfig = "invalid_config"
	ReasonMalformed     = "malformed_response"
	ReasonIdPError      = "idp_error"
	ReasonUnsigned      = "unsigned_response"
	ReasonBadSignature  = "bad_signature"
	ReasonRequest       = "request_mismatch"
	ReasonAudience      = "audience_mismatch"
	ReasonDestination   = "destination_mismatch"
	ReasonIssuer        = "issuer_mismatch"
	ReasonClockSkew     = "clock_skew"
	ReasonMissingEmail  = "missing_email"
)

// Error is every failure of Begin and Finish (the login error all
// connectors share).
type Error = idp.LoginError

func fail(reason string, cause error, format string, args ...any) error {
	return idp.Fail("saml", reason, cause, format, args...)
}

// ParseCertificates reads the PEM certificates of an IdP configuration.
func ParseCertificates(certPEM string) ([]*x509.Certificate, error) {
	rest := []byte(strings.TrimSpace(certPEM))
	var out []*x509.Certificate
	for len(rest) > 0 {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, errors.New("no PEM CERTIFICATE block")
	}
	return out, nil
}

// sp builds the library's service provider for p at now.
func (p Provider) sp(now time.Time) (*saml.ServiceProvider, error) {
	certs, err := ParseCertificates(p.CertPEM)
	if err != nil {
		return nil, fail(ReasonInvalidConfig, err, "the IdP certificate is not a PEM certificate: paste the IdP's signing certificate (authentik: the SAML provider's signing certificate, downloaded as PEM)")
	}
	acs, err := url.Parse(p.ACSURL)
	if err != nil || p.SSOURL == "" || p.EntityID == "" {
		return nil, fail(ReasonInvalidConfig, err, "a SAML identity provider needs its issuer (entity ID), SSO URL and signing certificate")
	}
	kd := saml.KeyDescriptor{Use: "signing"}
	idp := saml.EntityDescriptor{EntityID: p.EntityID, IDPSSODescriptors: []saml.IDPSSODescriptor{{
		SSODescriptor: saml.SSODescriptor{RoleDescriptor: saml.RoleDescriptor{ProtocolSupportEnumeration: "urn:oasis:names:tc:SAML:2.0:protocol"}},
		SingleSignOnServices: []saml.Endpoint{
			{Binding: saml.HTTPRedirectBinding, Location: p.SSOURL},
		},
	}}}
	for _, c := range certs {
		k := kd
		k.KeyInfo.X509Data.X509Certificates = []saml.X509Certificate{{Data: base64.StdEncoding.EncodeToString(c.Raw)}}
		idp.IDPSSODescriptors[0].KeyDescriptors = append(idp.IDPSSODescriptors[0].KeyDescriptors, k)
	}
	return &saml.ServiceProvider{EntityID: p.ACSURL, AcsURL: *acs, MetadataURL: *acs, IDPMetadata: &idp,
		AuthnNameIDFormat: saml.EmailAddressNameIDFormat, Clock: dsig.NewFakeClockAt(now),
		// Certificates IdPs generate (authentik's self-signed one) often
		// outlive nothing: trust is the configured certificate itself.
		IgnoreCertificateExpiry: true}, nil
}

// Begin returns the IdP URL of a new AuthnRequest (HTTP-Redirect binding,
// response by HTTP-POST) carrying relayState, and the request's ID, which
// Finish needs.
func Begin(p Provider, relayState string, now time.Time) (redirect, requestID string, err error) {
	sp, err := p.sp(now)
	if err != nil {
		return "", "", err
	}
	req, err := sp.MakeAuthenticationRequest(p.SSOURL, saml.HTTPRedirectBinding, saml.HTTPPostBinding)
	if err != nil {
		return "", "", fail(ReasonInvalidConfig, err, "could not build the SAML request")
	}
	u, err := req.Redirect(relayState, sp)
	if err != nil {
		return "", "", fail(ReasonInvalidConfig, err, "could not build the SAML request")
	}
	return u.String(), req.ID, nil
}

// Finish checks the SAMLResponse of a form post to the ACS against the
// request it answers and returns the identity.
func Finish(p Provider, samlResponse, requestID string, now time.Time) (Identity, error) {
	sp, err := p.sp(now)
	if err != nil {
		return Identity{}, err
	}
	raw, err := base64.StdEncoding.DecodeString(samlResponse)
	if err != nil || len(raw) == 0 {
		return Identity{}, fail(ReasonMalformed, err, "the identity provider's answer is not a SAML response")
	}
	if status := idpStatus(raw); status != "" {
		return Identity{}, fail(ReasonIdPError, nil, "the identity provider refused the sign-in (%s)", status)
	}
	if !signed(raw) {
		return Identity{}, fail(ReasonUnsigned, nil, "the identity provider's SAML response is not signed. In authentik, select a signing certificate on the SAML provider (Signing Certificate); ssogate accepts only signed responses or assertions")
	}
	acs, _ := url.Parse(p.ACSURL)
	a, err := sp.ParseXMLResponse(raw, []string{requestID}, *acs)
	if err != nil {
		return Identity{}, classify(err)
	}
	return p.identity(a)
}

func classify(err error) error {
	switch {
	case errors.Is(err, saml.ErrInvalidSignature):
		return fail(ReasonBadSignature, err, "the SAML response's signature does not verify with the configured certificate: the IdP may have rotated its signing certificate; paste its current certificate into the identity provider's settings")
	case errors.Is(err, saml.ErrRequestIDMismatch):
		return fail(ReasonRequest, err, "the SAML response does not answer this sign-in's request (InResponseTo). Start the sign-in again")
	case errors.Is(err, saml.ErrAudienceMismatch):
		return fail(ReasonAudience, err, "the SAML response is meant for another service provider: set the audience (SP entity ID) to the callback URL")
	case errors.Is(err, saml.ErrDestinationMismatch):
		return fail(ReasonDestination, err, "the SAML response was sent to another address: set the ACS URL to the callback URL")
	case errors.Is(err, saml.ErrIssuerMismatch):
		return fail(ReasonIssuer, err, "the SAML response comes from another issuer than the configured one (authentik: the provider's metadata URL)")
	case errors.Is(err, saml.ErrExpired), errors.Is(err, saml.ErrNotYetValid):
		return fail(ReasonClockSkew, err, "the SAML assertion is outside its validity window: check the clocks of the IdP and ssogate")
	}
	return fail(ReasonMalformed, err, "the identity provider's SAML response could not be used")
}

// signed reports whether the response carries an XML signature on the
// Response or an Assertion (the library then checks it).
func signed(raw []byte) bool {
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(raw); err != nil || doc.Root() == nil {
		return true // let the library report what is wrong
	}
	for _, el := range append([]*etree.Element{doc.Root()}, doc.Root().SelectElements("Assertion")...) {
		for _, c := range el.ChildElements() {
			if c.Tag == "Signature" {
				return true
			}
		}
	}
	return false
}

// idpStatus is the response's status code when it is not success.
func idpStatus(raw []byte) string {
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(raw); err != nil || doc.Root() == nil {
		return ""
	}
	st := doc.Root().FindElement("./Status/StatusCode")
	if st == nil {
		return ""
	}
	v := st.SelectAttrValue("Value", "")
	if v == "" || v == saml.StatusSuccess {
		return ""
	}
	if sub := st.FindElement("./StatusCode"); sub != nil {
		v += " / " + sub.SelectAttrValue("Value", "")
	}
	return v
}

// Well-known attribute names.
var (
	emailAttrs = []string{"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
		"urn:oid:0.9.2342.19200300.100.1.3", "email", "mail", "Email"}
	nameAttrs = []string{"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name",
		"http://schemas.xmlsoap.org/claims/CommonName", "name", "displayName", "urn:oid:2.16.840.1.113730.3.1.241"}
	groupAttrs = []string{"http://schemas.xmlsoap.org/claims/Group",
		"http://schemas.microsoft.com/ws/2008/06/identity/claims/groups", "groups", "memberOf", "Groups"}
)

func (p Provider) identity(a *saml.Assertion) (Identity, error) {
	id := Identity{Raw: map[string][]string{}, Claims: map[string]any{}, Groups: []string{}}
	if a.Subject != nil && a.Subject.NameID != nil {
		id.NameID = a.Subject.NameID.Value
	}
	for _, st := range a.AttributeStatements {
		for _, at := range st.Attributes {
			for _, v := range at.Values {
				id.Raw[at.Name] = append(id.Raw[at.Name], v.Value)
			}
		}
	}
	first := func(names []string) string {
		for _, n := range names {
			if vs := id.Raw[n]; len(vs) > 0 && vs[0] != "" {
				return vs[0]
			}
		}
		return ""
	}
	if p.EmailAttribute != "" {
		id.Email = first([]string{p.EmailAttribute})
	} else {
		id.Email = first(emailAttrs)
	}
	if id.Email == "" && p.EmailAttribute == "" && isEmail(id.NameID) {
		id.Email = id.NameID
	}
	if !isEmail(id.Email) {
		where := "an email attribute or an email NameID"
		if p.EmailAttribute != "" {
			where = "the attribute " + p.EmailAttribute
		}
		return id, fail(ReasonMissingEmail, nil, "Failed to fetch user/group information from the identity provider: the SAML response has no email in %s. In authentik, map the email property to the emailaddress attribute", where)
	}
	id.Email = strings.ToLower(id.Email)
	id.Name = first(nameAttrs)
	for _, n := range groupAttrs {
		for _, v := range id.Raw[n] {
			for _, g := range strings.Split(v, ",") {
				if g = strings.TrimSpace(g); g != "" {
					id.Groups = append(id.Groups, g)
				}
			}
		}
	}
	for _, n := range p.Attributes {
		if vs := id.Raw[n]; len(vs) == 1 {
			id.Claims[n] = vs[0]
		} else if len(vs) > 1 {
			id.Claims[n] = vs
		}
	}
	return id, nil
}

func isEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && strings.Contains(s, "@")
}

// Metadata is the SP metadata for a team (served at
// /cdn-cgi/access/saml-metadata): entity ID and ACS = the callback URL.
func Metadata(acsURL string) ([]byte, error) {
	acs, err := url.Parse(acsURL)
	if err != nil {
		return nil, err
	}
	sp := saml.ServiceProvider{EntityID: acsURL, AcsURL: *acs, MetadataURL: *acs}
	out, err := xml.MarshalIndent(sp.Metadata(), "", "  ")
	if err != nil {
		return nil, err
	}
	return append([]byte(xml.Header), out...), nil
}
