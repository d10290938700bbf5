package samlref

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/crewjam/saml"
)

// Attribute names, as authentik's default SAML property mappings name them.
const (
	AttrUID                = "http://schemas.goauthentik.io/2021/02/saml/uid"
	AttrUsername           = "http://schemas.goauthentik.io/2021/02/saml/username"
	AttrWindowsAccountName = "http://schemas.microsoft.com/ws/2008/06/identity/claims/windowsaccountname"
	AttrGroups             = "http://schemas.xmlsoap.org/claims/Group"
	AttrEmail              = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
	AttrName               = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"
	AttrUPN                = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn"
)

// Authentication context classes, as authentik asserts them.
const (
	classPassword    = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
	classUnspecified = "urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified"
)

// flow is what one SSO request runs with: a snapshot of the settings, so a
// SetMode in the middle cannot mix two modes in one response, and the user
// the login form authenticated, if any. It travels in the request context
// because crewjam/saml hands its interfaces the *http.Request.
type flow struct {
	settings
	user string
}

type flowKey struct{}

func withFlow(r *http.Request, f flow) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), flowKey{}, f))
}

func flowOf(r *http.Request) flow {
	f, _ := r.Context().Value(flowKey{}).(flow)
	return f
}

// sessions is the library's SessionProvider: the user the login form just
// checked, else the auto-login user, else the login form.
type sessions struct{ p *Provider }

func (s sessions) GetSession(w http.ResponseWriter, r *http.Request, req *saml.IdpAuthnRequest) *saml.Session {
	f := flowOf(r)
	username, class := f.user, classPassword
	if username == "" {
		username, class = f.autoLogin, classUnspecified
	}
	if username == "" {
		s.p.showLogin(w, r, req)
		return nil
	}
	u, ok := s.p.users[username]
	if !ok {
		renderMessage(w, http.StatusForbidden, "Sign-in failed", fmt.Sprintf("The auto-login user %q does not exist.", username))
		return nil
	}
	nameID, format := u.Email, saml.EmailAddressNameIDFormat
	if f.mode == ModeNoEmail {
		nameID, format = s.p.persistentID(u), saml.PersistentNameIDFormat
	}
	now := time.Now().Add(f.offset)
	return &saml.Session{
		ID:                   randomID(),
		CreateTime:           now, // becomes AuthnInstant
		ExpireTime:           now.Add(sessionValid),
		Index:                randomID(),
		NameID:               nameID,
		NameIDFormat:         string(format),
		AuthnContextClassRef: class,
		// Only custom attributes: the library's own (uid, mail,
		// eduPerson*, cn as urn:oid names) come from fields left empty.
		CustomAttributes: attributes(u, f.mode, s.p.shortAttr),
	}
}

// persistentID mirrors authentik's User.uid, its persistent NameID: a
// SHA-256 of the user's pk and the installation, stable for one provider.
func (p *Provider) persistentID(u userEntry) string {
	sum := sha256.Sum256([]byte(strconv.Itoa(u.pk) + "-" + p.installID))
	return hex.EncodeToString(sum[:])
}

// attributes mirrors authentik's default SAML property mappings: claim URIs
// sorted by name (authentik orders mappings by saml_name), no NameFormat, no
// xsi:type, a Group attribute even when it has no value (the mapping is a
// generator, never None), and empty strings kept.
func attributes(u userEntry, mode Mode, short bool) []saml.Attribute {
	values := map[string][]string{
		AttrUID:                {strconv.Itoa(u.pk)},
		AttrUsername:           {u.Username},
		AttrWindowsAccountName: {u.Username},
		AttrGroups:             u.Groups,
		AttrEmail:              {u.Email},
		AttrName:               {u.Name},
		AttrUPN:                {u.Email}, // attributes.get("upn", email)
	}
	if short {
		values["email"], values["name"], values["groups"] = []string{u.Email}, []string{u.Name}, u.Groups
	}
	if mode == ModeNoEmail {
		delete(values, AttrEmail)
		delete(values, AttrUPN)
		delete(values, "email")
	}
	names := make([]string, 0, len(values))
	for name := range values {
		names = append(names, name)
	}
	slices.Sort(names)
	attrs := make([]saml.Attribute, 0, len(names))
	for _, name := range names {
		a := saml.Attribute{Name: name, Values: []saml.AttributeValue{}}
		for _, v := range values[name] {
			a.Values = append(a.Values, saml.AttributeValue{Value: v})
		}
		attrs = append(attrs, a)
	}
	return attrs
}

// authentik's default validity settings: assertion_valid_not_before
// "minutes=-5", assertion_valid_not_on_or_after "minutes=5",
// session_valid_not_on_or_after "minutes=86400".
const (
	validBefore  = 5 * time.Minute
	validAfter   = 5 * time.Minute
	sessionValid = 24 * time.Hour
)

// assertionMaker is the library's default with authentik's validity window
// and the clock offset applied: req.Now (shifted) also becomes the Response
// IssueInstant, and the session's CreateTime (already shifted) the
// AuthnInstant.
type assertionMaker struct{}

func (assertionMaker) MakeAssertion(req *saml.IdpAuthnRequest, s *saml.Session) error {
	req.Now = req.Now.Add(flowOf(req.HTTPRequest).offset)
	if err := (saml.DefaultAssertionMaker{}).MakeAssertion(req, s); err != nil {
		return err
	}
	a := req.Assertion
	a.IssueInstant = req.Now
	a.Conditions.NotBefore = req.Now.Add(-validBefore)
	a.Conditions.NotOnOrAfter = req.Now.Add(validAfter)
	for _, c := range a.Subject.SubjectConfirmations {
		if c.SubjectConfirmationData != nil {
			c.SubjectConfirmationData.NotOnOrAfter = a.Conditions.NotOnOrAfter
		}
	}
	sessionEnd := req.Now.Add(sessionValid)
	for i := range a.AuthnStatements {
		a.AuthnStatements[i].SessionNotOnOrAfter = &sessionEnd
	}
	return nil
}

// randomID is an xs:ID: it must not start with a digit.
func randomID() string {
	var b [20]byte
	rand.Read(b[:])
	return "id-" + hex.EncodeToString(b[:])
}
