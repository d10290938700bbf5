package samlref

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/crewjam/saml"
)

// serveSSO runs one binding's endpoint through crewjam/saml's ServeSSO,
// which parses and checks the AuthnRequest (known SP, registered ACS,
// Destination, IssueInstant) before asking sessions for a user.
func (p *Provider) serveSSO(idp *saml.IdentityProvider, method string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != method {
			w.Header().Set("Allow", method)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if method == http.MethodGet {
			r = withoutQuerySignature(r)
		}
		idp.ServeSSO(w, withFlow(r, flow{settings: p.snapshot()}))
	}
}

// withoutQuerySignature drops SigAlg and Signature from an HTTP-Redirect
// request. authentik checks AuthnRequest signatures only when the provider
// has a verification certificate, and ignores them otherwise; this provider
// has none to check with, so it ignores them too instead of refusing the
// request. (An enveloped signature in an HTTP-POST AuthnRequest is still
// refused by the library: SPs send those rarely.)
func withoutQuerySignature(r *http.Request) *http.Request {
	parts := strings.Split(r.URL.RawQuery, "&")
	kept := parts[:0]
	for _, part := range parts {
		name, _, _ := strings.Cut(part, "=")
		if name, err := url.QueryUnescape(name); err == nil && (name == "SigAlg" || name == "Signature") {
			continue
		}
		kept = append(kept, part)
	}
	if len(kept) == len(parts) {
		return r
	}
	r = r.Clone(r.Context())
	r.URL.RawQuery = strings.Join(kept, "&")
	return r
}

// responder is the library's ResponseWriter: it builds the Response as the
// mode says and renders the HTTP-POST form to the ACS.
type responder struct{ p *Provider }

func (rw responder) WriteResponse(w http.ResponseWriter, req *saml.IdpAuthnRequest) error {
	if err := rw.p.buildResponse(req, flowOf(req.HTTPRequest).mode); err != nil {
		return err
	}
	form, err := req.PostBinding() // serialises req.ResponseEl, checks the ACS binding
	if err != nil {
		return err
	}
	renderPage(w, http.StatusOK, "post", pageData{
		Title: "Continue", Action: form.URL, SAMLResponse: form.SAMLResponse, RelayState: form.RelayState,
	})
	return nil
}

// buildResponse sets req.ResponseEl. The signed modes use the library's
// MakeResponse (assertion signed, then response signed); the others reuse
// its pieces and leave out the signatures authentik would leave out.
func (p *Provider) buildResponse(req *saml.IdpAuthnRequest, mode Mode) error {
	switch mode {
	case ModeWrongKey:
		idp, err := p.wrongKey()
		if err != nil {
			return err
		}
		req.IDP = idp // signs with the other key; everything else is the same
		return req.MakeResponse()
	case ModeSignedAssertion:
		if err := req.MakeAssertionEl(); err != nil {
			return err
		}
	case ModeUnsigned:
		req.AssertionEl = req.Assertion.Element()
	default:
		return req.MakeResponse()
	}
	resp := &saml.Response{
		Destination:  req.ACSEndpoint.Location,
		ID:           randomID(),
		InResponseTo: req.Request.ID,
		IssueInstant: req.Now,
		Version:      "2.0",
		Issuer:       &saml.Issuer{Format: "urn:oasis:names:tc:SAML:2.0:nameid-format:entity", Value: p.entityID},
		Status:       saml.Status{StatusCode: saml.StatusCode{Value: saml.StatusSuccess}},
	}
	req.ResponseEl = resp.Element()
	req.ResponseEl.AddChild(req.AssertionEl)
	return nil
}

// ssoFailed is the library's OnError: a page saying what was wrong with the
// request (this is a test provider; the library's message is the useful
// part), never a response to an unregistered ACS.
func (p *Provider) ssoFailed(w http.ResponseWriter, _ *http.Request, status int, err error) {
	renderMessage(w, status, "Single sign-on failed", fmt.Sprintf("The SAML request was refused: %v", err))
}
