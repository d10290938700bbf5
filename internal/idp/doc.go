// Package idp holds what the federation connectors share: the error every
// login failure is reported with, whatever the protocol (OpenID Connect
// in idp/oidc, SAML in idp/saml), so the Access portal reads one type.
package idp
