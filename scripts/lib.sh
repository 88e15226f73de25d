# shellcheck shell=bash
# Shared helpers for the scripts in this folder. Source it, don't run it:
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# Every ensure_* function is idempotent: it does nothing when the thing it
# guarantees is already there, so the scripts work both on a machine that
# already has everything and on a fresh one (where they install it).

# Resolve the repository root from this file's own location, so callers can
# run from any working directory.
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export repo_root

# The warm build cache lives outside the clone, so a fresh clone of the repo
# reuses the artifacts of earlier builds instead of compiling from scratch.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/vanban/target}"

# Python tools live outside the clone for the same reason.
VANBAN_CACHE="${VANBAN_CACHE:-$HOME/.cache/vanban}"

log() { printf '==> %s\n' "$*" >&2; }

die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

# Run a command as root: directly when we are root, through sudo otherwise.
as_root() {
  if [[ ${EUID:-$(id -u)} -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    die "need root (or sudo) to run: $*"
  fi
}

# apt_install PKG... — install only the Debian packages that are missing.
# `apt-get update` runs at most once per run; the flag is exported so that
# scripts called from another script share it.
apt_install() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0

  export DEBIAN_FRONTEND=noninteractive
  if [[ -z ${VANBAN_APT_UPDATED:-} ]]; then
    log "apt-get update"
    as_root apt-get update -qq || die "apt-get update failed; cannot install: ${missing[*]}"
    export VANBAN_APT_UPDATED=1
  fi
  log "apt-get install ${missing[*]}"
  as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    || die "apt-get install failed for: ${missing[*]}"
}

# ensure_redis — Redis must answer on 127.0.0.1:6379 (sessions, rate limits).
ensure_redis() {
  if command -v redis-cli >/dev/null 2>&1 \
    && redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; then
    return 0
  fi
  log "Redis is not answering on 127.0.0.1:6379; starting it"
  apt_install redis-server
  as_root mkdir -p /var/lib/redis /var/log/redis
  # No persistence: the tests need a cache, not durable data.
  as_root redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 \
    --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log \
    || log "redis-server failed to start (see /var/log/redis/ci.log)"

  local i
  for ((i = 0; i < 20; i++)); do
    if redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; then
      log "Redis is up"
      return 0
    fi
    sleep 0.5
  done
  die "Redis is not reachable at 127.0.0.1:6379"
}

# ensure_postgres — PostgreSQL must accept `postgres` on 127.0.0.1:5432 with
# trust auth (the end-to-end tests create throwaway databases there).
ensure_postgres() {
  local installed_now=0
  if ! command -v pg_isready >/dev/null 2>&1 || ! command -v psql >/dev/null 2>&1; then
    apt_install postgresql-client
  fi

  if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    log "PostgreSQL is not ready on 127.0.0.1:5432; starting it"
    if ! dpkg -s postgresql >/dev/null 2>&1; then
      apt_install postgresql
      installed_now=1
    fi

    local ver
    ver="$(find /etc/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort -V | tail -n 1)"
    if [[ -z $ver ]]; then
      # Package present but no cluster: create the default one.
      ver="$(find /usr/lib/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort -V | tail -n 1)"
      [[ -n $ver ]] || die "PostgreSQL is installed but no server version found under /usr/lib/postgresql"
      as_root pg_createcluster "$ver" main || die "pg_createcluster $ver main failed"
    fi

    if [[ $installed_now -eq 1 ]]; then
      # A cluster we just installed uses password auth over TCP; the tests
      # expect trust for local TCP connections, as on the provisioned machines.
      local hba="/etc/postgresql/$ver/main/pg_hba.conf"
      if [[ -f $hba ]] && ! grep -q '^host all all 127.0.0.1/32 trust' "$hba"; then
        log "configuring trust auth for 127.0.0.1 and ::1 in $hba"
        as_root sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
      fi
    fi

    # Fails harmlessly if the cluster is already running (e.g. just started
    # by the package's postinst); the readiness wait below decides.
    as_root pg_ctlcluster --skip-systemctl-redirect "$ver" main start \
      || log "pg_ctlcluster $ver main start returned non-zero; waiting anyway"
    if [[ $installed_now -eq 1 ]]; then
      as_root pg_ctlcluster --skip-systemctl-redirect "$ver" main reload || true
    fi

    local i
    for ((i = 0; i < 40; i++)); do
      pg_isready -q -h 127.0.0.1 -p 5432 && break
      sleep 0.5
    done
    pg_isready -q -h 127.0.0.1 -p 5432 \
      || die "PostgreSQL is not reachable at 127.0.0.1:5432 (see /var/log/postgresql/)"
    log "PostgreSQL is up"
  fi

  psql -h 127.0.0.1 -p 5432 -U postgres -d postgres -w -Atc 'select 1' >/dev/null 2>&1 \
    || die "PostgreSQL at 127.0.0.1:5432 refuses user postgres without a password; enable trust auth for 127.0.0.1 in pg_hba.conf"
}

# ensure_python_tools — a private venv with the OpenAPI validator and the
# API fuzzer. Exports VANBAN_VENV.
# ensure_softhsm [DATA_DIR] — SoftHSM2 (the development HSM) and the signature
# validators the tests use (pdfsig, certutil, qpdf) and the font of signature
# appearances (Liberation Serif) are installed. With DATA_DIR,
# a token labelled $PKCS11_TOKEN_LABEL (default vanban) exists in DATA_DIR/tokens,
# never in the system token directory, its PIN generated into DATA_DIR/pkcs11-pin
# at first start (never committed), and SOFTHSM2_CONF, PKCS11_MODULE and
# PKCS11_TOKEN_LABEL are exported for the server.
ensure_softhsm() {
  apt_install softhsm2 opensc poppler-utils libnss3-tools qpdf fonts-liberation2
  local data_dir=${1:-}
  [[ -n $data_dir ]] || return 0
  mkdir -p "$data_dir/tokens"
  data_dir="$(cd "$data_dir" && pwd)"
  export SOFTHSM2_CONF="$data_dir/softhsm2.conf"
  export PKCS11_MODULE="${PKCS11_MODULE:-/usr/lib/softhsm/libsofthsm2.so}"
  export PKCS11_TOKEN_LABEL="${PKCS11_TOKEN_LABEL:-vanban}"
  if [[ ! -f $SOFTHSM2_CONF ]]; then
    printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' \
      "$data_dir/tokens" >"$SOFTHSM2_CONF"
  fi
  # The slot number is random: the token is known by its label.
  if ! softhsm2-util --show-slots 2>/dev/null | grep -Eq "Label: +$PKCS11_TOKEN_LABEL *$"; then
    log "initialising SoftHSM2 token '$PKCS11_TOKEN_LABEL' in $data_dir/tokens"
    local pin so_pin
    pin="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
    so_pin="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
    (umask 077 && printf '%s' "$pin" >"$data_dir/pkcs11-pin")
    softhsm2-util --init-token --free --label "$PKCS11_TOKEN_LABEL" \
      --pin "$pin" --so-pin "$so_pin" >/dev/null \
      || die "softhsm2-util could not initialise the token"
  fi
}

ensure_python_tools() {
  export VANBAN_VENV="$VANBAN_CACHE/venv"

  # A venv whose interpreter vanished (python upgraded/removed) is rebuilt.
  if [[ -d $VANBAN_VENV ]] && ! "$VANBAN_VENV/bin/python" -c '' >/dev/null 2>&1; then
    log "rebuilding broken venv at $VANBAN_VENV"
    rm -rf "$VANBAN_VENV"
  fi

  if [[ ! -x $VANBAN_VENV/bin/python ]]; then
    log "creating venv at $VANBAN_VENV"
    mkdir -p "$VANBAN_CACHE"
    command -v python3 >/dev/null 2>&1 || apt_install python3
    if ! python3 -m venv "$VANBAN_VENV" >/dev/null 2>&1; then
      # Debian's python3 ships venv/ensurepip separately.
      rm -rf "$VANBAN_VENV"
      apt_install python3-venv
      python3 -m venv "$VANBAN_VENV" || die "python3 -m venv failed"
    fi
  fi

  local need=()
  "$VANBAN_VENV/bin/python" -c 'import openapi_spec_validator' >/dev/null 2>&1 \
    || need+=('openapi-spec-validator>=0.7,<1')
  "$VANBAN_VENV/bin/schemathesis" --version >/dev/null 2>&1 \
    || need+=('schemathesis>=4,<5')
  # The signing tests have their PDFs judged by pyHanko (and poppler's pdfsig).
  "$VANBAN_VENV/bin/pyhanko" --version >/dev/null 2>&1 \
    || need+=('pyhanko-cli')
  # The object-store tests run against moto's S3-compatible server on loopback.
  [[ -x $VANBAN_VENV/bin/moto_server ]] || need+=('moto[server]>=5,<6')
  if [[ ${#need[@]} -gt 0 ]]; then
    log "pip install ${need[*]}"
    "$VANBAN_VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${need[@]}" \
      || die "pip install failed for: ${need[*]}"
  fi
}

# scratch_world NAME — for a script that runs a throwaway server: sets $tmp (a new temporary
# dir; the server's output belongs in $tmp/server.log), $redis_prefix (keys of this run
# only), server_pid="" and scratch_cleanup_hooks=() (functions to run at exit), and traps
# EXIT to stop everything the script started, show the server log's tail on failure, run
# the hooks and remove the Redis keys and $tmp. INT and TERM become a normal exit.
scratch_world() {
  tmp="$(mktemp -d "${TMPDIR:-/tmp}/vanban-$1.XXXXXX")"
  redis_prefix="$1:$$:$RANDOM:"
  server_pid=""
  scratch_cleanup_hooks=()
  trap scratch_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

# shellcheck disable=SC2317  # only reached through the trap
scratch_cleanup() {
  local rc=$? hook
  set +e
  kill_descendants $$
  [[ -n $server_pid ]] && wait "$server_pid" 2>/dev/null
  if [[ $rc -ne 0 && -s $tmp/server.log ]]; then
    log "last lines of the server log:"
    tail -n 40 "$tmp/server.log" >&2
  fi
  for hook in "${scratch_cleanup_hooks[@]}"; do "$hook"; done
  redis-cli -h 127.0.0.1 -p 6379 --scan --pattern "${redis_prefix}*" 2>/dev/null \
    | xargs -r -n 100 redis-cli -h 127.0.0.1 -p 6379 del >/dev/null 2>&1
  rm -rf "$tmp"
  exit "$rc"
}

# free_port — prints a TCP port free on 127.0.0.1 right now.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# wait_for_server BASE_URL PID — waits (30 s at most) until the server started as PID
# answers BASE_URL/health/ready; dies if it exits first or never becomes ready.
wait_for_server() {
  local base=$1 pid=$2 i
  for ((i = 0; i < 60; i++)); do
    kill -0 "$pid" 2>/dev/null || die "the server exited during startup"
    curl -fsS -o /dev/null "$base/health/ready" 2>/dev/null && return 0
    sleep 0.5
  done
  die "the server was not ready at $base/health/ready within 30 s"
}

# ensure_client_generators — the client generators app developers use, pinned, in a
# venv of their own (their dependencies must not move the test tools'): openapi-python-client
# and openapi-generator (PyPI's openapi-generator-cli carries its jar), and a Java runtime
# for it. Exports VANBAN_CLIENTS_VENV.
ensure_client_generators() {
  export VANBAN_CLIENTS_VENV="$VANBAN_CACHE/clients-venv"
  command -v java >/dev/null 2>&1 || apt_install openjdk-17-jre-headless
  if [[ -d $VANBAN_CLIENTS_VENV ]] && ! "$VANBAN_CLIENTS_VENV/bin/python" -c '' >/dev/null 2>&1; then
    rm -rf "$VANBAN_CLIENTS_VENV"
  fi
  if [[ ! -x $VANBAN_CLIENTS_VENV/bin/python ]]; then
    log "creating venv at $VANBAN_CLIENTS_VENV"
    mkdir -p "$VANBAN_CACHE"
    python3 -m venv "$VANBAN_CLIENTS_VENV" || die "python3 -m venv failed"
  fi
  local frozen pin need=()
  frozen="$("$VANBAN_CLIENTS_VENV/bin/python" -m pip freeze 2>/dev/null || true)"
  for pin in 'openapi-python-client==0.29.1' 'openapi-generator-cli==7.26.0'; do
    grep -qxF "$pin" <<<"$frozen" || need+=("$pin")
  done
  if [[ ${#need[@]} -gt 0 ]]; then
    log "pip install ${need[*]}"
    "$VANBAN_CLIENTS_VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${need[@]}" \
      || die "pip install failed for: ${need[*]}"
  fi
}

# ensure_nextest — the test runner; built from crates.io only when missing.
ensure_nextest() {
  cargo nextest --version >/dev/null 2>&1 && return 0
  log "installing cargo-nextest"
  # Keep its build out of the project's target dir.
  env -u CARGO_TARGET_DIR cargo install --locked cargo-nextest \
    || die "cargo install cargo-nextest failed"
}

# drop_stale_test_databases — the end-to-end tests create one database per
# test named vanban_test_*; a crashed or interrupted run leaves them behind.
drop_stale_test_databases() {
  local psql_cmd=(psql -h 127.0.0.1 -p 5432 -U postgres -d postgres -w -v ON_ERROR_STOP=1 -At)
  local dbs db
  # Only databases nobody is connected to: another run on this machine may be using its own.
  dbs="$("${psql_cmd[@]}" -c "select d.datname from pg_database d where starts_with(d.datname, 'vanban_test_') and not exists (select 1 from pg_stat_activity a where a.datname = d.datname)")" \
    || die "could not list databases on 127.0.0.1:5432"
  [[ -z $dbs ]] && return 0
  log "dropping $(wc -l <<<"$dbs") stale vanban_test_* database(s)"
  while IFS= read -r db; do
    [[ -n $db ]] || continue
    # Names come from pg_database; double any quote so the identifier is safe.
    # No force: one that a concurrent run just connected to is left for a later sweep.
    "${psql_cmd[@]}" -q -c "drop database if exists \"${db//\"/\"\"}\"" >/dev/null 2>&1 \
      || log "left database $db (in use)"
  done <<<"$dbs"
}

# kill_descendants PID — TERM (then, after 5 s, KILL) every process below
# PID, so servers started by tests or helper scripts never outlive a run. It
# only ever touches PID's own process tree.
kill_descendants() {
  local pids=() queue=("$1") p c
  while [[ ${#queue[@]} -gt 0 ]]; do
    p=${queue[0]}
    queue=("${queue[@]:1}")
    for c in $(pgrep -P "$p" 2>/dev/null || true); do
      pids+=("$c")
      queue+=("$c")
    done
  done
  [[ ${#pids[@]} -eq 0 ]] && return 0
  kill -TERM "${pids[@]}" 2>/dev/null || true
  local i alive
  for ((i = 0; i < 50; i++)); do
    alive=()
    for p in "${pids[@]}"; do
      kill -0 "$p" 2>/dev/null && alive+=("$p")
    done
    [[ ${#alive[@]} -eq 0 ]] && return 0
    sleep 0.1
  done
  kill -KILL "${alive[@]}" 2>/dev/null || true
}
