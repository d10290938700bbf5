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
		c.SignRequest = *in.SignRequest
	}
}

// completeSAML checks a SAML configuration: the IdP's entity ID and SSO
// URL, and certificates that parse. Certificates are kept as PEM; a bare
// base64 body (as some IdPs display it) is wrapped.
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
		cert = strings.TrimSpace(cert)
		if !strings.HasPrefix(cert, "-----BEGIN") {
			if der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(cert), "")); err == nil {
				cert = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
			}
		}
		if _, err := samlrp.ParseCertificates(cert); err != nil {
			return api.Invalid("/config/idp_public_certs/"+strconv.Itoa(i), "idp_public_certs[%d] is not an X.509 certificate in PEM: %v", i, err)
		}
		c.IdPPublicCerts[i] = cert
	}
	if c.SignRequest {
		return api.Invalid("/config/sign_request", "sign_request is not supported yet: ssogate sends unsigned AuthnRequests (authentik does not require signed requests)")
	}
	if c.Attributes == nil {
		c.Attributes = []string{}
	}
	// OIDC fields mean nothing here.
	c.ClientID, c.ClientSecret, c.AuthURL, c.TokenURL, c.CertsURL = "", "", "", "", ""
	c.Scopes, c.PKCEEnabled, c.EmailClaimName, c.Claims = nil, false, "", nil
	return nil
}
