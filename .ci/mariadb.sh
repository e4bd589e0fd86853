#!/usr/bin/env bash
# Makes a local MariaDB server available for the mysql data source tests, idempotently and
# without systemd: installs Debian's mariadb-server if missing, initialises the data directory,
# starts mysqld_safe on 127.0.0.1:3306, and ensures user `flows` (password `flows`, all privileges
# on databases named flows*, so test runs can create and drop their own) and database `flows`.
# Progress goes to stderr; the last line on stdout is the connection URL.
set -euo pipefail

DB_HOST=127.0.0.1
DB_PORT=3306
DB_USER=flows
DB_PASSWORD=flows
DB_NAME=flows
DATA_DIR=/var/lib/mysql
RUN_DIR=/run/mysqld
LOG_FILE=/var/log/mysql/flows-ci.log
URL="mysql://${DB_USER}:${DB_PASSWORD}@${DB_HOST}:${DB_PORT}/${DB_NAME}"

log() { echo "[mariadb.sh] $*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

accepting() {
  (exec 3<>"/dev/tcp/${DB_HOST}/${DB_PORT}") 2>/dev/null
}

client() {
  if command -v mariadb >/dev/null 2>&1; then echo mariadb; else echo mysql; fi
}

app_login_works() {
  command -v "$(client)" >/dev/null 2>&1 &&
    "$(client)" --protocol=TCP -h "$DB_HOST" -P "$DB_PORT" -u "$DB_USER" -p"$DB_PASSWORD" "$DB_NAME" \
      --connect-timeout=5 -e 'select 1' >/dev/null 2>&1
}

if ! command -v mysqld_safe >/dev/null 2>&1 && ! accepting; then
  log "MariaDB is not installed: installing it"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update >&2
  # policy-rc.d may refuse to start services in containers; the server is started below either way.
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y mariadb-server mariadb-client >&2
fi

if ! accepting; then
  as_root mkdir -p "$RUN_DIR" "$(dirname "$LOG_FILE")"
  as_root chown mysql:mysql "$RUN_DIR" "$(dirname "$LOG_FILE")"
  if [ ! -d "$DATA_DIR/mysql" ]; then
    log "initialising $DATA_DIR"
    INSTALL_DB="$(command -v mariadb-install-db || command -v mysql_install_db)"
    as_root "$INSTALL_DB" --user=mysql --datadir="$DATA_DIR" --skip-test-db >&2
  fi
  log "starting mysqld_safe on ${DB_HOST}:${DB_PORT}"
  as_root nohup mysqld_safe --user=mysql --datadir="$DATA_DIR" --bind-address="$DB_HOST" --port="$DB_PORT" \
    --log-error="$LOG_FILE" >/dev/null 2>&1 &
  for _ in $(seq 1 120); do
    accepting && break
    sleep 0.5
  done
  accepting || { log "MariaDB did not start accepting connections on ${DB_HOST}:${DB_PORT} (see $LOG_FILE)"; exit 1; }
fi
log "server is accepting connections on ${DB_HOST}:${DB_PORT}"

if app_login_works; then
  log "user ${DB_USER} and database ${DB_NAME} already exist"
else
  log "ensuring user ${DB_USER} and database ${DB_NAME}"
  # root logs in over the unix socket (Debian's unix_socket authentication).
  as_root "$(client)" -u root >&2 <<SQL
CREATE DATABASE IF NOT EXISTS \`${DB_NAME}\`;
CREATE USER IF NOT EXISTS '${DB_USER}'@'localhost' IDENTIFIED BY '${DB_PASSWORD}';
CREATE USER IF NOT EXISTS '${DB_USER}'@'127.0.0.1' IDENTIFIED BY '${DB_PASSWORD}';
ALTER USER '${DB_USER}'@'localhost' IDENTIFIED BY '${DB_PASSWORD}';
ALTER USER '${DB_USER}'@'127.0.0.1' IDENTIFIED BY '${DB_PASSWORD}';
GRANT ALL PRIVILEGES ON \`${DB_NAME}%\`.* TO '${DB_USER}'@'localhost';
GRANT ALL PRIVILEGES ON \`${DB_NAME}%\`.* TO '${DB_USER}'@'127.0.0.1';
FLUSH PRIVILEGES;
SQL
  app_login_works || { log "cannot log in as ${DB_USER} over TCP"; exit 1; }
fi

echo "$URL"
