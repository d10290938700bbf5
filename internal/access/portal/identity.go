package portal

import (
	"encoding/json"
	"net/http"
)

func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	return json.NewEncoder(w).Encode(v)
}

// handleCerts publishes the account's signing keys (current and previous).
func (p *Portal) handleCerts(w http.ResponseWriter, r *http.Request, org orgInfo) error {
	doc, err := p.keys.Certs(r.Context(), org.AccountID)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "public, max-age=300")
	return writeJSON(w, http.StatusOK, doc)
}

// handleGetIdentity answers the signed-in user's identity, never anyone
// else's: without a valid session it is an error status.
func (p *Portal) handleGetIdentity(w http.ResponseWriter, r *http.Request, org orgInfo) error {
	id, err := p.currentIdentity(r, org)
	if err != nil {
		return writeJSON(w, http.StatusUnauthorized, map[string]string{"err": "no valid session: sign in first"})
	}
	return writeJSON(w, http.StatusOK, id)
}

// handleLogout ends the session: the cookie is cleared and the session
// revoked, so tokens issued for it are refused from now on.
func (p *Portal) handleLogout(w http.ResponseWriter, r *http.Request, org orgInfo) error {
	if id, err := p.currentIdentity(r, org); err == nil {
		if err := p.revoke(r.Context(), org.AccountID, id.IdentityNonce); err != nil {
			return err
		}
		p.audit(r, org.AccountID, actorOf(id), "logout", true, nil)
	}
	p.setCookie(w, authCookie, "", 0)
	p.render(w, http.StatusOK, "signedout", nil)
	return nil
}
