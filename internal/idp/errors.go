package idp

import "fmt"

// LoginError is every failure of a federated login. Reason is stable (it
// is stored with the failed login in the audit log); Message is meant for
// the admin and, on the error page, the user; Cause is for the log. None
// of them holds a secret, a code, a verifier or a token.
type LoginError struct {
	Protocol string // "oidc" or "saml"
	Reason   string
	Message  string
	Cause    error
}

func (e *LoginError) Error() string {
	s := e.Protocol + " login failed: " + e.Reason + ": " + e.Message
	if e.Cause != nil {
		s += " (" + e.Cause.Error() + ")"
	}
	return s
}

func (e *LoginError) Unwrap() error { return e.Cause }

// Fail builds a *LoginError; it returns error so that a nil *LoginError
// can never become a non-nil error by accident.
func Fail(protocol, reason string, cause error, format string, args ...any) error {
	return &LoginError{Protocol: protocol, Reason: reason, Message: fmt.Sprintf(format, args...), Cause: cause}
}
