#!/usr/bin/env bash
# `make test`: a throwaway PostgreSQL (unless HOTLINE_TEST_DATABASE_URL is set),
# go vet, and every test with the race detector. What it starts, it stops,
# whether the tests pass or fail.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${HOTLINE_TEST_DATABASE_URL:-}" ]; then
	pgdir=$(mktemp -d /tmp/hotline-test-pg.XXXXXX)
	cleanup() { scripts/pg.sh stop "$pgdir" || true; rm -rf "$pgdir"; }
	trap cleanup EXIT
	port=$(scripts/free-port.sh 55433)
	HOTLINE_TEST_DATABASE_URL=$(scripts/pg.sh start "$pgdir" "$port")
	export HOTLINE_TEST_DATABASE_URL
	echo "test database: $HOTLINE_TEST_DATABASE_URL (data in $pgdir)"
fi

echo "== go vet"
go vet ./...
echo "== go test -race"
go test -race -count=1 -timeout 8m ./... "$@"
