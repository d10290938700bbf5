package dashboard

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
)

// csrfToken derives a form token from a cookie secret (the session's, or
// the pre-session cookie's before login). The secret lives only in an
// HttpOnly cookie, so another site can neither read nor compute the token;
// deriving it rather than storing it needs no table and no server key.
func csrfToken(secret string) string {
	sum := sha256.Sum256([]byte("ssogate dashboard csrf\x00" + secret))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// validCSRF reports whether the form's token matches secret, in constant
// time.
func validCSRF(r *http.Request, secret string) bool {
	if secret == "" {
		return false
	}
	got := r.PostFormValue("csrf")
	want := csrfToken(secret)
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}
