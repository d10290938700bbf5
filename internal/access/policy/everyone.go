package policy

import "encoding/json"

// Everyone is the rule {"everyone":{}}. In allow and deny policies it means
// everyone who signed in; in a bypass policy, every request.
func Everyone() Rule {
	return Rule{Type: "everyone", Value: json.RawMessage("{}")}
}

type everyoneCriterion struct{}

func (everyoneCriterion) identityBased() bool { return false }

func (everyoneCriterion) check(value json.RawMessage) error {
	_, err := objectFields("everyone", value)
	return err
}

func (everyoneCriterion) eval(value json.RawMessage, _ Identity) (outcome, string) {
	if _, err := objectFields("everyone", value); err != nil {
		return unknown, "this policy has an invalid everyone rule"
	}
	return match, "the policy applies to everyone"
}
