// Package cli implements the ssogate command line: `serve`, `migrate` and
// `admin` work on the data directory or database directly (setup,
// automation, recovery); `account`, `sso` and `token` are API clients
// built on the official Cloudflare Go SDK, so they drive ssogate and the
// real api.cloudflare.com alike, reading the environment variables the
// integration guide exports (CLOUDFLARE_API_TOKEN, CLOUDFLARE_ACCOUNT_ID,
// CLOUDFLARE_SSO_CONNECTOR_ID). The API clients show the response
// envelope's messages as "note:" lines on stderr, which the SDK's typed
// results would drop. Their --json prints the API's objects as returned,
// and --field PATH one value from it, so a shell can capture an id or a
// code; a path that matches nothing fails rather than print nothing
// (output.go). Every level of subcommands goes through one
// dispatcher (commands.go), so a mistake reads the same at any depth.
package cli
