package dashboard

import "net/http"

// routes registers every dashboard page. Account pages live under
// /{account_id}/ so the id can be copied from the address bar, as the
// guide tells admins to.
func (d *Dashboard) routes() {
	m := d.mux
	m.HandleFunc("GET /assets/v1/{file}", serveAsset)
	m.HandleFunc("GET /{$}", d.signedIn(d.handleRoot))
	m.HandleFunc("GET /login", d.public(d.handleLoginForm))
	m.HandleFunc("POST /login", d.public(d.handleEmail))
	m.HandleFunc("POST /login/password", d.public(d.handlePassword))
	m.HandleFunc("POST /login/sso", d.assertionEndpoint(d.handleSSO))
	m.HandleFunc("POST /logout", d.signedIn(d.handleLogout))
	m.HandleFunc("GET /profile", d.signedIn(d.handleProfile))
	m.HandleFunc("POST /profile/sessions/revoke", d.signedIn(d.handleRevokeSession))
	m.HandleFunc("POST /profile/sessions/revoke-others", d.signedIn(d.handleRevokeOthers))

	m.HandleFunc("GET /{account_id}/{$}", d.inAccount(func(rq *req) error { return redirect(rq, "/"+rq.account.ID+"/home") }))
	m.HandleFunc("GET /{account_id}/home", d.inAccount(d.handleHome))

	m.HandleFunc("GET /{account_id}/sso", d.inAccount(d.handleSSOPage))
	m.HandleFunc("POST /{account_id}/sso", d.inAccount(d.handleCreateConnector))
	m.HandleFunc("POST /{account_id}/sso/{id}/check", d.inAccount(d.handleCheckConnector))
	m.HandleFunc("POST /{account_id}/sso/{id}/enable", d.inAccount(d.toggleConnector(true)))
	m.HandleFunc("POST /{account_id}/sso/{id}/disable", d.inAccount(d.toggleConnector(false)))
	m.HandleFunc("POST /{account_id}/sso/{id}/delete", d.inAccount(d.handleDeleteConnector))

	m.HandleFunc("GET /{account_id}/api-tokens", d.inAccount(d.handleTokens))
	m.HandleFunc("GET /{account_id}/api-tokens/new", d.inAccount(d.handleNewToken))
	m.HandleFunc("POST /{account_id}/api-tokens", d.inAccount(d.handleCreateToken))
	m.HandleFunc("POST /{account_id}/api-tokens/{id}/roll", d.inAccount(d.handleRollToken))
	m.HandleFunc("POST /{account_id}/api-tokens/{id}/status", d.inAccount(d.handleTokenStatus))
	m.HandleFunc("POST /{account_id}/api-tokens/{id}/delete", d.inAccount(d.handleDeleteToken))

	m.HandleFunc("GET /{account_id}/members", d.inAccount(d.handleMembers))
	m.HandleFunc("POST /{account_id}/members", d.inAccount(d.handleAddMember))
	m.HandleFunc("POST /{account_id}/members/{id}/role", d.inAccount(d.handleMemberRole))
	m.HandleFunc("POST /{account_id}/members/{id}/remove", d.inAccount(d.handleRemoveMember))

	m.HandleFunc("GET /{account_id}/access", d.inAccount(d.handleAccess))
	m.HandleFunc("POST /{account_id}/access/identity-providers/{id}/test", d.inAccount(d.handleTestIdP))
	m.HandleFunc("POST /{account_id}/access/organization", d.inAccount(d.handleOrganization))
	m.HandleFunc("GET /{account_id}/access/identity-providers/new", d.inAccount(d.handleNewIdP))
	m.HandleFunc("POST /{account_id}/access/identity-providers", d.inAccount(d.handleCreateIdP))
	m.HandleFunc("POST /{account_id}/access/identity-providers/{id}/delete", d.inAccount(d.handleDeleteIdP))
	m.HandleFunc("GET /{account_id}/access/apps/new", d.inAccount(d.handleNewApp))
	m.HandleFunc("POST /{account_id}/access/apps", d.inAccount(d.handleCreateApp))
	m.HandleFunc("POST /{account_id}/access/apps/{id}/delete", d.inAccount(d.handleDeleteApp))
	m.HandleFunc("GET /{account_id}/access/policies/new", d.inAccount(d.handleNewPolicy))
	m.HandleFunc("POST /{account_id}/access/policies", d.inAccount(d.handleCreatePolicy))
	m.HandleFunc("POST /{account_id}/access/policies/{id}/delete", d.inAccount(d.handleDeletePolicy))
	m.HandleFunc("GET /{account_id}/access/service-tokens", d.inAccount(d.handleServiceTokens))
	m.HandleFunc("POST /{account_id}/access/service-tokens", d.inAccount(d.handleCreateServiceToken))
	m.HandleFunc("POST /{account_id}/access/service-tokens/{id}/rotate", d.inAccount(d.handleRotateServiceToken))
	m.HandleFunc("POST /{account_id}/access/service-tokens/{id}/refresh", d.inAccount(d.handleRefreshServiceToken))
	m.HandleFunc("POST /{account_id}/access/service-tokens/{id}/delete", d.inAccount(d.handleDeleteServiceToken))

	m.HandleFunc("GET /{account_id}/audit-log", d.inAccount(d.handleAuditLog))

	m.HandleFunc("/", d.public(func(rq *req) error {
		return &pageError{status: http.StatusNotFound, title: "Not found", message: "There is nothing at this address.", back: "/"}
	}))
}

// assertionEndpoint wraps /login/sso: a cross-site form post from the team
// domain, so no CSRF token; the signed one-time assertion is the proof.
func (d *Dashboard) assertionEndpoint(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rq := d.newReq(w, r)
		if err := h(rq); err != nil {
			d.fail(rq, err)
		}
	}
}

// handleRoot sends a signed-in user to their first account.
func (d *Dashboard) handleRoot(rq *req) error {
	if len(rq.memberships) == 0 {
		return &pageError{status: http.StatusForbidden, title: "No account",
			message: "You are not a member of any account any more. Ask an administrator to add you."}
	}
	return redirect(rq, "/"+rq.memberships[0].AccountID+"/home")
}
