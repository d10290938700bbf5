package dashboard

import (
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/ssogate/ssogate/internal/accounts"
	"github.com/ssogate/ssogate/internal/api"
	"github.com/ssogate/ssogate/internal/tokens"
)

// permResource is one row of the permission picker: Cloudflare's
// "Account › <resource> › Read | Edit", built from the Read/Write pairs of
// the permission-group catalogue.
type permResource struct {
	Name        string
	Slug        string // for ids: "sso-connector"
	Read, Write tokens.PermissionGroup
	// CanRead and CanEdit: the member's role holds the level, so a token
	// they create may too; the picker disables the others.
	CanRead, CanEdit bool
}

var slugRE = regexp.MustCompile(`[^a-z0-9]+`)

func permResources() []permResource {
	byName := map[string]*permResource{}
	var order []string
	for _, g := range tokens.Catalogue() {
		name, level, ok := strings.Cut(g.Name, " Read")
		if !ok || level != "" {
			name, _, ok = strings.Cut(g.Name, " Write")
			if !ok {
				continue
			}
			level = "write"
		} else {
			level = "read"
		}
		r := byName[name]
		if r == nil {
			r = &permResource{Name: name, Slug: strings.Trim(slugRE.ReplaceAllString(strings.ToLower(name), "-"), "-")}
			byName[name] = r
			order = append(order, name)
		}
		if level == "read" {
			r.Read = g
		} else {
			r.Write = g
		}
	}
	out := make([]permResource, len(order))
	for i, n := range order {
		out[i] = *byName[n]
	}
	return out
}

// pickerFor is the permission picker as a member of role may use it.
func pickerFor(role string) []permResource {
	grants := accounts.RoleGrants(role)
	rs := permResources()
	for i := range rs {
		rs[i].CanRead = grants.Allows(rs[i].Read.Name, "")
		rs[i].CanEdit = grants.Allows(rs[i].Write.Name, "")
	}
	return rs
}

// tokenRow is a token as the list shows it.
type tokenRow struct {
	tokens.View
	Permissions []string
	// Beyond is a permission the token holds and the member's role does
	// not: the member may not roll, disable or delete it, and should ask
	// AskWhom.
	Beyond, AskWhom string
}

func (d *Dashboard) handleTokens(rq *req) error {
	views, _, err := d.tokens.List(rq.ctx(), rq.account.ID, true, api.Page{Number: 1, PerPage: 1000})
	if err != nil {
		return err
	}
	rows := make([]tokenRow, len(views))
	for i, v := range views {
		rows[i] = tokenRow{View: v}
		if g, beyond := tokens.Beyond(v.Policies, rq.account.ID, rq.grants()); beyond {
			rows[i].Beyond, rows[i].AskWhom = g, askWhom([]string{g})
		}
		for _, p := range v.Policies {
			for _, g := range p.PermissionGroups {
				name := g.Name
				if pg, ok := tokens.GroupByID(g.ID); ok {
					name = pg.Name
				}
				rows[i].Permissions = append(rows[i].Permissions, name)
			}
		}
	}
	return d.render(rq, http.StatusOK, "tokens", "API tokens", struct{ Tokens []tokenRow }{rows})
}

// newTokenForm is the create form's data (also re-shown with an error).
type newTokenForm struct {
	Resources []permResource
	Name      string
	Chosen    map[string]string // resource slug → "read" | "edit"
	Expires   string
	IPIn      string
	Error     string
}

func (d *Dashboard) handleNewToken(rq *req) error {
	if err := rq.need(capManageTokens); err != nil {
		return err
	}
	f := newTokenForm{Resources: pickerFor(rq.role()), Chosen: map[string]string{}}
	// ?template=sso preselects the guide's token: Account › SSO Connector
	// › Edit, or says at once why this member cannot make it.
	if rq.URL.Query().Get("template") == "sso" {
		if can(rq.role(), capManageSSO) {
			f.Name, f.Chosen["sso-connector"] = "SSO Connector", "edit"
		} else {
			f.Error = tokenRefusal(rq.role(), "create", tokens.SSOWrite)
		}
	}
	return d.render(rq, http.StatusOK, "token_new", "Create API token", f)
}

// handleCreateToken creates a token from the picker. The member's role is
// the caller's grants, so nobody mints a token stronger than their role.
func (d *Dashboard) handleCreateToken(rq *req) error {
	if err := rq.need(capManageTokens); err != nil {
		return err
	}
	f := newTokenForm{Resources: pickerFor(rq.role()), Chosen: map[string]string{}, Name: strings.TrimSpace(rq.PostFormValue("name")),
		Expires: rq.PostFormValue("expires_on"), IPIn: rq.PostFormValue("ip_in")}
	in, err := tokenInput(rq, &f)
	if err == nil {
		// Checked here as well as by the service, to say it in the
		// member's terms: their role, not "the token making the request".
		if g, beyond := tokens.Beyond(*in.Policies, rq.account.ID, rq.grants()); beyond {
			f.Error = tokenRefusal(rq.role(), "create", g)
			return d.render(rq, http.StatusForbidden, "token_new", "Create API token", f)
		}
		var v tokens.View
		if v, err = d.tokens.Create(rq.ctx(), rq.account.ID, in, rq.grants()); err == nil {
			return d.render(rq, http.StatusOK, "token_created", "API token created", struct {
				Token  tokens.View
				APIURL string
			}{v, d.apiURL})
		}
	}
	if ae, ok := err.(*api.Error); ok && ae.Status < 500 && len(ae.Messages) > 0 {
		f.Error = ae.Messages[0].Message
		return d.render(rq, http.StatusBadRequest, "token_new", "Create API token", f)
	}
	return err
}

// tokenInput turns the form into the API's token input.
func tokenInput(rq *req, f *newTokenForm) (tokens.Input, error) {
	var groups []tokens.GroupRef
	for _, r := range f.Resources {
		switch v := rq.PostFormValue("perm-" + r.Slug); v {
		case "":
		case "read":
			groups = append(groups, tokens.GroupRef{ID: r.Read.ID})
		case "edit":
			if r.Read.ID != "" {
				groups = append(groups, tokens.GroupRef{ID: r.Read.ID})
			}
			groups = append(groups, tokens.GroupRef{ID: r.Write.ID})
		default:
			return tokens.Input{}, api.Invalid("", "%q is not a permission level: choose Read or Edit", v)
		}
		if v := rq.PostFormValue("perm-" + r.Slug); v != "" {
			f.Chosen[r.Slug] = v
		}
	}
	if len(groups) == 0 {
		return tokens.Input{}, api.Invalid("", "Choose at least one permission.")
	}
	in := tokens.Input{Name: &f.Name, Policies: &[]tokens.Policy{{Effect: "allow", PermissionGroups: groups,
		Resources: map[string]any{tokens.AccountScope + "." + rq.account.ID: "*"}}}}
	if f.Expires != "" {
		t, err := time.Parse("2006-01-02", f.Expires)
		if err != nil {
			return in, api.Invalid("", "Expiry %q is not a date such as 2030-01-31.", f.Expires)
		}
		in.ExpiresOn = tokens.OptTime{Set: true, Time: &t}
	}
	if ips := strings.Fields(strings.NewReplacer(",", " ").Replace(f.IPIn)); len(ips) > 0 {
		in.Condition = &tokens.Condition{RequestIP: &tokens.RequestIP{In: ips, NotIn: []string{}}}
	}
	return in, nil
}

// tokenWithinRole returns the token of the path if the member may act on
// it: it holds nothing beyond their role. Rolling hands over its secret and
// disabling or deleting it may lock its holder out (the Super
// Administrator's lock-out recovery token, say).
func (d *Dashboard) tokenWithinRole(rq *req, verb string) (tokens.View, error) {
	if err := rq.need(capManageTokens); err != nil {
		return tokens.View{}, err
	}
	v, err := d.tokens.Get(rq.ctx(), rq.account.ID, rq.PathValue("id"))
	if err != nil {
		return v, err
	}
	if g, beyond := tokens.Beyond(v.Policies, rq.account.ID, rq.grants()); beyond {
		return v, &pageError{status: http.StatusForbidden, title: "Not allowed",
			message: tokenRefusal(rq.role(), verb, g), back: backLink(rq)}
	}
	return v, nil
}

func (d *Dashboard) handleRollToken(rq *req) error {
	v, err := d.tokenWithinRole(rq, "roll")
	if err != nil {
		return err
	}
	if v.Value, err = d.tokens.Roll(rq.ctx(), rq.account.ID, v.ID, rq.grants()); err != nil {
		return err
	}
	return d.render(rq, http.StatusOK, "token_created", "API token rolled", struct {
		Token  tokens.View
		APIURL string
	}{v, d.apiURL})
}

func (d *Dashboard) handleTokenStatus(rq *req) error {
	if err := rq.need(capManageTokens); err != nil { // before reading the form
		return err
	}
	status := rq.PostFormValue("status")
	verb := map[string]string{"active": "enable", "disabled": "disable"}[status]
	if verb == "" {
		return api.Invalid("", "status must be active or disabled")
	}
	v, err := d.tokenWithinRole(rq, verb)
	if err != nil {
		return err
	}
	if _, err := d.tokens.Update(rq.ctx(), rq.account.ID, v.ID, tokens.Input{Status: &status}, rq.grants()); err != nil {
		return err
	}
	return redirect(rq, "/"+rq.account.ID+"/api-tokens?done=token_updated")
}

func (d *Dashboard) handleDeleteToken(rq *req) error {
	v, err := d.tokenWithinRole(rq, "delete")
	if err != nil {
		return err
	}
	if err := d.tokens.Delete(rq.ctx(), rq.account.ID, v.ID, rq.grants()); err != nil {
		return err
	}
	return redirect(rq, "/"+rq.account.ID+"/api-tokens?done=token_deleted")
}
