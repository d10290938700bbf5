package oidcrp

import (
	"maps"
	"slices"
	"strconv"
	"strings"
)

// identityFrom maps verified claims to an Identity.
func identityFrom(p Provider, claims map[string]any) (Identity, error) {
	email, err := emailFrom(claims, p.emailClaim())
	if err != nil {
		return Identity{}, err
	}
	id := Identity{
		Email:         email,
		EmailVerified: boolClaim(claims["email_verified"]),
		Groups:        groupsFrom(claims),
		Raw:           claims,
	}
	id.Subject, _ = claims["sub"].(string)
	id.Issuer, _ = claims["iss"].(string)
	id.Name, _ = claims["name"].(string)
	id.PreferredUsername, _ = claims["preferred_username"].(string)
	for _, name := range p.Claims {
		if v, ok := lookupFold(claims, name); ok {
			if id.Claims == nil {
				id.Claims = map[string]any{}
			}
			id.Claims[name] = v
		}
	}
	return id, nil
}

const missingEmailHelp = "In authentik add the \"email\" scope mapping to the provider and keep \"Include claims in id_token\" on; " +
	"if the identity provider sends the address under another claim, set email_claim_name in ssogate."

func emailFrom(claims map[string]any, name string) (string, error) {
	const prefix = "Failed to fetch user/group information from the identity provider: "
	v, ok := claims[name]
	if !ok || v == nil {
		return "", fail(ReasonMissingEmail, nil, "%sthe ID token has no %q claim. %s", prefix, name, missingEmailHelp)
	}
	s, ok := v.(string)
	if !ok {
		return "", fail(ReasonMissingEmail, nil, "%sthe ID token's %q claim is not a string. %s", prefix, name, missingEmailHelp)
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return "", fail(ReasonMissingEmail, nil, "%sthe ID token's %q claim is empty. %s", prefix, name, missingEmailHelp)
	}
	// Policies match on the address and its domain, so a claim that holds
	// a username is as good as none; say so rather than let every policy fail.
	if at := strings.LastIndexByte(s, '@'); at <= 0 || at == len(s)-1 {
		return "", fail(ReasonMissingEmail, nil, "%sthe ID token's %q claim is %q, which is not an email address. %s", prefix, name, clip(s, 100), missingEmailHelp)
	}
	return s, nil
}

// boolClaim reads email_verified: a JSON boolean, or the strings some IdPs
// send. Absent stays nil, so false and unknown differ (authentik 2025.10+
// asserts false by default).
func boolClaim(v any) *bool {
	switch t := v.(type) {
	case bool:
		return &t
	case string:
		if b, err := strconv.ParseBool(t); err == nil {
			return &b
		}
	}
	return nil
}

// groupsFrom reads the claim named "groups" in any case, as Access does. A
// list keeps its elements; one string is split on commas so policies can
// match single values. Empty and repeated values are dropped.
func groupsFrom(claims map[string]any) []string {
	v, ok := lookupFold(claims, "groups")
	if !ok {
		return nil
	}
	var values []string
	switch t := v.(type) {
	case string:
		values = strings.Split(t, ",")
	case []any:
		for _, e := range t {
			switch e := e.(type) {
			case string:
				values = append(values, e)
			case float64:
				values = append(values, strconv.FormatFloat(e, 'f', -1, 64))
			case bool:
				values = append(values, strconv.FormatBool(e))
			}
		}
	}
	var groups []string
	seen := make(map[string]bool, len(values))
	for _, g := range values {
		if g = strings.TrimSpace(g); g != "" && !seen[g] {
			seen[g] = true
			groups = append(groups, g)
		}
	}
	return groups
}

// lookupFold finds name exactly, else ignoring case (the first such key in
// sorted order, so the choice does not depend on map order).
func lookupFold(claims map[string]any, name string) (any, bool) {
	if v, ok := claims[name]; ok {
		return v, true
	}
	for _, k := range slices.Sorted(maps.Keys(claims)) {
		if strings.EqualFold(k, name) {
			return claims[k], true
		}
	}
	return nil, false
}
