#!/usr/bin/env bash
# Prints the first TCP port on 127.0.0.1 from $1 (default 55433) that nothing listens on.
set -euo pipefail
port=${1:-55433}
for _ in $(seq 1 200); do
	if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
		echo "$port"
		exit 0
	fi
	port=$((port + 1))
done
echo "free-port.sh: no free port found" >&2
exit 1
