// Package samlref is a reference SAML 2.0 identity provider laid out like
// authentik's SAML provider, for tests and for `ssogate demo`: the other end
// of ssogate's SAML federation, run in-process. The protocol itself
// (AuthnRequest parsing for both bindings, SP and ACS checks, assertion
// building, XML signatures) is github.com/crewjam/saml's IdentityProvider;
// this package owns what makes it look and behave like authentik:
//
//   - Routes (under the Issuer's path), for an application slug:
//     /application/saml/<slug>/metadata/,
//     /application/saml/<slug>/sso/binding/redirect/ (HTTP-Redirect, GET),
//     /application/saml/<slug>/sso/binding/post/ (HTTP-POST), and our own
//     /application/saml/<slug>/login/ (the form posts there). The entity ID,
//     and the Issuer of responses and assertions, is the metadata URL
//     unless Config.EntityID overrides it.
//   - Service providers are registered by entity ID with one ACS URL;
//     responses are only ever POSTed there. For Access and ssogate both
//     are the team's /cdn-cgi/access/callback URL.
//   - The response: NameID = the user's email, Format emailAddress
//     (whatever NameIDPolicy the SP asks for; ModeNoEmail aside). Attributes are authentik's
//     default SAML property mappings, sorted by name as authentik sorts
//     them, with no NameFormat and no xsi:type:
//     http://schemas.goauthentik.io/2021/02/saml/uid (the 1-based position
//     in Config.Users, standing for authentik's numeric pk),
//     http://schemas.goauthentik.io/2021/02/saml/username,
//     http://schemas.microsoft.com/ws/2008/06/identity/claims/windowsaccountname (username),
//     http://schemas.xmlsoap.org/claims/Group (one value per group; present
//     with no value for a user without groups),
//     http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress,
//     http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name and
//     http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn (the email).
//     authentik sends no short "email" or "groups" attribute by default —
//     Cloudflare's guide has the admin type the claim URI as the email
//     attribute name, or add an email-named mapping — so those come only
//     with Config.ShortAttributeNames ("email", "name", "groups").
//   - Validity as authentik's defaults: Conditions NotBefore = now - 5 min,
//     NotOnOrAfter (and the bearer SubjectConfirmationData's) = now + 5 min,
//     SessionNotOnOrAfter = now + 24 h; InResponseTo on the Response and the
//     SubjectConfirmationData; Audience = the SP's entity ID.
//   - Modes reproduce what breaks SPs: ModeSigned (assertion and response
//     signed, RSA-SHA256 with an RSA-2048 key generated at start, the
//     certificate in KeyInfo), ModeSignedAssertion (authentik's default:
//     only the assertion signed), ModeUnsigned (authentik without a signing
//     keypair: no signature, no certificate in the metadata), ModeWrongKey
//     (signed with a second keypair the metadata does not publish),
//     ModeNoEmail (the email nowhere: no email attribute, and a persistent
//     hashed NameID, so an SP falling back to an email NameID fails too).
//     ClockOffset shifts every asserted time to test clock-skew handling.
//   - Sign-in: with AutoLogin the AuthnRequest is answered at once (the
//     AuthnContextClassRef is then "unspecified"); otherwise a username and
//     password form (then PasswordProtectedTransport). The response goes
//     out as an HTML form POSTed to the ACS with RelayState unchanged,
//     submitted by an inline script pinned in the CSP, with a Continue
//     button for browsers without JavaScript. The form keeps no server
//     state: it carries the AuthnRequest and replays it on success, so it
//     must be submitted within the library's 90 s AuthnRequest lifetime.
//   - AuthnRequest signatures are not checked, as in authentik without a
//     verification certificate: SigAlg/Signature on the HTTP-Redirect
//     binding are ignored (an enveloped signature on an HTTP-POST request
//     is refused by the library, which has no certificate to check it with).
//
// Not reproduced: the unified /application/saml/<slug>/ endpoint,
// IdP-initiated login, single logout, signed metadata, encrypted
// assertions. No state is kept between requests (the login form carries
// the AuthnRequest, see login.go); there is nothing to close.
package samlref
