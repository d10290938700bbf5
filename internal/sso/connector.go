package sso

import (
	"encoding/json"
	"time"

	"github.com/tidwall/gjson"

	"github.com/ssogate/ssogate/internal/dnsverify"
	"github.com/ssogate/ssogate/internal/ids"
)

// Status is the verification status, with Cloudflare's four values.
type Status string

const (
	Awaiting Status = "awaiting"
	Pending  Status = "pending"
	Failed   Status = "failed"
	Verified Status = "verified"
)

// CodePrefix starts every verification code; the whole code is the TXT value.
const CodePrefix = "cloudflare_dashboard_sso="

// Connector is an SSO connector as stored.
type Connector struct {
	ID          string
	AccountID   string
	EmailDomain string
	Enabled     bool
	UseFedRAMP  bool
	Code        string
	Status      Status
	Reason      string
	// LastResult is set when a check has just run; a connector read from
	// the database keeps the stored result as text (lastResult) instead,
	// because reads only ever pass its servers through to the response.
	LastResult    *dnsverify.Result
	lastResult    string
	LastCheckedOn *time.Time
	Deadline      *time.Time
	NextCheckAt   *time.Time
	VerifiedOn    *time.Time
	Attempts      int
	Version       int64
	CreatedOn     time.Time
	UpdatedOn     time.Time
}

// live reports whether the connector holds its domain's claim.
func (c Connector) live() bool { return c.Status != Failed }

// NewCode returns a verification code: the prefix and 128 random bits in hex.
func NewCode() string { return CodePrefix + ids.NewHex32() }

// View is the API representation (cloudflare-api.md §2, plus fields that
// explain the verification state; the SDK ignores keys it does not know).
type View struct {
	ID                 string       `json:"id"`
	CreatedOn          time.Time    `json:"created_on"`
	UpdatedOn          time.Time    `json:"updated_on"`
	EmailDomain        string       `json:"email_domain"`
	Enabled            bool         `json:"enabled"`
	UseFedrampLanguage bool         `json:"use_fedramp_language"`
	Verification       Verification `json:"verification"`
}

// Verification is the connector's verification block.
type Verification struct {
	Code   string `json:"code"`
	Status Status `json:"status"`
	// Reason says, in a sentence, why the connector is not verified yet (or
	// why it failed); empty once verified.
	Reason        string     `json:"reason,omitempty"`
	Record        Record     `json:"dns_record"`
	Deadline      *time.Time `json:"deadline,omitempty"`
	LastCheckedOn *time.Time `json:"last_checked_on,omitempty"`
	NextCheckOn   *time.Time `json:"next_check_on,omitempty"`
	VerifiedOn    *time.Time `json:"verified_on,omitempty"`
	// Nameservers is what each name server answered at the last check
	// (dnsverify.ServerResult objects), passed through as stored.
	Nameservers json.RawMessage `json:"nameservers,omitempty"`
}

// Record is the DNS record the admin must publish.
type Record struct {
	Type    string `json:"type"`
	Name    string `json:"name"`
	Content string `json:"content"`
}

// View renders c for the API.
func (c Connector) View() View {
	v := View{ID: c.ID, CreatedOn: c.CreatedOn, UpdatedOn: c.UpdatedOn, EmailDomain: c.EmailDomain,
		Enabled: c.Enabled, UseFedrampLanguage: c.UseFedRAMP,
		Verification: Verification{Code: c.Code, Status: c.Status, Reason: c.Reason,
			Record:   Record{Type: "TXT", Name: c.EmailDomain, Content: c.Code},
			Deadline: c.Deadline, LastCheckedOn: c.LastCheckedOn, VerifiedOn: c.VerifiedOn}}
	if c.Status == Pending {
		v.Verification.NextCheckOn = c.NextCheckAt
	}
	if c.Status == Verified {
		v.Verification.Deadline = nil
	}
	switch {
	case c.LastResult != nil:
		v.Verification.Nameservers, _ = json.Marshal(c.LastResult.Servers)
	case c.lastResult != "":
		// gjson slices the stored text without decoding it: this runs on
		// every GET and list (docs/benchmarks.md).
		if s := gjson.Get(c.lastResult, "servers"); s.IsArray() {
			v.Verification.Nameservers = json.RawMessage(s.Raw)
		}
	}
	return v
}
