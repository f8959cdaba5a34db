#!/usr/bin/env bash
# Builds keycard and signs you in to the local test provider that ships with the repo
# (tests/oidc: the npm package oidc-provider on 127.0.0.1). No account anywhere: at the
# provider's pages, sign in with any name and any password.
#
#   tests/try-local.sh [extra `keycard login` options, e.g. --no-browser]
#
# Everything stays in target/try-local; your real keycard config is not touched.
# KEYCARD_BIN=path/to/keycard skips the build (the test suite uses this); PORT=N puts
# the provider on that port (default: a free one).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
# No "new npm version" notice in the middle of the sign-in.
export npm_config_update_notifier=false

if [ ! -e tests/oidc/node_modules/oidc-provider/package.json ]; then
  echo "Installing the local test provider (npm ci in tests/oidc)..." >&2
  npm ci --prefix tests/oidc --no-audit --no-fund --loglevel=error >&2
fi
if [ -z "${KEYCARD_BIN:-}" ]; then
  echo "Building keycard..." >&2
  # Ask cargo where the binary is: .cargo/config.toml names the target, so it is under
  # target/<target>/debug rather than target/debug.
  KEYCARD_BIN=$(cargo build --quiet --message-format=json-render-diagnostics |
    sed -n 's/.*"executable":"\([^"]*keycard\)".*/\1/p' | tail -n 1)
fi

# Absolute paths: the commands printed at the end work from any directory.
case "$KEYCARD_BIN" in /*) ;; *) KEYCARD_BIN="$repo/$KEYCARD_BIN" ;; esac
dir="$repo/target/try-local"
rm -rf "$dir" && mkdir -p "$dir"
# The provider exits when this script does: it watches its stdin, fed from a pipe we hold.
exec 3> >(exec node tests/oidc/server.mjs --port "${PORT:-0}" >"$dir/provider.out" 2>"$dir/provider.log")
for _ in $(seq 100); do [ -s "$dir/provider.out" ] && break; sleep 0.1; done
issuer=$(sed -n 's/.*"issuer":"\([^"]*\)".*/\1/p' "$dir/provider.out")
[ -n "$issuer" ] || { echo "the local provider did not start; see $dir/provider.log" >&2; exit 1; }

port=${issuer##*:}
keycard() { "$KEYCARD_BIN" --config-dir "$dir" "$@"; }
keycard config add local --preset local --var "port=$port" >&2
echo "Local provider at $issuer: sign in there with any name and any password." >&2
keycard login "$@"
keycard status
# What a shell prompt would show (README "Shell prompts"), and how to go on by hand,
# with absolute (and shell-quoted) paths so the commands work from any directory.
q() { printf '%q' "$1"; }
cat >&2 <<EOF

Your prompt would show: $(keycard status --short)

The provider stopped with this script. To go on from any directory:
  export KEYCARD_CONFIG_DIR=$(q "$dir")
  $(q "$KEYCARD_BIN") status --short
  $(q "$KEYCARD_BIN") token
To start the provider again on the same port (the profile points at it):
  node $(q "$repo/tests/oidc/server.mjs") --port $port --ignore-stdin >/dev/null 2>&1 &
It keeps no state across restarts: the tokens keep working offline until they expire,
and '$(q "$KEYCARD_BIN") login' signs in again (a refresh is refused, exit 3).
Stop it with 'kill %1' (or 'kill \$!' from a script).
EOF
