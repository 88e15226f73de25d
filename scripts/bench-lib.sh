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

# --- PostgreSQL worlds ------------------------------------------------------------------
# bench_postgres — a throwaway database for this run, dropped on exit: sets $db, exports
# DATABASE_URL for the server and defines psql_db (psql on it, quiet, stopping at the first
# error).
bench_postgres() {
  db="vanban_bench_$$"
  psql -h 127.0.0.1 -U postgres -d postgres -qc "CREATE DATABASE $db" || die "cannot create $db"
  scratch_cleanup_hooks+=(bench_drop_db)
  export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db"
}
psql_db() { psql -h 127.0.0.1 -U postgres -d "$db" -v ON_ERROR_STOP=1 -qAt "$@"; }
# shellcheck disable=SC2317  # run by the exit trap
bench_drop_db() {
  psql -h 127.0.0.1 -U postgres -d postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1
}

# The seeds below write straight into the tables, the way the server would have over the
# years, so that a run measures a database of a province's size without a year of requests.

# bench_seed_people LEADER COUNT — COUNT - 1 more people in LEADER's organisation;
# bench_people numbers all COUNT of them, LEADER first (n = 0).
bench_seed_people() {
  psql_db <<SQL
INSERT INTO users (id, username, full_name, title, organization_id, password_hash,
                   must_change_password, disabled, created_at, updated_at)
SELECT gen_random_uuid(), 'bench.user.' || g, 'Người dùng ' || g, '', organization_id,
       'not-a-hash', false, false, now(), now()
FROM generate_series(1, $2 - 1) g, (SELECT organization_id FROM users WHERE username = '$1') o;
CREATE TABLE bench_people AS
SELECT id, row_number() OVER (ORDER BY username = '$1' DESC, id) - 1 AS n FROM users;
CREATE INDEX ON bench_people (n);
SQL
}

# bench_seed_documents LEADER FROM TO — documents n = FROM .. TO - 1 of LEADER's organisation,
# written by LEADER and issued, as agencies write them: a kind, a subject, a place, a year, an
# issuer and a Party-style number/symbol. "về việc" is in half of them (a common word), "dự án
# Nậm Pạc" in one in 10,000 (a rare word); each number/symbol is shared by two or three (every
# 40 in a row hold one number in all 40 type/office pairs). Document n was written n / 300 days
# ago (a province's pace), so a month's report reads a month of them however many there are;
# bench_documents numbers them. search_text is what the server stores: lower case, without
# diacritics (the translate() covers every precomposed Vietnamese letter). The trigram index
# (over the text without punctuation) is built again after the rows, as the migration defines it.
bench_seed_documents() {
  local index_def
  index_def="$(psql_db -c "SELECT indexdef FROM pg_indexes WHERE indexname = 'idx_documents_search_compact'")"
  [[ -n $index_def ]] || die "the search index is missing"
  psql_db <<SQL
DROP INDEX idx_documents_search_compact;
CREATE TABLE IF NOT EXISTS bench_documents (n bigint PRIMARY KEY, id uuid, urgency text,
                                            created_at timestamptz);
CREATE TEMP TABLE words AS SELECT
  ARRAY['Quyết định', 'Công văn', 'Tờ trình', 'Kế hoạch', 'Báo cáo', 'Thông báo', 'Chỉ thị',
        'Nghị quyết'] AS kinds,
  ARRAY['triển khai chuyển đổi số', 'phòng chống thiên tai', 'xây dựng nông thôn mới',
        'tổ chức đại hội Đảng bộ', 'kiện toàn Ban Chỉ đạo', 'quyết toán ngân sách',
        'tuyển dụng công chức', 'cải cách hành chính', 'bảo vệ rừng', 'giảm nghèo bền vững',
        'phát triển du lịch', 'an toàn giao thông', 'tiêm chủng mở rộng', 'đào tạo cán bộ',
        'kiểm tra giám sát', 'thi đua khen thưởng', 'quy hoạch sử dụng đất',
        'giải quyết khiếu nại', 'ứng dụng công nghệ thông tin', 'mua sắm tài sản công'] AS topics,
  ARRAY['xã Tân Lập', 'huyện Mèo Vạc', 'thành phố Hà Giang', 'huyện Đồng Văn', 'xã Lũng Cú',
        'huyện Yên Minh', 'huyện Quản Bạ', 'xã Phố Cáo', 'huyện Bắc Mê', 'xã Thanh Thủy'] AS places,
  ARRAY['Tỉnh ủy Hà Giang', 'Ủy ban nhân dân tỉnh', 'Sở Tài chính', 'Sở Nội vụ',
        'Ban Tổ chức Tỉnh ủy', 'Văn phòng Tỉnh ủy'] AS issuers,
  ARRAY['QĐ', 'CV', 'TTr', 'KH', 'BC', 'TB', 'CT', 'NQ'] AS codes,
  ARRAY['TU', 'BTCTU', 'VPTU', 'UBKTTU', 'BDVTU'] AS offices;

-- Ids are UUIDv7 as the server writes them (the time of writing, in milliseconds, then
-- random bits), so the table lies in the order of its ids as a real one does.
INSERT INTO bench_documents (n, id, urgency, created_at)
SELECT g, (lpad(to_hex(floor(extract(epoch FROM t) * 1000)::bigint), 12, '0') || '7'
           || substr(md5(random()::text), 1, 3) || '8' || substr(md5(random()::text), 1, 15))::uuid,
       (ARRAY['flash', 'very_urgent', 'urgent', 'normal'])[1 + g % 4], t
FROM generate_series($2, $3 - 1) g, LATERAL (SELECT now() - g * (interval '1 day' / 300) AS t) c;

INSERT INTO documents (id, organization_id, direction, doc_type, number, symbol, summary,
                       issuer, urgency, confidentiality, state, author_id, search_text,
                       issued_on, revision, created_at, updated_at)
SELECT b.id, u.organization_id, 'outgoing', 'CV', s.number, s.symbol, s.summary,
       s.issuer, b.urgency, 'none', 'issued', u.id,
       translate(lower(s.summary || ' ' || s.issuer || ' ' || s.symbol),
                 'àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ',
                 'aaaaaaaaaaaaaaaaadeeeeeeeeeeeiiiiiooooooooooooooooouuuuuuuuuuuyyyyy'),
       b.created_at::date, 0, b.created_at, b.created_at
FROM (SELECT id, organization_id FROM users WHERE username = '$1') u,
     words w,
     LATERAL (
       SELECT g,
              1 + (g / 40) % 10000 AS number,
              format('%s-%s/%s', 1 + (g / 40) % 10000, w.codes[1 + g % 8],
                     w.offices[1 + (g / 8) % 5]) AS symbol,
              w.kinds[1 + g % 8] || CASE WHEN g % 2 = 0 THEN ' về việc ' ELSE ' ' END
                || w.topics[1 + (g / 11) % 20] || ' tại ' || w.places[1 + (g / 13) % 10]
                || ' năm ' || (2000 + g % 27)
                || CASE WHEN g % 10000 = 4321 THEN ' thuộc dự án Nậm Pạc' ELSE '' END AS summary,
              w.issuers[1 + (g / 17) % 6] AS issuer
       FROM generate_series($2, $3 - 1) g
     ) s
JOIN bench_documents b ON b.n = s.g;

$index_def;
SQL
}

# bench_seed_tasks FROM TO PER_DOCUMENT FIRST PEOPLE — tasks n = FROM .. TO - 1, PER_DOCUMENT
# to a document (task n on document n / PER_DOCUMENT, its step n % PER_DOCUMENT, asked when it
# was written), given in turn to people FIRST .. FIRST + PEOPLE - 1 of bench_people, the turn
# moving on by one with each document so that everyone holds steps of every rank. A third
# wait, with deadlines spread over the coming days; the others were approved an hour after
# they were asked.
bench_seed_tasks() {
  psql_db <<SQL
INSERT INTO tasks (id, document_id, assignee_id, action, status, step, round, assigned_by,
                   deadline, sort_deadline, urgency_rank, comment, decided_at, created_at)
SELECT gen_random_uuid(), d.id, p.id, 'review',
       CASE WHEN g % 3 = 0 THEN 'waiting' ELSE 'approved' END, g % $3, 1, p.id,
       now() + (g % 5000) * interval '1 minute', now() + (g % 5000) * interval '1 minute',
       array_position(ARRAY['flash', 'very_urgent', 'urgent', 'normal'], d.urgency) - 1,
       NULL, CASE WHEN g % 3 = 0 THEN NULL ELSE d.created_at + interval '1 hour' END,
       d.created_at
FROM generate_series($1, $2 - 1) g
JOIN bench_documents d ON d.n = g / $3
JOIN bench_people p ON p.n = $4 + (g + g / $3) % $5;
SQL
}
