package portal

import (
	"net/http"
	"strings"

	"github.com/ssogate/ssogate/internal/access"
	"github.com/ssogate/ssogate/internal/metrics"
	"github.com/ssogate/ssogate/internal/store"
)

// What the portal tells the metrics and the request log (internal/metrics):
// the route of a request to an application host, the account and actor
// behind it, the Access decision, sign-ins by IdP and outcome. Everything
// on the admitted path is counted without allocating: label children are
// resolved once per application, and the actor is kept as two strings the
// request already holds.

// proxyRoute is the route label of every request for an application's own
// paths: those are the application's, unbounded, never a label.
const proxyRoute = "proxy"

// gatewayRoute is the route label of a request to an application host.
func gatewayRoute(path string) string {
	if !strings.HasPrefix(path, "/cdn-cgi/access/") {
		return proxyRoute
	}
	switch path {
	case "/cdn-cgi/access/authorized", "/cdn-cgi/access/logout", "/cdn-cgi/access/assets/style.css",
		"/cdn-cgi/access/get-identity":
		return path
	}
	return metrics.Unmatched
}

// decided counts how a request for app was admitted (or not), and tells
// the request log the account and who was admitted.
func (p *Portal) decided(r *http.Request, app *access.App, adm admission, err error) {
	q := metrics.RequestOf(r.Context())
	q.SetAccount(app.AccountID)
	var d metrics.Decision
	switch {
	case err == nil && adm.user != "":
		d = metrics.DecisionAllow
		q.SetActor("user", adm.user)
	case err == nil && adm.token == "":
		d = metrics.DecisionBypass
	case err == nil:
		d = metrics.DecisionServiceToken
	case store.IsUnavailable(err):
		d = metrics.DecisionError
	default:
		d = metrics.DecisionLoginRequired
		if _, ok := isServiceRefusal(err); ok {
			d = metrics.DecisionServiceTokenDenied
		}
	}
	p.metrics.AccessDecision(app.ID, app.Name, d)
}

// countLogin counts a sign-in through an identity provider of type idpType
// and id idpID ("unknown" and "" before the login's IdP is known); reason
// is empty for a success, else the federation failure reason (a fixed set).
func (p *Portal) countLogin(idpType, idpID, reason string) {
	if reason == "" {
		p.metrics.Login(metrics.FlowAccess, idpType, idpID, metrics.LoginSuccess, "")
		return
	}
	p.metrics.Login(metrics.FlowAccess, idpType, idpID, metrics.LoginFailure, reason)
}

// SessionCacheStats are the session cache's hits and misses since start.
func (p *Portal) SessionCacheStats() (hits, misses uint64) {
	return p.sessions.hits.Load(), p.sessions.misses.Load()
}
