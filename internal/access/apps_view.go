package access

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"

	"github.com/ssogate/ssogate/internal/api"
)

// Each application type has its own fields, as in Cloudflare's API and the
// Terraform provider's per-type handling: a field that does not apply to a
// type is neither accepted for it (400) nor returned (the provider reads a
// returned session_duration on a bookmark as an inconsistent result).
// Fields every type has: id, aud, name, type, domain, policies, created_at,
// updated_at.
var appTypeFields = map[string][]string{
	TypeSelfHosted: {"session_duration", "allowed_idps", "auto_redirect_to_identity", "app_launcher_visible",
		"logo_url", "custom_deny_message", "custom_deny_url", "tags", "same_site_cookie_attribute",
		"http_only_cookie_attribute", "path_cookie_attribute", "cors_headers", "options_preflight_bypass",
		"origin_url", "origin_request", "read_service_tokens_from_header"},
	TypeBookmark:    {"app_launcher_visible", "logo_url", "tags"},
	TypeAppLauncher: {"session_duration", "allowed_idps", "auto_redirect_to_identity", "custom_deny_url", "skip_app_launcher_login_page"},
	TypeDashSSO:     {"session_duration", "allowed_idps", "auto_redirect_to_identity", "custom_deny_url"},
}

// appAlways are the fields returned for a type even when never set, with
// the value Cloudflare gives them (the provider's defaults for the type).
var appAlways = map[string]map[string]any{
	TypeSelfHosted:  {"http_only_cookie_attribute": true},
	TypeAppLauncher: {"skip_app_launcher_login_page": false},
}

// appCommonFields are accepted for every type.
var appCommonFields = []string{"name", "type", "domain", "policies"}

// checkTypeFields refuses a field sent for a type it does not apply to.
func checkTypeFields(typ string, in AppInput) error {
	v := reflect.ValueOf(in)
	for i := range v.NumField() {
		if v.Field(i).IsNil() {
			continue
		}
		key, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ",")
		if slices.Contains(appCommonFields, key) || slices.Contains(appTypeFields[typ], key) {
			continue
		}
		return api.Invalid("/"+key, "%s does not apply to %s applications (they take %s)", key, typ,
			strings.Join(appTypeFields[typ], ", "))
	}
	return nil
}

// MarshalJSON shows the fields of the application's type only.
func (a App) MarshalJSON() ([]byte, error) {
	type plain App
	raw, err := json.Marshal(plain(a))
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	own := appTypeFields[a.Type]
	for k := range m {
		if isSettingsField(k) && !slices.Contains(own, k) {
			delete(m, k)
		}
	}
	for k, v := range appAlways[a.Type] {
		if _, ok := m[k]; !ok {
			m[k], _ = json.Marshal(v)
		}
	}
	return json.Marshal(m)
}

// settingsFields are the JSON names of AppSettings (and what it embeds)
// plus the input-only ones: every field that depends on the type.
var settingsFields = func() []string {
	var out []string
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			if f.Anonymous {
				walk(f.Type)
				continue
			}
			if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != "" && name != "-" {
				out = append(out, name)
			}
		}
	}
	walk(reflect.TypeFor[AppSettings]())
	for _, fields := range appTypeFields {
		out = append(out, fields...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}()

func isSettingsField(k string) bool { return slices.Contains(settingsFields, k) }
