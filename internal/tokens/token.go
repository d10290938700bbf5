package tokens

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// Token is an account API token as stored (without its secret).
type Token struct {
	ID         string
	AccountID  string
	Name       string
	Status     string // stored: "active" or "disabled"
	Policies   []Policy
	Condition  Condition
	NotBefore  *time.Time
	ExpiresOn  *time.Time
	IssuedOn   time.Time
	ModifiedOn time.Time
	LastUsedOn *time.Time
}

// Policy is one statement of a token.
type Policy struct {
	ID               string         `json:"id"`
	Effect           string         `json:"effect"`
	PermissionGroups []GroupRef     `json:"permission_groups"`
	Resources        map[string]any `json:"resources"`
}

// GroupRef names a permission group inside a policy.
type GroupRef struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
	Meta *Meta  `json:"meta,omitempty"`
}

// Meta is the optional key/value of a group reference; kept as given.
type Meta struct {
	Key   string `json:"key,omitempty"`
	Value string `json:"value,omitempty"`
}

// Condition restricts where a token may be used from.
type Condition struct {
	RequestIP *RequestIP `json:"request_ip,omitempty"`
}

// RequestIP lists CIDRs (or bare addresses) the client must, or must not, be in.
type RequestIP struct {
	In    []string `json:"in,omitzero"`
	NotIn []string `json:"not_in,omitzero"`
}

// EffectiveStatus is the status clients see: "expired" once expires_on has
// passed, else the stored status.
func (t Token) EffectiveStatus(now time.Time) string {
	if t.Status == "active" && t.ExpiresOn != nil && !now.Before(*t.ExpiresOn) {
		return "expired"
	}
	return t.Status
}

// View is the token's API representation. Value is set only in the
// response to create.
type View struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Status     string     `json:"status"`
	IssuedOn   time.Time  `json:"issued_on"`
	ModifiedOn time.Time  `json:"modified_on"`
	LastUsedOn *time.Time `json:"last_used_on"`
	NotBefore  *time.Time `json:"not_before,omitempty"`
	ExpiresOn  *time.Time `json:"expires_on,omitempty"`
	// Condition is left out when empty, as Cloudflare does: Terraform
	// reads {} as a condition that drifts from none.
	Condition Condition `json:"condition,omitzero"`
	Policies  []Policy  `json:"policies"`
	Value     string    `json:"value,omitempty"`
}

// View renders t for the API.
func (t Token) View(now time.Time) View {
	pol := t.Policies
	if pol == nil {
		pol = []Policy{}
	}
	return View{ID: t.ID, Name: t.Name, Status: t.EffectiveStatus(now), IssuedOn: t.IssuedOn,
		ModifiedOn: t.ModifiedOn, LastUsedOn: t.LastUsedOn, NotBefore: t.NotBefore,
		ExpiresOn: t.ExpiresOn, Condition: t.Condition, Policies: pol}
}

// Input is a create (POST) or update (PUT, merged) request body. Absent
// fields are nil; for the times, an explicit null clears the value.
type Input struct {
	Name      *string    `json:"name"`
	Policies  *[]Policy  `json:"policies"`
	Condition *Condition `json:"condition"`
	NotBefore OptTime    `json:"not_before"`
	ExpiresOn OptTime    `json:"expires_on"`
	Status    *string    `json:"status"`
}

// OptTime distinguishes an absent time (Set false) from null (Set, nil).
type OptTime struct {
	Set  bool
	Time *time.Time
}

// UnmarshalJSON accepts null or an RFC 3339 time.
func (o *OptTime) UnmarshalJSON(b []byte) error {
	o.Set = true
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		o.Time = nil
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("times must be RFC 3339 strings such as \"2030-01-01T00:00:00Z\"")
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return fmt.Errorf("%q is not an RFC 3339 time such as \"2030-01-01T00:00:00Z\"", s)
	}
	t = t.UTC().Truncate(time.Microsecond) // the stored precision
	o.Time = &t
	return nil
}
