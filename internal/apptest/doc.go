// Package apptest starts a whole ssogate for tests, the real way: app.New
// (the same wiring as `ssogate serve`) on a fresh SQLite file, served by
// httptest on loopback, with a real authoritative DNS server (dnstest) on
// loopback as the verifier's name server, a bootstrap token holding every
// permission, and helpers to drive it with the official Cloudflare SDK or
// raw HTTP.
package apptest
