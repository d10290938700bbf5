package api_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"mime"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tidwall/gjson"

	"github.com/ssogate/ssogate/internal/api"
)

// fuzzTime is an optional RFC 3339 time with its own UnmarshalJSON, like
// tokens.OptTime: its errors are neither syntax nor type errors.
type fuzzTime struct {
	Set bool
	T   *time.Time
}

func (o *fuzzTime) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(b) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return errors.New("times must be RFC 3339 strings")
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return err
	}
	o.T = &t
	return nil
}

// fuzzInput has the shapes of a token create body.
type fuzzInput struct {
	Name     *string `json:"name"`
	Policies *[]struct {
		ID               string `json:"id"`
		Effect           string `json:"effect"`
		PermissionGroups []struct {
			ID   string `json:"id"`
			Meta *struct {
				Key   string `json:"key"`
				Value string `json:"value"`
			} `json:"meta"`
		} `json:"permission_groups"`
		Resources map[string]any `json:"resources"`
	} `json:"policies"`
	Condition *struct {
		RequestIP *struct {
			In    []string `json:"in"`
			NotIn []string `json:"not_in"`
		} `json:"request_ip"`
	} `json:"condition"`
	NotBefore fuzzTime `json:"not_before"`
	ExpiresOn fuzzTime `json:"expires_on"`
	Status    *string  `json:"status"`
	Enabled   *bool    `json:"enabled"`
	Count     int      `json:"count"`
}

var decodeSeeds = []string{
	``, ` `, `{`, `}`, `[]`, `null`, `{}`, `{}}`, `{}]0`, `{} {}`, `"x"`, `5`,
	`{"name":"x","policies":[{"effect":"allow","permission_groups":[{"id":"a","meta":{"key":"k","value":"v"}}],"resources":{"com.cloudflare.api.account.x":"*"}}]}`,
	`{"name":5}`, `{"policies":{}}`, `{"policies":[{"resources":{"a":{"b":"*"}}}]}`,
	`{"condition":{"request_ip":{"in":["192.0.2.0/24"],"not_in":null}}}`,
	`{"expires_on":"2030-01-01T00:00:00Z","not_before":null}`, `{"expires_on":"tomorrow"}`, `{"expires_on":1}`,
	`{"count":1e400}`, `{"count":-1.5}`, `{"enabled":"yes"}`, `{"name":"\ud800"}`, "{\"name\":\"\xff\"}",
	`{"name":"a","name":"b"}`, `{"policies":[{"id":"a"},{"id":"b","id":"c"}]}`, `{"a":{"b":1},"c":{"b":1}}`,
	`{"name":"\ud83d\ude00"}`, `{"name":"\udc00\ud800"}`, `{"name":"\\ud800"}`, `{"name":"\ud800\u0041"}`, ` null `,
}

// FuzzDecode: Request.Decode never panics, and every refusal is an
// *api.Error with a 4xx status and a message.
func FuzzDecode(f *testing.F) {
	for _, s := range decodeSeeds {
		f.Add([]byte(s), false, "application/json")
	}
	f.Add([]byte(`{}`), true, "multipart/form-data; boundary=x")
	f.Add([]byte(``), true, "")
	f.Add([]byte(`{}`), false, "")
	f.Add([]byte(`{}`), false, "text/plain")
	f.Add([]byte(`{}`), false, "application/json; charset=utf-8")
	f.Add([]byte(`{}`), false, "application/json; charset=latin1")
	f.Fuzz(func(t *testing.T, body []byte, optional bool, ctype string) {
		req := httptest.NewRequest("POST", "/", bytes.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		var in fuzzInput
		err := (&api.Request{Request: req}).Decode(&in, optional)
		if err == nil {
			// Anything after the one JSON value is refused, including a
			// stray "}" or "]" (json.Decoder.More does not see those).
			if len(bytes.TrimSpace(body)) == 0 {
				return
			}
			if !json.Valid(body) {
				t.Fatalf("Decode accepted a body that is not one JSON value: %q", body)
			}
			// What encoding/json lets through is refused too.
			if mt, _, _ := mime.ParseMediaType(ctype); mt != "application/json" {
				t.Fatalf("Decode accepted a body sent as %q", ctype)
			}
			if !utf8.Valid(body) || string(bytes.TrimSpace(body)) == "null" || duplicateKeys(gjson.ParseBytes(body)) {
				t.Fatalf("Decode accepted %q: invalid UTF-8, null or a duplicate key", body)
			}
			return
		}
		var apiErr *api.Error
		if !errors.As(err, &apiErr) {
			t.Fatalf("Decode(%q) returned %T %v, not *api.Error", body, err, err)
		}
		if apiErr.Status < 400 || apiErr.Status > 499 || len(apiErr.Messages) == 0 || apiErr.Messages[0].Message == "" {
			t.Fatalf("Decode(%q) = %+v: want a 4xx with a message", body, apiErr)
		}
		if apiErr.Status == 409 {
			t.Fatalf("Decode(%q) = 409, which the SDK retries", body)
		}
		if src := apiErr.Messages[0].Source; src != nil && !strings.HasPrefix(src.Pointer, "/") {
			t.Fatalf("source pointer %q is not a JSON pointer", src.Pointer)
		}
	})
}

// duplicateKeys reports whether an object in v has a key twice, read with
// another parser than the one Decode uses (gjson lists every member).
func duplicateKeys(v gjson.Result) bool {
	if !v.IsObject() && !v.IsArray() {
		return false // ForEach would hand a scalar to itself
	}
	dup := false
	seen := map[string]bool{}
	v.ForEach(func(key, val gjson.Result) bool {
		if v.IsObject() {
			dup = dup || seen[key.Str]
			seen[key.Str] = true
		}
		dup = dup || duplicateKeys(val)
		return !dup
	})
	return dup
}
