package policy

import (
	"errors"
	"fmt"
)

// RuleError is what ValidateRules and ValidatePolicy report about one rule.
// Its message names the rule by position so the API can return it as a 400
// the admin can act on, e.g. `include[2] (email): email address "bob" must
// contain exactly one @`.
type RuleError struct {
	Section string // "include", "exclude", "require"; "rules" from ValidateRules
	Index   int    // 0-based position in Section
	Type    string // the rule's type, "" when the rule has none
	Problem string
}

func (e *RuleError) Error() string {
	where := fmt.Sprintf("%s[%d]", e.Section, e.Index)
	if e.Type != "" {
		where += " (" + e.Type + ")"
	}
	return where + ": " + e.Problem
}

// ValidateRules checks rules as an API should before storing them: every
// rule is a one-key object of a type ssogate evaluates, with a well-formed
// value. It returns nil, or one *RuleError per bad rule joined with
// errors.Join, in order.
func ValidateRules(rules []Rule) error {
	return validateSection("rules", rules, "")
}

// ValidatePolicy checks a whole policy: a name, a known decision, at least
// one include rule, valid rules in every section, and no rules about the
// signed-in user in bypass or non_identity policies (Cloudflare's dashboard
// does not offer them there either: those policies are decided without a
// login). Errors are joined with errors.Join.
func ValidatePolicy(p Policy) error {
	var errs []error
	if p.Name == "" {
		errs = append(errs, errors.New("name is required"))
	}
	switch p.Decision {
	case DecisionAllow, DecisionDeny, DecisionBypass, DecisionNonIdentity:
	case "":
		errs = append(errs, errors.New("decision is required: one of allow, deny, bypass, non_identity"))
	default:
		errs = append(errs, fmt.Errorf("decision %q is not one of allow, deny, bypass, non_identity", p.Decision))
	}
	if len(p.Include) == 0 {
		errs = append(errs, errors.New("include needs at least one rule: a policy without one applies to no one"))
	}
	for _, s := range []struct {
		name  string
		rules []Rule
	}{{"include", p.Include}, {"exclude", p.Exclude}, {"require", p.Require}} {
		if err := validateSection(s.name, s.rules, p.Decision); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func validateSection(section string, rules []Rule, decision string) error {
	var errs []error
	for i, r := range rules {
		if err := validateRule(r, decision); err != nil {
			err.Section, err.Index = section, i
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func validateRule(r Rule, decision string) *RuleError {
	typ, value, err := r.parts()
	if err != nil {
		return &RuleError{Problem: err.Error()}
	}
	c := criterionFor(typ)
	switch {
	case c == nil && isCloudflareRuleType(typ):
		return &RuleError{Type: typ, Problem: fmt.Sprintf("rule type %q is not supported by ssogate (supported: %s)", typ, supportedTypes)}
	case c == nil:
		return &RuleError{Type: typ, Problem: fmt.Sprintf("unknown rule type %q (supported: %s)", typ, supportedTypes)}
	}
	if err := c.check(value); err != nil {
		return &RuleError{Type: typ, Problem: err.Error()}
	}
	if isServiceTokenRule(typ) && (decision == DecisionAllow || decision == DecisionBypass) {
		return &RuleError{Type: typ, Problem: fmt.Sprintf("%s rules cannot be used in %s policy: service tokens are admitted by non_identity (Service Auth) policies and blocked by deny policies",
			typ, map[string]string{DecisionAllow: "an allow", DecisionBypass: "a bypass"}[decision])}
	}
	if c.identityBased() && (decision == DecisionBypass || decision == DecisionNonIdentity) {
		return &RuleError{Type: typ, Problem: fmt.Sprintf("%s rules cannot be used in a %s policy, which is decided without a login", typ, decision)}
	}
	return nil
}
