#!/usr/bin/env bash
# The admin console in a real browser: builds it (scripts/console), starts the real server on
# the demo data in a data dir of its own with CONSOLE_DIR on the build, and runs
# api/console/e2e/console.e2e.mjs (playwright-core driving Debian's Chromium; it never
# downloads a browser). Screenshots of each page are kept in CONSOLE_E2E_OUT.
#
# Knobs (environment): VANBAN_API_BIN (default $CARGO_TARGET_DIR/debug/api),
# CONSOLE_E2E_OUT (default api/console/test-results).
set -euo pipefail

# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$repo_root"

ensure_redis
# The browser, and the SQLite client the test tampers with the audit trail through.
apt_install chromium sqlite3
"$repo_root/scripts/console"

VANBAN_API_BIN="${VANBAN_API_BIN:-$CARGO_TARGET_DIR/debug/api}"
[[ -x $VANBAN_API_BIN ]] || die "api binary not found at $VANBAN_API_BIN (cargo build first)"
out="${CONSOLE_E2E_OUT:-$repo_root/api/console/test-results}"
rm -rf "$out"

scratch_world console

port="$(free_port)"
base="http://127.0.0.1:$port"
mkdir -p "$tmp/data"
export DATA_DIR="$tmp/data" BIND_ADDR="127.0.0.1:$port" REDIS_KEY_PREFIX="$redis_prefix"
export LOG_FORMAT=json RUST_LOG=warn DEV_CA=true CONSOLE_DIR="$repo_root/api/console/dist"
ensure_softhsm "$DATA_DIR"
log "starting the demo server on $base"
"$VANBAN_API_BIN" demo >"$tmp/server.log" 2>&1 &
server_pid=$!
wait_for_server "$base" "$server_pid"

log "driving the console in Chromium"
(cd api/console && node e2e/console.e2e.mjs "$base" "$DATA_DIR/demo-logins.txt" "$out" \
  "$DATA_DIR/vanban.db")
