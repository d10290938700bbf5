package policy

import (
	"cmp"
	"fmt"
	"slices"
)

// byPrecedence is a copy of policies in precedence order, equal ones in
// their order in the slice.
func byPrecedence(policies []Policy) []Policy {
	ordered := slices.Clone(policies)
	slices.SortStableFunc(ordered, func(a, b Policy) int { return cmp.Compare(a.Precedence, b.Precedence) })
	return ordered
}

// firstMatching is the first of the ordered policies with the decision
// that matches id, with why.
func firstMatching(ordered []Policy, decision string, id Identity) (Policy, []Reason, bool) {
	for _, p := range ordered {
		if p.Decision != decision {
			continue
		}
		if ok, reasons := Matches(p, id); ok {
			return p, reasons, true
		}
	}
	return Policy{}, nil, false
}

// Evaluate decides whether id may reach an application protected by
// policies. It is pure: no I/O, no clock, no shared state, and it does not
// modify policies.
//
// Order (doc.go explains why): bypass policies by precedence; then, for a
// signed-in identity, every deny policy by precedence; then allow policies
// by precedence. The first policy that applies decides. Policies with equal
// precedence keep their order in the slice. Nothing applies: deny.
func Evaluate(policies []Policy, id Identity) Decision {
	ordered := byPrecedence(policies)
	if p, reasons, ok := firstMatching(ordered, DecisionBypass, id); ok {
		return Decision{Result: ResultBypass, Policy: p.ID, Reasons: reasons}
	}
	if !id.signedIn() {
		return Decision{Result: ResultDeny, Reasons: []Reason{{Message: "you are not signed in"}}}
	}
	if p, reasons, ok := firstMatching(ordered, DecisionDeny, id); ok {
		reasons = append(reasons, policyReason(p, true, "you are blocked by this policy"))
		return Decision{Result: ResultDeny, Policy: p.ID, Reasons: reasons}
	}
	var failed []Reason
	for _, p := range ordered {
		if p.Decision != DecisionAllow {
			continue
		}
		ok, reasons := Matches(p, id)
		if ok {
			return Decision{Result: ResultAllow, Policy: p.ID, Reasons: reasons}
		}
		failed = append(failed, reasons...)
	}
	return Decision{Result: ResultDeny, Reasons: append(failed, Reason{Message: "no policy allows you"})}
}

// Matches reports whether p's decision takes effect for id, and why.
//
// A policy matches when any include rule matches, no exclude rule matches
// and every require rule matches; with no include rules it matches no one.
// A rule that cannot be evaluated counts against the policy taking effect
// for allow and bypass (they cannot grant on a guess) and for it for deny
// (a block cannot be escaped on a guess). Allow policies apply only to a
// signed-in identity, deny policies to a signed-in identity or a service
// token, non_identity policies only to a service token (which only
// EvaluateServiceToken presents).
func Matches(p Policy, id Identity) (bool, []Reason) {
	o, reasons := evalPolicy(p, id)
	if o == unknown {
		if p.Decision == DecisionDeny {
			reasons = append(reasons, policyReason(p, true, "some rules could not be checked, so this block policy applies to you"))
		} else {
			reasons = append(reasons, policyReason(p, false, "some rules could not be checked, so this policy does not apply to you"))
		}
	}
	if p.Decision == DecisionDeny {
		return o != noMatch, reasons
	}
	return o == match, reasons
}

// ruleResult is one rule's outcome within a policy section.
type ruleResult struct {
	index int
	typ   string
	o     outcome
	msg   string
}

func evalPolicy(p Policy, id Identity) (outcome, []Reason) {
	switch p.Decision {
	case DecisionAllow, DecisionDeny:
		if p.Decision == DecisionAllow && id.serviceToken != "" {
			return noMatch, []Reason{policyReason(p, false, "an allow policy admits people who sign in; a service token needs a Service Auth (non_identity) policy")}
		}
		if !id.signedIn() && id.serviceToken == "" {
			return noMatch, []Reason{policyReason(p, false, "you are not signed in")}
		}
	case DecisionBypass:
	case DecisionNonIdentity:
		if id.serviceToken == "" {
			return noMatch, []Reason{policyReason(p, false, "this policy admits service tokens, not people who sign in")}
		}
	default:
		return noMatch, []Reason{policyReason(p, false, "this policy has no valid decision")}
	}
	if len(p.Include) == 0 {
		return noMatch, []Reason{policyReason(p, false, "this policy has no include rules, so it applies to no one")}
	}
	inc := evalSection(p, p.Include, id)
	exc := evalSection(p, p.Exclude, id)
	req := evalSection(p, p.Require, id)
	incO, excO, reqO := anyOf(inc), anyOf(exc), allOf(req)
	return and(incO, not(excO), reqO), sectionReasons(p, inc, exc, req, incO, reqO)
}

// sectionReasons keeps what explains the outcome: the include rule that
// matched (or every include rule when none did), exclude rules that matched
// or could not be checked (not the others, which would spell out whom the
// policy excludes), and the require rules (all when met, else those that
// failed or could not be checked).
func sectionReasons(p Policy, inc, exc, req []ruleResult, incO, reqO outcome) []Reason {
	var reasons []Reason
	add := func(section string, r ruleResult, matched bool, msg string) {
		reasons = appendUnique(reasons, Reason{
			PolicyID: p.ID, PolicyName: p.Name, Section: section, Index: r.index,
			RuleType: r.typ, Matched: matched, Message: msg,
		})
	}
	for _, r := range inc {
		if incO != match {
			add("include", r, false, r.msg)
		} else if r.o == match {
			add("include", r, true, r.msg)
			break
		}
	}
	for _, r := range exc {
		switch r.o {
		case match:
			add("exclude", r, true, "excluded: "+r.msg)
		case unknown:
			add("exclude", r, false, r.msg)
		}
	}
	for _, r := range req {
		switch {
		case reqO == match:
			add("require", r, true, r.msg)
		case r.o == noMatch:
			add("require", r, false, "requirement not met: "+r.msg)
		case r.o == unknown:
			add("require", r, false, r.msg)
		}
	}
	return reasons
}

func evalSection(p Policy, rules []Rule, id Identity) []ruleResult {
	out := make([]ruleResult, len(rules))
	for i, r := range rules {
		typ, o, msg := evalRule(p.Decision, r, id)
		out[i] = ruleResult{index: i, typ: typ, o: o, msg: msg}
	}
	return out
}

func evalRule(decision string, r Rule, id Identity) (string, outcome, string) {
	typ, value, err := r.parts()
	if err != nil {
		return "", unknown, "this policy has a malformed rule"
	}
	c := criterionFor(typ)
	if c == nil {
		return typ, unknown, fmt.Sprintf("unsupported rule type %q", typ)
	}
	// Bypass is decided before anyone signs in, so rules about the
	// signed-in user cannot take part, whether or not this request has a
	// session: the answer must not depend on it.
	if (c.identityBased() || isServiceTokenRule(typ)) && decision == DecisionBypass {
		return typ, unknown, fmt.Sprintf("%s rules cannot be used in a bypass policy", typ)
	}
	// A service token is no one's login: rules about the signed-in user
	// are false for it, not unknown.
	if c.identityBased() && id.serviceToken != "" {
		return typ, noMatch, "a service token is not a signed-in user"
	}
	o, msg := c.eval(value, id)
	return typ, o, msg
}

func policyReason(p Policy, matched bool, msg string) Reason {
	return Reason{PolicyID: p.ID, PolicyName: p.Name, Matched: matched, Message: msg}
}

// appendUnique drops a reason identical to one already there: fifty email
// rules that do not match say the same thing fifty times.
func appendUnique(rs []Reason, r Reason) []Reason {
	for _, have := range rs {
		if have.Section == r.Section && have.RuleType == r.RuleType && have.Matched == r.Matched && have.Message == r.Message {
			return rs
		}
	}
	return append(rs, r)
}

// Three-valued (Kleene) logic over outcomes.

func anyOf(rs []ruleResult) outcome {
	o := noMatch
	for _, r := range rs {
		if r.o == match {
			return match
		}
		if r.o == unknown {
			o = unknown
		}
	}
	return o
}

func allOf(rs []ruleResult) outcome {
	o := match
	for _, r := range rs {
		if r.o == noMatch {
			return noMatch
		}
		if r.o == unknown {
			o = unknown
		}
	}
	return o
}

func and(os ...outcome) outcome {
	res := match
	for _, o := range os {
		if o == noMatch {
			return noMatch
		}
		if o == unknown {
			res = unknown
		}
	}
	return res
}

func not(o outcome) outcome {
	switch o {
	case match:
		return noMatch
	case noMatch:
		return match
	}
	return unknown
}
