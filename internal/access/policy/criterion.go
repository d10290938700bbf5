package policy

import (
	"encoding/json"
	"fmt"
	"strings"
)

// outcome is a rule's or a policy's answer for one identity. unknown means
// the rule could not be evaluated (unsupported type, malformed value, a fact
// about the identity that is missing); the evaluator resolves it toward the
// safe side of each policy's decision, see doc.go.
type outcome int

const (
	noMatch outcome = iota
	match
	unknown
)

// criterion evaluates one rule type. Each lives in its own file with its
// own table test.
type criterion interface {
	// identityBased reports whether the rule is about who signed in rather
	// than about the request; such rules cannot decide a bypass.
	identityBased() bool
	// check reports what is wrong with a rule value, for ValidateRules.
	check(value json.RawMessage) error
	// eval matches the value against the identity and says why, in words
	// safe to show to that person (see Reason).
	eval(value json.RawMessage, id Identity) (outcome, string)
}

// criterionFor returns the criterion for a rule type, or nil when ssogate
// does not evaluate that type.
func criterionFor(typ string) criterion {
	switch typ {
	case "email":
		return emailCriterion{}
	case "email_domain":
		return emailDomainCriterion{}
	case "everyone":
		return everyoneCriterion{}
	case "group":
		return groupCriterion{}
	case "login_method":
		return loginMethodCriterion{}
	case "ip":
		return ipCriterion{}
	case "service_token":
		return serviceTokenCriterion{}
	case "any_valid_service_token":
		return anyServiceTokenCriterion{}
	}
	return nil
}

// supportedTypes lists the rule types criterionFor knows, for messages.
const supportedTypes = "any_valid_service_token, email, email_domain, everyone, group, ip, login_method, service_token"

// isCloudflareRuleType reports whether Cloudflare's API knows a rule type
// (cloudflare-api.md §6.3), to tell "not supported here" from "no such type".
func isCloudflareRuleType(typ string) bool {
	switch typ {
	case "email", "email_domain", "everyone", "group", "ip", "ip_list", "email_list",
		"oidc", "saml", "azureAD", "okta", "gsuite", "github-organization",
		"auth_context", "auth_method", "login_method", "geo", "certificate",
		"common_name", "service_token", "any_valid_service_token",
		"device_posture", "external_evaluation", "linked_app_token", "user_risk_score":
		return true
	}
	return false
}

// asciiEqualFold compares case-insensitively for ASCII letters only.
// strings.EqualFold applies Unicode folding, under which "\u212a" (KELVIN
// SIGN) equals "k": an IdP that lets users pick such an address would let
// "\u212aim@example.com" pass a rule for "kim@example.com".
func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lowerASCII(a[i]) != lowerASCII(b[i]) {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func toLowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		b[i] = lowerASCII(c)
	}
	return string(b)
}

// checkDomain reports what is wrong with a domain name in a rule: letters,
// digits and hyphens in dot-separated labels of 1–63 characters, at most 253
// in all, no trailing dot. Internationalised names are written in their
// xn-- (punycode) form, which is what IdPs put in email claims.
func checkDomain(d string) error {
	switch {
	case d == "":
		return fmt.Errorf("the domain is empty")
	case strings.HasPrefix(d, "@"):
		return fmt.Errorf("domain %q must be written without the leading @ (%q)", d, strings.TrimLeft(d, "@"))
	case strings.HasPrefix(d, "*."):
		return fmt.Errorf("domain %q must not be a wildcard: email_domain matches the exact domain only", d)
	case len(d) > 253:
		return fmt.Errorf("domain is longer than 253 characters")
	case strings.HasSuffix(d, "."):
		return fmt.Errorf("domain %q must not end with a dot", d)
	}
	for _, label := range strings.Split(d, ".") {
		if err := checkLabel(label); err != nil {
			return fmt.Errorf("domain %q is not a valid domain name: %v", d, err)
		}
	}
	return nil
}

func checkLabel(label string) error {
	if label == "" {
		return fmt.Errorf("empty label")
	}
	if len(label) > 63 {
		return fmt.Errorf("label longer than 63 characters")
	}
	if label[0] == '-' || label[len(label)-1] == '-' {
		return fmt.Errorf("label %q starts or ends with a hyphen", label)
	}
	for _, c := range label {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
			return fmt.Errorf("character %q is not allowed (letters, digits and hyphens only; use the xn-- form for international names)", c)
		}
	}
	return nil
}
