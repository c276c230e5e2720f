#!/usr/bin/env bash
# Attribution evaluation (issue 8): generate seeded companies, run `nhiscan leaver` for each leaver
# the truth names and one `nhiscan sweep`, score against the generator's truth, print one table.
#
#   benches/attribution.sh                          # SEEDS="1 2 3" PEOPLE=300
#   SEEDS=7 PEOPLE=1000 benches/attribution.sh
#
# Environment: SEEDS, PEOPLE, GEN (`company`, the default: gen_company.py; `heldout`:
# gen_heldout.py, an independently designed held-out company with the same truth format; its
# runs go to seed-N-heldout/ and attribution-heldout.md), NHISCAN (default
# target/release/nhiscan, else target/debug/nhiscan),
# GITHUB (default 1: a GitHub org on benches/attribution/github_server.py, company generator only;
# 0 skips it), BENCH_OUT (default bench-out), AWS (auto: on when scripts/moto.sh has installed moto into .venv;
# 1 requires it, 0 skips AWS). Each seed gets a fresh moto server on 127.0.0.1, stopped after its
# scans. Offline; a few minutes at 300 people.
# Output: Markdown table and the miss/FP classes on stdout and in bench-out/attribution.md;
# per seed bench-out/attribution/seed-N/ (the environment, findings/*.json, score.txt, score.json).
set -euo pipefail
export PYTHONDONTWRITEBYTECODE=1

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HERE="$ROOT/benches/attribution"
OUT="${BENCH_OUT:-$ROOT/bench-out}"
SEEDS="${SEEDS:-1 2 3}"
PEOPLE="${PEOPLE:-300}"
GEN="${GEN:-company}"
case "$GEN" in
    company) GEN_PY="$HERE/gen_company.py"; GEN_TAG="" ;;
    heldout) GEN_PY="$HERE/gen_heldout.py"; GEN_TAG="-heldout" ;;
    *) printf '[attribution] GEN=%s: use company or heldout\n' "$GEN" >&2; exit 2 ;;
esac
if [[ -z "${NHISCAN:-}" ]]; then
    NHISCAN="$ROOT/target/release/nhiscan"
    [[ -x "$NHISCAN" ]] || NHISCAN="$ROOT/target/debug/nhiscan"
fi
log() { printf '[attribution] %s\n' "$*" >&2; }
if ! "$NHISCAN" --version >/dev/null 2>&1; then
    log "nhiscan not runnable at $NHISCAN (cargo build, or set NHISCAN)"; exit 2
fi
PY="$ROOT/.venv/bin/python"
AWS="${AWS:-auto}"
if [[ "$AWS" != 0 ]]; then
    if "$PY" -c 'import moto' 2>/dev/null; then AWS=1
    elif [[ "$AWS" == 1 ]]; then log "AWS=1 but moto is not installed (bash scripts/moto.sh)"; exit 2
    else AWS=0; log "moto not installed (bash scripts/moto.sh): scoring git and host only"
    fi
fi
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_EC2_METADATA_DISABLED=true
export NHISCAN_SERVICE_CREDENTIALS_EMPTY=1
mkdir -p "$OUT/attribution"
OUT="$(cd "$OUT" && pwd)"
scores=()
for seed in $SEEDS; do
    dir="$OUT/attribution/seed-$seed$GEN_TAG"
    [[ "$PEOPLE" == 300 ]] || dir="$dir-p$PEOPLE"
    t0=$SECONDS
    aws_args=()
    if [[ "$AWS" == 1 ]]; then
        # A fresh moto per seed; launch.py serves until its stdin (fd 3 here) closes.
        port_file="$(mktemp)"
        exec 3> >("$PY" "$ROOT/tests/moto/launch.py" --port 0 >"$port_file" 2>/dev/null)
        for _ in $(seq 150); do grep -q PORT= "$port_file" && break; sleep 0.1; done
        port="$(sed -n 's/PORT=//p' "$port_file")"; rm -f "$port_file"
        [[ -n "$port" ]] || { log "moto did not start"; exit 2; }
        aws_args=(--aws "http://127.0.0.1:$port")
    fi
    gh_args=()
    if [[ "$GEN" == company && "${GITHUB:-1}" != 0 ]]; then
        # A GitHub org of our own per seed (github_server.py), serving what the generator
        # writes to DIR/github/api.json, until its stdin (fd 4 here) closes.
        gh_port_file="$(mktemp)"
        exec 4> >(python3 "$HERE/github_server.py" "$dir/github/api.json" >"$gh_port_file" 2>/dev/null)
        for _ in $(seq 100); do grep -q PORT= "$gh_port_file" && break; sleep 0.1; done
        gh_port="$(sed -n 's/PORT=//p' "$gh_port_file")"; rm -f "$gh_port_file"
        [[ -n "$gh_port" ]] || { log "the GitHub server did not start"; exit 2; }
        gh_args=(--github "http://127.0.0.1:$gh_port" --github-key "$ROOT/tests/fixtures/github/app-key.pem")
    fi
    python3 "$GEN_PY" --seed "$seed" --people "$PEOPLE" --out "$dir" "${aws_args[@]}" "${gh_args[@]}"
    mkdir -p "$dir/findings"
    files=()
    run() { # run NAME ARGS...: nhiscan exits 1 (findings) or 3 (partial); 2 is a failure
        local name="$1" rc=0; shift
        (cd "$dir" && "$NHISCAN" "$@" -c nhiscan.toml --no-progress -q -o "findings/$name.json") \
            2>"$dir/findings/$name.stderr" || rc=$?
        if [[ $rc == 2 || ! -s "$dir/findings/$name.json" ]]; then
            log "seed $seed: nhiscan $* failed (exit $rc): $(head -c 400 "$dir/findings/$name.stderr")"
            exit 2
        fi
        if [[ $rc == 3 ]]; then log "seed $seed: nhiscan $1 incomplete (exit 3), scored anyway"; fi
        files+=("$dir/findings/$name.json")
    }
    run sweep sweep
    for email in $(python3 -c "import json,sys; print(' '.join(l['email'] for l in json.load(open(sys.argv[1]))['leavers']))" "$dir/truth.json"); do
        run "leaver-${email%@*}" leaver "$email"
    done
    if [[ "$AWS" == 1 ]]; then exec 3>&-; fi
    if [[ ${#gh_args[@]} -gt 0 ]]; then exec 4>&-; fi
    python3 "$HERE/score.py" "$dir" "${files[@]}" --json "$dir/score.json" >"$dir/score.txt"
    scores+=("$dir/score.json")
    log "seed $seed: $PEOPLE people, generated, scanned and scored in $((SECONDS - t0)) s ($dir/score.txt)"
done
{
    echo "## nhiscan attribution evaluation${GEN_TAG:+ (held-out company)} ($(date -u +%FT%TZ), $("$NHISCAN" --version 2>/dev/null), people $PEOPLE, seeds $SEEDS)"
    echo
    python3 "$HERE/score.py" --merge "${scores[@]}"
} | tee "$OUT/attribution$GEN_TAG.md"
