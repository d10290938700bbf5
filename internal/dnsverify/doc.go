// Package dnsverify decides whether a domain publishes an ownership TXT
// record, such as `cloudflare_dashboard_sso=<32 hex>` at the apex of an SSO
// connector's email domain. It owns the DNS side only: the claim state
// machine, scheduling and storage live elsewhere and consume Result.
//
// # Where it looks
//
// In the default authoritative mode a check bypasses recursive caches, whose
// negative caching would hide a freshly published record for minutes:
//
//  1. SOA walk: from the domain upwards, SOA queries go to the configured
//     recursive resolvers. NXDOMAIN, NOERROR without an SOA owned by the
//     name, and CNAME answers climb one label; an SOA in the answer names the
//     zone. SERVFAIL, REFUSED or a timeout abort the check as indeterminate:
//     skipping past an error could settle on a parent zone and ask servers
//     that know nothing about the domain.
//  2. The zone's NS names (lower-cased, deduplicated) are resolved to A and
//     AAAA through the same resolvers with our own client, never the
//     operating system's resolver. Zone cuts, NS sets and addresses are cached
//     for min(TTL, 1h) in bounded caches; the TXT verdict is never cached.
//  3. Every NS is asked for TXT at the domain with RD=0 and EDNS0, over UDP
//     and again over TCP when the reply is truncated (or TCP only). Servers
//     are asked concurrently; a server's addresses are tried in turn until one
//     gives a definite answer.
//
// With Config.Nameservers set, the check runs in direct mode instead: the
// listed servers are asked with RD=1 and AA is not required. This suits
// split-horizon networks, blocked outbound port 53, and tests.
//
// # Verdict rules
//
// Each server's reply is classified:
//
//   - found: a TXT record owned by the queried name, its character-strings
//     joined with no separator and miekg's presentation escapes undone,
//     trimmed of ASCII spaces and tabs and of one pair of surrounding quotes,
//     equals the expected value ignoring ASCII case (Match). Never a
//     substring test.
//   - absent: NOERROR without a matching record, NODATA, or NXDOMAIN. If the
//     domain itself is a CNAME the server is absent too: an alias cannot carry
//     other records, so the record can never be published there.
//   - indeterminate: everything else: SERVFAIL, REFUSED (often a lame
//     delegation or split-horizon DNS), other rcodes, timeouts, network
//     errors, a reply for a different question (miekg checks only the message
//     ID), no AA bit in authoritative mode, a referral, an NS name without an
//     address, or more TXT records than MaxTXTRecords without a match.
//
// The servers' verdicts combine as follows. Any absent makes the check
// absent: a lagging or misconfigured server must be fixed, not outvoted.
// Otherwise at least one found, with no more indeterminate servers than
// MaxUnreachable (by default 1 when there are 3 or more servers, else 0),
// makes it found. Everything else, including no servers at all, is
// indeterminate. Callers must never verify, fail or revoke a claim on an
// indeterminate result.
//
// Result.Reason is one sentence naming the servers and what they said; for
// an absent record it says which record to publish and where.
//
// # Cost
//
// A Verifier reuses its dns.Client values and caches, spawns goroutines only
// when several servers are asked, and caps the records a result carries, so
// one Verifier can sweep thousands of domains concurrently. Tests run real
// servers on loopback with package dnstest.
package dnsverify
