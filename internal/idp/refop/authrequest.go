package refop

import (
	"errors"
	"slices"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// authRequest is one /authorize call on its way to a code. The stored value
// is only touched under storage.mu; the library gets copies, so its getters
// never race with a login completing.
type authRequest struct {
	id, clientID, redirectURI, state, nonce string
	scopes                                  []string
	responseType                            oidc.ResponseType
	responseMode                            oidc.ResponseMode
	challenge                               *oidc.CodeChallenge

	subject   string
	authTime  time.Time // provider clock, ClockOffset included
	done      bool
	code      string
	exchanged bool
	binding   string // login-form cookie value; see login.go
	failures  int

	skew func() time.Duration
}

var _ op.AuthRequest = (*authRequest)(nil)

func (a *authRequest) copy() *authRequest {
	c := *a
	c.scopes = slices.Clone(a.scopes)
	return &c
}

func (a *authRequest) GetID() string                         { return a.id }
func (a *authRequest) GetACR() string                        { return authentikACR }
func (a *authRequest) GetAudience() []string                 { return []string{a.clientID} }
func (a *authRequest) GetClientID() string                   { return a.clientID }
func (a *authRequest) GetCodeChallenge() *oidc.CodeChallenge { return a.challenge }
func (a *authRequest) GetNonce() string                      { return a.nonce }
func (a *authRequest) GetRedirectURI() string                { return a.redirectURI }
func (a *authRequest) GetResponseType() oidc.ResponseType    { return a.responseType }
func (a *authRequest) GetResponseMode() oidc.ResponseMode    { return a.responseMode }
func (a *authRequest) GetScopes() []string                   { return a.scopes }
func (a *authRequest) GetState() string                      { return a.state }
func (a *authRequest) GetSubject() string                    { return a.subject }
func (a *authRequest) Done() bool                            { return a.done }

func (a *authRequest) GetAMR() []string {
	if a.done {
		return []string{"pwd"}
	}
	return nil
}

// GetAuthTime is read by the library, which subtracts ClockSkew from it;
// adding the skew back makes auth_time the provider-clock login time.
func (a *authRequest) GetAuthTime() time.Time { return a.authTime.Add(a.skew()) }

var errLoginGone = errors.New("this sign-in request is unknown, expired or already finished; start again from the application")

// pendingLogin returns a copy of a request still waiting for its login.
func (s *storage) pendingLogin(id string) (*authRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ar, ok := s.authReqs.get(s.now(), id)
	if !ok || ar.done {
		return nil, errLoginGone
	}
	return ar.copy(), nil
}

// bindLogin ties a pending request to a fresh browser cookie value.
func (s *storage) bindLogin(id string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ar, ok := s.authReqs.get(s.now(), id)
	if !ok || ar.done {
		return "", errLoginGone
	}
	ar.binding = randomID()
	return ar.binding, nil
}

// checkBinding verifies the login-form cookie for a pending request.
func (s *storage) checkBinding(id, binding string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ar, ok := s.authReqs.get(s.now(), id)
	if !ok || ar.done {
		return errLoginGone
	}
	if ar.binding == "" || !equalSecret(ar.binding, binding) {
		return errLoginBinding
	}
	return nil
}

// completeLogin marks a pending request as signed in by username and returns
// a copy to answer with.
func (s *storage) completeLogin(id, username string) (*authRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ar, ok := s.authReqs.get(s.now(), id)
	if !ok || ar.done {
		return nil, errLoginGone
	}
	u, ok := s.users[username]
	if !ok {
		return nil, errUnknownUser
	}
	ar.subject = s.hashedID(u.ID)
	ar.authTime = s.clock()
	ar.done = true
	return ar.copy(), nil
}

// loginFailed counts a wrong password and drops the request after too many.
func (s *storage) loginFailed(id string) (tooMany bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ar, ok := s.authReqs.get(s.now(), id)
	if !ok {
		return true
	}
	ar.failures++
	if ar.failures >= maxLoginErrors {
		s.authReqs.del(id)
		return true
	}
	return false
}

var (
	errLoginBinding = errors.New("this sign-in form was not opened in this browser; start again from the application")
	errUnknownUser  = errors.New("user not found")
)
