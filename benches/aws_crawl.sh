#!/usr/bin/env bash
# Benchmark the aws connector's crawl against moto: seed N users with K access keys each
# (boto3, in one Python process), then time crawls at several values of max_in_flight
# (IAM requests in flight per account). Prints one JSON line per crawl.
#
#   benches/aws_crawl.sh [USERS=2000] [KEYS=2] [IN_FLIGHT="1 4 16 32"]
#
# moto is single-process Python, so absolute numbers measure moto as much as nhiscan;
# the curve (wall time vs requests in flight) is the point. Needs scripts/moto.sh first.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
USERS="${1:-2000}"
KEYS="${2:-2}"
IN_FLIGHT="${3:-1 4 16 32}"
PY="$ROOT/.venv/bin/python"
[ -x "$PY" ] || { echo "run scripts/moto.sh first" >&2; exit 2; }

export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_EC2_METADATA_DISABLED=true
export NHISCAN_SERVICE_CREDENTIALS_EMPTY=1
OUT="$(mktemp)"
# launch.py serves until its stdin closes: keep a pipe open for the benchmark's lifetime.
exec 3> >("$PY" "$ROOT/tests/moto/launch.py" --port 0 >"$OUT" 2>/dev/null)
for _ in $(seq 100); do grep -q PORT= "$OUT" && break; sleep 0.1; done
PORT="$(sed -n 's/PORT=//p' "$OUT")"
[ -n "$PORT" ] || { echo "moto did not start" >&2; exit 1; }
EP="http://127.0.0.1:$PORT"

( cd "$ROOT" && cargo build --release --quiet --example aws_crawl )
start=$(date +%s.%N)
"$PY" "$ROOT/tests/moto/seed.py" "$EP" bulk "$USERS" --keys "$KEYS" >/dev/null
echo "{\"seeded_users\": $USERS, \"keys_per_user\": $KEYS, \"seed_s\": $(echo "$(date +%s.%N) - $start" | bc)}"
for n in $IN_FLIGHT; do
  "$ROOT/target/release/examples/aws_crawl" "$EP" "$n"
done
exec 3>&-
rm -f "$OUT"
