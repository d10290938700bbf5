// Package samlrp is ssogate's SAML 2.0 service provider for Access
// identity providers of type "saml" (authentik's SAML provider, Entra,
// Okta…), built on github.com/crewjam/saml.
//
// As in Cloudflare Access (access-flow.md §1.4), the team's callback URL
// is both the Assertion Consumer Service URL and the SP entity ID, one per
// team for every IdP. Begin makes an AuthnRequest for the HTTP-Redirect
// binding and returns its ID; Finish checks the HTTP-POST response against
// that ID (InResponseTo), the configured IdP certificate (a signature on
// the Response or the Assertion is required), the audience, destination
// and time window, and maps attributes to an identity.
//
// Failures have stable reasons, each with a message an administrator can
// act on: an unsigned response (authentik without a signing certificate),
// a signature the configured certificate does not verify (a rotated or
// wrong certificate), a missing email (no NameID email and no email
// attribute), audience/destination/time/request mismatches, an IdP error
// status, a malformed message.
//
// Attributes: the email is the configured email attribute, else the
// well-known email claim URIs authentik and ADFS send, else "email", else
// an email-shaped NameID. Groups come from the attributes authentik
// (http://schemas.xmlsoap.org/claims/Group), Entra
// (http://schemas.microsoft.com/ws/2008/06/identity/claims/groups) and
// others ("groups", "memberOf") send, one value each; configured extra
// attributes are copied into the identity's claims.
package samlrp
