// Package layout holds what the reference identity providers (refop for
// OpenID Connect, samlref for SAML) share about authentik's URL layout:
// the checks on the issuer base URL and the application slug.
package layout
