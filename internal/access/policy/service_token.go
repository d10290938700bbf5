package policy

import (
	"encoding/json"
	"fmt"
	"net/netip"
)

// ServiceToken is what a request authenticated by a valid service token
// shows policies: the token's id (the API's "id", not its client id) and
// the client's address. The caller has already checked the client id and
// secret (access.Snapshot.CheckServiceToken); this package only decides.
type ServiceToken struct {
	ID string
	IP netip.Addr // the zero Addr when unknown
}

// ServiceTokenRule is the rule {"service_token":{"token_id":id}}: the
// request presented that service token.
func ServiceTokenRule(tokenID string) Rule {
	return newRule("service_token", map[string]string{"token_id": tokenID})
}

// AnyValidServiceToken is the rule {"any_valid_service_token":{}}: the
// request presented a valid service token of the account.
func AnyValidServiceToken() Rule {
	return Rule{Type: "any_valid_service_token", Value: json.RawMessage("{}")}
}

// isServiceTokenRule reports whether a rule type is about service tokens.
// Such rules describe the request, not a signed-in user, but only
// non_identity (Service Auth) policies admit with them, and deny policies
// block with them; validate.go refuses them elsewhere.
func isServiceTokenRule(typ string) bool {
	return typ == "service_token" || typ == "any_valid_service_token"
}

type serviceTokenCriterion struct{}

func (serviceTokenCriterion) identityBased() bool { return false }

func (serviceTokenCriterion) check(value json.RawMessage) error {
	_, err := parseServiceTokenRule(value)
	return err
}

func (serviceTokenCriterion) eval(value json.RawMessage, id Identity) (outcome, string) {
	want, err := parseServiceTokenRule(value)
	if err != nil {
		return unknown, "this policy has an invalid service_token rule"
	}
	switch {
	case id.serviceToken == "":
		return noMatch, "no service token was presented"
	case asciiEqualFold(id.serviceToken, want):
		return match, "the service token presented is listed"
	}
	return noMatch, "the service token presented is not listed"
}

func parseServiceTokenRule(value json.RawMessage) (string, error) {
	fields, err := objectFields("service_token", value)
	if err != nil {
		return "", err
	}
	tok, err := stringField(fields, "token_id")
	if err != nil {
		return "", err
	}
	if !isUUID(tok) {
		return "", fmt.Errorf(`a service_token rule needs the service token's id (a UUID, not its client id) in "token_id", not %q`, tok)
	}
	return tok, nil
}

// isUUID accepts a UUID in its 36-character form, any case.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := lowerASCII(s[i])
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return false
			}
		case !('0' <= c && c <= '9' || 'a' <= c && c <= 'f'):
			return false
		}
	}
	return true
}

type anyServiceTokenCriterion struct{}

func (anyServiceTokenCriterion) identityBased() bool { return false }

func (anyServiceTokenCriterion) check(value json.RawMessage) error {
	_, err := objectFields("any_valid_service_token", value)
	return err
}

func (anyServiceTokenCriterion) eval(value json.RawMessage, id Identity) (outcome, string) {
	if _, err := objectFields("any_valid_service_token", value); err != nil {
		return unknown, "this policy has an invalid any_valid_service_token rule"
	}
	if id.serviceToken == "" {
		return noMatch, "no service token was presented"
	}
	return match, "a valid service token was presented"
}

// EvaluateServiceToken decides whether a request that presented a valid
// service token may reach an application protected by policies. Like
// Evaluate it is pure.
//
// Order: bypass policies by precedence (ResultBypass: the request needs no
// token at all); then every deny policy by precedence — a block blocks
// machines too, wherever it sits (doc.go); then non_identity (Service
// Auth) policies by precedence, the first that matches admitting the
// request (ResultAllow, Policy its id). Allow policies never admit a
// service token: they are for people, and Cloudflare answers them with a
// login. Nothing admits: deny.
//
// Within a policy, rules are matched as for a login, against the token:
// service_token and any_valid_service_token as their names say, ip against
// the client's address, everyone always; rules about a signed-in user
// (email, email_domain, group, login_method) never match a service token —
// a certainty, not a guess: it is no one's login — so "include everyone,
// exclude email_domain X" blocks every token, and a block meant for people
// only spares tokens with exclude any_valid_service_token.
func EvaluateServiceToken(policies []Policy, tok ServiceToken) Decision {
	id := Identity{IP: tok.IP, serviceToken: tok.ID}
	if tok.ID == "" {
		return Decision{Result: ResultDeny, Reasons: []Reason{{Message: "no service token was presented"}}}
	}
	ordered := byPrecedence(policies)
	if p, reasons, ok := firstMatching(ordered, DecisionBypass, id); ok {
		return Decision{Result: ResultBypass, Policy: p.ID, Reasons: reasons}
	}
	if p, reasons, ok := firstMatching(ordered, DecisionDeny, id); ok {
		reasons = append(reasons, policyReason(p, true, "this service token is blocked by this policy"))
		return Decision{Result: ResultDeny, Policy: p.ID, Reasons: reasons}
	}
	var failed []Reason
	seen := false
	for _, p := range ordered {
		if p.Decision != DecisionNonIdentity {
			continue
		}
		seen = true
		ok, reasons := Matches(p, id)
		if ok {
			return Decision{Result: ResultAllow, Policy: p.ID, Reasons: reasons}
		}
		failed = append(failed, reasons...)
	}
	if !seen {
		return Decision{Result: ResultDeny, Reasons: []Reason{{Message: "this application has no Service Auth (non_identity) policy, so it admits no service token"}}}
	}
	return Decision{Result: ResultDeny, Reasons: append(failed, Reason{Message: "no Service Auth policy admits this service token"})}
}

// TokenRef is a service_token rule's token id and the JSON pointer of the
// rule within its policy (/include/0/service_token/token_id), so a caller
// that finds the token missing can point at the rule.
type TokenRef struct {
	Pointer string
	TokenID string
}

// ServiceTokenRefs lists the service tokens a policy's rules name, in rule
// order. Rules that do not parse are left out: ValidatePolicy reports them.
func ServiceTokenRefs(p Policy) []TokenRef {
	var out []TokenRef
	for _, list := range []struct {
		name  string
		rules []Rule
	}{{"include", p.Include}, {"exclude", p.Exclude}, {"require", p.Require}} {
		for i, r := range list.rules {
			if r.Type != "service_token" {
				continue
			}
			if id, err := parseServiceTokenRule(r.Value); err == nil {
				out = append(out, TokenRef{Pointer: fmt.Sprintf("/%s/%d/service_token/token_id", list.name, i), TokenID: id})
			}
		}
	}
	return out
}
