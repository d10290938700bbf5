package dashboard

import (
	"net/http"
	"strings"

	"github.com/ssogate/ssogate/internal/access"
)

// serviceTokensData is the service-token page: the account's tokens, the
// create form (re-shown with the service's message when refused) and the
// durations it offers.
type serviceTokensData struct {
	Tokens    []access.ServiceToken
	Name      string
	Duration  string
	Error     string
	Durations []durationChoice
}

type durationChoice struct{ Value, Label string }

// serviceTokenDurations are the form's choices; the API takes any Go
// duration from 1m, or "forever".
var serviceTokenDurations = []durationChoice{
	{"8760h", "1 year"}, {"720h", "30 days"}, {"2160h", "90 days"}, {"17520h", "2 years"},
	{access.DurationForever, "Non-expiring"},
}

// serviceTokenShown is the page showing a secret, once: after a create or
// a rotation.
type serviceTokenShown struct {
	Token   access.ServiceTokenWithSecret
	Rotated bool
}

func (d *Dashboard) handleServiceTokens(rq *req) error {
	return d.serviceTokensPage(rq, http.StatusOK, serviceTokensData{Duration: access.DefaultServiceTokenDuration})
}

func (d *Dashboard) serviceTokensPage(rq *req, status int, data serviceTokensData) error {
	var err error
	if data.Tokens, err = d.access.ListServiceTokens(rq.ctx(), rq.account.ID, access.ServiceTokenFilter{}); err != nil {
		return err
	}
	data.Durations = serviceTokenDurations
	return d.render(rq, status, "access_service_tokens", "Service tokens", data)
}

// handleCreateServiceToken creates a token and shows its secret, once.
func (d *Dashboard) handleCreateServiceToken(rq *req) error {
	if err := rq.need(capManageServiceTokens); err != nil {
		return err
	}
	f := serviceTokensData{Name: strings.TrimSpace(rq.PostFormValue("name")), Duration: rq.PostFormValue("duration")}
	t, err := d.access.CreateServiceToken(rq.ctx(), rq.account.ID, access.ServiceTokenInput{Name: &f.Name, Duration: &f.Duration})
	if err == nil {
		return d.render(rq, http.StatusOK, "access_service_token_secret", "Service token created", serviceTokenShown{Token: t})
	}
	if f.Error = refused(err); f.Error != "" {
		return d.serviceTokensPage(rq, http.StatusBadRequest, f)
	}
	return err
}

// handleRotateServiceToken gives the token a new secret (the old one stops
// at once) and shows it, once.
func (d *Dashboard) handleRotateServiceToken(rq *req) error {
	if err := rq.need(capManageServiceTokens); err != nil {
		return err
	}
	id, err := pathID(rq)
	if err != nil {
		return err
	}
	t, err := d.access.RotateServiceToken(rq.ctx(), rq.account.ID, id, access.RotateInput{})
	if err != nil {
		return err
	}
	return d.render(rq, http.StatusOK, "access_service_token_secret", "Service token rotated", serviceTokenShown{Token: t, Rotated: true})
}

func (d *Dashboard) handleRefreshServiceToken(rq *req) error {
	if err := rq.need(capManageServiceTokens); err != nil {
		return err
	}
	id, err := pathID(rq)
	if err != nil {
		return err
	}
	if _, err := d.access.RefreshServiceToken(rq.ctx(), rq.account.ID, id); err != nil {
		return err
	}
	return redirect(rq, "/"+rq.account.ID+"/access/service-tokens?done=service_token_refreshed")
}

func (d *Dashboard) handleDeleteServiceToken(rq *req) error {
	if err := rq.need(capManageServiceTokens); err != nil {
		return err
	}
	id, err := pathID(rq)
	if err != nil {
		return err
	}
	if _, err := d.access.DeleteServiceToken(rq.ctx(), rq.account.ID, id); err != nil {
		return err
	}
	return redirect(rq, "/"+rq.account.ID+"/access/service-tokens?done=service_token_deleted")
}
