#!/usr/bin/env bash
# `make run`: the server with config/hotline.yaml. Without HOTLINE_DATABASE_URL
# it starts a project-local PostgreSQL whose data survive between runs.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${HOTLINE_DATABASE_URL:-}" ]; then
	datadir=.data/pg
	# As root, PostgreSQL runs as `postgres`, which must be able to reach the data
	# directory; a checkout under /root is closed to it, so keep the data elsewhere.
	if [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$(pwd)" 2>/dev/null; then
		datadir=/var/tmp/hotline-dev-pg-$(pwd | cksum | cut -d' ' -f1)
	fi
	port=${HOTLINE_DEV_PG_PORT:-55432}
	HOTLINE_DATABASE_URL=$(scripts/pg.sh start "$datadir" "$port")
	export HOTLINE_DATABASE_URL
	echo "database: $HOTLINE_DATABASE_URL (data in $datadir; stop it with: scripts/pg.sh stop $datadir)"
fi
if [ -z "${HOTLINE_ARI_PASSWORD:-}" ] && [ -z "${HOTLINE_ARI_PASSWORD_FILE:-}" ]; then
	# The development password of asterisk/ari.conf's template (.env.example); never use it in production.
	export HOTLINE_ARI_PASSWORD=hotline-dev-password
fi

mkdir -p bin
go build -o bin/hotline ./cmd/hotline
bin/hotline migrate -c config/hotline.yaml
exec bin/hotline serve -c config/hotline.yaml
