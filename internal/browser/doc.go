// Package browser holds what ssogate's own browser-facing handlers share on
// every host — the dashboard, the team domains, and the /cdn-cgi/access
// endpoints of application hosts — so each rule lives in one place:
//
//   - ReadForm caps and parses a request body before any handler, CSRF
//     check or login reads it. Forms are small and urlencoded; anything
//     larger than MaxForm is a 413 and multipart is a 415, so no client,
//     signed in or not, can make ssogate buffer or spool an upload.
//   - HSTS is the Strict-Transport-Security value of ssogate's pages over
//     https.
//
// Requests the gateway proxies to an application's origin never come here:
// their bodies and response headers belong to the application. The API has
// its own limit and JSON decoder (package api).
package browser
