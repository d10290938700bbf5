package policy

import (
	"encoding/json"
	"fmt"
)

// LoginMethod is the rule {"login_method":{"id":idpID}}: the user signed in
// through the identity provider with that id (ASCII case ignored, so a UUID
// written in capitals still matches).
func LoginMethod(idpID string) Rule {
	return newRule("login_method", map[string]string{"id": idpID})
}

type loginMethodCriterion struct{}

func (loginMethodCriterion) identityBased() bool { return true }

func (loginMethodCriterion) check(value json.RawMessage) error {
	_, err := parseLoginMethodRule(value)
	return err
}

func (loginMethodCriterion) eval(value json.RawMessage, id Identity) (outcome, string) {
	want, err := parseLoginMethodRule(value)
	if err != nil {
		return unknown, "this policy has an invalid login_method rule"
	}
	if id.IdPID == "" {
		return unknown, "the login method you used is not known"
	}
	if asciiEqualFold(id.IdPID, want) {
		return match, "you signed in with an accepted login method"
	}
	return noMatch, "you signed in with a login method this policy does not accept here"
}

func parseLoginMethodRule(value json.RawMessage) (string, error) {
	fields, err := objectFields("login_method", value)
	if err != nil {
		return "", err
	}
	idp, err := stringField(fields, "id")
	if err != nil {
		return "", err
	}
	if idp == "" {
		return "", fmt.Errorf(`a login_method rule needs the identity provider's id in "id"`)
	}
	return idp, nil
}
