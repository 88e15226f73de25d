# shellcheck shell=bash
# What the benchmark scripts share: a temporary world (data dir, port, Redis
# prefix) removed on exit, the release server started and timed to ready, its
# memory, and time-boxed wrk runs that fail on any error. Source it after
# lib.sh; it sets $tmp, $port, $base, $redis_prefix and the server's
# environment, and traps EXIT to clean up.

apt_install wrk redis-tools curl
ensure_redis
command -v python3 >/dev/null 2>&1 || apt_install python3

duration="${BENCH_DURATION:-10}"
[[ $duration =~ ^[1-9][0-9]*$ ]] || die "BENCH_DURATION must be a whole number of seconds"

# Extra clean-up a script adds (say, dropping its database) goes in scratch_cleanup_hooks.
scratch_world bench

port="$(free_port)"
base="http://127.0.0.1:$port"

mkdir -p "$tmp/data"
# The server reads .env from its working directory; run it from the temp dir
# and drop settings that would point it elsewhere.
unset DATABASE_URL JWT_PRIVATE_KEY_FILE PUBLIC_URL
export DATA_DIR="$tmp/data"
export BIND_ADDR="127.0.0.1:$port"
export REDIS_URL="redis://127.0.0.1:6379"
export REDIS_KEY_PREFIX="$redis_prefix"
export LOG_FORMAT=json
export RUST_LOG=warn

# bench_build — the release server; sets $api_bin.
bench_build() {
  log "building the release server"
  cargo build --release -p vanban-api --bin api
  api_bin="$CARGO_TARGET_DIR/release/api"
  [[ -x $api_bin ]] || die "api binary not found at $api_bin"
}

# bench_create_admin USERNAME PASSWORD — an admin of a fresh organisation.
bench_create_admin() {
  log "creating $1 in $DATA_DIR"
  (cd "$tmp" && ADMIN_PASSWORD="$2" timeout 60 "$api_bin" create-admin \
    --username "$1" --org-code BENCH --org-name Bench) >"$tmp/create-admin.log" 2>&1 \
    || { cat "$tmp/create-admin.log" >&2; die "create-admin failed"; }
}

server_alive() {
  kill -0 "$server_pid" 2>/dev/null || die "the server exited (see its log above)"
}

# bench_start — starts the server and waits for /health/ready; sets
# $server_pid and $ready_ms.
bench_start() {
  log "starting the server on $base"
  local t0
  t0="$(date +%s%N)"
  (cd "$tmp" && exec "$api_bin" serve) >"$tmp/server.log" 2>&1 &
  server_pid=$!
  ready_ms=""
  # 10 ms between polls, for at most 30 s.
  for _ in {1..3000}; do
    server_alive
    if curl -fsS -o /dev/null --max-time 1 "$base/health/ready" 2>/dev/null; then
      ready_ms=$((($(date +%s%N) - t0) / 1000000))
      break
    fi
    sleep 0.01
  done
  [[ -n $ready_ms ]] || die "the server was not ready at $base/health/ready within 30 s"
  log "ready after $ready_ms ms"
}

# VmRSS of the server, in MiB.
rss_mib() {
  awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$server_pid/status"
}

# bench_login USERNAME PASSWORD — prints an access token.
bench_login() {
  local body resp
  body="$(printf '{"username":"%s","password":"%s","device":{"device_id":"bench-device","platform":"android","name":"bench","app_version":"1.0"}}' "$1" "$2")"
  resp="$(curl -fsS --max-time 10 -X POST "$base/api/v1/auth/login" \
    -H 'content-type: application/json' -d "$body")" || die "login request failed"
  python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])' <<<"$resp" \
    || die "login returned no access_token"
}

# A `done` hook for wrk: one machine-readable line per run.
cat >"$tmp/report.lua" <<'LUA'
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH rps=%.1f p50_ms=%.2f p99_ms=%.2f requests=%d non2xx=%d socket_errors=%d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests, e.status, e.connect + e.read + e.write + e.timeout))
end
LUA

# run_wrk NAME WRK-ARGS... — runs wrk (time-boxed), keeps its full output in
# $tmp/NAME.txt and sets the globals rps, p50, p99; fails on any non-2xx
# answer or socket error.
run_wrk() {
  local name=$1 line
  shift
  # In the background + wait, so INT/TERM reach the trap at once.
  timeout $((duration + 30)) wrk --latency -d "${duration}s" "$@" >"$tmp/$name.txt" 2>&1 &
  wait "$!" || { cat "$tmp/$name.txt" >&2; die "wrk ($name) failed"; }
  cat "$tmp/$name.txt" >&2
  server_alive
  line="$(grep '^BENCH ' "$tmp/$name.txt")" || die "wrk ($name) printed no summary"
  field() { sed -E "s/.* $1=([^ ]+).*/\1/" <<<"$line"; }
  rps="$(field rps)"
  p50="$(field p50_ms)"
  p99="$(field p99_ms)"
  [[ $(field requests) -gt 0 ]] || die "wrk ($name) completed no request"
  [[ $(field non2xx) -eq 0 ]] || die "wrk ($name): $(field non2xx) non-2xx answers"
  [[ $(field socket_errors) -eq 0 ]] || die "wrk ($name): $(field socket_errors) socket errors or timeouts"
}

# The machine, for the tables.
bench_machine() {
  local cpu
  cpu="$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
  [[ -n $cpu ]] || cpu="$(LC_ALL=C lscpu 2>/dev/null | awk -F': *' '/^Model name/ { print $2; exit }')"
  printf '%s cores, %s' "$(nproc)" "${cpu:-unknown CPU}"
}
