package dnsverify

import (
	"fmt"
	"strings"
	"time"
)

// Verdict is the three-way outcome of a check, or of one server's answer.
type Verdict string

const (
	// Found: the expected record is published (and enough servers agree).
	Found Verdict = "found"
	// Absent: an authoritative answer definitely lacks the record.
	Absent Verdict = "absent"
	// Indeterminate: no definite answer; must never verify, fail or revoke.
	Indeterminate Verdict = "indeterminate"
)

// ServerResult is what one nameserver said.
type ServerResult struct {
	Server        string   `json:"server"`            // NS host name (or host:port in direct mode)
	Address       string   `json:"address,omitempty"` // ip:port actually asked
	Verdict       Verdict  `json:"result"`
	Rcode         string   `json:"rcode,omitempty"` // "NOERROR", "NXDOMAIN", "SERVFAIL", …
	Authoritative bool     `json:"authoritative"`
	Transport     string   `json:"transport,omitempty"` // udp | tcp
	RTTMillis     int64    `json:"rtt_ms"`
	Records       []string `json:"records"`         // joined TXT values seen at the name (capped, each capped to ~300 bytes), never nil
	CNAME         string   `json:"cname,omitempty"` // alias target when the name is a CNAME (the record cannot live there)
	Error         string   `json:"error,omitempty"` // human reason when indeterminate
}

// Result is the outcome of one Check, with enough detail for a person to act.
type Result struct {
	Name      string         `json:"name"` // queried owner name without trailing dot
	Expected  string         `json:"expected"`
	Verdict   Verdict        `json:"verdict"`
	Mode      Mode           `json:"mode"`
	Zone      string         `json:"zone,omitempty"`
	Servers   []ServerResult `json:"servers"`
	Reason    string         `json:"reason"` // one sentence a person can act on
	CheckedAt time.Time      `json:"checked_at"`
}

// maxUnreachable applies the configured tolerance, or the default rule: one
// dead server is tolerated only when at least two others answered.
func (v *Verifier) maxUnreachable(servers int) int {
	if v.cfg.MaxUnreachable >= 0 {
		return v.cfg.MaxUnreachable
	}
	if servers >= 3 {
		return 1
	}
	return 0
}

// combine applies the verdict rules over all servers: any definite absence
// wins (a lagging or wrong server must be fixed, not outvoted); found needs
// every other server to be reachable, up to the tolerance.
func (v *Verifier) combine(name, expected string, servers []ServerResult) (Verdict, string) {
	if len(servers) == 0 {
		return Indeterminate, fmt.Sprintf("no nameserver to ask for %s", name)
	}
	var found, absent, unknown []ServerResult
	for _, s := range servers {
		switch s.Verdict {
		case Found:
			found = append(found, s)
		case Absent:
			absent = append(absent, s)
		default:
			unknown = append(unknown, s)
		}
	}
	tolerated := v.maxUnreachable(len(servers))
	switch {
	case len(absent) > 0:
		return Absent, absentReason(name, expected, absent, found)
	case len(found) > 0 && len(unknown) <= tolerated:
		return Found, foundReason(name, expected, found, unknown)
	default:
		return Indeterminate, unknownReason(found, unknown, tolerated, len(servers))
	}
}

func absentReason(name, expected string, absent, found []ServerResult) string {
	for _, s := range absent {
		if s.CNAME != "" {
			return fmt.Sprintf("%s is an alias (CNAME to %s) according to %s; an alias cannot carry a TXT record, "+
				"so replace the CNAME with real records or claim a domain that is not an alias", name, s.CNAME, s.Server)
		}
	}
	if len(found) > 0 {
		return fmt.Sprintf("%s answered without the record while %s already serve%s it; "+
			"wait for the zone to reach every nameserver and check again",
			describeAll(absent, absentDetail), names(found), verbS(len(found)))
	}
	return fmt.Sprintf("%s answered without the record; publish TXT %q at %s",
		describeAll(absent, absentDetail), expected, name)
}

func foundReason(name, expected string, found, unknown []ServerResult) string {
	r := fmt.Sprintf("found TXT %q at %s on %s", expected, name, names(found))
	if len(unknown) > 0 {
		r += fmt.Sprintf(" (tolerated: %s)", describeAll(unknown, errorDetail))
	}
	return r
}

func unknownReason(found, unknown []ServerResult, tolerated, total int) string {
	if len(found) > 0 {
		return fmt.Sprintf("found on %s, but %s; at most %d of %d nameservers may be unreachable, so check again later",
			names(found), describeAll(unknown, errorDetail), tolerated, total)
	}
	return fmt.Sprintf("no definite answer: %s; check again later, and check that these nameservers serve the zone",
		describeAll(unknown, errorDetail))
}

// describeAll renders "ns1 (detail), ns2 (detail)".
func describeAll(rs []ServerResult, detail func(ServerResult) string) string {
	parts := make([]string, 0, len(rs))
	for _, r := range rs {
		parts = append(parts, r.Server+" ("+detail(r)+")")
	}
	return strings.Join(parts, ", ")
}

func absentDetail(r ServerResult) string {
	switch {
	case r.Rcode == "NXDOMAIN":
		return "NXDOMAIN: the name does not exist"
	case len(r.Records) == 0:
		return "no TXT records"
	case len(r.Records) == 1:
		return "1 other TXT record"
	default:
		return fmt.Sprintf("%d other TXT records", len(r.Records))
	}
}

func errorDetail(r ServerResult) string {
	if r.Error == "" {
		return "no definite answer"
	}
	return r.Error
}

func names(rs []ServerResult) string {
	ns := make([]string, 0, len(rs))
	for _, r := range rs {
		ns = append(ns, r.Server)
	}
	return strings.Join(ns, ", ")
}

// verbS returns the third-person "s" for a subject of n servers.
func verbS(n int) string {
	if n == 1 {
		return "s"
	}
	return ""
}
