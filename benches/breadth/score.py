#!/usr/bin/env python3
"""Score tools on a breadth corpus: found / total per family, clean negatives flagged.

usage: score.py CORPUS_DIR TOOL=REPORT [TOOL=REPORT ...]
A tool finds a positive file when it reports anything in it; it flags a negative the same.
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from bench_score import PARSERS  # noqa: E402


def main():
    corpus = sys.argv[1].rstrip("/") + "/"
    truth = json.load(open(os.path.join(corpus, "truth.json")))
    fams = []
    for t in truth:
        if t["family"] not in fams:
            fams.append(t["family"])
    results = {}
    for arg in sys.argv[2:]:
        tool, report = arg.split("=", 1)
        hits = set()
        try:
            for f in PARSERS[tool](report):
                p = f["path"].replace("\\", "/")
                i = p.find("pos/")
                j = p.find("neg/")
                k = i if i >= 0 else j
                if k >= 0:
                    hits.add(p[k:])
        except Exception as e:  # a tool that wrote nothing scores zero, and says why
            print(f"{tool}: cannot read {report}: {e}", file=sys.stderr)
        results[tool] = hits
    tools = list(results)
    print("| family | examples | " + " | ".join(tools) + " |")
    print("| --- | ---: | " + " | ".join("---:" for _ in tools) + " |")
    tot = {t: 0 for t in tools}
    npos = 0
    for fam in fams:
        rows = [t for t in truth if t["family"] == fam]
        n = len(rows)
        cells = []
        for tool in tools:
            k = sum(1 for t in rows if t["path"] in results[tool])
            cells.append(str(k))
            if rows[0]["positive"]:
                tot[tool] += k
        if rows[0]["positive"]:
            npos += n
            print(f"| {fam} | {n} | " + " | ".join(cells) + " |")
        else:
            print(f"| clean negatives flagged | {n} | " + " | ".join(cells) + " |")
    print(f"| **found, all families** | {npos} | " + " | ".join(f"**{tot[t]}** ({100*tot[t]/max(npos,1):.0f}%)" for t in tools) + " |")


if __name__ == "__main__":
    main()
