package policy

import (
	"encoding/json"
	"fmt"
)

// Group is the rule {"group":{"id":name}}: name is one of the signed-in
// user's groups, ignoring ASCII case.
//
// In Cloudflare, id names an Access group (a saved set of rules). ssogate
// has no Access groups; it matches the IdP's groups claim by name, so the
// same wire shape carries the group's name. A "name" field, when present
// and non-empty, is used instead of "id": that lets a client that insists
// on a UUID in id still say which IdP group it means.
func Group(name string) Rule {
	return newRule("group", map[string]string{"id": name})
}

type groupCriterion struct{}

func (groupCriterion) identityBased() bool { return true }

func (groupCriterion) check(value json.RawMessage) error {
	_, err := parseGroupRule(value)
	return err
}

// eval does not name the group: group names sketch an organisation, and
// the person only needs to know that a group they lack is required.
func (groupCriterion) eval(value json.RawMessage, id Identity) (outcome, string) {
	want, err := parseGroupRule(value)
	if err != nil {
		return unknown, "this policy has an invalid group rule"
	}
	for _, g := range id.Groups {
		if asciiEqualFold(g, want) {
			return match, "you are a member of a listed group"
		}
	}
	return noMatch, "you are not a member of a listed group"
}

func parseGroupRule(value json.RawMessage) (string, error) {
	fields, err := objectFields("group", value)
	if err != nil {
		return "", err
	}
	name, err := stringField(fields, "name")
	if err != nil {
		return "", err
	}
	if name != "" {
		return name, nil
	}
	id, err := stringField(fields, "id")
	if err != nil {
		return "", err
	}
	if id == "" {
		return "", fmt.Errorf(`a group rule needs the group's name in "id" (or "name")`)
	}
	return id, nil
}
