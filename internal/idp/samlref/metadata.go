package samlref

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"os"

	"github.com/crewjam/saml"
)

// spDirectory answers crewjam/saml's ServiceProviderProvider from the
// configured SPs: each gets metadata with one HTTP-POST assertion consumer
// service, so the library refuses any other AssertionConsumerServiceURL.
type spDirectory map[string]SP

func newSPDirectory(sps []SP) (spDirectory, []error) {
	d := spDirectory{}
	var errs []error
	for _, sp := range sps {
		if sp.ACSURL == "" {
			sp.ACSURL = sp.EntityID
		}
		u, err := url.Parse(sp.ACSURL)
		switch _, dup := d[sp.EntityID]; {
		case sp.EntityID == "":
			errs = append(errs, fmt.Errorf("service provider: entity ID is empty"))
		case dup:
			errs = append(errs, fmt.Errorf("service provider %q: listed twice", sp.EntityID))
		case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Fragment != "":
			errs = append(errs, fmt.Errorf("service provider %q: ACS URL %q is not an absolute http(s) URL without fragment", sp.EntityID, sp.ACSURL))
		default:
			d[sp.EntityID] = sp
		}
	}
	return d, errs
}

// GetServiceProvider builds fresh metadata on every call so the library can
// never alter what the next request sees.
func (d spDirectory) GetServiceProvider(_ *http.Request, entityID string) (*saml.EntityDescriptor, error) {
	sp, ok := d[entityID]
	if !ok {
		return nil, os.ErrNotExist
	}
	isDefault := true
	return &saml.EntityDescriptor{
		EntityID: sp.EntityID,
		SPSSODescriptors: []saml.SPSSODescriptor{{
			SSODescriptor: saml.SSODescriptor{RoleDescriptor: saml.RoleDescriptor{
				ProtocolSupportEnumeration: "urn:oasis:names:tc:SAML:2.0:protocol",
			}},
			AssertionConsumerServices: []saml.IndexedEndpoint{{
				Binding: saml.HTTPPostBinding, Location: sp.ACSURL, Index: 0, IsDefault: &isDefault,
			}},
		}},
	}, nil
}

// metadata is the library's IdP metadata reshaped like authentik's: one
// SingleSignOnService per binding at its own URL, a signing KeyDescriptor
// only when the provider signs (authentik publishes none without a signing
// keypair), no encryption key (the provider decrypts nothing), and
// emailAddress as the one NameID format, the only one it issues.
func (p *Provider) metadata(mode Mode) *saml.EntityDescriptor {
	ed := p.redirect.Metadata()
	d := &ed.IDPSSODescriptors[0]
	d.SingleSignOnServices = []saml.Endpoint{
		{Binding: saml.HTTPRedirectBinding, Location: p.SSOURL()},
		{Binding: saml.HTTPPostBinding, Location: p.SSOPostURL()},
	}
	var keys []saml.KeyDescriptor
	for _, k := range d.KeyDescriptors {
		if k.Use == "signing" && mode != ModeUnsigned {
			keys = append(keys, k)
		}
	}
	d.KeyDescriptors = keys
	return ed
}

func (p *Provider) serveMetadata(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	buf, err := xml.MarshalIndent(p.metadata(p.snapshot().mode), "", "  ")
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write([]byte(xml.Header))
	w.Write(append(buf, '\n'))
}
