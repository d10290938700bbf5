package cli

import (
	"fmt"
	"strings"

	cloudflare "github.com/cloudflare/cloudflare-go/v6"
	"github.com/cloudflare/cloudflare-go/v6/zero_trust"
	"github.com/tidwall/gjson"
)

// ruleSyntax is the help text of --include, --exclude and --require, and
// the hint of every rule mistake.
const ruleSyntax = `A rule is TYPE or TYPE=VALUE:
  everyone                    anyone who signs in
  email=kim@acmecorp.company  this e-mail address
  email_domain=acmecorp.company
  group=NAME                  ssogate: a group the IdP puts in the identity; Cloudflare: an Access group's id
  ip=192.0.2.0/24             the client address is in this range (or is this address)
  login_method=IDP_ID         signed in through this identity provider (access idp list)
  service_token=ID            this service token (its id, not its client id)
  any_valid_service_token     any valid service token of the account
Repeat the flag for several rules: a policy matches when any --include rule matches, every
--require rule matches and no --exclude rule matches. Other rule types: ssogate api.`

// parseRules turns --include/--exclude/--require values into the SDK's
// rule params, checking each before any request.
func parseRules(flag string, values []string) ([]zero_trust.AccessRuleUnionParam, error) {
	out := make([]zero_trust.AccessRuleUnionParam, 0, len(values))
	for _, v := range values {
		r, err := parseRule(v)
		if err != nil {
			return nil, usageError("%s %q: %v\n\n%s", flag, v, err, ruleSyntax)
		}
		out = append(out, r)
	}
	return out, nil
}

func parseRule(s string) (zero_trust.AccessRuleUnionParam, error) {
	typ, value, hasValue := strings.Cut(strings.TrimSpace(s), "=")
	value = strings.TrimSpace(value)
	switch typ {
	case "everyone", "any_valid_service_token":
		if hasValue {
			return nil, fmt.Errorf("%s takes no value", typ)
		}
		if typ == "everyone" {
			return zero_trust.EveryoneRuleParam{Everyone: cloudflare.F(zero_trust.EveryoneRuleEveryoneParam{})}, nil
		}
		return zero_trust.AnyValidServiceTokenRuleParam{
			AnyValidServiceToken: cloudflare.F(zero_trust.AnyValidServiceTokenRuleAnyValidServiceTokenParam{})}, nil
	case "email", "email_domain", "group", "ip", "login_method", "service_token":
	default:
		return nil, fmt.Errorf("unknown rule type %q", typ)
	}
	if value == "" {
		return nil, fmt.Errorf("%s needs a value: %s=…", typ, typ)
	}
	switch typ {
	case "email":
		if strings.Count(value, "@") != 1 || strings.HasPrefix(value, "@") || strings.HasSuffix(value, "@") {
			return nil, fmt.Errorf("%q is not an e-mail address (for a whole domain: email_domain=%s)", value, strings.TrimPrefix(value, "@"))
		}
		return zero_trust.EmailRuleParam{Email: cloudflare.F(zero_trust.EmailRuleEmailParam{Email: cloudflare.F(value)})}, nil
	case "email_domain":
		if strings.Contains(value, "@") {
			return nil, fmt.Errorf("give the domain without @ (for one address: email=%s)", value)
		}
		return zero_trust.DomainRuleParam{EmailDomain: cloudflare.F(zero_trust.DomainRuleEmailDomainParam{Domain: cloudflare.F(value)})}, nil
	case "group":
		return zero_trust.GroupRuleParam{Group: cloudflare.F(zero_trust.GroupRuleGroupParam{ID: cloudflare.F(value)})}, nil
	case "ip":
		if !isCIDROrAddr(value) {
			return nil, fmt.Errorf("%q is not an IP address or CIDR range", value)
		}
		return zero_trust.IPRuleParam{IP: cloudflare.F(zero_trust.IPRuleIPParam{IP: cloudflare.F(value)})}, nil
	case "login_method":
		if !idpIDs.valid(value) {
			return nil, fmt.Errorf("%q is not an identity provider id (a lowercase UUID, as access idp list prints it)", value)
		}
		return zero_trust.AccessRuleAccessLoginMethodRuleParam{
			LoginMethod: cloudflare.F(zero_trust.AccessRuleAccessLoginMethodRuleLoginMethodParam{ID: cloudflare.F(value)})}, nil
	default: // service_token
		if !stIDs.valid(value) {
			return nil, fmt.Errorf("%q is not a service token id (a lowercase UUID; not the client id)", value)
		}
		return zero_trust.ServiceTokenRuleParam{
			ServiceToken: cloudflare.F(zero_trust.ServiceTokenRuleServiceTokenParam{TokenID: cloudflare.F(value)})}, nil
	}
}

// showRules writes rules back in the syntax parseRules reads: TYPE, or
// TYPE=VALUE with the rule's one string value; other rules as compact JSON.
func showRules(rules gjson.Result) string {
	var out []string
	for _, r := range rules.Array() {
		text := r.Raw
		r.ForEach(func(k, v gjson.Result) bool {
			var vals []string
			v.ForEach(func(_, x gjson.Result) bool {
				vals = append(vals, x.String())
				return true
			})
			switch {
			case len(vals) == 0 && v.IsObject():
				text = k.String()
			case len(vals) == 1:
				text = k.String() + "=" + vals[0]
			}
			return false
		})
		out = append(out, text)
	}
	return strings.Join(out, ", ")
}
