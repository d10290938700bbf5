// Package access owns ssogate's Access layer as the API sees it: the
// organization of an account (its team name and team domain), identity
// providers (secrets sealed at rest, masked on read), applications and
// policies. Decisions themselves are made by the pure evaluator in
// internal/access/policy; token signing keys live in internal/access/keys;
// federation with IdPs in internal/idp.
//
// Wire shapes follow Cloudflare's (shared/reference/cloudflare-api.md §4–7)
// so the official SDK and Terraform-style clients work: create answers 201
// for Access objects, PUT merges the keys sent, ids are UUIDs and an
// application's aud is 64 hex characters.
package access
