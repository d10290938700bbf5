package refop

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// authorize is op.Authorize with authentik's differences: no scope means
// every configured scope, the request object is refused (authentik:
// request_parameter_supported false), auto-login answers with the code
// straight away, and an error that must not be redirected (unknown client,
// unregistered redirect_uri) gets an HTML page rather than plain text.
// Everything else (redirect_uri, response_type, PKCE method, id_token_hint
// checks, error redirects) is the library's.
func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	authReq, err := op.ParseAuthorizeRequest(r, p.op.Decoder())
	if err != nil {
		p.errorPage(w, r, err)
		return
	}
	if len(authReq.Scopes) == 0 {
		authReq.Scopes = supportedScopes
	}
	client, err := p.store.GetClientByClientID(ctx, authReq.ClientID)
	if err != nil {
		p.errorPage(w, r, oidc.ErrInvalidRequestRedirectURI().WithDescription("Unknown client_id.").WithParent(err))
		return
	}
	if _, err := op.ValidateAuthRequestClient(ctx, authReq, client, p.op.IDTokenHintVerifier(ctx)); err != nil {
		p.authError(w, r, authReq, err)
		return
	}
	// From here on redirect_uri is registered, so errors may go back to it.
	if authReq.RequestParam != "" {
		p.authError(w, r, authReq, oidc.ErrRequestNotSupported())
		return
	}
	req, err := p.store.CreateAuthRequest(ctx, authReq, "")
	if err != nil {
		p.authError(w, r, authReq, err)
		return
	}
	username := p.store.autoLoginUser()
	if username == "" {
		http.Redirect(w, r, p.loginURL(req.GetID()), http.StatusFound)
		return
	}
	done, err := p.store.completeLogin(req.GetID(), username)
	if err != nil {
		slog.ErrorContext(ctx, "refop: auto-login", "user", username, "error", err)
		renderPage(w, http.StatusInternalServerError, "message", pageData{
			Title: "Sign-in failed", Message: "The auto-login user " + username + " does not exist on this provider.",
		})
		return
	}
	op.AuthResponse(done, p.op, w, r)
}

// authError redirects the error to the client when the library allows it,
// and otherwise renders an error page: never a redirect to an unchecked URI.
func (p *Provider) authError(w http.ResponseWriter, r *http.Request, authReq *oidc.AuthRequest, err error) {
	var oe *oidc.Error
	if !errors.As(err, &oe) || oe.IsRedirectDisabled() {
		p.errorPage(w, r, err)
		return
	}
	op.AuthRequestError(w, r, authReq, err, p.op)
}

func (p *Provider) errorPage(w http.ResponseWriter, r *http.Request, err error) {
	e := oidc.DefaultToServerError(err, "")
	slog.InfoContext(r.Context(), "refop: authorize refused", "error", e.ErrorType, "description", e.Description, "cause", e.Parent)
	status := http.StatusBadRequest
	if e.ErrorType == oidc.ServerError {
		status = http.StatusInternalServerError
	}
	renderPage(w, status, "message", pageData{
		Title: "Request refused", Message: e.Description, Code: string(e.ErrorType),
	})
}
