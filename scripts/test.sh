#!/usr/bin/env bash
# Runs the whole suite: every database test on SQLite and on PostgreSQL, the job tests on a
# real Redis with a real RQ worker, uploads through a real clamd. Starts PostgreSQL or Redis
# where installed but stopped, installs them (and clamav-daemon, Chromium) with apt-get where
# missing (as root on Debian/Ubuntu), or fails naming them.
set -euo pipefail
cd "$(dirname "$0")/.."

export TEST_POSTGRES_URL=${TEST_POSTGRES_URL:-postgresql+psycopg://postgres:postgres@127.0.0.1:5432/ljp_test}
export TEST_REDIS_URL=${TEST_REDIS_URL:-redis://127.0.0.1:6379/11}
PY=.venv/bin/python

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'test: %s\n' "$*" >&2; exit 1; }
can_apt() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; }

postgres_up() {
    "$PY" - <<'PY' >/dev/null 2>&1
import os, psycopg
from sqlalchemy.engine import make_url
u = make_url(os.environ["TEST_POSTGRES_URL"])
psycopg.connect(host=u.host, port=u.port or 5432, user=u.username, password=u.password,
                dbname="postgres", connect_timeout=3).close()
PY
}

redis_up() {
    "$PY" -c 'import os, redis; redis.Redis.from_url(os.environ["TEST_REDIS_URL"], socket_connect_timeout=3).ping()' \
        >/dev/null 2>&1
}

start_postgres() {
    if [ "$(id -u)" = 0 ] && [ -d /etc/postgresql ] && command -v pg_ctlcluster >/dev/null; then
        local version
        version=$(ls /etc/postgresql | sort -V | tail -1)
        pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    fi
}

install_postgres() {
    say "Installing PostgreSQL with apt-get"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    start_postgres
    # A fresh cluster asks for a password over TCP: give postgres the one the tests use.
    su postgres -c "psql -q -c \"ALTER USER postgres PASSWORD 'postgres'\"" >/dev/null
}

start_redis() {
    if command -v redis-server >/dev/null; then
        redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null || true
    fi
}

install_redis() {
    say "Installing Redis with apt-get"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
    start_redis
}

wait_for() {  # wait_for CHECK SECONDS
    for _ in $(seq "$2"); do "$1" && return 0; sleep 1; done
    return 1
}

if ! postgres_up; then
    say "PostgreSQL is not answering; starting it"
    start_postgres
    if ! wait_for postgres_up 15; then
        if can_apt && ! command -v pg_ctlcluster >/dev/null; then install_postgres; fi
        wait_for postgres_up 20 || die "PostgreSQL is needed at $TEST_POSTGRES_URL and could not be started or installed"
    fi
fi

if ! redis_up; then
    say "Redis is not answering; starting it"
    start_redis
    if ! wait_for redis_up 10; then
        if can_apt && ! command -v redis-server >/dev/null; then install_redis; fi
        wait_for redis_up 10 || die "Redis is needed at $TEST_REDIS_URL and could not be started or installed"
    fi
fi

# The virus-scanning tests start a clamd of their own (with a signature database of their own:
# no freshclam, no network); only the daemon's binary is needed.
if ! command -v clamd >/dev/null 2>&1 && [ ! -x /usr/sbin/clamd ]; then
    if can_apt; then
        say "Installing ClamAV's daemon for the virus-scanning tests"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends clamav-daemon >/dev/null
    else
        die "clamd is needed for the virus-scanning tests: apt-get install clamav-daemon (as root)"
    fi
fi

# The browser tests drive Debian's Chromium (never a browser downloaded by Playwright).
if [ -z "${CHROMIUM:-}" ] && ! command -v chromium >/dev/null 2>&1; then
    if can_apt; then
        say "Installing Chromium for the browser tests"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
        die "Chromium is needed for the browser tests: install Debian's chromium package (or set CHROMIUM to its path)"
    fi
fi

say "Running the test suite on SQLite and PostgreSQL, jobs on Redis, pages in Chromium"
# Two worker processes (pytest-xdist), each with databases and a Redis number of its own; a
# test file's tests stay together, so a module's demo database is built once.
exec "$PY" -m pytest -n "${TEST_WORKERS:-2}" --dist loadfile "$@"
