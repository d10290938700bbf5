package samlref

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"html/template"
	"net/http"
)

// The only stylesheet and the only script, inline and pinned by hash in the
// CSP, so the pages load nothing from anywhere.
const (
	pageCSS = `body{font:16px/1.5 system-ui,sans-serif;background:#f4f4f5;color:#18181b;margin:0}` +
		`main{max-width:22rem;margin:4rem auto;background:#fff;padding:2rem;border-radius:.5rem;box-shadow:0 1px 3px #0002}` +
		`h1{font-size:1.4rem;margin:0 0 1rem}label{display:block;margin-top:1rem;font-weight:600}` +
		`input{box-sizing:border-box;width:100%;padding:.5rem;margin-top:.25rem;border:1px solid #a1a1aa;border-radius:.25rem;font:inherit}` +
		`button{margin-top:1.5rem;width:100%;padding:.6rem;border:0;border-radius:.25rem;background:#fd4b2d;color:#fff;font:inherit;font-weight:600}` +
		`.error{background:#fee2e2;color:#991b1b;padding:.5rem .75rem;border-radius:.25rem}`
	// postScript submits the response form as soon as the page loads; the
	// button is there for browsers without JavaScript.
	postScript = `document.getElementById("saml-response").submit();`
)

func hashSource(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

// No form-action: the login form posts here, but the response form posts
// to the SP, and browsers also apply form-action to redirects after a POST.
var (
	pageCSP = "default-src 'none'; style-src " + hashSource(pageCSS) + "; base-uri 'none'; frame-ancestors 'none'"
	postCSP = "default-src 'none'; style-src " + hashSource(pageCSS) + "; script-src " + hashSource(postScript) +
		"; base-uri 'none'; frame-ancestors 'none'"
)

var pages = template.Must(template.New("pages").Parse(`
{{define "head"}}<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{{.Title}}</title><style>` + pageCSS + `</style></head>{{end}}

{{define "login"}}{{template "head" .}}<body><main>
<h1>{{.Title}}</h1>
{{if .Client}}<p>to continue to <strong>{{.Client}}</strong></p>{{end}}
{{if .Error}}<p class="error" role="alert">{{.Error}}</p>{{end}}
<form method="post" action="{{.Action}}">
<input type="hidden" name="token" value="{{.Token}}">
<input type="hidden" name="sp" value="{{.Client}}">
<input type="hidden" name="binding" value="{{.Binding}}">
<input type="hidden" name="request" value="{{.Request}}">
<label for="username">Username</label>
<input id="username" name="username" autocomplete="username" value="{{.Username}}" required autofocus>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form></main></body></html>{{end}}

{{define "post"}}{{template "head" .}}<body><main>
<h1>{{.Title}}</h1>
<form id="saml-response" method="post" action="{{.Action}}">
<input type="hidden" name="SAMLResponse" value="{{.SAMLResponse}}">
{{if .RelayState}}<input type="hidden" name="RelayState" value="{{.RelayState}}">{{end}}
<noscript><p>JavaScript is off: press Continue to finish signing in.</p></noscript>
<button type="submit">Continue</button>
</form></main>
<script>` + postScript + `</script></body></html>{{end}}

{{define "message"}}{{template "head" .}}<body><main>
<h1>{{.Title}}</h1>
<p class="error" role="alert">{{.Message}}</p>
</main></body></html>{{end}}
`))

type pageData struct {
	Title, Message                  string // message page
	Client, Error, Action, Username string // login page
	Token, Binding, Request         string // login page, hidden
	SAMLResponse, RelayState        string // post page (Action is the ACS)
}

func renderMessage(w http.ResponseWriter, status int, title, message string) {
	renderPage(w, status, "message", pageData{Title: title, Message: message})
}

func renderPage(w http.ResponseWriter, status int, name string, data pageData) {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, data); err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	csp := pageCSP
	if name == "post" {
		csp = postCSP
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	buf.WriteTo(w)
}
