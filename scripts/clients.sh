#!/usr/bin/env bash
# The spec as app developers take it: generates the Python client (openapi-python-client) and
# the Kotlin, Swift 6 and TypeScript clients (openapi-generator) from openapi/openapi.json,
# failing on any warning, then drives a document's whole outgoing path with the Python client
# against the real server, started on the demo data in a data dir of its own.
#
# Knobs (environment): VANBAN_API_BIN (default $CARGO_TARGET_DIR/debug/api).
set -euo pipefail

# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$repo_root"

spec="$repo_root/openapi/openapi.json"
ensure_redis
ensure_python_tools
ensure_client_generators

VANBAN_API_BIN="${VANBAN_API_BIN:-$CARGO_TARGET_DIR/debug/api}"
[[ -x $VANBAN_API_BIN ]] || die "api binary not found at $VANBAN_API_BIN (cargo build first)"

scratch_world clients

# Messages openapi-generator 7 logs for any spec with these (valid) constructs, whatever the
# spec says: every multipart array of files ("Could not compute datatypeWithEnum", from
# fromFormProperty, for items that are not enums), and, in swift6, the `Range` header
# parameter (it checks each parameter's name as if it were a model's). The code generated
# for both is right: a list of files, a `range` argument.
known_chatter='Could not compute datatypeWithEnum from (java\.io\.File|URL|any), null$|Swift6ClientCodegen - Range \(reserved word\) cannot be used as model name'

for generator in kotlin swift6 typescript-fetch; do
  log "openapi-generator: $generator"
  "$VANBAN_CLIENTS_VENV/bin/openapi-generator-cli" generate -i "$spec" -g "$generator" \
    -o "$tmp/$generator" >"$tmp/$generator.log" 2>&1 \
    || { tail -n 40 "$tmp/$generator.log" >&2; die "openapi-generator $generator failed"; }
  if grep -E ' (WARN|ERROR) ' "$tmp/$generator.log" | grep -Ev "$known_chatter" >"$tmp/warnings"; then
    cat "$tmp/warnings" >&2
    die "openapi-generator $generator warns about the spec"
  fi
done

log "openapi-python-client"
# openapi/python-client.yaml maps application/pdf to bytes, as its documentation advises.
(cd "$tmp" && "$VANBAN_CLIENTS_VENV/bin/openapi-python-client" generate --path "$spec" \
  --config "$repo_root/openapi/python-client.yaml" --meta none \
  --output-path "$tmp/python/vanban_api_client") >"$tmp/python.log" 2>&1 \
  || { cat "$tmp/python.log" >&2; die "openapi-python-client failed"; }
if grep -Eqi 'warning|unable|cannot|error' "$tmp/python.log"; then
  cat "$tmp/python.log" >&2
  die "openapi-python-client warns about the spec"
fi

port="$(free_port)"
base="http://127.0.0.1:$port"
mkdir -p "$tmp/data"
export DATA_DIR="$tmp/data" BIND_ADDR="127.0.0.1:$port" REDIS_KEY_PREFIX="$redis_prefix"
export LOG_FORMAT=json RUST_LOG=warn DEV_CA=true
ensure_softhsm "$DATA_DIR"
log "starting the demo server on $base"
"$VANBAN_API_BIN" demo >"$tmp/server.log" 2>&1 &
server_pid=$!
wait_for_server "$base" "$server_pid"

log "driving an outgoing document with the Python client"
PYTHONPATH="$tmp/python" "$VANBAN_CLIENTS_VENV/bin/python" "$repo_root/scripts/client_smoke.py" \
  "$base" "$DATA_DIR/demo-logins.txt" "$VANBAN_VENV/bin/pyhanko"
