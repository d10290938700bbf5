package keys

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Claims are the claims of an Access token (application, org or service
// token). Times are unix seconds.
type Claims struct {
	Audience      Audience       `json:"aud"`
	Email         string         `json:"email,omitempty"`
	Expiry        int64          `json:"exp,omitempty"`
	IssuedAt      int64          `json:"iat,omitempty"`
	NotBefore     int64          `json:"nbf,omitempty"`
	Issuer        string         `json:"iss"`
	Type          string         `json:"type,omitempty"` // "app" or "org"
	IdentityNonce string         `json:"identity_nonce,omitempty"`
	Subject       string         `json:"sub"` // "" for service tokens, so always present
	Country       string         `json:"country,omitempty"`
	CommonName    string         `json:"common_name,omitempty"` // service token Client ID
	Custom        map[string]any `json:"custom,omitempty"`
}

// Audience is the aud claim: always written as an array, read from an
// array or a single string.
type Audience []string

// UnmarshalJSON accepts a string or an array of strings.
func (a *Audience) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*a = Audience{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New("aud is neither a string nor an array of strings")
	}
	*a = many
	return nil
}

// Contains reports whether aud is one of the audiences.
func (a Audience) Contains(aud string) bool {
	for _, s := range a {
		if s == aud {
			return true
		}
	}
	return false
}

// Errors from ValidateStandard. All wrap ErrInvalidToken.
var (
	ErrExpired      = fmt.Errorf("%w: expired", ErrInvalidToken)
	ErrNotYetValid  = fmt.Errorf("%w: not valid yet", ErrInvalidToken)
	ErrIssuer       = fmt.Errorf("%w: wrong issuer", ErrInvalidToken)
	ErrAudience     = fmt.Errorf("%w: wrong audience", ErrInvalidToken)
	ErrMissingClaim = fmt.Errorf("%w: required claim missing", ErrInvalidToken)
)

// ValidateStandard checks the registered claims the way origins do: iss
// equals iss byte for byte (https://<team-domain>, no trailing slash), aud
// contains aud, exp is present and not passed, nbf and iat are not in the
// future. leeway widens the time checks in the token's favour to absorb
// clock skew between instances; go-oidc, for comparison, allows none on
// exp and five minutes on nbf.
func ValidateStandard(c Claims, iss, aud string, now time.Time, leeway time.Duration) error {
	if c.Issuer != iss {
		return fmt.Errorf("%w: %q, want %q", ErrIssuer, c.Issuer, iss)
	}
	if aud == "" || !c.Audience.Contains(aud) {
		return fmt.Errorf("%w: %q does not include %q", ErrAudience, []string(c.Audience), aud)
	}
	if c.Expiry == 0 {
		return fmt.Errorf("%w: exp", ErrMissingClaim)
	}
	late, early := now.Add(-leeway).Unix(), now.Add(leeway).Unix()
	if late >= c.Expiry {
		return fmt.Errorf("%w: at %s", ErrExpired, time.Unix(c.Expiry, 0).UTC().Format(time.RFC3339))
	}
	if c.NotBefore != 0 && early < c.NotBefore {
		return fmt.Errorf("%w: nbf %s", ErrNotYetValid, time.Unix(c.NotBefore, 0).UTC().Format(time.RFC3339))
	}
	if c.IssuedAt != 0 && early < c.IssuedAt {
		return fmt.Errorf("%w: issued in the future (iat %s)", ErrNotYetValid, time.Unix(c.IssuedAt, 0).UTC().Format(time.RFC3339))
	}
	return nil
}
