#!/usr/bin/env bash
# A project-local PostgreSQL server for `make run` and `make test`, built from
# the machine's PostgreSQL binaries (installed with apt when missing).
#
#   scripts/pg.sh start DATADIR PORT   start (initialising DATADIR if new); prints the URL
#   scripts/pg.sh stop DATADIR         stop it (no error if it is not running)
#
# The server listens on 127.0.0.1 only, trusts local connections (a developer
# or CI database, never production) and runs as the `postgres` user when this
# script runs as root, because PostgreSQL refuses to run as root.
set -euo pipefail

log() { echo "pg.sh: $*" >&2; }

find_bindir() {
	local d
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
		[ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
	done
	if command -v pg_ctl >/dev/null 2>&1; then dirname "$(command -v pg_ctl)"; return 0; fi
	return 1
}

ensure_installed() {
	if find_bindir >/dev/null; then return 0; fi
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		log "PostgreSQL is not installed; installing it with apt-get"
		DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
		find_bindir >/dev/null && return 0
	fi
	log "PostgreSQL is not installed. Install it with: sudo apt-get install postgresql"
	exit 1
}

# as_pg runs a command as the user that owns the data directory.
as_pg() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

cmd=${1:-}
datadir=${2:-}
[ -n "$cmd" ] && [ -n "$datadir" ] || { echo "usage: $0 start DATADIR PORT | stop DATADIR" >&2; exit 2; }

ensure_installed
bindir=$(find_bindir)

case "$cmd" in
start)
	port=${3:?usage: $0 start DATADIR PORT}
	mkdir -p "$datadir"
	datadir=$(cd "$datadir" && pwd)
	if [ "$(id -u)" = 0 ]; then
		id postgres >/dev/null 2>&1 || { log "no 'postgres' user to run the server as (install the postgresql package)"; exit 1; }
		chown postgres: "$datadir"
		if ! runuser -u postgres -- test -w "$datadir"; then
			log "the postgres user cannot reach $datadir (a parent directory is closed to it); use a DATADIR under /tmp or /var/tmp"
			exit 1
		fi
	fi
	if [ ! -f "$datadir/PG_VERSION" ]; then
		log "initialising $datadir"
		as_pg "$bindir/initdb" -D "$datadir" -U hotline --auth=trust -E UTF8 --no-locale >/dev/null
	fi
	if as_pg "$bindir/pg_ctl" -D "$datadir" status >/dev/null 2>&1; then
		log "already running in $datadir"
	else
		as_pg "$bindir/pg_ctl" -D "$datadir" -l "$datadir/server.log" -w -t 60 \
			-o "-p $port -k $datadir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null \
			|| { log "PostgreSQL did not start; its log:"; tail -20 "$datadir/server.log" >&2; exit 1; }
	fi
	if ! as_pg "$bindir/psql" -h 127.0.0.1 -p "$port" -U hotline -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='hotline'" | grep -q 1; then
		as_pg "$bindir/createdb" -h 127.0.0.1 -p "$port" -U hotline hotline
	fi
	echo "postgres://hotline@127.0.0.1:$port/hotline?sslmode=disable"
	;;
stop)
	[ -f "$datadir/PG_VERSION" ] || exit 0
	as_pg "$bindir/pg_ctl" -D "$datadir" -m fast -w stop >/dev/null 2>&1 || true
	;;
*)
	echo "usage: $0 start DATADIR PORT | stop DATADIR" >&2
	exit 2
	;;
esac
