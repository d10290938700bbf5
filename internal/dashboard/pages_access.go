package dashboard

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/ssogate/ssogate/internal/access"
	"github.com/ssogate/ssogate/internal/access/policy"
	"github.com/ssogate/ssogate/internal/store"
)

// accessData is the Access page's data. Configuration happens through the
// API (as in the guide); the page shows it and runs IdP tests.
type accessData struct {
	Org      *access.Organization
	TeamURL  string
	IdPs     []access.IdentityProvider
	Apps     []access.App
	Policies []access.Policy
	APIURL   string
}

func (d *Dashboard) handleAccess(rq *req) error {
	data := accessData{APIURL: d.apiURL}
	org, err := d.access.GetOrganization(rq.ctx(), d.db, rq.account.ID)
	switch {
	case err == nil:
		data.Org, data.TeamURL = &org, d.access.TeamURL(org.AuthDomain)
	case !errors.Is(err, store.ErrNotFound):
		return err
	}
	if data.IdPs, err = d.access.ListIdPs(rq.ctx(), rq.account.ID); err != nil {
		return err
	}
	if data.Apps, err = d.access.ListApps(rq.ctx(), rq.account.ID, access.AppFilter{}); err != nil {
		return err
	}
	if data.Policies, err = d.access.ListPolicies(rq.ctx(), rq.account.ID); err != nil {
		return err
	}
	return d.render(rq, http.StatusOK, "access", "Access", data)
}

// handleTestIdP sends the admin to a one-time test login on the team
// domain; the IdP's claims are shown there, and nobody is signed in.
func (d *Dashboard) handleTestIdP(rq *req) error {
	if err := rq.need(capManageAccess); err != nil {
		return err
	}
	if _, err := d.access.GetIdP(rq.ctx(), rq.account.ID, rq.PathValue("id")); err != nil {
		return err
	}
	link, err := d.portal.IdPTestURL(rq.ctx(), rq.account.ID, rq.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		return &pageError{status: http.StatusConflict, title: "No team domain",
			message: "Testing an identity provider needs an Access organization (team domain). Create one first.", back: backLink(rq)}
	}
	if err != nil {
		return err
	}
	return redirect(rq, link)
}

// rules renders policy rules compactly for the page, as the API spells
// them: {"email_domain":{"domain":"example.com"}}.
func rules(rs []policy.Rule) string {
	parts := make([]string, 0, len(rs))
	for _, r := range rs {
		b, err := json.Marshal(r)
		if err == nil {
			parts = append(parts, string(b))
		}
	}
	return strings.Join(parts, ", ")
}
