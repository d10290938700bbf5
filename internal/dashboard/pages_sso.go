package dashboard

import (
	"encoding/json"
	"net/http"

	"github.com/ssogate/ssogate/internal/dnsverify"
	"github.com/ssogate/ssogate/internal/sso"
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
	return d.render(rq, http.StatusOK, "sso", "SSO", struct {
		Connectors []connectorRow
		APIURL     string
	}{connectorRows(cs), d.apiURL})
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
