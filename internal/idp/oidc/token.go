package oidcrp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// maxBody caps what we read from the IdP: token responses and key sets are
// a few kilobytes.
const maxBody = 1 << 20

// tokenAnswer is one token endpoint response, already parsed.
type tokenAnswer struct {
	status  int
	idToken string
	errCode string // OAuth error code, when the IdP sent one
	errDesc string // scrubbed error_description
	parsed  bool   // the body was JSON
}

// clientRejected: the IdP did not accept how we authenticated.
func (a tokenAnswer) clientRejected() bool {
	return a.errCode == "invalid_client" || (a.status == http.StatusUnauthorized && a.errCode == "")
}

// redeem exchanges the code for the raw ID token: client_secret_basic,
// then once client_secret_post if the IdP refused the client (see doc.go).
func redeem(ctx context.Context, p Provider, o Options, redirectURI, code, verifier string, scrub scrubber) (string, error) {
	form := url.Values{
		"grant_type":   {"authorization_code"},
		"code":         {code},
		"redirect_uri": {redirectURI},
	}
	if verifier != "" {
		form.Set("code_verifier", verifier)
	}
	ans, err := postToken(ctx, p, o, form, true, scrub)
	if err == nil && p.ClientSecret != "" && ans.clientRejected() {
		ans, err = postToken(ctx, p, o, form, false, scrub)
	}
	if err != nil {
		return "", fail(ReasonTokenEndpoint, err,
			"ssogate could not reach the identity provider's token endpoint %s; check token_url and that the IdP is reachable from this server (not blocked by a firewall or bot protection)", p.TokenURL)
	}
	return ans.result(p)
}

func postToken(ctx context.Context, p Provider, o Options, form url.Values, basic bool, scrub scrubber) (tokenAnswer, error) {
	form = cloneValues(form)
	if !basic || p.ClientSecret == "" {
		form.Set("client_id", p.ClientID)
		if p.ClientSecret != "" {
			form.Set("client_secret", p.ClientSecret)
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return tokenAnswer{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if basic && p.ClientSecret != "" {
		// RFC 6749 §2.3.1: both parts are form-encoded before base64.
		req.SetBasicAuth(url.QueryEscape(p.ClientID), url.QueryEscape(p.ClientSecret))
	}
	// The form holds the code, the verifier and maybe the secret: it must
	// not be replayed to wherever a redirect points.
	hc := *o.HTTPClient
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := hc.Do(req)
	if err != nil {
		return tokenAnswer{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return tokenAnswer{}, err
	}
	if len(body) > maxBody {
		return tokenAnswer{}, errors.New("token response larger than 1 MiB")
	}
	return parseTokenAnswer(resp.StatusCode, body, scrub), nil
}

func parseTokenAnswer(status int, body []byte, scrub scrubber) tokenAnswer {
	var b struct {
		IDToken          any `json:"id_token"`
		Error            any `json:"error"`
		ErrorDescription any `json:"error_description"`
	}
	a := tokenAnswer{status: status}
	if json.Unmarshal(body, &b) != nil {
		return a
	}
	a.parsed = true
	a.idToken, _ = b.IDToken.(string)
	code, _ := b.Error.(string)
	desc, _ := b.ErrorDescription.(string)
	a.errCode, a.errDesc = clip(code, 64), scrub.clean(desc)
	return a
}

// result turns the final answer into the ID token or a reasoned error.
func (a tokenAnswer) result(p Provider) (string, error) {
	if a.status == http.StatusOK && a.parsed && a.errCode == "" {
		if a.idToken == "" {
			return "", fail(ReasonNoIDToken, nil,
				"the identity provider's token response has no id_token: request the \"openid\" scope and check that %s belongs to an OpenID Connect (not plain OAuth2) provider", p.TokenURL)
		}
		return a.idToken, nil
	}
	detail := a.errCode
	if a.errDesc != "" {
		detail += ": " + a.errDesc
	}
	cause := fmt.Errorf("token endpoint answered HTTP %d %s", a.status, detail)
	if detail == "" {
		cause = fmt.Errorf("token endpoint answered HTTP %d (JSON: %t)", a.status, a.parsed)
	}
	switch {
	case a.clientRejected() && p.ClientSecret == "":
		return "", fail(ReasonInvalidClient, cause,
			"the identity provider refused client_id %q at %s as a public client (no client_secret is configured): set client_secret, or make the client public at the IdP (authentik: Client type Public)", p.ClientID, p.TokenURL)
	case a.clientRejected():
		return "", fail(ReasonInvalidClient, cause,
			"the identity provider refused the client credentials for client_id %q at %s (tried client_secret_basic and client_secret_post): check client_id and client_secret; in authentik copy Client ID and Client Secret from the OAuth2/OpenID provider", p.ClientID, p.TokenURL)
	case a.errCode == "invalid_grant":
		return "", fail(ReasonInvalidGrant, cause,
			"the identity provider refused the authorization code (%s): it was already used or has expired (authentik: after 1 minute), or the redirect URI or PKCE verifier differ from the authorize request; start the login again", detail)
	case a.errCode != "":
		return "", fail(ReasonTokenEndpoint, cause,
			"the identity provider's token endpoint %s refused the code exchange (%s)", p.TokenURL, detail)
	default:
		return "", fail(ReasonTokenEndpoint, cause,
			"the identity provider's token endpoint %s answered HTTP %d without a token response; check token_url (authentik: https://authentik.company/application/o/token/)", p.TokenURL, a.status)
	}
}

func cloneValues(v url.Values) url.Values {
	c := make(url.Values, len(v)+2)
	for k, vs := range v {
		c[k] = append([]string(nil), vs...)
	}
	return c
}
