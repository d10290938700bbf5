package access

import (
	"encoding/base64"
	"encoding/pem"
	"strconv"
	"strings"

	"github.com/ssogate/ssogate/internal/api"
	samlrp "github.com/ssogate/ssogate/internal/idp/saml"
)

func mergeSAML(c *OIDCConfig, in OIDCConfigRaw) {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = strings.TrimSpace(*v)
		}
	}
	set(&c.IssuerURL, in.IssuerURL)
	set(&c.SSOTargetURL, in.SSOTargetURL)
	set(&c.EmailAttributeName, in.EmailAttributeName)
	if in.IdPPublicCerts != nil {
		c.IdPPublicCerts = *in.IdPPublicCerts
	}
	if in.Attributes != nil {
		c.Attributes = *in.Attributes
	}
	if in.SignRequest != nil {
		c.SignRequest = in.SignRequest
	}
}

// completeSAML checks a SAML configuration: the IdP's entity ID and SSO
// URL, and certificates that parse. Certificates are kept in the form
// sent, PEM or a bare base64 body (as some IdPs display it), so they come
// back as sent; pemCert wraps the latter where they are used.
func completeSAML(c *OIDCConfig) error {
	if c.IssuerURL == "" {
		return api.Invalid("/config/issuer_url", "config.issuer_url is required: the IdP's entity ID (authentik: the SAML provider's metadata URL, https://authentik.company/application/saml/<slug>/metadata/)")
	}
	if err := checkURL("/config/sso_target_url", c.SSOTargetURL); err != nil {
		return err
	}
	if len(c.IdPPublicCerts) == 0 {
		return api.Invalid("/config/idp_public_certs", "config.idp_public_certs needs the IdP's signing certificate (PEM): authentik › SAML provider › Signing Certificate › download")
	}
	for i, cert := range c.IdPPublicCerts {
		if _, err := samlrp.ParseCertificates(pemCert(cert)); err != nil {
			return api.Invalid("/config/idp_public_certs/"+strconv.Itoa(i), "idp_public_certs[%d] is not an X.509 certificate in PEM or base64: %v", i, err)
		}
	}
	if c.SignRequest != nil && *c.SignRequest {
		return api.Invalid("/config/sign_request", "sign_request is not supported yet: ssogate sends unsigned AuthnRequests (authentik does not require signed requests)")
	}
	// OIDC fields mean nothing here.
	c.ClientID, c.AuthURL, c.TokenURL, c.CertsURL = "", "", "", ""
	c.Scopes, c.PKCEEnabled, c.EmailClaimName, c.Claims = nil, nil, "", nil
	return nil
}

// pemCert is a certificate as PEM: a bare base64 body is wrapped.
func pemCert(cert string) string {
	cert = strings.TrimSpace(cert)
	if strings.HasPrefix(cert, "-----BEGIN") {
		return cert
	}
	der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(cert), ""))
	if err != nil {
		return cert
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}
