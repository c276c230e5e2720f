#!/usr/bin/env bash
# The README's first command: build nhiscan, lay out the example environment's git
# repositories, and run a leaver scan for alice@acme.example. No credentials, no network.
# Extra arguments go to nhiscan (e.g. ./examples/acme/run.sh --format markdown).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
[ -d "$here/repos/payments-api/.git" ] || bash "$here/make-repos.sh" >/dev/null
cd "$here/../.."
cargo build -q
nhiscan="$PWD/target/debug/nhiscan"
# Run from the example's own directory: from the project root, nhiscan would pick up the
# project's .nhiscanignore, which allowlists examples/ for the project's self-scan.
cd "$here"
set +e
"$nhiscan" leaver alice@acme.example -c "$here/nhiscan.toml" -o "$here/findings.json" "$@"
code=$?
set -e
echo "(exit code $code: 0 clean, 1 findings, 2 usage/config error, 3 incomplete scan)"
