package dashboard

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/ssogate/ssogate/internal/access"
	"github.com/ssogate/ssogate/internal/access/policy"
	"github.com/ssogate/ssogate/internal/api"
	"github.com/ssogate/ssogate/internal/ids"
	"github.com/ssogate/ssogate/internal/store"
)

// accessData is the Access page's data: the organization (with its form,
// re-shown with the service's message when a change was refused),
// identity providers, applications and reusable policies.
type accessData struct {
	Org         *access.Organization
	TeamURL     string
	IdPs        []access.IdentityProvider
	Apps        []access.App
	Policies    []access.Policy
	APIURL      string
	OrgForm     orgForm
	HasLauncher bool
}

// orgForm is the organization form's values.
type orgForm struct {
	Name, Team, Error string
}

func (d *Dashboard) handleAccess(rq *req) error {
	return d.accessPage(rq, http.StatusOK, nil)
}

// accessPage renders the Access page; f, when set, is a refused
// organization form to show again.
func (d *Dashboard) accessPage(rq *req, status int, f *orgForm) error {
	data := accessData{APIURL: d.apiURL, OrgForm: orgForm{Name: rq.account.Name}}
	org, err := d.access.GetOrganization(rq.ctx(), d.db, rq.account.ID)
	switch {
	case err == nil:
		data.Org, data.TeamURL = &org, d.access.TeamURL(org.AuthDomain)
		team, _, _ := strings.Cut(org.AuthDomain, ".")
		data.OrgForm = orgForm{Name: org.Name, Team: team}
	case !errors.Is(err, store.ErrNotFound):
		return err
	}
	if f != nil {
		data.OrgForm = *f
	}
	if data.IdPs, err = d.access.ListIdPs(rq.ctx(), rq.account.ID); err != nil {
		return err
	}
	if data.Apps, err = d.access.ListApps(rq.ctx(), rq.account.ID, access.AppFilter{}); err != nil {
		return err
	}
	for _, a := range data.Apps {
		data.HasLauncher = data.HasLauncher || a.Type == access.TypeAppLauncher
	}
	if data.Policies, err = d.access.ListPolicies(rq.ctx(), rq.account.ID); err != nil {
		return err
	}
	return d.render(rq, status, "access", "Access", data)
}

// refused is the message of an error the admin can act on (the
// service's 4xx validation message), or "" for any other error.
func refused(err error) string {
	var ae *api.Error
	if errors.As(err, &ae) && ae.Status < 500 && len(ae.Messages) > 0 {
		return ae.Messages[0].Message
	}
	return ""
}

// handleOrganization creates the organization, or renames it and moves
// its team domain (the service refuses the move while SSO connectors
// exist, and says so).
func (d *Dashboard) handleOrganization(rq *req) error {
	if err := rq.need(capManageAccessOrg); err != nil {
		return err
	}
	f := orgForm{Name: strings.TrimSpace(rq.PostFormValue("name")), Team: strings.TrimSpace(rq.PostFormValue("team"))}
	in := access.OrgInput{Name: &f.Name, AuthDomain: &f.Team}
	done := "organization_updated"
	_, err := d.access.GetOrganization(rq.ctx(), d.db, rq.account.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		done = "organization_created"
		_, err = d.access.CreateOrganization(rq.ctx(), rq.account.ID, in)
	case err == nil:
		_, err = d.access.UpdateOrganization(rq.ctx(), rq.account.ID, in)
	}
	if err == nil {
		return redirect(rq, "/"+rq.account.ID+"/access?done="+done)
	}
	if f.Error = refused(err); f.Error != "" {
		return d.accessPage(rq, http.StatusBadRequest, &f)
	}
	return err
}

// idpForm is the identity provider form's values. The client secret is
// never kept: a re-shown form asks for it again.
type idpForm struct {
	Type, Name, Error                   string
	IssuerURL, ClientID, Scopes         string
	AuthURL, TokenURL, CertsURL         string
	PKCE                                bool
	SSOURL, Certificate, EmailAttribute string
	TeamURL                             string // "" before the organization exists
}

func (d *Dashboard) idpPage(rq *req, status int, f idpForm) error {
	var err error
	if f.TeamURL, err = d.teamURL(rq); err != nil {
		return err
	}
	return d.render(rq, status, "access_idp_new", "Add identity provider", f)
}

func (d *Dashboard) handleNewIdP(rq *req) error {
	if err := rq.need(capManageAccessOrg); err != nil {
		return err
	}
	f := idpForm{Type: "oidc", PKCE: true}
	if rq.URL.Query().Get("type") == "saml" {
		f.Type = "saml"
	}
	return d.idpPage(rq, http.StatusOK, f)
}

// handleCreateIdP adds an OpenID Connect or SAML provider.
func (d *Dashboard) handleCreateIdP(rq *req) error {
	if err := rq.need(capManageAccessOrg); err != nil {
		return err
	}
	v := func(k string) string { return strings.TrimSpace(rq.PostFormValue(k)) }
	f := idpForm{Type: v("type"), Name: v("name"), IssuerURL: v("issuer_url"), ClientID: v("client_id"),
		Scopes: v("scopes"), AuthURL: v("auth_url"), TokenURL: v("token_url"), CertsURL: v("certs_url"),
		PKCE: rq.PostFormValue("pkce_enabled") == "on", SSOURL: v("sso_target_url"),
		Certificate: v("idp_public_cert"), EmailAttribute: v("email_attribute_name")}
	cfg := access.OIDCConfigRaw{IssuerURL: &f.IssuerURL}
	if f.Type == "saml" {
		cfg.SSOTargetURL, cfg.IdPPublicCerts = &f.SSOURL, &[]string{}
		if f.Certificate != "" {
			cfg.IdPPublicCerts = &[]string{f.Certificate}
		}
		if f.EmailAttribute != "" {
			cfg.EmailAttributeName = &f.EmailAttribute
		}
	} else {
		secret := rq.PostFormValue("client_secret")
		cfg.ClientID, cfg.ClientSecret, cfg.PKCEEnabled = &f.ClientID, &secret, &f.PKCE
		cfg.AuthURL, cfg.TokenURL, cfg.CertsURL = optional(f.AuthURL), optional(f.TokenURL), optional(f.CertsURL)
		if scopes := splitList(f.Scopes); len(scopes) > 0 {
			cfg.Scopes = &scopes
		}
	}
	var err error
	if f.Type == "oidc" && f.IssuerURL == "" && (f.AuthURL == "" || f.TokenURL == "" || f.CertsURL == "") {
		err = api.Invalid("/config/issuer_url", "Give the issuer URL (authentik: https://authentik.company/application/o/<slug>/), or the authorization, token and certificates URLs.")
	} else {
		_, err = d.access.CreateIdP(rq.ctx(), rq.account.ID, access.IdPInput{Name: &f.Name, Type: &f.Type, Config: &cfg})
	}
	if err == nil {
		return redirect(rq, "/"+rq.account.ID+"/access?done=idp_created")
	}
	if f.Error = refused(err); f.Error == "" {
		return err
	}
	if f.Type != "saml" {
		f.Type = "oidc"
	}
	return d.idpPage(rq, http.StatusBadRequest, f)
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// splitList splits what a person types as a list: commas, spaces or
// newlines between items.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
}

// pathID is the {id} of an Access object's route: a UUID, or a 404
// before any query.
func pathID(rq *req) (string, error) {
	id := rq.PathValue("id")
	if !ids.IsUUID(id) {
		return "", store.ErrNotFound
	}
	return id, nil
}

func (d *Dashboard) handleDeleteIdP(rq *req) error {
	if err := rq.need(capManageAccessOrg); err != nil {
		return err
	}
	id, err := pathID(rq)
	if err != nil {
		return err
	}
	if err := d.access.DeleteIdP(rq.ctx(), rq.account.ID, id); err != nil {
		return err
	}
	return redirect(rq, "/"+rq.account.ID+"/access?done=idp_deleted")
}

// appForm is the application form's values.
type appForm struct {
	Type, Name, Domain, SessionDuration, Origin, Error string
	Launcher                                           bool
	Chosen, ChosenIdPs                                 map[string]bool
	Policies                                           []access.Policy
	IdPs                                               []access.IdentityProvider
	HasOrg                                             bool
}

var appTitles = map[string]string{access.TypeSelfHosted: "Add self-hosted application",
	access.TypeBookmark: "Add bookmark", access.TypeAppLauncher: "Create App Launcher"}

func (d *Dashboard) appPage(rq *req, status int, f appForm) error {
	var err error
	if f.Policies, err = d.access.ListPolicies(rq.ctx(), rq.account.ID); err != nil {
		return err
	}
	if f.IdPs, err = d.access.ListIdPs(rq.ctx(), rq.account.ID); err != nil {
		return err
	}
	team, err := d.teamURL(rq)
	if err != nil {
		return err
	}
	f.HasOrg = team != ""
	return d.render(rq, status, "access_app_new", appTitles[f.Type], f)
}

func (d *Dashboard) handleNewApp(rq *req) error {
	if err := rq.need(capManageAccessApps); err != nil {
		return err
	}
	f := appForm{Type: rq.URL.Query().Get("type"), Launcher: true, Chosen: map[string]bool{}, ChosenIdPs: map[string]bool{}}
	if _, ok := appTitles[f.Type]; !ok {
		f.Type = access.TypeSelfHosted
	}
	return d.appPage(rq, http.StatusOK, f)
}

// handleCreateApp adds a self-hosted application, a bookmark or the App
// Launcher, linked to the reusable policies chosen (in the form's order).
// The SSO App (dash_sso) is the SSO connector's to create.
func (d *Dashboard) handleCreateApp(rq *req) error {
	if err := rq.need(capManageAccessApps); err != nil {
		return err
	}
	if err := rq.ParseForm(); err != nil {
		return api.Invalid("", "the form could not be read")
	}
	f := appForm{Type: rq.PostFormValue("type"), Name: strings.TrimSpace(rq.PostFormValue("name")),
		Domain: strings.TrimSpace(rq.PostFormValue("domain")), SessionDuration: strings.TrimSpace(rq.PostFormValue("session_duration")),
		Origin:   strings.TrimSpace(rq.PostFormValue("origin_url")),
		Launcher: rq.PostFormValue("app_launcher_visible") == "on", Chosen: map[string]bool{}, ChosenIdPs: map[string]bool{}}
	in := access.AppInput{Type: &f.Type}
	links := []access.PolicyLinkRaw{}
	for _, id := range rq.PostForm["policies"] {
		links, f.Chosen[id] = append(links, access.PolicyLinkRaw{ID: id}), true
	}
	in.Policies = &links
	switch f.Type {
	case access.TypeSelfHosted, access.TypeBookmark:
		in.Name, in.Domain, in.AppLauncherVisible = &f.Name, &f.Domain, &f.Launcher
	case access.TypeAppLauncher:
	default:
		f.Type = access.TypeSelfHosted
		return d.appPage(rq, http.StatusBadRequest, withError(f, "Choose a self-hosted application, a bookmark or the App Launcher."))
	}
	if f.Type == access.TypeSelfHosted {
		idps := rq.PostForm["allowed_idps"]
		for _, id := range idps {
			f.ChosenIdPs[id] = true
		}
		in.AllowedIdPs = &idps
		if f.SessionDuration != "" {
			in.SessionDuration = &f.SessionDuration
		}
		if f.Origin != "" {
			in.OriginURL = &f.Origin
		}
	}
	_, err := d.access.CreateApp(rq.ctx(), rq.account.ID, in)
	if err == nil {
		return redirect(rq, "/"+rq.account.ID+"/access?done=app_created")
	}
	if msg := refused(err); msg != "" {
		return d.appPage(rq, http.StatusBadRequest, withError(f, msg))
	}
	return err
}

func withError(f appForm, msg string) appForm { f.Error = msg; return f }

func (d *Dashboard) handleDeleteApp(rq *req) error {
	if err := rq.need(capManageAccessApps); err != nil {
		return err
	}
	id, err := pathID(rq)
	if err != nil {
		return err
	}
	a, err := d.access.GetApp(rq.ctx(), rq.account.ID, id)
	if err != nil {
		return err
	}
	if a.Type == access.TypeDashSSO || a.Type == access.TypeAppLauncher {
		return &pageError{status: http.StatusBadRequest, title: "Not deleted", back: backLink(rq),
			message: "The " + a.Name + " is not deleted from the dashboard: the SSO App is managed by the SSO connectors, and the App Launcher's policies are changed through the API."}
	}
	if err := d.access.DeleteApp(rq.ctx(), rq.account.ID, id); err != nil {
		return err
	}
	return redirect(rq, "/"+rq.account.ID+"/access?done=app_deleted")
}

// policyForm is the reusable policy form's values: the include rules the
// builder offers (Cloudflare's common cases), and for Service Auth the
// account's service tokens.
type policyForm struct {
	Name, Decision, Domains, Emails, Groups, Error string
	Everyone, AnyToken                             bool
	Tokens                                         []access.ServiceToken
	ChosenTokens                                   map[string]bool
}

func (d *Dashboard) policyPage(rq *req, status int, f policyForm) error {
	var err error
	if f.Tokens, err = d.access.ListServiceTokens(rq.ctx(), rq.account.ID, access.ServiceTokenFilter{}); err != nil {
		return err
	}
	return d.render(rq, status, "access_policy_new", "Add policy", f)
}

func (d *Dashboard) handleNewPolicy(rq *req) error {
	if err := rq.need(capManageAccessApps); err != nil {
		return err
	}
	return d.policyPage(rq, http.StatusOK, policyForm{Decision: policy.DecisionAllow})
}

// handleCreatePolicy builds the include rules from the form — one rule per
// domain, address and group — and lets the service validate the policy.
func (d *Dashboard) handleCreatePolicy(rq *req) error {
	if err := rq.need(capManageAccessApps); err != nil {
		return err
	}
	f := policyForm{Name: strings.TrimSpace(rq.PostFormValue("name")), Decision: rq.PostFormValue("decision"),
		Domains: strings.TrimSpace(rq.PostFormValue("email_domains")), Emails: strings.TrimSpace(rq.PostFormValue("emails")),
		Groups: strings.TrimSpace(rq.PostFormValue("groups")), Everyone: rq.PostFormValue("everyone") == "on",
		AnyToken: rq.PostFormValue("any_valid_service_token") == "on", ChosenTokens: map[string]bool{}}
	include := []policy.Rule{}
	for _, dom := range splitList(f.Domains) {
		include = append(include, policy.EmailDomain(strings.TrimPrefix(dom, "@")))
	}
	for _, e := range splitList(f.Emails) {
		include = append(include, policy.Email(e))
	}
	// Group names may hold spaces ("Acme Staff"): one per line or comma.
	for _, g := range strings.FieldsFunc(f.Groups, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' }) {
		if g = strings.TrimSpace(g); g != "" {
			include = append(include, policy.Group(g))
		}
	}
	if f.Everyone {
		include = append(include, policy.Everyone())
	}
	if f.AnyToken {
		include = append(include, policy.AnyValidServiceToken())
	}
	for _, id := range rq.PostForm["service_tokens"] {
		f.ChosenTokens[id] = true
		include = append(include, policy.ServiceTokenRule(id))
	}
	_, err := d.access.CreatePolicy(rq.ctx(), rq.account.ID, "", access.PolicyInput{Name: &f.Name, Decision: &f.Decision, Include: &include})
	if err == nil {
		return redirect(rq, "/"+rq.account.ID+"/access?done=policy_created")
	}
	if f.Error = refused(err); f.Error != "" {
		return d.policyPage(rq, http.StatusBadRequest, f)
	}
	return err
}

func (d *Dashboard) handleDeletePolicy(rq *req) error {
	if err := rq.need(capManageAccessApps); err != nil {
		return err
	}
	id, err := pathID(rq)
	if err != nil {
		return err
	}
	if err := d.access.DeletePolicy(rq.ctx(), rq.account.ID, "", id); err != nil {
		return err
	}
	return redirect(rq, "/"+rq.account.ID+"/access?done=policy_deleted")
}

// handleTestIdP sends the admin to a one-time test login on the team
// domain; the IdP's claims are shown there, and nobody is signed in.
func (d *Dashboard) handleTestIdP(rq *req) error {
	if err := rq.need(capManageAccessOrg); err != nil {
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
