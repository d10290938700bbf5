package refop

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// Lifetimes follow authentik's defaults where it has one.
const (
	loginTTL       = 10 * time.Minute // an auth request waiting for its login
	codeTTL        = time.Minute      // authentik: access_code_validity minutes=1
	tokenTTL       = time.Hour        // authentik: access_token_validity hours=1; the ID token shares it
	maxAuthReqs    = 10_000
	maxCodes       = 10_000
	maxTokens      = 100_000
	authentikACR   = "goauthentik.io/providers/oauth2/default"
	maxLoginErrors = 10
)

var supportedScopes = []string{oidc.ScopeOpenID, oidc.ScopeEmail, oidc.ScopeProfile}

// storage implements op.Storage in memory. One mutex guards everything so
// an auth request, its code and its tokens change together.
type storage struct {
	now       func() time.Time
	offset    time.Duration
	omitEmail bool
	installID string
	keys      *keyring
	loginURL  func(authRequestID string) string

	mu        sync.Mutex
	users     map[string]User   // by username
	subjects  map[string]string // sub -> username
	clients   map[string]Client // by id
	autoLogin string
	authReqs  *expiring[*authRequest] // by id
	codes     *expiring[string]       // code -> auth request id
	tokens    *expiring[*accessToken] // by token id
}

type accessToken struct {
	subject, clientID string
	scopes            []string
	expires           time.Time // provider frame, without ClockOffset
}

var _ interface {
	op.Storage
	op.CanSetUserinfoFromRequest
} = (*storage)(nil)

func newStorage(cfg Config, installID string) *storage {
	return &storage{
		now:       cfg.Now,
		offset:    cfg.ClockOffset,
		omitEmail: cfg.OmitEmailClaim,
		installID: installID,
		users:     make(map[string]User),
		subjects:  make(map[string]string),
		clients:   make(map[string]Client),
		autoLogin: cfg.AutoLogin,
		authReqs:  newExpiring[*authRequest](maxAuthReqs),
		codes:     newExpiring[string](maxCodes),
		tokens:    newExpiring[*accessToken](maxTokens),
	}
}

// clock is the time the provider asserts in tokens: Now shifted by
// ClockOffset.
func (s *storage) clock() time.Time { return s.now().Add(s.offset) }

// skew is what the library must subtract from its own time.Now() to land on
// clock(). The library stamps iat and exp with time.Now() and offers only a
// per-client ClockSkew, so ClockOffset and an injected Now both go through it.
func (s *storage) skew() time.Duration { return time.Now().Sub(s.clock()) }

func randomID() string {
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// CreateAuthRequest stores a validated authorization request. The subject
// of an id_token_hint is ignored: the login decides who signs in.
func (s *storage) CreateAuthRequest(_ context.Context, req *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	ar := &authRequest{
		id:           randomID(),
		clientID:     req.ClientID,
		redirectURI:  req.RedirectURI,
		state:        req.State,
		nonce:        req.Nonce,
		scopes:       slices.Clone(req.Scopes),
		responseType: req.ResponseType,
		responseMode: req.ResponseMode,
		skew:         s.skew,
	}
	if req.CodeChallenge != "" {
		method := req.CodeChallengeMethod
		if method == "" {
			method = oidc.CodeChallengeMethodPlain // authentik's default too
		}
		ar.challenge = &oidc.CodeChallenge{Challenge: req.CodeChallenge, Method: method}
	}
	if slices.Equal(req.Prompt, []string{oidc.PromptNone}) && s.autoLoginUser() == "" {
		return nil, oidc.ErrLoginRequired()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.authReqs.put(s.now(), ar.id, ar, loginTTL); err != nil {
		return nil, oidc.ErrServerError().WithParent(err)
	}
	return ar.copy(), nil
}

func (s *storage) AuthRequestByID(_ context.Context, id string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ar, ok := s.authReqs.get(s.now(), id)
	if !ok {
		return nil, errors.New("auth request unknown or expired")
	}
	return ar.copy(), nil
}

func (s *storage) AuthRequestByCode(_ context.Context, code string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	id, ok := s.codes.get(now, code)
	if !ok {
		return nil, errors.New("code unknown, expired or already used")
	}
	ar, ok := s.authReqs.get(now, id)
	if !ok || ar.exchanged {
		return nil, errors.New("code unknown, expired or already used")
	}
	return ar.copy(), nil
}

// SaveAuthCode binds a fresh code to its request for one minute; the request
// lives at least as long, so it cannot vanish under a valid code.
func (s *storage) SaveAuthCode(_ context.Context, id, code string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	ar, ok := s.authReqs.get(now, id)
	if !ok {
		return errors.New("auth request unknown or expired")
	}
	if err := s.codes.put(now, code, id, codeTTL); err != nil {
		return oidc.ErrServerError().WithParent(err)
	}
	ar.code = code
	return s.authReqs.put(now, id, ar, codeTTL)
}

func (s *storage) DeleteAuthRequest(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ar, ok := s.authReqs.get(s.now(), id); ok {
		s.codes.del(ar.code)
	}
	s.authReqs.del(id)
	return nil
}

// CreateAccessToken is where a code is spent: the library calls it only
// after the client, redirect_uri and PKCE checks passed, so a failed attempt
// does not burn the code, and of two concurrent redemptions exactly one wins.
func (s *storage) CreateAccessToken(_ context.Context, req op.TokenRequest) (string, time.Time, error) {
	ar, ok := req.(*authRequest)
	if !ok {
		return "", time.Time{}, oidc.ErrUnsupportedGrantType()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	stored, ok := s.authReqs.get(now, ar.id)
	if !ok || stored.exchanged {
		return "", time.Time{}, oidc.ErrInvalidGrant().WithDescription("code already used")
	}
	stored.exchanged = true
	s.codes.del(stored.code)
	id := randomID()
	tok := &accessToken{subject: stored.subject, clientID: stored.clientID, scopes: stored.scopes, expires: now.Add(tokenTTL)}
	if err := s.tokens.put(now, id, tok, tokenTTL); err != nil {
		return "", time.Time{}, oidc.ErrServerError().WithParent(err)
	}
	// The library turns this into expires_in by adding ClockSkew and
	// subtracting its time.Now(): clock()+TTL comes out as exactly TTL.
	return id, s.clock().Add(tokenTTL), nil
}

func (s *storage) CreateAccessAndRefreshTokens(context.Context, op.TokenRequest, string) (string, string, time.Time, error) {
	return "", "", time.Time{}, oidc.ErrUnsupportedGrantType().WithDescription("refresh tokens are not issued")
}

func (s *storage) TokenRequestByRefreshToken(context.Context, string) (op.RefreshTokenRequest, error) {
	return nil, oidc.ErrInvalidGrant().WithDescription("refresh tokens are not issued")
}

func (s *storage) GetRefreshTokenInfo(context.Context, string, string) (string, string, error) {
	return "", "", op.ErrInvalidRefreshToken
}

func (s *storage) TerminateSession(_ context.Context, userID, clientID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens.each(s.now(), func(id string, t *accessToken) {
		if t.subject == userID && (clientID == "" || t.clientID == clientID) {
			s.tokens.del(id)
		}
	})
	return nil
}

func (s *storage) RevokeToken(_ context.Context, tokenID, _, clientID string) *oidc.Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens.get(s.now(), tokenID)
	if !ok {
		return nil // RFC 7009: revoking an unknown token succeeds
	}
	if t.clientID != clientID {
		return oidc.ErrInvalidClient().WithDescription("token was not issued to this client")
	}
	s.tokens.del(tokenID)
	return nil
}

func (s *storage) SigningKey(context.Context) (op.SigningKey, error) { return s.keys.signing(), nil }

func (s *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{s.keys.advertised()}, nil
}

func (s *storage) KeySet(context.Context) ([]op.Key, error) { return s.keys.public(), nil }

func (s *storage) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	c, ok := s.client(id)
	if !ok {
		return nil, fmt.Errorf("client %q not found", id)
	}
	return &opClient{Client: c, store: s}, nil
}

func (s *storage) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	c, ok := s.client(id)
	if !ok || c.Secret == "" || !equalSecret(c.Secret, secret) {
		return errors.New("wrong client id or secret")
	}
	return nil
}

// SetUserinfoFromScopes is deprecated in the library; SetUserinfoFromRequest
// does the work for ID tokens.
func (s *storage) SetUserinfoFromScopes(context.Context, *oidc.UserInfo, string, string, []string) error {
	return nil
}

func (s *storage) SetUserinfoFromRequest(_ context.Context, info *oidc.UserInfo, req op.IDTokenRequest, scopes []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.userBySubject(req.GetSubject())
	if !ok {
		return errors.New("user no longer exists")
	}
	s.fillClaims(info, req.GetSubject(), u, scopes)
	return nil
}

func (s *storage) SetUserinfoFromToken(_ context.Context, info *oidc.UserInfo, tokenID, subject, _ string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens.get(s.now(), tokenID)
	if !ok || t.subject != subject {
		return errors.New("access token unknown or expired")
	}
	u, ok := s.userBySubject(subject)
	if !ok {
		return errors.New("user no longer exists")
	}
	s.fillClaims(info, subject, u, t.scopes)
	return nil
}

func (s *storage) SetIntrospectionFromToken(_ context.Context, resp *oidc.IntrospectionResponse, tokenID, subject, clientID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.tokens.get(s.now(), tokenID)
	if !ok || t.subject != subject || t.clientID != clientID {
		return errors.New("token inactive for this client")
	}
	u, ok := s.userBySubject(subject)
	if !ok {
		return errors.New("user no longer exists")
	}
	info := new(oidc.UserInfo)
	s.fillClaims(info, subject, u, t.scopes)
	resp.SetUserInfo(info)
	resp.Scope = t.scopes
	resp.ClientID = t.clientID
	resp.Audience = []string{t.clientID}
	resp.Expiration = oidc.FromTime(t.expires.Add(s.offset))
	return nil
}

func (s *storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

func (s *storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errors.New("private_key_jwt is not supported")
}

func (s *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errors.New("the JWT profile grant is not supported")
}

func (s *storage) Health(context.Context) error { return nil }
