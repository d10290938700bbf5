// Package api is the Cloudflare-v4-compatible REST surface under /client/v4:
// the response envelope, the one place where errors become HTTP (Error and
// the adapter in router.go), bearer authentication, the route table in which
// every route declares the permission it needs (deny by default), request
// decoding and pagination.
//
// Compatibility rules that shape it (see shared/reference/cloudflare-api.md
// §1 and §12.2): every response is a JSON envelope with Content-Type
// application/json, success bodies are never empty (deletes return {id}),
// failures are signalled by HTTP status >= 400 (the official SDK ignores
// "success": false on a 2xx), business errors never use 409 or 5xx (the SDK
// retries those ten times), lists honour page/per_page and answer an empty
// result past the last page (the SDK's auto-pager stops only on an empty
// page), and body-less POSTs are accepted. The one retryable failure is an
// unavailable database: 503 with Retry-After and X-Should-Retry: true.
//
// Bodies: the router reads at most MaxBody of any route's body before the
// handler runs, and Request.Decode is the one JSON decoder; it refuses what
// encoding/json would quietly repair (null, invalid UTF-8, lone surrogates,
// duplicate keys) and bodies not sent as uncompressed application/json.
//
// Domain packages own their handlers and register them with Router.Handle;
// the router authenticates, checks the declared permission against the
// account in the path, and writes the envelope.
package api
