package portal

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/ssogate/ssogate/internal/access"
	"github.com/ssogate/ssogate/internal/access/keys"
	"github.com/ssogate/ssogate/internal/access/policy"
	"github.com/ssogate/ssogate/internal/audit"
	"github.com/ssogate/ssogate/internal/ids"
	"github.com/ssogate/ssogate/internal/sso"
	"github.com/ssogate/ssogate/internal/store"
)

// AssertionTTL is how long a dashboard SSO assertion may take to reach the
// dashboard; it is accepted once.
const AssertionTTL = time.Minute

// Assertion is the signed statement Access gives the dashboard: this
// email signed in through this account's identity provider and the SSO
// App's policies admitted it.
type Assertion struct {
	Issuer        string        `json:"iss"`
	Audience      keys.Audience `json:"aud"`
	Email         string        `json:"email"`
	Subject       string        `json:"sub"`
	Type          string        `json:"type"`
	IdentityNonce string        `json:"identity_nonce"`
	JTI           string        `json:"jti"`
	IssuedAt      int64         `json:"iat"`
	NotBefore     int64         `json:"nbf"`
	Expiry        int64         `json:"exp"`
	AccountID     string        `json:"account_id"`
}

// handleDashSSO is where the "SSO App" tile points: with a session whose
// identity the SSO App's policies admit, it issues an assertion and hands
// it to the dashboard (a form post, so the token never sits in a URL).
func (p *Portal) handleDashSSO(w http.ResponseWriter, r *http.Request, org orgInfo) error {
	app, err := p.snap.AppOfType(r.Context(), org.AccountID, access.TypeDashSSO)
	if err != nil {
		return err
	}
	if app == nil {
		return &pageError{status: http.StatusNotFound, title: "Dashboard SSO is not enabled",
			message: "This team has no SSO App: enable an SSO connector for your email domain first."}
	}
	id, err := p.requireIdentity(w, r, org, app)
	if err != nil {
		return ignoreRedirect(err)
	}
	if d := p.decide(*app, id, r); d.Result != policy.ResultAllow {
		return denied(*app, d)
	}
	if err := p.vouches(r.Context(), org, id.Email); err != nil {
		return &pageError{status: http.StatusForbidden, title: "Access denied",
			message: "This team cannot sign you in to the dashboard: " + err.Error() + "."}
	}
	token, err := p.issueAssertion(r.Context(), org, *app, id)
	if err != nil {
		return err
	}
	p.audit(r, org.AccountID, actorOf(id), "dash_sso_assertion", true, nil)
	p.render(w, http.StatusOK, "assertion", struct{ ACS, Assertion, Email string }{p.dashboardACS, token, id.Email})
	return nil
}

func actorOf(id Identity) audit.Actor {
	return audit.Actor{ID: id.UserUUID, Email: id.Email, IP: id.IP, Type: "user", Interface: "Access"}
}

// vouches checks that this account may speak for the email's owner: only
// the account whose enabled SSO connector verified the email's domain. Any
// account controls its own IdPs and SSO App policies, so without this check
// one tenant could sign in as another tenant's users.
func (p *Portal) vouches(ctx context.Context, org orgInfo, email string) error {
	domain := strings.ToLower(email[strings.LastIndexByte(email, '@')+1:])
	if c, err := sso.EnabledForDomain(ctx, p.db, domain); err != nil || c.AccountID != org.AccountID {
		return fmt.Errorf("%s is not an enabled SSO connector domain of this account", domain)
	}
	return nil
}

func (p *Portal) issueAssertion(ctx context.Context, org orgInfo, app access.App, id Identity) (string, error) {
	now := p.now()
	a := Assertion{Issuer: org.TeamURL, Audience: keys.Audience{app.AUD}, Email: id.Email, Subject: id.UserUUID,
		Type: "dash_sso", IdentityNonce: id.IdentityNonce, JTI: ids.NewHex32(), IssuedAt: now.Unix(),
		NotBefore: now.Unix(), Expiry: now.Add(AssertionTTL).Unix(), AccountID: org.AccountID}
	return p.keys.Sign(ctx, org.AccountID, a)
}

// Assertion errors.
var (
	ErrAssertionInvalid = errors.New("invalid dashboard SSO assertion")
	ErrAssertionReplay  = errors.New("dashboard SSO assertion already used")
)

// ConsumeAssertion checks an assertion for the dashboard — signature by the
// account's current or previous key, issuer = that account's team URL,
// audience = its SSO App, type, time window — and records its jti so it
// is accepted once.
func (p *Portal) ConsumeAssertion(ctx context.Context, token string) (Assertion, error) {
	var a Assertion
	unverified, err := peekClaims(token)
	if err != nil {
		return a, fmt.Errorf("%w: %v", ErrAssertionInvalid, err)
	}
	org, err := p.org(ctx, strings.TrimPrefix(strings.TrimPrefix(unverified.Issuer, "https://"), "http://"))
	if err != nil || org.AccountID != unverified.AccountID {
		return a, fmt.Errorf("%w: unknown issuer", ErrAssertionInvalid)
	}
	if err := p.keys.Verify(ctx, org.AccountID, token, &a); err != nil {
		return a, fmt.Errorf("%w: %v", ErrAssertionInvalid, err)
	}
	if err := p.checkAssertion(ctx, org, a); err != nil {
		return a, err
	}
	if err := p.vouches(ctx, org, a.Email); err != nil {
		return a, fmt.Errorf("%w: %v", ErrAssertionInvalid, err)
	}
	_, err = p.db.ExecContext(ctx, `INSERT INTO access_assertions (jti, account_id, used_on, expires_on) VALUES ($1,$2,$3,$4)`,
		a.JTI, org.AccountID, store.Micros(p.now()), store.Micros(time.Unix(a.Expiry, 0)))
	if store.IsUniqueViolation(err) {
		return a, ErrAssertionReplay
	}
	return a, err
}

func (p *Portal) checkAssertion(ctx context.Context, org orgInfo, a Assertion) error {
	dash, err := p.snap.AppOfType(ctx, org.AccountID, access.TypeDashSSO)
	if err != nil {
		return err
	}
	now := p.now().Unix()
	lw := int64(p.leeway.Seconds())
	switch {
	case dash == nil || !a.Audience.Contains(dash.AUD):
		return fmt.Errorf("%w: audience is not this account's SSO App", ErrAssertionInvalid)
	case a.Issuer != org.TeamURL || a.Type != "dash_sso" || a.JTI == "" || a.Email == "":
		return fmt.Errorf("%w: wrong issuer, type or missing claims", ErrAssertionInvalid)
	case a.Expiry+lw < now:
		return fmt.Errorf("%w: expired", ErrAssertionInvalid)
	case a.NotBefore-lw > now || a.IssuedAt-lw > now:
		return fmt.Errorf("%w: not valid yet", ErrAssertionInvalid)
	}
	return nil
}

// peekClaims decodes a JWT's payload without verifying it, to learn which
// account's keys to verify it with.
func peekClaims(token string) (Assertion, error) {
	var a Assertion
	return a, peekJWT(token, &a)
}

// peekJWT decodes a JWT's payload into dst without verifying it: only to
// find whose key must verify it.
func peekJWT(token string, dst any) error {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return errors.New("not a JWT")
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, dst)
}
