#!/usr/bin/env bash
# Build Traefik from its source on the Go module proxy into DIR (default:
# the CI cache), for the forward-auth test (TestForwardAuthTraefik).
#
# `go install github.com/traefik/traefik/v3/cmd/traefik@VERSION` refuses:
# Traefik's go.mod has replace directives, which only a main module may
# have. So this downloads the module's source with `go mod download` and
# builds it as the main module, where its replaces apply. One of them points
# at ./pkg/config/dynamic/ext, a nested module the proxy's zip leaves out (a
# zip never holds another module's files); in Traefik's repository it holds
# nothing but the empty extension structs of the open-source edition, which
# this script writes back. The web UI's built assets are not in the zip
# either: the binary serves an empty dashboard, which the test does not use.
set -euo pipefail

version=v3.5.0
dir=${1:-"${XDG_CACHE_HOME:-$HOME/.cache}/ssogate-ci/traefik-$version"}
if [ -x "$dir/traefik" ]; then
  echo "$dir/traefik"
  exit 0
fi

src=$(go mod download -json "github.com/traefik/traefik/v3@$version" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
[ -d "$src" ] || { echo "go mod download gave no source directory for traefik $version" >&2; exit 1; }

work=$(mktemp -d /tmp/traefik-build.XXXXXX)
trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT
cp -r "$src/." "$work/"
chmod -R u+w "$work"

ext="$work/pkg/config/dynamic/ext"
mkdir -p "$ext"
printf 'module github.com/traefik/traefik/dynamic/ext\n\ngo 1.24.0\n' >"$ext/go.mod"
cat >"$ext/ext.go" <<'EOF'
// Package ext holds the extension points of Traefik's dynamic
// configuration; the open-source edition extends nothing.
package ext

// HTTP extends dynamic.HTTP.
type HTTP struct{}

// Router extends dynamic.Router.
type Router struct{}

// RouterIng extends an ingress router's annotations.
type RouterIng struct{}

// ToRouter gives the Router a RouterIng stands for.
func (RouterIng) ToRouter() Router { return Router{} }
EOF

# The web UI is built by npm in Traefik's release process, so the zip has
# no assets (or only a placeholder); go:embed needs one file.
if [ -z "$(ls -A "$work/webui/static" 2>/dev/null)" ]; then
  mkdir -p "$work/webui/static"
  echo '<!doctype html><title>Traefik</title><p>Dashboard not built.' >"$work/webui/static/index.html"
fi

mkdir -p "$dir"
# A test tool: compiled without optimisation (-N -l), which builds faster.
(cd "$work" && CGO_ENABLED=0 go build -trimpath -gcflags=all='-N -l' -o "$dir/traefik" ./cmd/traefik)
echo "$dir/traefik"
