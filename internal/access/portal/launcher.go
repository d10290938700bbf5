package portal

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/ssogate/ssogate/internal/access"
	"github.com/ssogate/ssogate/internal/access/policy"
)

// requireIdentity returns the signed-in identity, or sends the browser to
// the login page and returns errRedirected.
func (p *Portal) requireIdentity(w http.ResponseWriter, r *http.Request, org orgInfo, app *access.App) (Identity, error) {
	id, err := p.currentIdentity(r, org)
	if err == nil {
		return id, nil
	}
	v := url.Values{"redirect_url": {r.URL.RequestURI()}}
	if app != nil {
		v.Set("kid", app.AUD)
	}
	http.Redirect(w, r, "/cdn-cgi/access/login/"+url.PathEscape(org.AuthDomain)+"?"+v.Encode(), http.StatusFound)
	return Identity{}, errRedirected
}

// errRedirected means the response is already written.
var errRedirected = errors.New("redirected")

// decide evaluates an application's policies for an identity.
func (p *Portal) decide(app access.App, id Identity, r *http.Request) policy.Decision {
	ps := make([]policy.Policy, len(app.Policies))
	for i, pol := range app.Policies {
		ps[i] = pol.Decidable()
	}
	return policy.Evaluate(ps, policy.Identity{Email: id.Email, Groups: id.Groups, IdPID: id.IdP.ID, IP: p.clientIP(r)})
}

func denied(app access.App, d policy.Decision) error {
	msg := "That account does not have access to " + app.Name + "."
	if app.CustomDenyMessage != "" {
		msg = app.CustomDenyMessage
	}
	var reasons []string
	for _, r := range d.Reasons {
		reasons = append(reasons, r.String())
	}
	return &pageError{status: http.StatusForbidden, title: "Access denied", message: msg, reasons: dedupe(reasons)}
}

func dedupe(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

type tile struct{ Name, URL string }

// handleLauncher lists the launcher-visible applications whose policies
// admit the user. Without an App Launcher application the root is not
// served, as in Cloudflare.
func (p *Portal) handleLauncher(w http.ResponseWriter, r *http.Request, org orgInfo) error {
	launcher, err := p.snap.AppOfType(r.Context(), org.AccountID, access.TypeAppLauncher)
	if err != nil {
		return err
	}
	if launcher == nil {
		return &pageError{status: http.StatusNotFound, title: "App Launcher is not enabled",
			message: "This team has no App Launcher. An administrator can add one (an application of type app_launcher with a policy)."}
	}
	id, err := p.requireIdentity(w, r, org, launcher)
	if err != nil {
		return ignoreRedirect(err)
	}
	if d := p.decide(*launcher, id, r); d.Result != policy.ResultAllow {
		return denied(*launcher, d)
	}
	apps, err := p.snap.Apps(r.Context(), org.AccountID)
	if err != nil {
		return err
	}
	data := struct {
		Team, Email string
		Tiles       []tile
	}{Team: org.Name, Email: id.Email}
	for _, a := range apps {
		if !a.AppLauncherVisible || a.Type == access.TypeAppLauncher || p.decide(*a, id, r).Result != policy.ResultAllow {
			continue
		}
		data.Tiles = append(data.Tiles, tile{Name: a.Name, URL: p.tileURL(*a, org)})
	}
	p.render(w, http.StatusOK, "launcher", data)
	return nil
}

func (p *Portal) tileURL(a access.App, org orgInfo) string {
	switch a.Type {
	case access.TypeDashSSO:
		return "/cdn-cgi/access/sso/dash"
	case access.TypeBookmark:
		return bookmarkURL(a.Domain)
	}
	scheme := "https://"
	if !p.secure {
		scheme = "http://"
	}
	return scheme + a.Domain
}

func bookmarkURL(d string) string {
	if u, err := url.Parse(d); err == nil && u.Scheme != "" {
		return d
	}
	return "https://" + d
}

func ignoreRedirect(err error) error {
	if errors.Is(err, errRedirected) {
		return nil
	}
	return err
}
