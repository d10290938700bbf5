package portal

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/ssogate/ssogate/internal/access/keys"
	"github.com/ssogate/ssogate/internal/ids"
	"github.com/ssogate/ssogate/internal/store"
)

// testTicketTTL is how long an IdP test link works; it works once.
const testTicketTTL = 2 * time.Minute

// testTicket authorises one IdP test: the dashboard signs it for an admin
// who may manage the IdP, so the team domain does not run tests (and show
// an IdP's claims) for anyone who knows an IdP id.
type testTicket struct {
	Issuer   string        `json:"iss"`
	Audience keys.Audience `json:"aud"`
	Type     string        `json:"type"`
	JTI      string        `json:"jti"`
	Expiry   int64         `json:"exp"`
}

// IdPTestURL returns a one-time link on the account's team domain that
// tests an identity provider by a login and shows the claims received.
func (p *Portal) IdPTestURL(ctx context.Context, accountID, idpID string) (string, error) {
	org, err := p.access.GetOrganization(ctx, p.db, accountID)
	if err != nil {
		return "", err
	}
	team := p.access.TeamURL(org.AuthDomain)
	t := testTicket{Issuer: team, Audience: keys.Audience{"idp-test:" + idpID}, Type: "idp_test", JTI: ids.NewHex32(),
		Expiry: p.now().Add(testTicketTTL).Unix()}
	signed, err := p.keys.Sign(ctx, accountID, t)
	if err != nil {
		return "", err
	}
	return team + "/cdn-cgi/access/test-idp/" + url.PathEscape(idpID) + "?ticket=" + url.QueryEscape(signed), nil
}

// checkTestTicket accepts a ticket once, for this team and this IdP.
func (p *Portal) checkTestTicket(ctx context.Context, org orgInfo, idpID, ticket string) error {
	refused := &pageError{status: http.StatusForbidden, title: "Test link expired",
		message: "IdP tests start from the dashboard (Access › Identity providers › Test), and each link works once for two minutes."}
	var t testTicket
	if ticket == "" || p.keys.Verify(ctx, org.AccountID, ticket, &t) != nil {
		return refused
	}
	if t.Type != "idp_test" || t.Issuer != org.TeamURL || !t.Audience.Contains("idp-test:"+idpID) ||
		t.Expiry < p.now().Unix() || t.JTI == "" {
		return refused
	}
	_, err := p.db.ExecContext(ctx, `INSERT INTO access_assertions (jti, account_id, used_on, expires_on) VALUES ($1,$2,$3,$4)`,
		"idp-test:"+t.JTI, org.AccountID, store.Micros(p.now()), store.Micros(time.Unix(t.Expiry, 0)))
	if store.IsUniqueViolation(err) {
		return refused
	}
	return err
}
