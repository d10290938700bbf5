package dashboard

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/ssogate/ssogate/internal/accounts"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets
var assetFS embed.FS

var funcs = template.FuncMap{
	"when": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"whenp": func(t *time.Time) string {
		if t == nil || t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04 UTC")
	},
	"join":  strings.Join,
	"rules": rules,
	// dict builds a map for a partial: {{template "copy" (dict "ID" "x" "Value" .V)}}.
	"dict": func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	},
	"short": shortRole,
}

// pages holds one template set per page: the layout and partials, plus
// that page's file, so every page can define "content" without clashing.
var pages = loadPages()

func loadPages() map[string]*template.Template {
	base := template.Must(template.New("").Funcs(funcs).ParseFS(templateFS, "templates/_*.html"))
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	out := map[string]*template.Template{}
	for _, n := range names {
		name := strings.TrimSuffix(path.Base(n), ".html")
		if strings.HasPrefix(name, "_") {
			continue
		}
		out[name] = template.Must(template.Must(base.Clone()).ParseFS(templateFS, n))
	}
	return out
}

// view is what every page template receives.
type view struct {
	Title       string
	Section     string // the nav entry to mark current
	User        *Session
	Account     *accounts.Account
	Role        string
	Memberships []accounts.Member
	CSRF        string
	Flash       string
	Data        any
}

// Can reports whether the signed-in member may do the capability named key
// (templates hide what the role cannot use; handlers check again). An
// unknown key fails the page rather than hide a form without a word.
func (v view) Can(key string) (bool, error) {
	c, err := templateCapability(key)
	return err == nil && can(v.Role, c), err
}

// Needs names the permission groups of the capability: "SSO Connector Write".
func (v view) Needs(key string) (string, error) {
	c, err := templateCapability(key)
	return strings.Join(capabilities[c].groups, " and "), err
}

// WhoCan names the roles that may: "Super Administrators".
func (v view) WhoCan(key string) (string, error) {
	c, err := templateCapability(key)
	return whoMay(capabilities[c].groups), err
}

// AskWhom is whom a member who may not should ask: "a Super Administrator
// of this account".
func (v view) AskWhom(key string) (string, error) {
	c, err := templateCapability(key)
	return askWhom(capabilities[c].groups), err
}

func templateCapability(key string) (capability, error) {
	if c, ok := capabilityByKey(key); ok {
		return c, nil
	}
	return 0, fmt.Errorf("dashboard: no capability %q", key)
}

// AccountPath is the base path of the current account's pages.
func (v view) AccountPath() string {
	if v.Account == nil {
		return ""
	}
	return "/" + v.Account.ID
}

func (d *Dashboard) render(rq *req, status int, page, title string, data any) error {
	v := view{Title: title, User: rq.sess, Account: rq.account, Role: rq.role(), Memberships: rq.memberships,
		CSRF: rq.csrf, Data: data, Flash: flash(rq.URL.Query().Get("done"))}
	if rq.account != nil {
		rest := strings.TrimPrefix(rq.URL.Path, "/"+rq.account.ID+"/")
		v.Section, _, _ = strings.Cut(rest, "/")
	}
	return d.write(rq.w, status, page, v)
}

func (d *Dashboard) write(w http.ResponseWriter, status int, page string, v view) error {
	t, ok := pages[page]
	if !ok {
		panic("dashboard: no page " + page)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
	return nil
}

// errorView is the data of the error page.
type errorView struct {
	Title, Message, Back string
}

// renderError shows an error page; rq may be nil before the request is
// understood.
func (d *Dashboard) renderError(w http.ResponseWriter, r *http.Request, rq *req, pe *pageError) {
	v := view{Title: pe.title, Data: errorView{Title: pe.title, Message: pe.message, Back: pe.back}}
	if rq != nil {
		v.User, v.Account, v.Role, v.Memberships, v.CSRF = rq.sess, rq.account, rq.role(), rq.memberships, rq.csrf
	}
	if err := d.write(w, pe.status, "error", v); err != nil {
		d.log.Error("render dashboard error page", "error", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
	}
}

// flash turns a ?done= code from a post-redirect-get into its message.
// Only known codes are shown, so a link cannot put words on the page.
func flash(code string) string {
	return map[string]string{
		"connector_created":       "SSO connector created. Publish the TXT record below, then check it.",
		"connector_checked":       "Checked DNS.",
		"connector_enabled":       "Single sign-on is now enforced for this domain.",
		"connector_disabled":      "Single sign-on is off for this domain: its members can sign in with a password again.",
		"connector_deleted":       "SSO connector deleted.",
		"token_deleted":           "API token deleted.",
		"token_updated":           "API token updated.",
		"member_added":            "Member added.",
		"member_updated":          "Role changed.",
		"member_removed":          "Member removed.",
		"session_revoked":         "Session signed out.",
		"sessions_revoked":        "Every other session is signed out.",
		"organization_created":    "Access organization created: your team domain is below.",
		"organization_updated":    "Access organization updated.",
		"idp_created":             "Identity provider added. Register the redirect URI at the provider, then test it.",
		"idp_deleted":             "Identity provider deleted.",
		"app_created":             "Application added.",
		"app_deleted":             "Application deleted.",
		"policy_created":          "Policy added.",
		"policy_deleted":          "Policy deleted.",
		"service_token_refreshed": "Service token refreshed: its duration starts again from now.",
		"service_token_deleted":   "Service token deleted: it stops working at once.",
	}[code]
}

// serveAsset serves the embedded stylesheet and script.
func serveAsset(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	b, err := assetFS.ReadFile("assets/" + name)
	if err != nil || strings.Contains(name, "/") {
		http.NotFound(w, r)
		return
	}
	switch path.Ext(name) {
	case ".css":
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
	case ".js":
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	case ".svg":
		w.Header().Set("Content-Type", "image/svg+xml")
	}
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(b)
}
