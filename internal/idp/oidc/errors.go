package oidcrp

import (
	"strings"
	"unicode"

	"github.com/ssogate/ssogate/internal/idp"
)

// Reasons a login fails. They are stable: callers store them with the
// failed login, and doc.go says what each one means.
const (
	ReasonInvalidConfig    = "invalid_config"
	ReasonStateMismatch    = "state_mismatch"
	ReasonIdPError         = "idp_error"
	ReasonMissingCode      = "missing_code"
	ReasonTokenEndpoint    = "token_endpoint"
	ReasonInvalidClient    = "invalid_client"
	ReasonInvalidGrant     = "invalid_grant"
	ReasonNoIDToken        = "no_id_token"
	ReasonMalformedIDToken = "malformed_id_token"
	ReasonEncryptedIDToken = "encrypted_id_token"
	ReasonSymmetricIDToken = "symmetric_id_token"
	ReasonUnsignedIDToken  = "unsigned_id_token"
	ReasonUnsupportedAlg   = "unsupported_alg"
	ReasonJWKSUnavailable  = "jwks_unavailable"
	ReasonEmptyJWKS        = "empty_jwks"
	ReasonUnknownKID       = "unknown_kid"
	ReasonBadSignature     = "bad_signature"
	ReasonIssuerMismatch   = "issuer_mismatch"
	ReasonAudienceMismatch = "audience_mismatch"
	ReasonInvalidIDToken   = "invalid_id_token"
	ReasonNonceMismatch    = "nonce_mismatch"
	ReasonClockSkew        = "clock_skew"
	ReasonExpired          = "expired"
	ReasonMissingEmail     = "missing_email"
)

// Error is every failure of Begin and Finish (the login error all
// connectors share).
type Error = idp.LoginError

// fail builds an *Error for this protocol.
func fail(reason string, cause error, format string, args ...any) error {
	return idp.Fail("oidc", reason, cause, format, args...)
}

// scrubber removes our own secrets from text the IdP sends back before it
// is quoted: an IdP may echo the code or a credential in an error.
type scrubber []string

func (s scrubber) clean(text string) string {
	for _, secret := range s {
		if len(secret) >= 4 {
			text = strings.ReplaceAll(text, secret, "[redacted]")
		}
	}
	return clip(text, 300)
}

// clip drops control characters and cuts IdP-supplied text to n runes, so
// it cannot forge log lines or flood the error page.
func clip(text string, n int) string {
	var b strings.Builder
	count := 0
	for _, r := range text {
		if unicode.IsControl(r) {
			r = ' '
		}
		if count == n {
			b.WriteString("…")
			break
		}
		b.WriteRune(r)
		count++
	}
	return strings.TrimSpace(b.String())
}
