package dashboard

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/ssogate/ssogate/internal/dnsverify"
	"github.com/ssogate/ssogate/internal/sso"
	"github.com/ssogate/ssogate/internal/store"
)

// connectorRow is one connector as the SSO page shows it.
type connectorRow struct {
	sso.View
	Answers []dnsverify.ServerResult
}

func connectorRows(cs []sso.Connector) []connectorRow {
	out := make([]connectorRow, len(cs))
	for i, c := range cs {
		out[i] = connectorRow{View: c.View()}
		if ns := out[i].Verification.Nameservers; len(ns) > 0 {
			_ = json.Unmarshal(ns, &out[i].Answers)
		}
	}
	return out
}

func (d *Dashboard) handleSSOPage(rq *req) error {
	cs, err := d.sso.List(rq.ctx(), rq.account.ID)
	if err != nil {
		return err
	}
	noApp, err := d.enforcedWithoutSSOApp(rq, cs)
	if err != nil {
		return err
	}
	return d.render(rq, http.StatusOK, "sso", "SSO", struct {
		Connectors []connectorRow
		APIURL     string
		NoSSOApp   string // enforced domains no SSO App serves yet
	}{connectorRows(cs), d.apiURL, noApp})
}

// enforcedWithoutSSOApp names the enabled domains when the account has no
// Access organization: SSO is on, but nobody can sign in through it until
// the organization exists (then the SSO App follows by itself).
func (d *Dashboard) enforcedWithoutSSOApp(rq *req, cs []sso.Connector) (string, error) {
	var enabled []string
	for _, c := range cs {
		if c.Enabled {
			enabled = append(enabled, c.EmailDomain)
		}
	}
	if len(enabled) == 0 {
		return "", nil
	}
	_, err := d.access.GetOrganization(rq.ctx(), d.db, rq.account.ID)
	if errors.Is(err, store.ErrNotFound) {
		return strings.Join(enabled, ", "), nil
	}
	return "", err
}

func (d *Dashboard) handleCreateConnector(rq *req) error {
	if err := rq.need(capManageSSO); err != nil {
		return err
	}
	domain := rq.PostFormValue("email_domain")
	if _, err := d.sso.Create(rq.ctx(), rq.account.ID, sso.CreateInput{EmailDomain: &domain}); err != nil {
		return err
	}
	return redirect(rq, "/"+rq.account.ID+"/sso?done=connector_created")
}

func (d *Dashboard) handleCheckConnector(rq *req) error {
	if err := rq.need(capManageSSO); err != nil {
		return err
	}
	if _, err := d.sso.BeginVerification(rq.ctx(), rq.account.ID, rq.PathValue("id")); err != nil {
		return err
	}
	return redirect(rq, "/"+rq.account.ID+"/sso?done=connector_checked")
}

func (d *Dashboard) toggleConnector(enabled bool) handler {
	return func(rq *req) error {
		if err := rq.need(capManageSSO); err != nil {
			return err
		}
		if _, _, err := d.sso.Update(rq.ctx(), rq.account.ID, rq.PathValue("id"), sso.UpdateInput{Enabled: &enabled}); err != nil {
			return err
		}
		done := "connector_disabled"
		if enabled {
			done = "connector_enabled"
		}
		return redirect(rq, "/"+rq.account.ID+"/sso?done="+done)
	}
}

func (d *Dashboard) handleDeleteConnector(rq *req) error {
	if err := rq.need(capManageSSO); err != nil {
		return err
	}
	if err := d.sso.Delete(rq.ctx(), rq.account.ID, rq.PathValue("id")); err != nil {
		return err
	}
	return redirect(rq, "/"+rq.account.ID+"/sso?done=connector_deleted")
}
