#!/usr/bin/env bash
# Scaling benchmark for `nhiscan sweep`: N git repositories, M host snapshots, an HR roster of P
# people, run at a tenth of the size and at full size.
#
#   benches/sweep_scale.sh                       # REPOS=500 HOSTS=200 PEOPLE=10000, SCALES="0.1 1"
#   SCALES="0.1" benches/sweep_scale.sh          # only the small one
#
# Environment: REPOS HOSTS PEOPLE SCALES SEED TOOL_TIMEOUT(=1800 s) NHISCAN BENCH_OUT GEN_JOBS
# Output: Markdown table on stdout and bench-out/sweep_scale.md; environments in
# bench-out/sweep/scale-<s>/, findings and GNU time reports in bench-out/sweep/runs/.
set -euo pipefail
export PYTHONDONTWRITEBYTECODE=1

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$ROOT/benches"
OUT="${BENCH_OUT:-$ROOT/bench-out}"
REPOS="${REPOS:-500}"
HOSTS="${HOSTS:-200}"
PEOPLE="${PEOPLE:-10000}"
SCALES="${SCALES:-0.1 1}"
SEED="${SEED:-42}"
TOOL_TIMEOUT="${TOOL_TIMEOUT:-1800}"
NHISCAN="${NHISCAN:-$ROOT/target/release/nhiscan}"
GEN_JOBS="${GEN_JOBS:-4}"

log() { printf '[sweep_scale] %s\n' "$*" >&2; }
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
S="$OUT/sweep"; RUN="$S/runs"; mkdir -p "$RUN"

if [[ ! -x /usr/bin/time ]]; then
    apt-get install -y -q time >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q time >/dev/null; }
fi
if [[ "${BUILD:-0}" == 1 ]]; then (cd "$ROOT" && cargo build --release -q); fi
if ! "$NHISCAN" sweep --help >/dev/null 2>&1; then
    log "nhiscan not runnable at $NHISCAN (cargo build --release, or BUILD=1)"; exit 2
fi

for s in $SCALES; do
    n=$(python3 -c "print(max(1, round($REPOS * $s)))")
    m=$(python3 -c "print(max(1, round($HOSTS * $s)))")
    p=$(python3 -c "print(max(10, round($PEOPLE * $s)))")
    env_dir="$S/scale-$s"
    stamp="repos=$n hosts=$m people=$p seed=$SEED gen=$(cat "$BENCH/gen_sweep.py" "$BENCH/gen_corpus.py" | sha256sum | cut -c1-16)"
    if [[ -f "$env_dir/.stamp" && "$(cat "$env_dir/.stamp")" == "$stamp" ]]; then
        log "reusing $env_dir ($stamp)"
    else
        log "generating scale $s: $n repos, $m hosts, $p people"
        t0=$SECONDS
        python3 "$BENCH/gen_sweep.py" --out "$env_dir" --repos "$n" --hosts "$m" --people "$p" --seed "$SEED" --jobs "$GEN_JOBS"
        log "  generated in $((SECONDS - t0)) s"
        echo "$stamp" >"$env_dir/.stamp"
    fi
    cp "$env_dir/params.json" "$RUN/sweep-$s.params"
    log "warming page cache"
    find "$env_dir" -type f -print0 | xargs -0 cat >/dev/null
    log "running nhiscan sweep at scale $s"
    rc=0
    cut -d' ' -f1 /proc/loadavg >"$RUN/sweep-$s.load"
    (cd "$env_dir" && /usr/bin/time -v -o "$RUN/sweep-$s.time" timeout -k 10 "$TOOL_TIMEOUT" \
        "$NHISCAN" sweep -c nhiscan.toml --no-progress -o "$RUN/sweep-$s.json" \
        >"$RUN/sweep-$s.stdout" 2>"$RUN/sweep-$s.stderr") || rc=$?
    echo "$rc" >"$RUN/sweep-$s.rc"
    log "  exit $rc, $(grep -E 'Elapsed' "$RUN/sweep-$s.time" | sed 's/.*: //') wall"
done

{
    echo "## nhiscan sweep scaling ($(date -u +%FT%TZ), $(nproc) cores, seed $SEED, $("$NHISCAN" --version 2>/dev/null))"
    echo
    python3 "$BENCH/bench_score.py" sweep --dir "$RUN" --scales $SCALES
} >"$OUT/sweep_scale.md"
cat "$OUT/sweep_scale.md"
