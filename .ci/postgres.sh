#!/usr/bin/env bash
# Makes a local PostgreSQL server available for the storage tests and CI, idempotently:
# installs it if missing, starts (or creates) the cluster, ensures role `flows` (password `flows`,
# CREATEDB so test runs can create and drop their own databases, CREATEROLE so the secrets test can
# log in with a throw-away role whose password is its canary) and database `flows`.
# Progress goes to stderr; the last line on stdout is the connection URL.
set -euo pipefail

PG_HOST=127.0.0.1
PG_PORT=5432
PG_ROLE=flows
PG_PASSWORD=flows
PG_DB=flows
URL="postgres://${PG_ROLE}:${PG_PASSWORD}@${PG_HOST}:${PG_PORT}/${PG_DB}"

log() { echo "[postgres.sh] $*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

as_postgres() {
  if [ "$(id -un)" = postgres ]; then "$@"
  elif [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"
  else sudo -u postgres "$@"; fi
}

installed_version() {
  ls -1 /usr/lib/postgresql 2>/dev/null | sort -V | tail -n 1
}

accepting() {
  if command -v pg_isready >/dev/null 2>&1; then
    pg_isready -q -h "$PG_HOST" -p "$PG_PORT"
  else
    (exec 3<>"/dev/tcp/${PG_HOST}/${PG_PORT}") 2>/dev/null
  fi
}

app_login_works() {
  command -v psql >/dev/null 2>&1 &&
    PGPASSWORD="$PG_PASSWORD" PGCONNECT_TIMEOUT=5 psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_ROLE" -d "$PG_DB" \
      -tAc "select 1 from pg_roles where rolname = current_user and rolcreatedb and rolcreaterole" 2>/dev/null | grep -q 1
}

if [ -z "$(installed_version)" ] && ! accepting; then
  log "PostgreSQL is not installed: installing it"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql >&2
fi

if ! accepting; then
  VERSION="$(installed_version)"
  [ -n "$VERSION" ] || { log "no PostgreSQL installation found"; exit 1; }
  if ! pg_lsclusters -h 2>/dev/null | awk '{print $1" "$2}' | grep -qx "$VERSION main"; then
    log "creating cluster $VERSION/main"
    as_root pg_createcluster "$VERSION" main -p "$PG_PORT" >&2
  fi
  log "starting cluster $VERSION/main"
  as_root pg_ctlcluster "$VERSION" main start >&2 || true
  for _ in $(seq 1 60); do
    accepting && break
    sleep 0.5
  done
  accepting || { log "PostgreSQL did not start accepting connections on ${PG_HOST}:${PG_PORT}"; exit 1; }
fi
log "server is accepting connections on ${PG_HOST}:${PG_PORT}"

if app_login_works; then
  log "role ${PG_ROLE} and database ${PG_DB} already exist"
else
  log "ensuring role ${PG_ROLE} and database ${PG_DB}"
  as_postgres psql -v ON_ERROR_STOP=1 -p "$PG_PORT" -d postgres -q >&2 <<SQL
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${PG_ROLE}') THEN
    CREATE ROLE ${PG_ROLE} LOGIN CREATEDB CREATEROLE PASSWORD '${PG_PASSWORD}';
  ELSE
    ALTER ROLE ${PG_ROLE} LOGIN CREATEDB CREATEROLE PASSWORD '${PG_PASSWORD}';
  END IF;
END
\$\$;
SQL
  if [ "$(as_postgres psql -p "$PG_PORT" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '${PG_DB}'")" != 1 ]; then
    as_postgres psql -v ON_ERROR_STOP=1 -p "$PG_PORT" -d postgres -q -c "CREATE DATABASE ${PG_DB} OWNER ${PG_ROLE}" >&2
  fi
  app_login_works || { log "cannot log in as ${PG_ROLE} over TCP (check pg_hba.conf)"; exit 1; }
fi

echo "$URL"
