package dashboard

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/ssogate/ssogate/internal/access/portal"
	"github.com/ssogate/ssogate/internal/accounts"
	"github.com/ssogate/ssogate/internal/api"
	"github.com/ssogate/ssogate/internal/audit"
	"github.com/ssogate/ssogate/internal/metrics"
	"github.com/ssogate/ssogate/internal/ratelimit"
	"github.com/ssogate/ssogate/internal/sso"
	"github.com/ssogate/ssogate/internal/store"
)

// loginPage is the data of the login templates.
type loginPage struct {
	Email   string
	Next    string
	Step    string // "email", "password" or "message"
	Message string // an alert above the form
	Notice  string // a neutral note, e.g. "you are signed out"
}

// nextCookie carries the page to return to across the SSO round trip.
const nextCookie = "ssogate_next"

func (d *Dashboard) handleLoginForm(rq *req) error {
	next := portal.SafeRedirect(rq.URL.Query().Get("next"))
	if rq.sess != nil {
		return redirect(rq, d.landing(rq.ctx(), rq.sess.Email, "", next))
	}
	lp := loginPage{Step: "email", Next: next}
	switch rq.URL.Query().Get("done") {
	case "signed_out":
		lp.Notice = "You are signed out."
	case "expired":
		lp.Notice = "Your session ended. Sign in again."
	}
	return d.render(rq, http.StatusOK, "login", "Sign in", lp)
}

// handleEmail is the email step: SSO for enforced domains, the password
// step for other members, a clear refusal for everyone else.
func (d *Dashboard) handleEmail(rq *req) error {
	next := portal.SafeRedirect(rq.PostFormValue("next"))
	email, err := accounts.NormalizeEmail(rq.PostFormValue("email"))
	if err != nil {
		return d.loginMessage(rq, http.StatusBadRequest, rq.PostFormValue("email"), next,
			"Enter your email address, such as alice@example.com.")
	}
	members, err := accounts.MembersByEmail(rq.ctx(), d.db, email)
	if err != nil {
		return err
	}
	if len(members) == 0 {
		return d.notMember(rq, email, next)
	}
	target, err := d.ssoTarget(rq.ctx(), email)
	if err != nil {
		return err
	}
	if target != "" {
		d.setCookie(rq.w, nextCookie, next, 10*time.Minute)
		return redirect(rq, target)
	}
	return d.render(rq, http.StatusOK, "login", "Sign in", loginPage{Step: "password", Email: email, Next: next})
}

func (d *Dashboard) notMember(rq *req, email, next string) error {
	d.log.Info("dashboard login refused: not a member", "email", email, "ip", ipString(rq.ip))
	return d.loginMessage(rq, http.StatusForbidden, email, next, email+
		" is not a member of any account here. Ask an administrator of your account to add you, then sign in again.")
}

func (d *Dashboard) loginMessage(rq *req, status int, email, next, msg string) error {
	return d.render(rq, status, "login", "Sign in", loginPage{Step: "email", Email: email, Next: next, Message: msg})
}

// ssoTarget returns where an SSO-enforced email signs in: the owning
// account's team domain, which sends the browser through the IdP and back
// to /login/sso. It is empty when the domain is not enforced.
func (d *Dashboard) ssoTarget(ctx context.Context, email string) (string, error) {
	c, err := sso.EnabledForDomain(ctx, d.db, emailDomain(email))
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	org, err := d.access.GetOrganization(ctx, d.db, c.AccountID)
	if errors.Is(err, store.ErrNotFound) {
		return "", &pageError{status: http.StatusServiceUnavailable, title: "Single sign-on is not set up",
			message: "Sign-in for " + c.EmailDomain + " must go through single sign-on, but its account has no Access " +
				"team domain yet. An administrator can restore password sign-in by disabling the SSO connector with an API token.",
			back: "/login"}
	}
	if err != nil {
		return "", err
	}
	return d.access.TeamURL(org.AuthDomain) + "/cdn-cgi/access/sso/dash", nil
}

// handlePassword is the password step. SSO enforcement is checked again
// here: posting straight to this endpoint must not skip SSO.
func (d *Dashboard) handlePassword(rq *req) error {
	next := portal.SafeRedirect(rq.PostFormValue("next"))
	email, err := accounts.NormalizeEmail(rq.PostFormValue("email"))
	if err != nil {
		return d.loginMessage(rq, http.StatusBadRequest, "", next, "Enter your email address first.")
	}
	if err := d.rateLimit(rq, email); err != nil {
		d.countLogin(MethodPassword, "rate_limited")
		return err
	}
	members, err := accounts.MembersByEmail(rq.ctx(), d.db, email)
	if err != nil {
		return err
	}
	if len(members) == 0 {
		d.countLogin(MethodPassword, "not_member")
		return d.notMember(rq, email, next)
	}
	if target, err := d.ssoTarget(rq.ctx(), email); err != nil || target != "" {
		if err == nil {
			d.countLogin(MethodPassword, "sso_enforced")
			d.recordLogin(rq.ctx(), members, rq, email, MethodPassword, false, "single sign-on is enforced for this domain")
			d.setCookie(rq.w, nextCookie, next, 10*time.Minute)
			err = redirect(rq, target)
		}
		return err
	}
	user, err := accounts.UserByEmail(rq.ctx(), d.db, email)
	if err != nil {
		return err
	}
	if user.PasswordHash == "" || !accounts.CheckPassword(user.PasswordHash, rq.PostFormValue("password")) {
		reason, label := "wrong password", "wrong_password"
		msg := "Incorrect email or password."
		if user.PasswordHash == "" {
			reason, label = "no password set", "no_password"
			msg = "This account has no password: it signs in with single sign-on only. Ask an administrator to set a password if SSO is off."
		}
		d.countLogin(MethodPassword, label)
		d.recordLogin(rq.ctx(), members, rq, email, MethodPassword, false, reason)
		return d.render(rq, http.StatusUnauthorized, "login", "Sign in",
			loginPage{Step: "password", Email: email, Next: next, Message: msg})
	}
	return d.signIn(rq, user.ID, email, members, MethodPassword, "", next)
}

// Password attempts are limited per email (against guessing one user's
// password) and per client address (against trying many users), on every
// attempt whatever its outcome, shared by every instance on PostgreSQL.
var (
	loginPerEmail  = ratelimit.Policy{Name: "login-email", Every: time.Minute, Burst: 5}
	loginPerClient = ratelimit.Policy{Name: "login-ip", Every: 6 * time.Second, Burst: 20}
)

func (d *Dashboard) rateLimit(rq *req, email string) error {
	okEmail, waitEmail := d.byEmail.Take(rq.ctx(), email)
	okClient, waitClient := d.byClient.Take(rq.ctx(), ratelimit.ClientKey(rq.ip))
	if okEmail && okClient {
		return nil
	}
	// Whole seconds, rounded up: a client that waits as told is let in.
	wait := (max(waitEmail, waitClient) + time.Second - 1).Truncate(time.Second)
	rq.w.Header().Set("Retry-After", api.RetryAfterValue(wait))
	return &pageError{status: http.StatusTooManyRequests, title: "Too many attempts",
		message: fmt.Sprintf("Too many sign-in attempts. Wait %s and try again.", wait), back: "/login"}
}

// handleSSO receives the assertion Access posts after an SSO sign-in.
func (d *Dashboard) handleSSO(rq *req) error {
	a, err := d.portal.ConsumeAssertion(rq.ctx(), rq.PostFormValue("assertion"))
	if err != nil {
		d.countLogin(MethodSSO, "invalid_assertion")
		d.log.Info("dashboard SSO assertion refused", "error", err, "ip", ipString(rq.ip))
		if !errors.Is(err, portal.ErrAssertionInvalid) && !errors.Is(err, portal.ErrAssertionReplay) {
			return err
		}
		return &pageError{status: http.StatusBadRequest, title: "Single sign-on did not complete",
			message: "The sign-in from Access could not be accepted (" + err.Error() + "). Start again from the sign-in page.",
			back:    "/login"}
	}
	email := strings.ToLower(a.Email)
	members, err := accounts.MembersByEmail(rq.ctx(), d.db, email)
	if err != nil {
		return err
	}
	if len(members) == 0 {
		d.countLogin(MethodSSO, "not_member")
		_ = audit.Record(rq.ctx(), d.db, audit.Event{AccountID: a.AccountID, Action: "login", Result: false,
			Actor:    audit.Actor{ID: a.Subject, Email: email, IP: ipString(rq.ip), Type: "user", Interface: "UI"},
			Metadata: map[string]any{"method": MethodSSO, "reason": "not a member"}})
		return &pageError{status: http.StatusForbidden, title: "Not a member",
			message: "You signed in as " + email + ", but that address is not a member of any account here. " +
				"Ask an administrator of your account to add you.", back: "/login"}
	}
	user, err := accounts.UserByEmail(rq.ctx(), d.db, email)
	if err != nil {
		return err
	}
	next := "/"
	if c, err := rq.Cookie(nextCookie); err == nil {
		next = portal.SafeRedirect(c.Value)
		d.setCookie(rq.w, nextCookie, "", -1)
	}
	return d.signIn(rq, user.ID, email, members, MethodSSO, a.AccountID, next)
}

// signIn starts a session, records the login in every account the user
// belongs to, and sends the browser on.
func (d *Dashboard) signIn(rq *req, userID, email string, members []accounts.Member, method, via, next string) error {
	var secret string
	err := d.db.Tx(rq.ctx(), func(tx *sql.Tx) error {
		var err error
		if err = accounts.AcceptPending(rq.ctx(), tx, userID); err != nil {
			return err
		}
		if secret, err = d.startSession(rq.ctx(), tx, userID, method, ipString(rq.ip), rq.UserAgent()); err != nil {
			return err
		}
		return d.recordLoginTx(rq.ctx(), tx, members, rq, userID, email, method, true, "")
	})
	if err != nil {
		return err
	}
	d.countLogin(method, "")
	d.setCookie(rq.w, d.sessionCookie(), secret, SessionAbsolute)
	return redirect(rq, d.landing(rq.ctx(), email, via, next))
}

// landing is where a signed-in user goes: next when it is a real page,
// else the home of the account that vouched for an SSO login, else the
// first account.
func (d *Dashboard) landing(ctx context.Context, email, via, next string) string {
	if next != "/" && next != "" {
		return next
	}
	members, err := accounts.MembersByEmail(ctx, d.db, email)
	if err != nil || len(members) == 0 {
		return "/login"
	}
	for _, m := range members {
		if m.AccountID == via {
			return "/" + m.AccountID + "/home"
		}
	}
	return "/" + members[0].AccountID + "/home"
}

func (d *Dashboard) recordLogin(ctx context.Context, members []accounts.Member, rq *req, email, method string, ok bool, reason string) {
	if err := d.recordLoginTx(ctx, d.db, members, rq, "", email, method, ok, reason); err != nil {
		d.log.Error("audit dashboard login", "error", err)
	}
}

// countLogin counts a sign-in attempt for the metrics: reason is empty
// for a success, else one word from a fixed set (never the email).
func (d *Dashboard) countLogin(method, reason string) {
	if reason == "" {
		d.metrics.Login(metrics.FlowDashboard, method, "", metrics.LoginSuccess, "")
		return
	}
	d.metrics.Login(metrics.FlowDashboard, method, "", metrics.LoginFailure, reason)
}

// recordLoginTx writes a login event into every account the user belongs
// to: each account's admins see their members' sign-ins.
func (d *Dashboard) recordLoginTx(ctx context.Context, q store.Querier, members []accounts.Member, rq *req, userID, email, method string, ok bool, reason string) error {
	meta := map[string]any{"method": method}
	if reason != "" {
		meta["reason"] = reason
	}
	if userID == "" && len(members) > 0 {
		userID = members[0].UserID
	}
	for _, m := range members {
		if err := audit.Record(ctx, q, audit.Event{AccountID: m.AccountID, Action: "login", Result: ok,
			Actor:      audit.Actor{ID: userID, Email: email, IP: ipString(rq.ip), Type: "user", Interface: "UI"},
			ResourceID: userID, ResourceType: "user", Metadata: meta}); err != nil {
			return err
		}
	}
	return nil
}

// handleLogout ends the session.
func (d *Dashboard) handleLogout(rq *req) error {
	if _, err := d.revokeSession(rq.ctx(), d.db, rq.sess.UserID, rq.sess.ID); err != nil {
		return err
	}
	for _, m := range rq.memberships {
		_ = audit.Record(rq.ctx(), d.db, audit.Event{AccountID: m.AccountID, Action: "logout", Result: true,
			ResourceID: rq.sess.UserID, ResourceType: "user"})
	}
	d.setCookie(rq.w, d.sessionCookie(), "", -1)
	return redirect(rq, "/login?done=signed_out")
}
