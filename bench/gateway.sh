#!/usr/bin/env bash
# The gateway benchmark (docs/benchmarks.md, "Gateway"): ssogate's Access
# gateway (cookie, header, service token) against a tuned bare reverse
# proxy and oauth2-proxy, and ssogate's forward auth behind nginx and Caddy
# against the same proxy with no auth, under wrk, every server on 127.0.0.1 in
# front of the same Go upstream.
#
#   bash bench/gateway.sh                   # -d 10s -reps 3 -c 32 -t 2: about six minutes
#   bash bench/gateway.sh -d 2s -reps 1     # quick: checks everything works
#   bash bench/gateway.sh -only bare,ssogate-sqlite-cookie -no-postgres
#   bash bench/gateway.sh -only nginx-bare,nginx-auth-null,nginx-forward-auth
#   bash bench/gateway.sh -only caddy-bare,caddy-auth-null,caddy-forward-auth
#
# Needs Go, bash, PostgreSQL's server binaries (for the PostgreSQL
# scenario; -no-postgres skips it) and nginx (Debian's, apt-get install -y
# nginx; found on PATH or at /usr/sbin/nginx, -nginx names another,
# -no-nginx skips its scenarios). Installs what is missing: wrk from
# Debian's apt, oauth2-proxy v7.15.6 with go install into a temporary
# GOBIN (OAUTH2_PROXY=/path/to/binary uses one you have), and Caddy
# v2.11.9 the same way for the caddy-* scenarios (CADDY=/path/to/binary;
# -no-caddy skips them). Not part of CI.
set -euo pipefail
cd "$(dirname "$0")/.."

OAUTH2_PROXY_VERSION=v7.15.6
CADDY_VERSION=v2.11.9
tmp=$(mktemp -d /tmp/ssogate-bench.XXXXXX)
harness=
cleanup() {
  if [ -n "$harness" ]; then kill -TERM "$harness" 2>/dev/null || true; wait "$harness" 2>/dev/null || true; fi
  # The harness stops its PostgreSQL itself; this is for when it was killed.
  if [ -s "$tmp/pgdir" ]; then bash scripts/throwaway-postgres.sh stop "$(cat "$tmp/pgdir")" || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if ! command -v wrk >/dev/null 2>&1; then
  echo "installing wrk with apt" >&2
  sudo=; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get install -y wrk >&2 || { $sudo apt-get update >&2 && $sudo apt-get install -y wrk >&2; }
fi

# oauth2-proxy: $OAUTH2_PROXY, else one on PATH if it is the right version,
# else go install it into $tmp (the module cache makes a second install fast).
o2p=${OAUTH2_PROXY:-$(command -v oauth2-proxy || true)}
if [ -z "$o2p" ] || ! go version -m "$o2p" 2>/dev/null | grep -Eq "mod[[:space:]]+github.com/oauth2-proxy/oauth2-proxy/v7[[:space:]]+$OAUTH2_PROXY_VERSION"; then
  echo "installing oauth2-proxy $OAUTH2_PROXY_VERSION with go install into $tmp/gobin" >&2
  GOBIN="$tmp/gobin" go install "github.com/oauth2-proxy/oauth2-proxy/v7@$OAUTH2_PROXY_VERSION"
  o2p="$tmp/gobin/oauth2-proxy"
fi

# Caddy, for the caddy-* scenarios only: $CADDY, else one on PATH if it is
# the right version, else go install it into $tmp (a few minutes the first
# time; the Go caches make later installs fast).
want_caddy=1 prev=
for a in "$@"; do
  case "$a" in
    -no-caddy|--no-caddy) want_caddy=0 ;;
    -only=*|--only=*) case "${a#*=}" in *caddy*) ;; *) want_caddy=0 ;; esac ;;
  esac
  if [ "$prev" = -only ] || [ "$prev" = --only ]; then case "$a" in *caddy*) ;; *) want_caddy=0 ;; esac; fi
  prev=$a
done
caddy=${CADDY:-$(command -v caddy || true)}
if [ "$want_caddy" = 1 ] && { [ -z "$caddy" ] || ! go version -m "$caddy" 2>/dev/null | grep -Eq "mod[[:space:]]+github.com/caddyserver/caddy/v2[[:space:]]+$CADDY_VERSION"; }; then
  echo "installing caddy $CADDY_VERSION with go install into $tmp/gobin" >&2
  GOBIN="$tmp/gobin" go install "github.com/caddyserver/caddy/v2/cmd/caddy@$CADDY_VERSION"
  caddy="$tmp/gobin/caddy"
fi

go build -o "$tmp/ssogate" ./cmd/ssogate
go build -o "$tmp/gateway-bench" ./bench/gateway

# In the background, so a TERM to this script reaches the harness (through
# cleanup) instead of waiting for it.
"$tmp/gateway-bench" -ssogate "$tmp/ssogate" -oauth2-proxy "$o2p" -caddy "$caddy" -wrk "$(command -v wrk)" -work "$tmp" "$@" &
harness=$!
status=0
wait "$harness" || status=$?
harness=
exit "$status"
