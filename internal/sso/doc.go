// Package sso owns SSO connectors: an account's claim on an email domain,
// proven by a DNS TXT record at the domain's apex and, once enabled, the
// switch that forces every member of that domain through SSO.
//
// The verification state machine (pure functions in machine.go, driven by
// the API and by the background Worker):
//
//	create ─▶ awaiting ─begin_verification─▶ pending ─found─▶ verified ─enable─▶ enabled
//	             │                             │  ▲                     ◀─disable─
//	             │ deadline                    │  └─ absent or indeterminate:
//	             ▼                             │     re-check with backoff
//	           failed ◀────── deadline ────────┘
//	             └─ begin_verification (claims the domain again) ─▶ pending
//
//	(create with begin_verification:true goes straight to pending.)
//
// Rules:
//   - A connector's email domain is normalised and vetted by package domains
//     before anything is stored; a refusal stores nothing.
//   - While a claim is live (awaiting, pending, verified) the row holds the
//     domain in claim_domain, which is UNIQUE across all accounts: a domain
//     has at most one live claim, enforced by the database. A failed claim
//     releases the domain, so nobody can squat a domain they cannot prove.
//   - Only a definite answer decides: an indeterminate DNS answer (SERVFAIL,
//     timeout, no authoritative bit) leaves the connector pending; the
//     deadline (48h by default) then fails it with the last answer as reason.
//   - Enabling requires verified; disabling always works (lock-out recovery).
//   - Every transition is written with the audit entry in one transaction,
//     and a check result is applied only if the row's version is unchanged,
//     so a connector deleted while its DNS check ran does not come back.
package sso
