package portal

import (
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ssogate/ssogate/internal/access"
	federation "github.com/ssogate/ssogate/internal/idp"
	oidcrp "github.com/ssogate/ssogate/internal/idp/oidc"
	samlrp "github.com/ssogate/ssogate/internal/idp/saml"
	"github.com/ssogate/ssogate/internal/store"
)

// SAML responses arrive as a cross-site form post (HTTP-POST binding),
// which carries no SameSite=Lax cookie, so the login cannot be matched to
// its browser there. The post is parked for a moment and the browser is
// sent on with a GET (a top-level navigation, which carries CF_Session);
// that request completes the login exactly like an OIDC callback.

const parkTTL = 2 * time.Minute

// parked is a SAML response waiting for its browser.
type parked struct {
	Response string `json:"response"`
	Relay    string `json:"relay"`
}

func samlProvider(idp access.IdentityProvider, org orgInfo) samlrp.Provider {
	c := idp.Config
	return samlrp.Provider{EntityID: c.IssuerURL, SSOURL: c.SSOTargetURL, CertPEM: strings.Join(c.IdPPublicCerts, "\n"),
		ACSURL: callbackURL(org), EmailAttribute: c.EmailAttributeName, Attributes: c.Attributes}
}

// handleSAMLPost parks a posted SAMLResponse and continues with a GET. Its
// size was capped with every other form (ServeHTTP).
func (p *Portal) handleSAMLPost(w http.ResponseWriter, r *http.Request, org orgInfo) error {
	resp, relay := r.PostFormValue("SAMLResponse"), r.PostFormValue("RelayState")
	if resp == "" {
		return &pageError{status: http.StatusBadRequest, title: "Invalid sign-in response",
			message: "The identity provider posted no SAML response. Start the sign-in again."}
	}
	ref := randomToken()
	data, _ := json.Marshal(parked{Response: resp, Relay: relay})
	if _, err := p.db.ExecContext(r.Context(), `INSERT INTO access_logins (id, account_id, data, expires_on) VALUES ($1,$2,$3,$4)`,
		hashCookie("saml-post:"+ref), org.AccountID, string(data), store.Micros(p.now().Add(parkTTL))); err != nil {
		return err
	}
	http.Redirect(w, r, "/cdn-cgi/access/callback?"+url.Values{"saml_ref": {ref}}.Encode(), http.StatusSeeOther)
	return nil
}

// finishSAML completes a SAML login whose response was parked: the
// RelayState must be this browser's login state, and the response must
// answer its request.
func (p *Portal) finishSAML(r *http.Request, org orgInfo, idp access.IdentityProvider, l login) (oidcrp.Identity, error) {
	var got oidcrp.Identity
	pk, err := p.unpark(r, org)
	if err != nil || subtle.ConstantTimeCompare([]byte(pk.Relay), []byte(l.State)) != 1 {
		return got, federation.Fail("saml", oidcrp.ReasonStateMismatch, nil, "the SAML response does not belong to this browser's sign-in")
	}
	id, err := samlrp.Finish(samlProvider(idp, org), pk.Response, l.Nonce, p.now())
	if err != nil {
		return got, err
	}
	raw := map[string]any{"name_id": id.NameID}
	for k, v := range id.Raw {
		raw[k] = v
	}
	return oidcrp.Identity{Subject: id.NameID, Email: id.Email, Name: id.Name, Groups: id.Groups, Claims: id.Claims,
		Raw: raw, Issuer: idp.Config.IssuerURL}, nil
}

func (p *Portal) unpark(r *http.Request, org orgInfo) (parked, error) {
	var pk parked
	key := hashCookie("saml-post:" + r.URL.Query().Get("saml_ref"))
	var data string
	var expires int64
	err := p.db.QueryRowContext(r.Context(), `SELECT data, expires_on FROM access_logins WHERE id=$1 AND account_id=$2`,
		key, org.AccountID).Scan(&data, &expires)
	if err != nil {
		return pk, store.Translate(err)
	}
	res, err := p.db.ExecContext(r.Context(), `DELETE FROM access_logins WHERE id=$1`, key)
	if err := store.Affected(res, err); err != nil {
		return pk, err
	}
	if p.now().After(store.FromMicros(expires)) {
		return pk, store.ErrNotFound
	}
	return pk, json.Unmarshal([]byte(data), &pk)
}

// handleSAMLMetadata serves the team's SP metadata: entity ID and ACS are
// the callback URL, for IdPs that import metadata.
func (p *Portal) handleSAMLMetadata(w http.ResponseWriter, r *http.Request, org orgInfo) error {
	md, err := samlrp.Metadata(callbackURL(org))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/samlmetadata+xml")
	_, _ = w.Write(md)
	return nil
}
