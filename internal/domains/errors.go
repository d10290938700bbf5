package domains

import "fmt"

// Reasons carried by Error. They are stable machine words: API clients, the
// dashboard and stored failure rows may switch on them, so never rename one.
const (
	ReasonEmpty         = "empty"           // nothing left after trimming spaces
	ReasonMalformed     = "malformed"       // e-mail address, URL, port, whitespace, bad UTF-8
	ReasonIPAddress     = "ip_address"      // an IP literal or a name that parses as one
	ReasonWildcard      = "wildcard"        // contains "*"
	ReasonTooLong       = "too_long"        // more than 253 bytes as an A-label
	ReasonLabel         = "label"           // a label that is empty, too long or has bad characters
	ReasonSingleLabel   = "single_label"    // fewer than two labels
	ReasonPublicSuffix  = "public_suffix"   // a public suffix itself, or under a refused private one
	ReasonSpecialUseTLD = "special_use_tld" // .local, .test, .internal and friends
	ReasonUnknownTLD    = "unknown_tld"     // a TLD the Public Suffix List does not know
	ReasonFreeEmail     = "free_email"      // a consumer mail provider
	ReasonDeniedTLD     = "denied_tld"      // Policy.DeniedTLDs
	ReasonDenied        = "denied"          // Policy.ExtraDenied
)

// Error is returned for every refusal. Reason is one of the Reason constants;
// Message is a sentence for a person: it quotes the input and says what to do,
// so callers can show it unchanged.
type Error struct {
	Input   string // the input exactly as given
	Reason  string
	Message string
}

func (e *Error) Error() string { return e.Message }

func refuse(input, reason, format string, args ...any) *Error {
	return &Error{Input: input, Reason: reason, Message: fmt.Sprintf(format, args...)}
}
