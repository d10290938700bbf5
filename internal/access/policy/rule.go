package policy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Rule is one Cloudflare rule object, such as {"email":{"email":"a@b.c"}}:
// Type is its single key and Value the object under that key, kept verbatim
// so that rule types ssogate does not evaluate (email_list, geo, oidc, …)
// are stored and echoed unchanged.
//
// A JSON value that is not an object with exactly one key still decodes
// (Type "", Value the whole value) so that ValidateRules can say which rule
// is wrong instead of the decoder failing on the whole body; such a rule
// re-encodes as it came and never matches.
type Rule struct {
	Type  string
	Value json.RawMessage
}

// MarshalJSON writes {"<Type>": Value}, or Value itself for a rule that did
// not decode as a one-key object.
func (r Rule) MarshalJSON() ([]byte, error) {
	if r.Type == "" {
		if len(r.Value) == 0 {
			return []byte("{}"), nil
		}
		return r.Value, nil
	}
	key, err := json.Marshal(r.Type)
	if err != nil {
		return nil, err
	}
	val := r.Value
	if len(val) == 0 {
		val = json.RawMessage("{}")
	}
	var buf bytes.Buffer
	buf.WriteByte('{')
	buf.Write(key)
	buf.WriteByte(':')
	buf.Write(val)
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// UnmarshalJSON accepts any JSON value; see Rule for what it keeps.
func (r *Rule) UnmarshalJSON(data []byte) error {
	var compact bytes.Buffer
	if err := json.Compact(&compact, data); err != nil {
		return err
	}
	typ, val, err := splitRuleObject(compact.Bytes())
	if err != nil || typ == "" {
		*r = Rule{Value: json.RawMessage(compact.Bytes())}
		return nil
	}
	*r = Rule{Type: typ, Value: val}
	return nil
}

// parts returns the rule's type and value, or what is wrong with its shape.
// A Rule built in Go with only Value set to a one-key object is read the
// same way as one decoded from JSON.
func (r Rule) parts() (string, json.RawMessage, error) {
	if r.Type != "" {
		if len(r.Value) == 0 {
			return r.Type, json.RawMessage("{}"), nil
		}
		return r.Type, r.Value, nil
	}
	if len(r.Value) == 0 {
		return "", nil, errors.New(`the rule is empty; write it as {"<type>": {…}}, e.g. {"everyone":{}}`)
	}
	typ, val, err := splitRuleObject(r.Value)
	if err != nil {
		return "", nil, err
	}
	if typ == "" {
		return "", nil, errors.New("the rule type (the object's key) is empty")
	}
	return typ, val, nil
}

// splitRuleObject reads a JSON object that must have exactly one key.
// Duplicate keys count as several keys: a decoder would silently keep the
// last one, and which rule the admin meant is then a guess.
func splitRuleObject(data []byte) (string, json.RawMessage, error) {
	errShape := errors.New(`a rule must be a JSON object with exactly one key, e.g. {"everyone":{}}`)
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return "", nil, errShape
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return "", nil, errShape
	}
	var keys []string
	var val json.RawMessage
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return "", nil, errShape
		}
		key, _ := tok.(string)
		if err := dec.Decode(&val); err != nil {
			return "", nil, errShape
		}
		keys = append(keys, key)
	}
	switch len(keys) {
	case 0:
		return "", nil, errors.New(`the rule object has no key; write it as {"<type>": {…}}, e.g. {"everyone":{}}`)
	case 1:
		return keys[0], val, nil
	}
	quoted := make([]string, len(keys))
	for i, k := range keys {
		quoted[i] = fmt.Sprintf("%q", k)
	}
	return "", nil, fmt.Errorf("the rule object has %d keys (%s); each rule must have exactly one — put each criterion in its own rule",
		len(keys), strings.Join(quoted, ", "))
}

// newRule builds a Rule for the constructors of the criterion files.
// Encoding a map of strings cannot fail (invalid UTF-8 is replaced).
func newRule(typ string, fields map[string]string) Rule {
	b, _ := json.Marshal(fields)
	return Rule{Type: typ, Value: b}
}

// objectFields decodes a rule's value, which must be a JSON object.
func objectFields(typ string, value json.RawMessage) (map[string]json.RawMessage, error) {
	trimmed := bytes.TrimSpace(value)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, fmt.Errorf(`the value of %q must be a JSON object, e.g. {%q:{…}}`, typ, typ)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &fields); err != nil {
		return nil, fmt.Errorf(`the value of %q must be a JSON object, e.g. {%q:{…}}`, typ, typ)
	}
	return fields, nil
}

// stringField returns fields[name] as a string; a missing field or null is "".
func stringField(fields map[string]json.RawMessage, name string) (string, error) {
	raw, ok := fields[name]
	if !ok || string(bytes.TrimSpace(raw)) == "null" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("%q must be a string", name)
	}
	return s, nil
}
