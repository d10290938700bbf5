// Package ids makes and parses ssogate's identifiers and secrets: 32-hex ids
// (accounts, tokens, connectors, members, as Cloudflare shapes them), UUIDs
// (Access objects, audit entries) and the recognisable shapes of secrets.
// Ids are parsed at the edge so a malformed one is a 400, never a query.
package ids
