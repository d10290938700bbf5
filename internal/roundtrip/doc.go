// Package roundtrip holds the API's round-trip conformance suite (tests
// only): for every writable resource, what a client sends comes back equal,
// nothing it did not send appears unless Cloudflare always returns it,
// write-only secrets never come back, and an update of one field changes
// only that field. It is what keeps Terraform and Pulumi, which compare
// what they sent with what they read, free of drift (issue 11).
package roundtrip
