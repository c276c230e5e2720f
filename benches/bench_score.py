#!/usr/bin/env python3
"""Helpers for benches/compare.sh and benches/sweep_scale.sh.

  bench_score.py startup --runs 5 -- CMD...      best-of-N wall seconds of CMD (output discarded)
  bench_score.py score --mode files|git --truth T --dir RUNDIR --root NAME --mb MB [--tools ...]
      Reads RUNDIR/<tool>.{out,time,rc,startup,mb} and prints Markdown tables.
  bench_score.py sweep --dir RUNDIR --scales 0.1 1
      Reads RUNDIR/sweep-<scale>.{time,rc,json,params} and prints the sweep scaling table.
"""
import argparse
import collections
import json
import os
import re
import subprocess
import sys
import time

# ------------------------------------------------------------------------------ timing


def parse_time(path):
    """GNU `time -v -o` output -> dict (user, sys, wall, rss_mb). Missing file -> {}."""
    try:
        txt = open(path).read()
    except OSError:
        return {}
    out = {}
    m = re.search(r"User time \(seconds\): ([\d.]+)", txt)
    if m:
        out["user"] = float(m.group(1))
    m = re.search(r"System time \(seconds\): ([\d.]+)", txt)
    if m:
        out["sys"] = float(m.group(1))
    m = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", txt)
    if m:
        secs = 0.0
        for part in m.group(1).split(":"):
            secs = secs * 60 + float(part)
        out["wall"] = secs
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", txt)
    if m:
        out["rss_mb"] = int(m.group(1)) / 1024
    return out


def cmd_startup(a):
    best = None
    for _ in range(a.runs):
        t0 = time.perf_counter()
        subprocess.run(a.argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
        dt = time.perf_counter() - t0
        best = dt if best is None else min(best, dt)
    print(f"{best:.4f}")


# ------------------------------------------------------------------------------ parsers
# Each returns a list of findings: dict(path, start, end, author=None, commit=None, in_head=None)


def load_json(path):
    with open(path) as f:
        txt = f.read()
    return json.loads(txt) if txt.strip() else None


def p_nhiscan(path):
    d = load_json(path) or {}
    out = []
    for f in d.get("findings", []):
        locs = []
        if f.get("location"):
            locs.append(f["location"])
        locs += [l for l in (f.get("other_locations") or []) if isinstance(l, dict)]
        for l in locs:
            if l.get("path") is None or l.get("line") is None:
                continue
            ln = int(l["line"])
            end = int(l.get("end_line") or ln)
            out.append({"path": l["path"], "start": ln, "end": end, "author": l.get("author_email"),
                        "commit": l.get("commit"), "in_head": l.get("in_head"), "rule": f.get("rule")})
    return out


def p_kingfisher(path):
    d = load_json(path) or {}
    out = []
    for f in d.get("findings", []):
        fd = f.get("finding", {})
        p = fd.get("path")
        if p is None or fd.get("line") is None:
            continue
        gm = fd.get("git_metadata") or {}
        commit = gm.get("commit") or {}
        author = (commit.get("author") or {}).get("email") if isinstance(commit, dict) else None
        out.append({"path": p, "start": int(fd["line"]), "end": int(fd["line"]), "author": author,
                    "commit": commit.get("id") if isinstance(commit, dict) else None,
                    "rule": (f.get("rule") or {}).get("id")})
    return out


def p_gitleaks(path):
    d = load_json(path) or []
    return [{"path": f["File"], "start": int(f["StartLine"]), "end": int(f.get("EndLine") or f["StartLine"]),
             "author": f.get("Email") or None, "commit": f.get("Commit") or None, "rule": f.get("RuleID")}
            for f in d]


def p_detect_secrets(path):
    d = load_json(path) or {}
    out = []
    for fname, items in (d.get("results") or {}).items():
        for it in items:
            out.append({"path": fname, "start": int(it["line_number"]), "end": int(it["line_number"]),
                        "rule": it.get("type")})
    return out


def p_ripgrep(path):
    out = []
    with open(path, errors="replace") as f:
        for line in f:
            parts = line.split(":", 2)
            if len(parts) >= 2 and parts[1].isdigit():
                out.append({"path": parts[0], "start": int(parts[1]), "end": int(parts[1])})
    return out


PARSERS = {"nhiscan": p_nhiscan, "kingfisher": p_kingfisher, "gitleaks": p_gitleaks,
           "detect-secrets": p_detect_secrets, "ripgrep": p_ripgrep}


def normalize(p, roots):
    p = p.replace("\\", "/")
    for r in roots:
        if p.startswith(r):
            return p[len(r):]
    if p.startswith("./"):
        p = p[2:]
    return p


# ------------------------------------------------------------------------------ scoring


def score(truth, findings, roots, files_filter=None):
    by_file = collections.defaultdict(list)
    for i, t in enumerate(truth):
        by_file[t["file"]].append(i)
    hit = collections.defaultdict(list)     # truth index -> findings
    other = set()
    for f in findings:
        p = normalize(f["path"], roots)
        matched = False
        for i in by_file.get(p, ()):
            t = truth[i]
            if f["start"] <= t["end_line"] and f["end"] >= t["line"]:
                hit[i].append(f)
                matched = True
        if not matched:
            other.add((p, f["start"]))
    return hit, other


def fmt(x, nd=1):
    if x is None:
        return "—"
    if isinstance(x, float):
        return f"{x:.{nd}f}"
    return str(x)


def cmd_score(a):
    truth = [json.loads(l) for l in open(a.truth)]
    roots = [a.root.rstrip("/") + "/", os.path.abspath(os.path.join(a.dir, a.root)).rstrip("/") + "/",
             "./" + a.root.rstrip("/") + "/"]
    if a.abs_root:
        roots.insert(0, a.abs_root.rstrip("/") + "/")
    # nhiscan names a file inside a git work tree by its path in that repository (e.g.
    # bench-out/corpus/... when bench-out sits in this checkout): strip that prefix too.
    for r in list(roots):
        d = r.rstrip("/")
        if os.path.isabs(d) and os.path.isdir(d):
            prefix = subprocess.run(["git", "-C", d, "rev-parse", "--show-prefix"],
                                    capture_output=True, text=True).stdout.strip()
            if prefix:
                roots.append(prefix.rstrip("/") + "/")
    rows = []
    per_type = {}
    notes = []
    for tool in a.tools:
        base = os.path.join(a.dir, tool)
        rc = open(base + ".rc").read().strip() if os.path.exists(base + ".rc") else None
        if rc is None:
            notes.append(f"{tool}: not run")
            continue
        tm = parse_time(base + ".time")
        mb = float(open(base + ".mb").read()) if os.path.exists(base + ".mb") else a.mb
        startup = open(base + ".startup").read().strip() if os.path.exists(base + ".startup") else None
        load = open(base + ".load").read().strip() if os.path.exists(base + ".load") else None
        # The subset a tool ran on (detect-secrets may run on a sample): score only those files.
        subset = None
        if os.path.exists(base + ".files"):
            subset = set(l.strip() for l in open(base + ".files") if l.strip())
        tr = [t for t in truth if subset is None or t["file"] in subset]
        try:
            findings = PARSERS[tool](base + ".out") if os.path.exists(base + ".out") else []
            perr = None
        except Exception as e:  # unreadable output: report, don't crash the table
            findings, perr = [], f"{type(e).__name__}: {e}"
        hit, other = score(tr, findings, roots)
        planted = [i for i, t in enumerate(tr) if t["class"] == "planted"]
        decoys = [i for i, t in enumerate(tr) if t["class"] == "decoy"]
        found = sum(1 for i in planted if i in hit)
        dflag = sum(1 for i in decoys if i in hit)
        cpu = (tm.get("user", 0) + tm.get("sys", 0)) if tm else None
        row = {"tool": tool, "rc": rc, "mb": mb, "found": found, "planted": len(planted), "decoys": dflag,
               "ndecoys": len(decoys), "other": len(other), "cpu": cpu, "wall": tm.get("wall"),
               "rss": tm.get("rss_mb"), "startup": float(startup) if startup else None,
               "findings": len(findings), "perr": perr, "subset": subset is not None, "load": load}
        if a.mode == "git":
            ok = bad = nauth = 0
            head_ok = head_n = 0
            for i in planted:
                if i not in hit:
                    continue
                t = tr[i]
                emails = {f.get("author") for f in hit[i] if f.get("author")}
                if not emails:
                    nauth += 1
                elif t["author_email"] in emails and len(emails) == 1:
                    ok += 1
                else:
                    bad += 1
                heads = {f.get("in_head") for f in hit[i] if f.get("in_head") is not None}
                if heads:
                    head_n += 1
                    head_ok += 1 if heads == {t["in_head"]} else 0
            row.update(author_ok=ok, author_bad=bad, author_none=nauth, head_ok=head_ok, head_n=head_n)
        rows.append(row)
        for i, t in enumerate(tr):
            key = (t["class"], t["type"])
            d = per_type.setdefault(key, {})
            c = d.setdefault(tool, [0, 0])
            c[1] += 1
            c[0] += 1 if i in hit else 0
        if perr:
            notes.append(f"{tool}: could not parse output ({perr})")
        if rc not in ("0", "1", "200"):
            notes.append(f"{tool}: exit code {rc}" + (" (timed out)" if rc == "124" else ""))

    lines = []
    if a.mode == "files":
        lines.append(f"### Files: {a.mb:.0f} MB corpus, {sum(1 for t in truth if t['class'] == 'planted')} planted, "
                     f"{sum(1 for t in truth if t['class'] == 'decoy')} decoys")
        lines.append("")
        lines.append("| tool | found/planted | decoys flagged | other flagged lines | MB per CPU-s | CPU s (user+sys) | wall s | peak RSS MB | start-up s (best of 5) | exit | load1 before |")
        lines.append("|---|---|---|---|---|---|---|---|---|---|---|")
        for r in rows:
            tput = (r["mb"] / r["cpu"]) if r["cpu"] else None
            sub = f" (on {r['mb']:.0f} MB sample)" if r["subset"] else ""
            lines.append(f"| {r['tool']}{sub} | {r['found']}/{r['planted']} ({100 * r['found'] / max(1, r['planted']):.1f}%) | "
                         f"{r['decoys']}/{r['ndecoys']} | {r['other']} | {fmt(tput)} | {fmt(r['cpu'], 2)} | "
                         f"{fmt(r['wall'], 2)} | {fmt(r['rss'], 0)} | {fmt(r['startup'], 3)} | {r['rc']} | {r['load'] or '—'} |")
    else:
        lines.append(f"### Git history: {a.mb:.0f} MB of blobs in history, "
                     f"{sum(1 for t in truth if t['class'] == 'planted')} planted, "
                     f"{sum(1 for t in truth if t['class'] == 'decoy')} decoys")
        lines.append("")
        lines.append("| tool | found/planted | decoys flagged | other flagged lines | author matches (ok/wrong/none) | in_head correct | MB per CPU-s | CPU s (user+sys) | wall s | peak RSS MB | exit | load1 before |")
        lines.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
        for r in rows:
            tput = (r["mb"] / r["cpu"]) if r["cpu"] else None
            head = f"{r['head_ok']}/{r['head_n']}" if r["head_n"] else "—"
            lines.append(f"| {r['tool']} | {r['found']}/{r['planted']} ({100 * r['found'] / max(1, r['planted']):.1f}%) | "
                         f"{r['decoys']}/{r['ndecoys']} | {r['other']} | {r['author_ok']}/{r['author_bad']}/{r['author_none']} | "
                         f"{head} | {fmt(tput)} | {fmt(r['cpu'], 2)} | {fmt(r['wall'], 2)} | {fmt(r['rss'], 0)} | {r['rc']} | {r['load'] or '—'} |")
    lines.append("")
    lines.append("Per type (found/present):")
    lines.append("")
    tools = [r["tool"] for r in rows]
    lines.append("| class | type | " + " | ".join(tools) + " |")
    lines.append("|---|---|" + "---|" * len(tools))
    for key in sorted(per_type):
        d = per_type[key]
        cells = [f"{d[t][0]}/{d[t][1]}" if t in d else "—" for t in tools]
        lines.append(f"| {key[0]} | {key[1]} | " + " | ".join(cells) + " |")
    if notes:
        lines.append("")
        lines += [f"- {n}" for n in notes]
    print("\n".join(lines))


# ------------------------------------------------------------------------------ sweep


def cmd_sweep(a):
    rows = []
    for s in a.scales:
        base = os.path.join(a.dir, f"sweep-{s}")
        if not os.path.exists(base + ".rc"):
            continue
        tm = parse_time(base + ".time")
        rc = open(base + ".rc").read().strip()
        params = json.load(open(base + ".params")) if os.path.exists(base + ".params") else {}
        nf = None
        kinds = {}
        try:
            d = load_json(base + ".json") or {}
            nf = len(d.get("findings", []))
            kinds = collections.Counter(f.get("kind") for f in d.get("findings", []))
        except Exception:
            pass
        load = open(base + ".load").read().strip() if os.path.exists(base + ".load") else "—"
        rows.append({"scale": s, "rc": rc, "tm": tm, "nf": nf, "kinds": kinds, "load": load, **params})
    out = ["| scale | repos | hosts | roster people | wall s | CPU s (user+sys) | peak RSS MB | findings | exit | load1 before |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        tm = r["tm"]
        cpu = tm.get("user", 0) + tm.get("sys", 0) if tm else None
        out.append(f"| {r['scale']} | {r.get('repos', '?')} | {r.get('hosts', '?')} | {r.get('people', '?')} | "
                   f"{fmt(tm.get('wall'), 2)} | {fmt(cpu, 2)} | {fmt(tm.get('rss_mb'), 0)} | {fmt(r['nf'])} | {r['rc']} | {r['load']} |")
    if len(rows) >= 2:
        lo, hi = rows[0], rows[-1]

        def ratio(k, f=lambda tm, k: tm.get(k)):
            x, y = f(lo["tm"], k), f(hi["tm"], k)
            return f"{y / x:.1f}x" if x and y else "—"
        cpuf = lambda tm, k: (tm.get("user", 0) + tm.get("sys", 0)) if tm else None
        size = float(hi["scale"]) / float(lo["scale"])
        fr = f"{hi['nf'] / lo['nf']:.1f}x" if lo["nf"] and hi["nf"] is not None else "—"
        out.append("")
        out.append(f"Growth from scale {lo['scale']} to {hi['scale']} (input {size:.0f}x): wall {ratio('wall')}, "
                   f"CPU {ratio('cpu', cpuf)}, peak RSS {ratio('rss_mb')}, findings {fr}.")
        for r in rows:
            if r["kinds"]:
                out.append(f"- scale {r['scale']} findings by kind: " +
                           ", ".join(f"{k}={v}" for k, v in sorted(r["kinds"].items(), key=lambda kv: str(kv[0]))))
    print("\n".join(out))


def main():
    ap = argparse.ArgumentParser()
    sp = ap.add_subparsers(dest="cmd", required=True)
    s = sp.add_parser("startup")
    s.add_argument("--runs", type=int, default=5)
    s.add_argument("argv", nargs=argparse.REMAINDER)
    c = sp.add_parser("score")
    c.add_argument("--mode", choices=["files", "git"], default="files")
    c.add_argument("--truth", required=True)
    c.add_argument("--dir", required=True)
    c.add_argument("--root", required=True, help="path prefix the tools were given (e.g. corpus)")
    c.add_argument("--abs-root")
    c.add_argument("--mb", type=float, required=True)
    c.add_argument("--tools", nargs="+", default=list(PARSERS))
    w = sp.add_parser("sweep")
    w.add_argument("--dir", required=True)
    w.add_argument("--scales", nargs="+", required=True)
    a = ap.parse_args()
    if a.cmd == "startup":
        a.argv = a.argv[1:] if a.argv and a.argv[0] == "--" else a.argv
        cmd_startup(a)
    elif a.cmd == "score":
        cmd_score(a)
    else:
        cmd_sweep(a)


if __name__ == "__main__":
    main()
