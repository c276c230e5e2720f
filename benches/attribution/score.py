#!/usr/bin/env python3
"""Score nhiscan findings files against a generated company's truth.json (issue 8).

  score.py DIR FINDINGS...            report per job and connector, then every miss and FP
  score.py DIR FINDINGS... --json F   also write the counts (for --merge)
  score.py --merge SCORE.json...      one Markdown table over several runs, plus the classes

Each findings file (JSON or JSON Lines) is scored as the job its `scan` says: `leaver` (against
the truth entry of `scan.subject.email`) or `sweep`. Findings match truth by (kind, resource).

What counts:
- recall = matched musts / musts, for the job (the leaver's `must`, or `sweep.must`).
- precision = TP / (TP + FP), where TP are findings matching a must, and FP are findings that
  match a must-not, or land on an item the generator knows (any kind) that is not the job's:
    leaver: an item not tied to the leaver (another person's, a look-alike's, an outsider's),
            or one the leaver merely could read (exposure: opt-in behind --exposure; reported
            as more than has_access, it is classed as another person's item);
    sweep:  an active person's item (`must_not`), or any generated item reported with an owner
            who is not among the people the item is really tied to (a wrong person).
  Findings on resources the generator did not plant or left neutral (system accounts, the deploy
  account's CI key, items whose right answer issue 8 does not settle) count neither way.
- A matched finding whose owner (or, for sweep, relation) differs from the truth is still a TP,
  and is listed as "right item, other owner/relation" (column attr!=).
Connector: `git`, `host` (every host:NAME), `aws` (every aws:NAME), and any other connector type the
truth has items for (`github`, `saas`, ...: a generator function that calls Company.item() for them
is all a new connector needs); n/a where the truth has none.
"""
import argparse
import collections
import json
import os
import sys

sys.dont_write_bytecode = True


def connector_class(c):
    c = c or ""
    return c.split(":", 1)[0] if c else "?"


def load_findings(path):
    with open(path) as f:
        text = f.read()
    text_s = text.lstrip()
    if text_s.startswith("{") and '"record"' not in text_s[:200]:
        doc = json.loads(text)
        return doc.get("scan", {}), doc.get("findings", [])
    scan, findings = {}, []
    for line in text.splitlines():
        if not line.strip():
            continue
        r = json.loads(line)
        if r.get("record") == "scan":
            scan = r.get("scan", r)
        elif r.get("record") == "finding":
            findings.append(r)
    return scan, findings


def evidence_of(f, width=160):
    out = []
    for e in f.get("evidence") or []:
        d = f"{e.get('source', '?')}: {e.get('detail', '')}"
        out.append(d if len(d) <= width else d[: width - 1] + "…")
    return out


def norm(e):
    return (e or "").lower() or None


class Tally:
    def __init__(self):
        self.must = collections.Counter()
        self.tp = collections.Counter()
        self.fp = collections.Counter()
        self.attr = collections.Counter()
        self.neutral = collections.Counter()


def score_job(truth, scan, findings):
    """-> (job label, Tally, misses, fps, attr mismatches, connectors present)."""
    items = truth["items"]
    mode = scan.get("mode")
    subject = norm((scan.get("subject") or {}).get("email"))
    t = Tally()
    misses, fps, attrs = [], [], []
    if mode == "leaver":
        entry = next((lv for lv in truth["leavers"] if norm(lv["email"]) == subject), None)
        if entry is None:
            raise SystemExit(f"score.py: {subject} is not a leaver in the truth file")
        label = f"leaver {entry['email']} ({entry['role']})"
        must = {(m["kind"], m["resource"]): m for m in entry["must"]}
        must_not = {(m["kind"], m["resource"]): m for m in entry["must_not"]}
    elif mode == "sweep":
        label = "sweep"
        must = {(m["kind"], m["resource"]): m for m in truth["sweep"]["must"]}
        must_not = {(m["kind"], m["resource"]): m for m in truth["sweep"]["must_not"]}
    else:
        raise SystemExit(f"score.py: cannot score mode {mode!r}")
    for (k, r), m in must.items():
        t.must[connector_class(items[r]["connector"])] += 1
    found = set()
    for f in findings:
        key = (f.get("kind"), f.get("resource"))
        res = f.get("resource")
        conn = connector_class(f.get("connector"))
        owner, rel = norm(f.get("owner")), f.get("relation")
        it = items.get(res)
        if key in must:
            found.add(key)
            t.tp[conn] += 1
            m = must[key]
            if mode == "leaver":
                bad = owner != norm(m["owner"])
                want = f"{m['owner']} {m['relation']}"
            else:
                bad = owner != norm(m["owner"]) or (m["relations"] and rel not in m["relations"])
                want = f"{m['owner'] or 'nobody'} {'/'.join(m['relations'])}"
            if bad:
                t.attr[conn] += 1
                attrs.append((conn, m["trap"], f, want))
            continue
        why = None
        if key in must_not and (mode == "sweep" or it is None):
            why = must_not[key]["why"]
        elif it is not None:
            ties = {norm(x["person"]) for x in it["ties"]}
            if mode == "leaver":
                if subject in ties:
                    why = f"kind {f.get('kind')} for an item truth files as {it['kind']}"
                elif subject in it["exposure"] and rel == "has_access":
                    why = "exposure only (committed to the repository): opt-in behind --exposure"
                elif key in must_not and subject not in it["exposure"]:
                    why = must_not[key]["why"]
                else:
                    why = f"another person's item: {it['trap']}"
            elif owner is not None and owner not in ties:
                why = f"reported for {owner}, who is not tied to it: {it['trap']}"
            elif it["sweep"] == "must_not":
                why = it["trap"]
        if why is None:
            t.neutral[conn] += 1
            continue
        t.fp[conn] += 1
        fps.append((conn, why, f))
    for key, m in must.items():
        if key not in found:
            misses.append((connector_class(items[key[1]]["connector"]), m, key))
    return label, mode, t, misses, fps, attrs


def ratio(a, b):
    return f"{a / b:.2f}" if b else "n/a"


def fmt_finding(f):
    return (f"{f.get('severity', '?'):8} {f.get('kind')} {f.get('resource')}  "
            f"{f.get('owner') or 'null'} {f.get('relation')}/{f.get('confidence')}")


def report(dirpath, paths, json_out=None, quiet=False):
    with open(os.path.join(dirpath, "truth.json")) as f:
        truth = json.load(f)
    conns_in_truth = {connector_class(it["connector"]) for it in truth["items"].values()}
    rows = []
    classes = collections.Counter()
    for p in paths:
        scan, findings = load_findings(p)
        label, mode, t, misses, fps, attrs = score_job(truth, scan, findings)
        print(f"== {label}: {len(findings)} findings ({os.path.basename(p)})")
        for c in ["git", "host", "aws"] + sorted(conns_in_truth - {"git", "host", "aws"}):
            if c not in conns_in_truth:
                print(f"  {c:5} recall n/a  precision n/a  (nothing generated for {c})")
                continue
            tp, fp, mu = t.tp[c], t.fp[c], t.must[c]
            print(f"  {c:5} recall {ratio(tp, mu)} ({tp}/{mu})  precision {ratio(tp, tp + fp)} "
                  f"({tp}/{tp + fp})  misses {mu - tp}  FPs {fp}  attr!= {t.attr[c]}  unscored {t.neutral[c]}")
            rows.append({"seed": truth["seed"], "people": truth["people"], "job": mode, "label": label,
                         "connector": c, "must": mu, "tp": tp, "fp": fp, "attr": t.attr[c]})
        for conn, m, key in misses:
            classes[(mode, "miss", m["trap"], "")] += 1
        for conn, why, f in fps:
            classes[(mode, "FP", why, f"{f.get('relation')}/{f.get('confidence')}")] += 1
        for conn, trap, f, want in attrs:
            classes[(mode, "attr", trap, f"{f.get('owner') or 'null'} {f.get('relation')}")] += 1
        if quiet:
            continue
        for conn, m, key in misses:
            print(f"  MISS [{conn}] {key[0]} {key[1]}  want {m.get('owner') or 'nobody'} "
                  f"{m.get('relation') or '/'.join(m.get('relations', []))}  ({m['trap']})")
        for conn, why, f in fps:
            print(f"  FP   [{conn}] {fmt_finding(f)}  ({why})")
            for e in evidence_of(f):
                print(f"         - {e}")
        for conn, trap, f, want in attrs:
            print(f"  ATTR [{conn}] {fmt_finding(f)}  want {want}  ({trap})")
            for e in evidence_of(f)[:3]:
                print(f"         - {e}")
    tot_mu = sum(r["must"] for r in rows)
    tot_tp = sum(r["tp"] for r in rows)
    tot_fp = sum(r["fp"] for r in rows)
    print(f"\noverall recall {ratio(tot_tp, tot_mu)} ({tot_tp}/{tot_mu})  "
          f"precision {ratio(tot_tp, tot_tp + tot_fp)} ({tot_tp}/{tot_tp + tot_fp})")
    print_classes(classes)
    if json_out:
        with open(json_out, "w") as f:
            json.dump({"rows": rows, "classes": [list(k) + [v] for k, v in classes.items()]}, f, indent=1)


def print_classes(classes):
    if not classes:
        return
    print("\nclasses (job, what, truth's trap or why, what nhiscan said): count")
    for (job, what, why, said), n in sorted(classes.items(), key=lambda x: (-x[1], x[0])):
        print(f"  {n:5}  {job:6} {what:4} {why}" + (f"  [{said}]" if said else ""))


def merge(paths):
    agg = collections.OrderedDict()
    classes = collections.Counter()
    for p in paths:
        with open(p) as f:
            d = json.load(f)
        for r in d["rows"]:
            k = (r["seed"], r["people"], r["job"], r["connector"])
            a = agg.setdefault(k, {"must": 0, "tp": 0, "fp": 0, "attr": 0})
            for x in a:
                a[x] += r[x]
        for job, what, why, said, n in d["classes"]:
            classes[(job, what, why, said)] += n
    print("| seed | people | job | connector | recall | precision | misses | FPs | attr!= |")
    print("| ---: | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for (seed, people, job, conn), a in agg.items():
        print(f"| {seed} | {people} | {job} | {conn} | {ratio(a['tp'], a['must'])} | "
              f"{ratio(a['tp'], a['tp'] + a['fp'])} | {a['must'] - a['tp']} | {a['fp']} | {a['attr']} |")
    print_classes(classes)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("paths", nargs="+", help="DIR FINDINGS... (or, with --merge, score JSON files)")
    ap.add_argument("--json", help="write the counts and classes here")
    ap.add_argument("--merge", action="store_true", help="merge score JSON files into one table")
    ap.add_argument("-q", "--quiet", action="store_true", help="counts only, no per-finding lines")
    a = ap.parse_args()
    if a.merge:
        merge(a.paths)
        return
    if len(a.paths) < 2:
        ap.error("need DIR and at least one findings file")
    report(a.paths[0], a.paths[1:], a.json, a.quiet)


if __name__ == "__main__":
    main()
