#!/usr/bin/env bash
# Fuzz the committed OpenAPI spec against the real server: a fresh SQLite data
# dir, a fresh admin account, a random port, and the only check that every
# generated request must pass is "no 5xx". Exits with the fuzzer's status.
#
# Knobs (environment): VANBAN_API_BIN (default $CARGO_TARGET_DIR/debug/api),
# SCHEMATHESIS_MAX_EXAMPLES (25), SCHEMATHESIS_TIMEOUT (whole run, 300 s),
# SCHEMATHESIS_SEED (replay a run; the seed is printed at the end of each run).
set -euo pipefail

# shellcheck source=SCRIPTDIR/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$repo_root"

spec="$repo_root/openapi/openapi.json"
[[ -f $spec ]] || die "missing $spec"

# Cheap when already done (scripts/test has done them); lets this script run alone.
ensure_redis
ensure_python_tools

default_bin="$CARGO_TARGET_DIR/debug/api"
VANBAN_API_BIN="${VANBAN_API_BIN:-$default_bin}"
if [[ ! -x $VANBAN_API_BIN && $VANBAN_API_BIN == "$default_bin" ]]; then
  log "building the api binary"
  cargo build -p vanban-api --bin api
fi
[[ -x $VANBAN_API_BIN ]] || die "api binary not found at $VANBAN_API_BIN"

# A per-run prefix keeps this run's rate limits and sessions apart from any
# other server using the same Redis; the keys are removed on exit, with the
# server and, if interrupted, the fuzzer.
scratch_world schemathesis

port="$(free_port)"
base="http://127.0.0.1:$port"
password="$(python3 -c 'import secrets, string; a = string.ascii_letters + string.digits; print("".join(secrets.choice(a) for _ in range(24)))')"

mkdir -p "$tmp/data"
export DATA_DIR="$tmp/data"
export BIND_ADDR="127.0.0.1:$port"
export REDIS_KEY_PREFIX="$redis_prefix"
export LOG_FORMAT=json
export RUST_LOG=warn
# Signing needs an HSM: a SoftHSM2 token of this run's own, and the development CA.
ensure_softhsm "$DATA_DIR"
export DEV_CA=true

log "creating the fuzz admin in $DATA_DIR"
ADMIN_PASSWORD="$password" "$VANBAN_API_BIN" create-admin \
  --username fuzzadmin --org-code FUZZ --org-name "Fuzz Org" >"$tmp/create-admin.log" 2>&1 \
  || { cat "$tmp/create-admin.log" >&2; die "create-admin failed"; }

log "starting the server on $base"
"$VANBAN_API_BIN" serve >"$tmp/server.log" 2>&1 &
server_pid=$!

wait_for_server "$base" "$server_pid"

log "logging in as fuzzadmin"
login_body="$(python3 -c '
import json, sys
print(json.dumps({
    "username": "fuzzadmin",
    "password": sys.argv[1],
    "device": {"device_id": "fuzz-device", "platform": "web", "name": "fuzz", "app_version": "1.0"},
}))' "$password")"
login_resp="$(curl -sS -X POST "$base/api/v1/auth/login" -H 'content-type: application/json' -d "$login_body")" \
  || die "login request failed"
# Look for access_token anywhere in the response, so a nested token object works too.
token="$(python3 -c '
import json, sys
def find(v):
    if isinstance(v, dict):
        if isinstance(v.get("access_token"), str):
            return v["access_token"]
        v = list(v.values())
    if isinstance(v, list):
        for x in v:
            t = find(x)
            if t:
                return t
    return None
t = find(json.load(sys.stdin))
if not t:
    sys.exit(1)
print(t)' <<<"$login_resp" 2>/dev/null)" || die "login returned no access_token: $login_resp"

# Only "no 5xx" is checked. Operations that would end the fuzzer's own session
# (logout, password change, revoking sessions) are left out. The stateful
# phase is off and examples are capped so the run stays bounded.
st_args=(
  run "$spec"
  --url "$base"
  --header "Authorization: Bearer $token"
  --checks not_a_server_error
  --phases "examples,coverage,fuzzing"
  --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-25}"
  --request-timeout 10
  --generation-database none
  --exclude-path /api/v1/auth/logout
  --exclude-path /api/v1/auth/password
  # The two regexes form a single filter (both must match): DELETE on */sessions*.
  --exclude-method-regex '^DELETE$'
  --exclude-path-regex '/sessions'
)
[[ -n ${SCHEMATHESIS_SEED:-} ]] && st_args+=(--seed "$SCHEMATHESIS_SEED")
[[ -t 1 ]] || st_args+=(--no-color)

budget="${SCHEMATHESIS_TIMEOUT:-300}"
log "fuzzing $spec (no 5xx allowed, at most ${budget}s)"
st_rc=0
# Run from the temp dir: the fuzzer writes .hypothesis/ and .schemathesis/ into
# its cwd. In the background + wait, so INT/TERM reach our trap at once.
(cd "$tmp" && exec timeout --kill-after=10 "$budget" "$VANBAN_VENV/bin/schemathesis" "${st_args[@]}") &
wait "$!" || st_rc=$?
if [[ $st_rc -eq 124 || $st_rc -eq 137 ]]; then
  log "schemathesis did not finish within ${budget}s"
elif [[ $st_rc -ne 0 ]]; then
  log "schemathesis found failures (exit $st_rc)"
fi
exit "$st_rc"
