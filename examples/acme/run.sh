#!/usr/bin/env bash
# The README's first command: build nhiscan, lay out the example environment's git
# repositories, and run a leaver scan for alice@acme.example. No credentials, no network.
# Extra arguments go to nhiscan (e.g. ./examples/acme/run.sh --format markdown): the
# findings file's extension follows --format (findings.md for markdown), unless -o is
# given.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
[ -d "$here/repos/payments-api/.git" ] || bash "$here/make-repos.sh" >/dev/null
cd "$here/../.."
# Not quiet: the first build compiles the AWS SDK and libgit2 and takes several minutes.
# NHISCAN_BIN=PATH runs that binary instead (the tests run the script this way).
if [ -n "${NHISCAN_BIN:-}" ]; then
  nhiscan="$NHISCAN_BIN"
else
  if [ -x target/debug/nhiscan ]; then
    echo "Checking the nhiscan build (cargo build)..." >&2
  else
    echo "Building nhiscan (cargo build; the first build takes several minutes)..." >&2
  fi
  cargo build
  nhiscan="$PWD/target/debug/nhiscan"
fi

# The output name follows the format, so that `report` can read the file back.
format="" out=""
prev=""
for a in "$@"; do
  case "$prev" in
    --format) format="$a" ;;
    -o | --output) out="$a" ;;
  esac
  case "$a" in
    --format=*) format="${a#--format=}" ;;
    --output=*) out="${a#--output=}" ;;
    -o?*) out="${a#-o}" ;;
  esac
  prev="$a"
done
case "$format" in
  "" | json) ext=json ;;
  markdown) ext=md ;;
  ocsf) ext=ocsf.json ;;
  *) ext="$format" ;;
esac
args=()
if [ -z "$out" ]; then
  out="$here/findings.$ext"
  args=(-o "$out")
fi

# Run from the example's own directory: from the project root, nhiscan would pick up the
# project's .nhiscanignore, which allowlists examples/ for the project's self-scan.
cd "$here"
set +e
"$nhiscan" leaver alice@acme.example -c "$here/nhiscan.toml" "${args[@]}" "$@"
code=$?
set -e
echo "(exit code $code: 0 clean, 1 findings, 2 usage/config error, 3 incomplete scan)"
# What a person does next: the ticket from the findings file (report reads json and
# jsonl), then the scheduled sweep.
if { [ "$code" = 1 ] || [ "$code" = 3 ]; } && [ "$out" != "-" ]; then
  case "$out" in
    "$here"/*) file="${out#"$here/"}" ;;
    *) file="$out" ;;
  esac
  case "$out" in
    *.ocsf.json) readable=no ;;
    *.json | *.jsonl) readable=yes ;;
    *) readable=no ;;
  esac
  shown="$nhiscan"
  [ "$nhiscan" = "$(cd "$here/../.." && pwd)/target/debug/nhiscan" ] && shown=../../target/debug/nhiscan
  echo "Next, in examples/acme:"
  case "$readable" in
    yes)
      echo "  $shown report $file --format markdown -o alice.md   # the offboarding ticket"
      ;;
    *)
      echo "  $shown leaver alice@acme.example -o findings.json   # a findings file report and diff read"
      ;;
  esac
  echo "  $shown sweep -o sweep.json   # every NHI whose owner is not active (the scheduled job)"
fi
