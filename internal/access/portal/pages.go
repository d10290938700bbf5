package portal

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"
)

//go:embed assets/style.css assets/autosubmit.js
var assets embed.FS

var pages = template.Must(template.New("").Parse(`
{{define "head"}}<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.}} · ssogate Access</title><link rel="stylesheet" href="/cdn-cgi/access/assets/style.css"></head><body><main>{{end}}
{{define "foot"}}</main></body></html>{{end}}

{{define "error"}}{{template "head" .Title}}<div class="card" role="alert"><h1>{{.Title}}</h1><p>{{.Message}}</p>
{{if .Reasons}}<ul class="reasons">{{range .Reasons}}<li>{{.}}</li>{{end}}</ul>{{end}}
<p class="muted"><a href="/cdn-cgi/access/logout">Sign out</a> to use another account.</p></div>{{template "foot"}}{{end}}

{{define "choose"}}{{template "head" "Sign in"}}<div class="card"><h1>Sign in to {{.Team}}</h1>
<p>Choose how to sign in{{if .App}} to {{.App}}{{end}}:</p>
<ul class="idps">{{range .IdPs}}<li><a class="button" href="{{.URL}}">{{.Name}}</a></li>{{end}}</ul></div>{{template "foot"}}{{end}}

{{define "launcher"}}{{template "head" "App Launcher"}}<header><h1>{{.Team}}</h1>
<p class="muted">{{.Email}} · <a href="/cdn-cgi/access/logout">Sign out</a></p></header>
{{if .Tiles}}<ul class="tiles">{{range .Tiles}}<li><a href="{{.URL}}">{{.Name}}</a></li>{{end}}</ul>
{{else}}<div class="card"><p>No applications are available to you.</p></div>{{end}}{{template "foot"}}{{end}}

{{define "assertion"}}{{template "head" "Continue to the dashboard"}}<div class="card"><h1>Signed in as {{.Email}}</h1>
<script src="/cdn-cgi/access/assets/autosubmit.js"></script>
<form method="post" action="{{.ACS}}" data-autosubmit><input type="hidden" name="assertion" value="{{.Assertion}}">
<p><button type="submit" class="button" autofocus>Continue to the dashboard</button></p></form></div>{{template "foot"}}{{end}}

{{define "claims"}}{{template "head" "Identity provider test"}}<div class="card"><h1>Your connection to {{.IdP}} works!</h1>
<p>Email: <strong>{{.Email}}</strong></p><p>Groups: {{if .Groups}}{{.Groups}}{{else}}<span class="muted">none</span>{{end}}</p>
<p>Claims received in the ID token:</p><pre>{{.Claims}}</pre>
<p class="muted">No session was started.</p></div>{{template "foot"}}{{end}}

{{define "granted"}}{{template "head" .App}}<div class="card"><h1>Signed in to {{.App}}</h1>
<p>Access admitted <strong>{{.Email}}</strong> to this application.</p>
<p class="muted">ssogate does not proxy to the application's origin yet, so there is nothing more to show here.</p>
<p class="muted"><a href="/cdn-cgi/access/logout">Sign out</a></p></div>{{template "foot"}}{{end}}

{{define "signedout"}}{{template "head" "Signed out"}}<div class="card"><h1>You are signed out</h1>
<p><a href="/">Sign in again</a></p></div>{{template "foot"}}{{end}}
`))

// errorPage is the data of the error page.
type errorPage struct {
	Title, Message string
	Reasons        []string
}

func (p *Portal) render(w http.ResponseWriter, status int, name string, data any) {
	if pe, ok := data.(*pageError); ok {
		data = errorPage{Title: pe.title, Message: pe.message, Reasons: pe.reasons}
	}
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, data); err != nil {
		p.log.Error("render access page", "page", name, "error", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func serveAutosubmit(w http.ResponseWriter, r *http.Request) {
	js, _ := assets.ReadFile("assets/autosubmit.js")
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(js)
}

func serveStyle(w http.ResponseWriter, r *http.Request) {
	css, _ := assets.ReadFile("assets/style.css")
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(css)
}
