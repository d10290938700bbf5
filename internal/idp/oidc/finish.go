package oidcrp

import (
	"context"
	"crypto/subtle"
	"fmt"
	"net/url"
)

// Identity is who the IdP says signed in.
type Identity struct {
	Subject           string
	Email             string
	EmailVerified     *bool // nil: the IdP did not say
	Name              string
	PreferredUsername string
	Groups            []string
	Claims            map[string]any // the configured extra claims that were present
	Raw               map[string]any // every ID-token claim, for the admin "Test" action
	Issuer            string
}

// Finish completes a login from the callback query and what Begin
// returned: it checks the state, redeems the code, verifies the ID token
// and maps its claims. Every error is an *Error.
func Finish(ctx context.Context, p Provider, o Options, redirectURI string, query url.Values, stored Start) (Identity, error) {
	if err := p.check(redirectURI); err != nil {
		return Identity{}, err
	}
	o = o.withDefaults()
	code, err := checkCallback(query, stored, p.PKCE)
	if err != nil {
		return Identity{}, err
	}
	scrub := scrubber{p.ClientSecret, code, stored.Verifier}
	rawIDToken, err := redeem(ctx, p, o, redirectURI, code, stored.Verifier, scrub)
	if err != nil {
		return Identity{}, err
	}
	claims, err := verifyIDToken(ctx, p, o, rawIDToken, stored.Nonce)
	if err != nil {
		return Identity{}, err
	}
	return identityFrom(p, claims)
}

// checkCallback returns the code once the callback is known to belong to
// the stored login. The state is checked before an IdP error is believed:
// anyone can send a browser to the callback with error_description set,
// and only a callback with our state may put the IdP's words on our page.
func checkCallback(q url.Values, stored Start, pkce bool) (string, error) {
	if stored.State == "" || stored.Nonce == "" || (pkce && stored.Verifier == "") {
		return "", fail(ReasonStateMismatch, nil,
			"there is no complete login in progress for this callback (the stored state, nonce or PKCE verifier is missing); start the login again")
	}
	stateOK := len(q["state"]) == 1 &&
		subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(stored.State)) == 1
	if q.Has("error") || q.Has("error_description") {
		code, desc := clip(q.Get("error"), 64), clip(q.Get("error_description"), 300)
		if !stateOK {
			return "", fail(ReasonStateMismatch, fmt.Errorf("callback carried IdP error %q with a state that is not this login's", code),
				"the callback does not belong to this login (its state differs); start the login again")
		}
		msg := "the identity provider refused the sign-in (" + code + ")"
		if desc != "" {
			msg += ": " + desc
		}
		return "", fail(ReasonIdPError, nil, "%s", msg)
	}
	if !stateOK {
		return "", fail(ReasonStateMismatch, nil,
			"the callback does not belong to this login (its state differs): the login was started in another browser or tab, or the callback was replayed; start the login again")
	}
	if len(q["code"]) != 1 || q.Get("code") == "" {
		return "", fail(ReasonMissingCode, nil,
			"the identity provider redirected back without an authorization code; check that the IdP is configured for the authorization code flow")
	}
	return q.Get("code"), nil
}
