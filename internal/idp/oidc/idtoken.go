package oidcrp

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
)

// acceptedAlgs: asymmetric signatures only, checked against certs_url.
var acceptedAlgs = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512, jose.ES256, jose.ES384, jose.ES512,
}

// verifyIDToken checks rawIDToken and returns its claims.
func verifyIDToken(ctx context.Context, p Provider, o Options, rawIDToken, nonce string) (map[string]any, error) {
	if err := inspectHeader(rawIDToken); err != nil {
		return nil, err
	}
	ks := &keySet{cache: o.KeyCache, hc: o.HTTPClient, certsURL: p.CertsURL}
	algs := make([]string, len(acceptedAlgs))
	for i, a := range acceptedAlgs {
		algs[i] = string(a)
	}
	v := oidc.NewVerifier(p.Issuer, ks, &oidc.Config{
		ClientID:             p.ClientID,
		SupportedSigningAlgs: algs,
		SkipIssuerCheck:      p.Issuer == "",
		SkipExpiryCheck:      true, // checkTimes, with leeway both ways
	})
	if _, err := v.Verify(ctx, rawIDToken); err != nil {
		return nil, explainVerifyError(p, ks, err)
	}
	claims := map[string]any{}
	if err := json.Unmarshal(ks.payload, &claims); err != nil {
		return nil, fail(ReasonInvalidIDToken, err, "the ID token's claims are not a JSON object")
	}
	if s, _ := claims["sub"].(string); s == "" {
		return nil, fail(ReasonInvalidIDToken, nil, "the ID token has no \"sub\" claim (the user's stable identifier)")
	}
	got, _ := claims["nonce"].(string)
	if subtle.ConstantTimeCompare([]byte(got), []byte(nonce)) != 1 {
		return nil, fail(ReasonNonceMismatch, nil,
			"the ID token was not issued for this login (its nonce differs): it was replayed, or the IdP ignores the nonce parameter; start the login again")
	}
	if err := checkTimes(claims, o.Now(), o.Leeway); err != nil {
		return nil, err
	}
	return claims, nil
}

// inspectHeader names the usual misconfigurations from the JOSE header
// alone, before any key is fetched: their signatures could never verify
// and "bad signature" would send the admin the wrong way.
func inspectHeader(raw string) error {
	parts := strings.Split(raw, ".")
	var h struct {
		Alg string `json:"alg"`
		Enc string `json:"enc"`
	}
	if len(parts) == 3 || len(parts) == 5 {
		b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[0], "="))
		if err != nil || json.Unmarshal(b, &h) != nil {
			return fail(ReasonMalformedIDToken, err, "the ID token's header is not base64url-encoded JSON")
		}
	}
	alg := clip(h.Alg, 32)
	switch {
	case len(parts) == 5 || h.Enc != "":
		return fail(ReasonEncryptedIDToken, nil,
			"the ID token is encrypted (a JWE, alg %q, enc %q), which ssogate cannot read: clear the encryption key on the identity provider so tokens are only signed (authentik: edit the OAuth2/OpenID provider and empty \"Encryption Key\")", alg, clip(h.Enc, 32))
	case len(parts) != 3:
		return fail(ReasonMalformedIDToken, nil, "the ID token is not a JWT (expected three dot-separated parts, got %d)", len(parts))
	case strings.HasPrefix(alg, "HS"):
		return fail(ReasonSymmetricIDToken, nil,
			"the ID token is signed with %s, i.e. with the client secret, because the identity provider has no signing key selected; ssogate accepts only asymmetric signatures it can check against certs_url. In authentik edit the OAuth2/OpenID provider and select a Signing Key (e.g. \"authentik Self-signed Certificate\")", alg)
	case alg == "" || strings.EqualFold(alg, "none"):
		return fail(ReasonUnsignedIDToken, nil, "the ID token is not signed (alg %q); configure a signing key on the identity provider", alg)
	case !slices.Contains(acceptedAlgs, jose.SignatureAlgorithm(alg)):
		return fail(ReasonUnsupportedAlg, nil,
			"the ID token is signed with %s; ssogate accepts RS256, RS384, RS512, PS256, PS512, ES256, ES384 and ES512: choose an RSA or EC P-256/384/521 signing key on the identity provider", alg)
	}
	return nil
}

// explainVerifyError gives go-oidc's refusal a reason. go-oidc returns
// strings, so the reason comes from the key set (signature problems) or
// from re-checking the verified claims (issuer, audience).
func explainVerifyError(p Provider, ks *keySet, err error) error {
	if ks.err != nil {
		return ks.err
	}
	if ks.payload == nil {
		return fail(ReasonMalformedIDToken, err, "the ID token could not be parsed")
	}
	var c struct {
		Iss string          `json:"iss"`
		Aud json.RawMessage `json:"aud"`
	}
	_ = json.Unmarshal(ks.payload, &c)
	if p.Issuer != "" && c.Iss != p.Issuer {
		return fail(ReasonIssuerMismatch, err,
			"the ID token was issued by %q but this identity provider is configured with issuer %q: copy the issuer exactly, trailing slash included (authentik: https://authentik.company/application/o/<slug>/)", clip(c.Iss, 200), p.Issuer)
	}
	if aud := audience(c.Aud); !slices.Contains(aud, p.ClientID) {
		return fail(ReasonAudienceMismatch, err,
			"the ID token is meant for %q, not for client_id %q: client_id must be the one of the provider whose token_url issued it", clip(strings.Join(aud, ", "), 200), p.ClientID)
	}
	return fail(ReasonInvalidIDToken, err, "the ID token's claims are malformed (see the cause)")
}

func audience(raw json.RawMessage) []string {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}
	}
	var many []string
	_ = json.Unmarshal(raw, &many)
	return many
}

// checkTimes applies the leeway both ways: go-oidc has none on exp and a
// fixed five minutes on nbf.
func checkTimes(claims map[string]any, now time.Time, leeway time.Duration) error {
	exp, ok, err := numericDate(claims, "exp")
	if err != nil {
		return err
	}
	if !ok {
		return fail(ReasonInvalidIDToken, nil, "the ID token has no \"exp\" claim")
	}
	for _, name := range []string{"iat", "nbf"} {
		t, ok, err := numericDate(claims, name)
		if err != nil {
			return err
		}
		if ok && t.After(now.Add(leeway)) {
			return fail(ReasonClockSkew, nil,
				"the ID token's %s is %d seconds after this server's time (%s vs %s; allowed leeway %d s): the identity provider's clock runs ahead of this server's; synchronise both clocks (NTP)",
				name, seconds(t.Sub(now)), t.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339), seconds(leeway))
		}
	}
	if now.After(exp.Add(leeway)) {
		return fail(ReasonExpired, nil,
			"the ID token expired at %s, %d seconds before this server's time %s (allowed leeway %d s): the identity provider's clock runs behind this server's or the login was held too long; synchronise both clocks (NTP) and start the login again",
			exp.UTC().Format(time.RFC3339), seconds(now.Sub(exp)), now.UTC().Format(time.RFC3339), seconds(leeway))
	}
	return nil
}

func seconds(d time.Duration) int64 { return int64(math.Round(d.Seconds())) }

func numericDate(claims map[string]any, name string) (time.Time, bool, error) {
	v, ok := claims[name]
	if !ok || v == nil {
		return time.Time{}, false, nil
	}
	f, ok := v.(float64)
	if !ok || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e12 {
		return time.Time{}, false, fail(ReasonInvalidIDToken, nil, "the ID token's %q claim is not a time in seconds since 1970", name)
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), true, nil
}
