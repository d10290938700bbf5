package access

import (
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"

	"golang.org/x/net/http/httpguts"

	"github.com/ssogate/ssogate/internal/api"
)

// Application types ssogate serves.
const (
	TypeSelfHosted  = "self_hosted"
	TypeDashSSO     = "dash_sso"
	TypeBookmark    = "bookmark"
	TypeAppLauncher = "app_launcher"
)

// App is an Access application as the API shows it.
type App struct {
	ID     string `json:"id"`
	AUD    string `json:"aud"`
	Name   string `json:"name"`
	Type   string `json:"type"`
	Domain string `json:"domain"`
	AppSettings
	Policies  []Policy  `json:"policies"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	AccountID string    `json:"-"`
	// TokensRevokedOn: application tokens issued at or before it are
	// refused (revoke_tokens).
	TokensRevokedOn *time.Time `json:"-"`
}

// AppSettings are stored as one JSON document.
type AppSettings struct {
	SessionDuration        string   `json:"session_duration"`
	AllowedIdPs            []string `json:"allowed_idps"`
	AutoRedirectToIdentity bool     `json:"auto_redirect_to_identity"`
	AppLauncherVisible     bool     `json:"app_launcher_visible"`
	LogoURL                string   `json:"logo_url,omitempty"`
	CustomDenyMessage      string   `json:"custom_deny_message,omitempty"`
	CustomDenyURL          string   `json:"custom_deny_url,omitempty"`
	Tags                   []string `json:"tags"`
	CookieSettings
	CORSHeaders *CORSHeaders `json:"cors_headers,omitempty"`
	// OriginURL is where admitted requests of a self-hosted app are
	// proxied (an ssogate extension: Cloudflare routes through its
	// network or a tunnel instead). Empty: the gateway answers itself.
	OriginURL string `json:"origin_url,omitempty"`
	// OriginRequest tunes how the origin is reached (origin.go).
	OriginRequest OriginRequest `json:"origin_request,omitzero"`
	// ReadServiceTokensFromHeader names one header carrying a service
	// token's id and secret as JSON, instead of CF-Access-Client-Id and
	// CF-Access-Client-Secret (Cloudflare's field).
	ReadServiceTokensFromHeader string `json:"read_service_tokens_from_header,omitempty"`
	// OptionsPreflightBypass is only ever false (true is refused: the
	// gateway answers preflights from CORSHeaders); kept, when sent, so a
	// client that wrote false reads false back instead of a missing field.
	OptionsPreflightBypass *bool `json:"options_preflight_bypass,omitempty"`
}

// AppInput is a create or (merged) update body.
type AppInput struct {
	Name                   *string          `json:"name"`
	Type                   *string          `json:"type"`
	Domain                 *string          `json:"domain"`
	SessionDuration        *string          `json:"session_duration"`
	AllowedIdPs            *[]string        `json:"allowed_idps"`
	AutoRedirectToIdentity *bool            `json:"auto_redirect_to_identity"`
	AppLauncherVisible     *bool            `json:"app_launcher_visible"`
	LogoURL                *string          `json:"logo_url"`
	CustomDenyMessage      *string          `json:"custom_deny_message"`
	CustomDenyURL          *string          `json:"custom_deny_url"`
	Tags                   *[]string        `json:"tags"`
	Policies               *[]PolicyLinkRaw `json:"policies"`
	SameSiteCookie         *string          `json:"same_site_cookie_attribute"`
	HTTPOnlyCookie         *bool            `json:"http_only_cookie_attribute"`
	PathCookie             *bool            `json:"path_cookie_attribute"`
	CORSHeaders            *CORSHeaders     `json:"cors_headers"`
	OptionsBypass          *bool            `json:"options_preflight_bypass"`
	OriginURL              *string          `json:"origin_url"`
	OriginRequest          *OriginRequest   `json:"origin_request"`
	ReadServiceTokensFrom  *string          `json:"read_service_tokens_from_header"`
	SkipLauncherLoginPage  *bool            `json:"skip_app_launcher_login_page"`
}

// newAUD returns an application audience tag: 64 hex characters.
func newAUD() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// applyApp validates in and merges it into a. Checks that need the
// database (IdP ids, singletons, policy links) are the caller's.
func (s *Service) applyApp(a *App, in AppInput, create bool) error {
	if create && in.Type == nil {
		return api.Invalid("/type", "type is required: self_hosted, bookmark, app_launcher or dash_sso")
	}
	if in.Type != nil {
		if !create && *in.Type != a.Type {
			return api.Invalid("/type", "an application's type cannot change; create a new application")
		}
		switch *in.Type {
		case TypeSelfHosted, TypeBookmark, TypeAppLauncher, TypeDashSSO:
			a.Type = *in.Type
		default:
			return api.Invalid("/type", "type %q is not supported; use self_hosted, bookmark, app_launcher or dash_sso", *in.Type)
		}
	}
	if err := checkTypeFields(a.Type, in); err != nil {
		return err
	}
	if in.SkipLauncherLoginPage != nil && *in.SkipLauncherLoginPage {
		return api.Invalid("/skip_app_launcher_login_page", "skip_app_launcher_login_page is not supported: the App Launcher always shows its sign-in page")
	}
	if err := s.applyAppFields(a, in); err != nil {
		return err
	}
	return s.checkAppShape(a)
}

func (s *Service) applyAppFields(a *App, in AppInput) error {
	str := func(dst *string, v *string) {
		if v != nil {
			*dst = strings.TrimSpace(*v)
		}
	}
	str(&a.Name, in.Name)
	str(&a.Domain, in.Domain)
	str(&a.LogoURL, in.LogoURL)
	str(&a.CustomDenyMessage, in.CustomDenyMessage)
	str(&a.CustomDenyURL, in.CustomDenyURL)
	if in.SessionDuration != nil {
		if err := checkDuration("/session_duration", *in.SessionDuration, time.Minute, 730*time.Hour); err != nil {
			return err
		}
		a.SessionDuration = *in.SessionDuration
	}
	if in.AllowedIdPs != nil {
		a.AllowedIdPs = *in.AllowedIdPs
	}
	if in.AutoRedirectToIdentity != nil {
		a.AutoRedirectToIdentity = *in.AutoRedirectToIdentity
	}
	if in.AppLauncherVisible != nil {
		a.AppLauncherVisible = *in.AppLauncherVisible
	}
	if in.Tags != nil {
		a.Tags = *in.Tags
	}
	if in.SameSiteCookie != nil {
		a.SameSite = *in.SameSiteCookie
	}
	if in.HTTPOnlyCookie != nil {
		a.HTTPOnly = in.HTTPOnlyCookie
	}
	if in.PathCookie != nil {
		a.PathScoped = *in.PathCookie
	}
	if in.CORSHeaders != nil {
		a.CORSHeaders = in.CORSHeaders
	}
	if in.OriginURL != nil {
		a.OriginURL = strings.TrimSpace(*in.OriginURL)
	}
	if in.OriginRequest != nil {
		a.OriginRequest = *in.OriginRequest
	}
	if in.ReadServiceTokensFrom != nil {
		h := strings.TrimSpace(*in.ReadServiceTokensFrom)
		if h != "" && !httpguts.ValidHeaderFieldName(h) {
			return api.Invalid("/read_service_tokens_from_header", "read_service_tokens_from_header must be an HTTP header name, e.g. Authorization or X-Service-Token, not %q", h)
		}
		a.ReadServiceTokensFromHeader = h
	}
	if in.OptionsBypass != nil && *in.OptionsBypass {
		// Bypassing means sending preflights to the origin unauthenticated;
		// the gateway answers them from cors_headers instead.
		return api.Invalid("/options_preflight_bypass", "options_preflight_bypass is not supported; answer preflights with cors_headers instead")
	}
	if in.OptionsBypass != nil {
		a.OptionsPreflightBypass = in.OptionsBypass
	}
	if err := checkCookieSettings(&a.CookieSettings); err != nil {
		return err
	}
	return checkCORS(a.CORSHeaders)
}

// checkAppShape checks what each type requires.
func (s *Service) checkAppShape(a *App) error {
	if a.AllowedIdPs == nil {
		a.AllowedIdPs = []string{}
	}
	if a.Tags == nil {
		a.Tags = []string{}
	}
	if a.AutoRedirectToIdentity && len(a.AllowedIdPs) != 1 {
		return api.Invalid("/auto_redirect_to_identity", "auto_redirect_to_identity needs exactly one identity provider in allowed_idps (it has %d)", len(a.AllowedIdPs))
	}
	for _, u := range []struct{ ptr, v string }{{"/logo_url", a.LogoURL}, {"/custom_deny_url", a.CustomDenyURL}} {
		if u.v != "" {
			if err := checkURL(u.ptr, u.v); err != nil {
				return err
			}
		}
	}
	if a.OriginURL != "" && a.Type != TypeSelfHosted {
		return api.Invalid("/origin_url", "origin_url is for self_hosted applications only")
	}
	switch a.Type {
	case TypeSelfHosted:
		d, err := checkAppDomain(a.Domain)
		if err != nil {
			return err
		}
		if err := s.checkAppHost(AppHost(d)); err != nil {
			return err
		}
		a.Domain = d
		if a.OriginURL != "" {
			if err := checkOrigin(a.OriginURL); err != nil {
				return err
			}
		}
	case TypeBookmark:
		if err := checkURL("/domain", bookmarkURL(a.Domain)); err != nil {
			return err
		}
	}
	if err := checkOriginRequest(a); err != nil {
		return err
	}
	if a.Name == "" {
		if a.Type != TypeAppLauncher && a.Type != TypeDashSSO {
			return api.Invalid("/name", "name is required (it is shown in the App Launcher)")
		}
		a.Name = map[string]string{TypeAppLauncher: "App Launcher", TypeDashSSO: "SSO App"}[a.Type]
	}
	if len(a.Name) > 200 {
		return api.Invalid("/name", "name is at most 200 characters")
	}
	return nil
}

// checkAppHost refuses hosts ssogate serves itself: requests for an
// application host are answered by the Access gateway, so an application
// on a team domain or on the dashboard's host would capture them.
func (s *Service) checkAppHost(host string) error {
	refuse := func(why string) error {
		return api.Invalid("/domain", "%s cannot be an application host: %s", host, why)
	}
	switch {
	case strings.Contains(host, ":"):
		return refuse("give the host name without a port")
	case net.ParseIP(host) != nil:
		return refuse("use a host name, not an IP address")
	case host == s.cfg.AccessDomain || strings.HasSuffix(host, "."+s.cfg.AccessDomain):
		return refuse("names under " + s.cfg.AccessDomain + " are team domains")
	case slices.Contains(s.cfg.ReservedHosts, host):
		return refuse("it is the dashboard's host")
	}
	return nil
}

// checkOrigin accepts an http(s) URL with a host and no credentials,
// query or fragment: where the gateway proxies the app.
func checkOrigin(v string) error {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return api.Invalid("/origin_url", "origin_url must be the application's own address, such as http://10.0.0.5:3000, not %q", v)
	}
	return nil
}

// AppHost is the host part of a self-hosted application's domain.
func AppHost(domain string) string {
	host, _, _ := strings.Cut(domain, "/")
	return host
}

// checkAppDomain normalises a self-hosted application's host[/path].
func checkAppDomain(d string) (string, error) {
	d = strings.ToLower(strings.TrimSpace(d))
	host, path, _ := strings.Cut(d, "/")
	u, err := url.Parse("http://" + host)
	if d == "" || err != nil || u.Host != host || u.User != nil || strings.ContainsAny(d, " \\?#") || strings.Contains(host, "*") {
		return "", api.Invalid("/domain", "domain must be the protected host name, optionally with a path, such as app.acmecorp.company or app.acmecorp.company/admin, not %q", d)
	}
	if path != "" {
		return host + "/" + strings.TrimSuffix(path, "/"), nil
	}
	return host, nil
}

// bookmarkURL accepts a bare host as an https URL, as Cloudflare does.
func bookmarkURL(d string) string {
	if strings.Contains(d, "://") {
		return d
	}
	return "https://" + d
}
