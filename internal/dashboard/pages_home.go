package dashboard

import (
	"errors"
	"net/http"

	"github.com/ssogate/ssogate/internal/accounts"
	"github.com/ssogate/ssogate/internal/api"
	"github.com/ssogate/ssogate/internal/store"
)

// homeData is the overview's data.
type homeData struct {
	Connectors, Enforced, Tokens, Members int
	TeamURL                               string
	APIURL                                string
}

func (d *Dashboard) handleHome(rq *req) error {
	h := homeData{APIURL: d.apiURL}
	cs, err := d.sso.List(rq.ctx(), rq.account.ID)
	if err != nil {
		return err
	}
	for _, c := range cs {
		h.Connectors++
		if c.Enabled {
			h.Enforced++
		}
	}
	if _, h.Tokens, err = d.tokens.List(rq.ctx(), rq.account.ID, false, api.Page{Number: 1, PerPage: 1}); err != nil {
		return err
	}
	if _, h.Members, err = accounts.ListMembers(rq.ctx(), d.db, rq.account.ID, accounts.MemberFilter{Limit: 1}); err != nil {
		return err
	}
	if h.TeamURL, err = d.teamURL(rq); err != nil {
		return err
	}
	return d.render(rq, http.StatusOK, "home", "Overview", h)
}

// teamURL is the account's Access team domain URL, empty without an
// organization.
func (d *Dashboard) teamURL(rq *req) (string, error) {
	org, err := d.access.GetOrganization(rq.ctx(), d.db, rq.account.ID)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return d.access.TeamURL(org.AuthDomain), nil
}
