#!/usr/bin/env python3
"""Deterministic (seeded) corpus for the side-by-side secret-scanner benchmark.

  gen_corpus.py files --out DIR --mb 300 --seed 42 --truth truth.jsonl
      Source-like text files (py/js/go/yaml/.env/json, 5-200 KB, nested dirs) with planted
      secrets and look-alike decoys at known lines.
  gen_corpus.py git --repo DIR --base-mb 40 --history-mb 300 --seed 42 --truth truth.jsonl
      A git repository built with `git fast-import`: many commits by a fixed set of authors
      adding, modifying (in place, so line numbers are stable) and deleting files; every
      planted secret is introduced by exactly one commit whose author is recorded.

Truth rows (JSON lines): {"file", "line", "end_line", "type", "class": "planted"|"decoy"}
plus, in git mode, {"author_name", "author_email", "mark", "commit", "in_head"}.

Every secret value is generated from the seeded RNG, in the vendor's published format;
nothing is copied from a real credential. The only fixed strings are decoys (AWS's documented
example keys, placeholders). GitHub classic and npm tokens carry a valid checksum (`gh_style`:
base62 CRC-32 of the 30-character body), as real ones do. (A wrong checksum is no decoy:
nhiscan still reports such a token, one severity lower, since it cannot prove it fake.)
"""
import argparse
import base64
import json
import os
import random
import string
import subprocess
import sys
import zlib

UPPER = string.ascii_uppercase
LOWER = string.ascii_lowercase
DIGITS = string.digits
ALNUM = UPPER + LOWER + DIGITS
B62 = DIGITS + UPPER + LOWER
B32 = UPPER + "234567"
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"
HEX = "0123456789abcdef"

# --------------------------------------------------------------------------------------------
# Filler: plain code with no secret-looking words (no key/token/secret/password/auth...).

WORDS = """account address amount archive batch billing bucket buffer cache calendar cart catalog
channel checkout client cluster column comment config consumer content context counter country
currency cursor customer dashboard dataset deadline delivery device digest discount document
domain draft editor entry event export feature filter folder format gateway graph group handler
header health history image import index invoice item job journal label layout ledger limit
listing locale logger manifest market member message metric module monitor network node notice
offset order owner package page parser partner payload payment period pipeline plan policy pool
portal price printer product profile project queue quota range rate reader receipt record region
release report request resource result retry review route rule sample schedule schema scope
search segment sender server service session shard shipment snapshot source stage status
storage stream summary supplier survey table target task template tenant ticket timer topic
tracker transfer upload usage user vendor version view volume warehouse webhook widget worker
zone""".split()
VERBS = """build check clean close collect compute create decode delete dispatch emit encode
ensure fetch filter find flush format handle init load lookup merge migrate normalize open parse
poll prepare process publish push read refresh register reload remove render resolve retry run
save schedule send serialize sort split start stop store sync transform update upload validate
verify walk write""".split()
MODULES = "os sys json time logging re typing pathlib datetime collections itertools functools".split()


def camel(*parts):
    return parts[0] + "".join(p.capitalize() for p in parts[1:])


def pascal(*parts):
    return "".join(p.capitalize() for p in parts)


def snake(*parts):
    return "_".join(parts)


class Filler:
    """Pools of plausible lines per language; files draw from them."""

    POOL = 6000

    def __init__(self, rng, pools=None):
        self.rng = rng
        self.pools = pools or {lang: [self._line(lang) for _ in range(self.POOL)] for lang in LANGS}

    def w(self):
        return self.rng.choice(WORDS)

    def v(self):
        return self.rng.choice(VERBS)

    def sentence(self, lo=4, hi=12):
        return " ".join(self.w() if self.rng.random() < 0.7 else self.v() for _ in range(self.rng.randint(lo, hi)))

    def n(self):
        return self.rng.choice([0, 1, 2, 3, 5, 8, 10, 16, 30, 60, 100, 250, 1000, 3600])

    def _line(self, lang):
        r, w, v, n = self.rng, self.w, self.v, self.n
        k = r.randrange(10)
        if lang == "py":
            return [
                f"def {snake(v(), w())}({w()}, {w()}={n()}):",
                f"    {snake(w(), w())} = {snake(v(), w())}({w()}, {n()})",
                f"        return self.{snake(v(), w())}({w()}.{w()}, {snake(w(), w())}={n()})",
                f"    # {self.sentence()}",
                f"    if {w()} is None or len({w()}) > {n()}:",
                f'        logger.info("{self.sentence(3, 8)}: %s", {w()})',
                f"import {r.choice(MODULES)}" if r.random() < 0.5 else f"from .{w()} import {pascal(w(), w())}",
                f"class {pascal(w(), w())}({pascal(w())}):",
                f"    for {w()} in self.{snake(w(), 's')}[{n()}:]:",
                "",
            ][k]
        if lang == "js":
            return [
                f"function {camel(v(), w())}({w()}, {w()}) {{",
                f"  const {camel(w(), w())} = await {camel(v(), w())}({w()}, {n()});",
                f"  return {w()}.map((x) => x.{camel(w(), w())}).filter(Boolean);",
                "}",
                f"// {self.sentence()}",
                f'  if (!{w()}) {{ throw new Error("{self.sentence(3, 7)}"); }}',
                f"import {{ {pascal(w(), w())} }} from './{w()}/{w()}';",
                f"export const {camel(w(), w())} = {{ {w()}: {n()}, {w()}: '{w()}' }};",
                f"    {camel(w(), w())}.{camel(v(), w())}({w()}.length + {n()});",
                "",
            ][k]
        if lang == "go":
            return [
                f"func ({w()[0]} *{pascal(w(), w())}) {pascal(v(), w())}(ctx context.Context, {w()} string) error {{",
                f"\t{camel(w(), w())}, err := {w()}.{pascal(v(), w())}(ctx, {w()}, {n()})",
                "\tif err != nil {",
                f'\t\treturn fmt.Errorf("{self.sentence(2, 5)}: %w", err)',
                "\t}",
                "}",
                f"// {pascal(v(), w())} {self.sentence()}",
                f"\t{camel(w(), w())} := make(map[string]int, {n()})",
                f'\tlog.Printf("{self.sentence(3, 7)} %d", len({w()}))',
                "",
            ][k]
        if lang == "yaml":
            return [
                f"{snake(w(), w())}:",
                f"  {snake(w(), w())}: {w()}",
                f"  {w()}: {n()}",
                f"  - name: {w()}-{w()}",
                f"    image: registry.example.com/{w()}/{w()}:{r.randint(0, 9)}.{r.randint(0, 30)}.{r.randint(0, 99)}",
                f"# {self.sentence()}",
                f"    {w()}: \"{self.sentence(2, 5)}\"",
                f"      {snake(w(), w())}: {r.choice(['true', 'false'])}",
                f"    url: https://{w()}.internal.example.com/{w()}/{w()}",
                "",
            ][k]
        if lang == "env":
            return [
                f"{snake(w(), w()).upper()}={w()}",
                f"{snake(w(), w()).upper()}={n()}",
                f"# {self.sentence()}",
                f"{snake(w(), w(), w()).upper()}=https://{w()}.internal.example.com/{w()}",
                f"{snake(w(), w()).upper()}={r.choice(['true', 'false'])}",
                f"{snake(w(), 'timeout').upper()}={n()}s",
                f"{snake(w(), w()).upper()}=/var/lib/{w()}/{w()}",
                f"{snake(w(), 'level').upper()}={r.choice(['debug', 'info', 'warn'])}",
                f"{snake(w(), 'region').upper()}={r.choice(['eu-west-1', 'us-east-1', 'ap-south-1'])}",
                "",
            ][k]
        # json
        return [
            f'  "{camel(w(), w())}": "{w()}",',
            f'  "{camel(w(), w())}": {n()},',
            f'  "{w()}": ["{w()}", "{w()}", "{w()}"],',
            f'    "{camel(w(), w())}": {r.choice(["true", "false", "null"])},',
            f'  "{w()}": {{ "{w()}": {n()}, "{w()}": "{self.sentence(2, 5)}" }},',
            f'    "description": "{self.sentence()}",',
            f'  "{camel(w(), "url")}": "https://{w()}.internal.example.com/{w()}",',
            f'      "{w()}": "{w()}-{w()}-{r.randint(1, 999)}",',
            f'  "{camel(w(), "count")}": {n()},',
            '  "enabled": true,',
        ][k]

    def lines(self, lang, count):
        return self.rng.choices(self.pools[lang], k=count)


LANGS = ["py", "js", "go", "yaml", "env", "json"]
LANG_WEIGHTS = [25, 20, 20, 15, 8, 12]

# --------------------------------------------------------------------------------------------
# Secret values (all random, in each vendor's published shape).


def rs(rng, alphabet, n):
    return "".join(rng.choices(alphabet, k=n))


def b62_crc(s):
    c = zlib.crc32(s.encode()) & 0xFFFFFFFF
    out = ""
    while c:
        c, d = divmod(c, 62)
        out = B62[d] + out
    return out.rjust(6, "0")


def gh_style(rng, prefix):
    body = rs(rng, ALNUM, 30)
    return prefix + body + b62_crc(body)


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def gen_jwt(rng):
    hdr = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    payload = {"sub": str(rng.randint(10**6, 10**9)), "name": f"svc-{rng.choice(WORDS)}",
               "iat": rng.randint(1_600_000_000, 1_760_000_000), "role": rng.choice(["admin", "deploy", "reader"])}
    pl = b64url(json.dumps(payload, separators=(",", ":")).encode())
    sig = b64url(rng.randbytes(32))
    return f"{hdr}.{pl}.{sig}"


def gen_pem(rng):
    # A 2048-bit RSA key in PKCS#1 DER starts with these bytes; the rest is random.
    der = bytes.fromhex("308204a40201000282010100") + rng.randbytes(1180)
    b = base64.b64encode(der).decode()
    body = [b[i:i + 64] for i in range(0, len(b), 64)]
    return ["-----BEGIN RSA PRIVATE KEY-----"] + body + ["-----END RSA PRIVATE KEY-----"]


def hi_entropy_pw(rng):
    return rs(rng, ALNUM + "!#%&*+-.^_~", rng.randint(16, 28))


# Each maker returns ("assign", [(key, value), ...]) or ("pem", lines) or ("raw", {lang: line}).
def planted_makers():
    def aws(r):
        return "assign", [("aws_access_key_id", "AKIA" + rs(r, B32, 16)),
                          ("aws_secret_access_key", rs(r, B64, 40))]

    def ghp(r):
        return "assign", [("github_token", gh_style(r, "ghp_"))]

    def ghpat(r):
        return "assign", [("github_pat", "github_pat_" + rs(r, ALNUM, 22) + "_" + rs(r, ALNUM, 59))]

    def glpat(r):
        return "assign", [("gitlab_token", "glpat-" + rs(r, ALNUM + "-_", 20))]

    def slack_bot(r):
        return "assign", [("slack_bot_token", f"xoxb-{r.randint(10**10, 10**13 - 1)}-{r.randint(10**10, 10**13 - 1)}-{rs(r, ALNUM, 24)}")]

    def slack_hook(r):
        return "assign", [("slack_webhook_url", f"https://hooks.slack.com/services/T{rs(r, UPPER + DIGITS, 8)}/B{rs(r, UPPER + DIGITS, 10)}/{rs(r, ALNUM, 24)}")]

    def stripe(r):
        return "assign", [("stripe_secret_key", "sk_live_" + rs(r, ALNUM, r.choice([24, 34, 99])))]

    def google(r):
        return "assign", [("google_api_key", "AIza" + rs(r, ALNUM + "-_", 35))]

    def sendgrid(r):
        return "assign", [("sendgrid_api_key", "SG." + rs(r, B64URL, 22) + "." + rs(r, B64URL, 43))]

    def npm(r):
        return "assign", [("npm_token", gh_style(r, "npm_"))]

    def pem(r):
        return "pem", gen_pem(r)

    def jwt(r):
        return "assign", [("session_jwt", gen_jwt(r))]

    def pg(r):
        user = r.choice(["app", "billing", "etl", "reporting", "admin"])
        return "assign", [("database_url", f"postgres://{user}:{rs(r, ALNUM, 20)}@db-{r.randint(1, 40)}.prod.acme.internal:5432/{r.choice(WORDS)}")]

    def generic(r):
        return "assign", [("password", hi_entropy_pw(r))]

    return {
        "aws_key_pair": aws, "github_pat_classic": ghp, "github_pat_fine_grained": ghpat,
        "gitlab_pat": glpat, "slack_bot_token": slack_bot, "slack_webhook": slack_hook,
        "stripe_live_key": stripe, "google_api_key": google, "sendgrid_api_key": sendgrid,
        "npm_token": npm, "rsa_private_key": pem, "jwt": jwt, "postgres_url": pg,
        "generic_password": generic,
    }


def decoy_makers():
    def aws_example(r):
        return "assign", [("aws_access_key_id", "AKIAIOSFODNN7EXAMPLE"),
                          ("aws_secret_access_key", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")]

    def changeme(r):
        return "assign", [("password", r.choice(["changeme", "password", "example", "<your-password-here>"]))]

    def env_ref(r):
        return "assign", [("password", "${DB_PASSWORD}")]

    def env_lookup(r):
        return "raw", {
            "py": 'token = os.environ["TOKEN"]',
            "js": "const token = process.env.TOKEN;",
            "go": '\ttoken := os.Getenv("TOKEN")',
            "yaml": "  token: ${TOKEN}",
            "env": "TOKEN=${TOKEN}",
            "json": '  "token": "${TOKEN}",',
        }

    def ghp_placeholder(r):
        return "assign", [("github_token", "ghp_" + "x" * 36)]

    def wrong_length(r):
        k = r.randrange(4)
        v = ["ghp_" + rs(r, ALNUM, 24), "glpat-" + rs(r, ALNUM, 12), "AKIA" + rs(r, B32, 10),
             "AIza" + rs(r, ALNUM, 20)][k]
        # neutral names: these test format precision, not generic "name = random value" rules
        return "assign", [(["fixture_ref", "sample_value", "test_vector", "lookup_code"][k], v)]

    def akia_lower(r):
        return "assign", [("sample_id", "AKIA" + rs(r, LOWER + "234567", 16))]

    def uuid(r):
        h = rs(r, HEX, 32)
        return "assign", [("request_id", f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}")]

    def git_sha(r):
        return "assign", [("commit", rs(r, HEX, 40))]

    def image(r):
        data = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + r.randbytes(r.randint(150, 1500))
        return "assign", [("icon", "data:image/png;base64," + base64.b64encode(data).decode())]

    def hex_hash(r):
        return "assign", [("sha256", rs(r, HEX, 64))]

    return {
        "aws_example_keys": aws_example, "placeholder_password": changeme, "env_reference": env_ref,
        "env_lookup": env_lookup, "ghp_placeholder": ghp_placeholder, "wrong_length_token": wrong_length,
        "akia_lowercase": akia_lower, "uuid": uuid, "git_sha": git_sha, "base64_image": image,
        "hex_hash": hex_hash,
    }


def upper_key(k):
    return k.upper()


def render_assign(lang, key, value):
    if lang == "py":
        return f'{key.upper() if key.startswith("aws") else key} = "{value}"'
    if lang == "js":
        return f'  {camel(*key.split("_"))}: "{value}",'
    if lang == "go":
        return f'\t{camel(*key.split("_"))} := "{value}"'
    if lang == "yaml":
        return f"  {key}: {value}" if "$" not in value and ":" not in value else f'  {key}: "{value}"'
    if lang == "env":
        return f"{key.upper()}={value}"
    return f'  "{key}": "{value}",'


def render_pem(lang, pem):
    """Lines to insert and (first, last) offsets of the key within them."""
    if lang == "py":
        out = [f'PRIVATE_KEY = """{pem[0]}'] + pem[1:-1] + [f'{pem[-1]}"""']
        return out, 0, len(out) - 1
    if lang == "js":
        out = [f"const privateKey = `{pem[0]}"] + pem[1:-1] + [f"{pem[-1]}`;"]
        return out, 0, len(out) - 1
    if lang == "go":
        out = [f"const privateKey = `{pem[0]}"] + pem[1:-1] + [f"{pem[-1]}`"]
        return out, 0, len(out) - 1
    if lang == "yaml":
        out = ["  private_key: |"] + ["    " + line for line in pem]
        return out, 1, len(out) - 1
    joined = "\\n".join(pem) + "\\n"
    if lang == "env":
        return [f'PRIVATE_KEY="{joined}"'], 0, 0
    return [f'  "private_key": "{joined}",'], 0, 0


def render_item(lang, kind, payload):
    """-> (lines, first_offset, last_offset) of the secret within the inserted lines."""
    if kind == "assign":
        lines = [render_assign(lang, k, v) for k, v in payload]
        return lines, 0, len(lines) - 1
    if kind == "pem":
        return render_pem(lang, payload)
    return [payload[lang]], 0, 0


class Items:
    def __init__(self, rng):
        self.rng = rng
        self.planted = planted_makers()
        self.decoys = decoy_makers()
        self.pnames = sorted(self.planted)
        self.dnames = sorted(self.decoys)

    def make(self, cls, lang):
        names, makers = (self.pnames, self.planted) if cls == "planted" else (self.dnames, self.decoys)
        t = self.rng.choice(names)
        kind, payload = makers[t](self.rng)
        lines, a, b = render_item(lang, kind, payload)
        return {"type": t, "class": cls, "lines": lines, "first": a, "last": b}


# --------------------------------------------------------------------------------------------
# Files.

EXT = {"py": ".py", "js": ".js", "go": ".go", "yaml": ".yaml", "json": ".json"}
ENV_NAMES = [".env", ".env.production", ".env.staging", "app.env", ".env.local"]


class FileMaker:
    def __init__(self, seed, pools=None):
        self.rng = random.Random(seed)
        self.filler = Filler(random.Random(seed + 1), pools)
        self.items = Items(self.rng)
        self.used = set()

    def path(self, lang):
        r = self.rng
        svc = f"{r.choice(WORDS)}-{r.choice(['api', 'svc', 'worker', 'web', 'lib', 'infra', 'jobs'])}"
        depth = r.randint(1, 4)
        sub = [r.choice(WORDS + ["src", "internal", "pkg", "config", "deploy", "lib", "app"]) for _ in range(depth)]
        while True:
            if lang == "env":
                name = r.choice(ENV_NAMES)
            else:
                name = snake(r.choice(WORDS), r.choice(WORDS)) + EXT[lang]
            p = "/".join([svc] + sub + [name])
            if p not in self.used:
                self.used.add(p)
                return p
            sub.append(r.choice(WORDS))

    def lang(self):
        return self.rng.choices(LANGS, weights=LANG_WEIGHTS)[0]

    def size(self, lang):
        r = self.rng
        if lang == "env":
            return int(r.uniform(5, 20) * 1024)
        return int(5 * 1024 * (40 ** r.random()))  # log-uniform 5 KB .. 200 KB

    def content(self, lang, size, n_planted, n_decoy):
        """-> (list of lines, items with 1-based 'line'/'end_line')."""
        avg = 42 if lang != "go" else 38
        nfill = max(20, size // avg)
        fill = self.filler.lines(lang, nfill)
        header = {"py": ['"""' + self.filler.sentence() + '"""', "import os", ""],
                  "js": ["'use strict';", ""], "go": ["package " + self.rng.choice(WORDS), "",
                                                        'import (\n\t"context"\n\t"fmt"\n\t"log"\n\t"os"\n)'.replace("\n", "\x00")],
                  "yaml": ["---"], "env": [], "json": ["{"]}[lang]
        header = [h for part in header for h in part.split("\x00")]
        footer = ["}"] if lang == "json" else []
        items = [self.items.make("planted", lang) for _ in range(n_planted)] + \
                [self.items.make("decoy", lang) for _ in range(n_decoy)]
        self.rng.shuffle(items)
        pos = sorted(self.rng.sample(range(nfill), len(items))) if items else []
        out = list(header)
        prev = 0
        for p, it in zip(pos, items):
            out.extend(fill[prev:p])
            prev = p
            base = len(out) + 1
            it["line"] = base + it["first"]
            it["end_line"] = base + it["last"]
            out.extend(it["lines"])
        out.extend(fill[prev:])
        out.extend(footer)
        return out, items

    def counts(self, size):
        r = self.rng
        per = size / (100 * 1024)
        n_p = int(per) + (1 if r.random() < per - int(per) + 0.15 else 0)
        n_d = int(per) + (1 if r.random() < per - int(per) + 0.15 else 0)
        return n_p, n_d


def cmd_files(a):
    fm = FileMaker(a.seed)
    target = int(a.mb * 1024 * 1024)
    total = 0
    nfiles = 0
    os.makedirs(a.out, exist_ok=True)
    with open(a.truth, "w") as tf:
        while total < target:
            lang = fm.lang()
            size = fm.size(lang)
            n_p, n_d = fm.counts(size)
            rel = fm.path(lang)
            lines, items = fm.content(lang, size, n_p, n_d)
            data = ("\n".join(lines) + "\n").encode()
            full = os.path.join(a.out, rel)
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "wb") as f:
                f.write(data)
            total += len(data)
            nfiles += 1
            for it in items:
                tf.write(json.dumps({"file": rel, "line": it["line"], "end_line": it["end_line"],
                                     "type": it["type"], "class": it["class"]}) + "\n")
    print(f"corpus: {nfiles} files, {total / 1048576:.1f} MB in {a.out}", file=sys.stderr)


# --------------------------------------------------------------------------------------------
# Git history via fast-import.

FIRST = "Alice Bob Carol Dan Erin Frank Grace Heidi Ivan Judy Mallory Niaj Olivia Peggy Rupert Sybil Trent Victor Walter Yara".split()
LAST = "Adams Baker Chen Diaz Evans Fischer Garcia Hughes Ito Jones Kim Lopez Murphy Novak Okafor Patel Quinn Rossi Singh Tanaka".split()


def authors(rng, n=40):
    out = []
    seen = set()
    while len(out) < n:
        f, l = rng.choice(FIRST), rng.choice(LAST)
        if (f, l) in seen:
            continue
        seen.add((f, l))
        dom = "acme.example" if rng.random() < 0.85 else rng.choice(["contractor.example", "users.noreply.github.com"])
        out.append((f"{f} {l}", f"{f.lower()}.{l.lower()}@{dom}"))
    return out


class GitFile:
    __slots__ = ("lang", "lines", "busy", "items")

    def __init__(self, lang, lines, items):
        self.lang = lang
        self.lines = lines
        self.busy = set()      # line numbers (1-based) never to touch again
        self.items = items     # truth rows still live in this file
        for it in items:
            self.busy.update(range(it["line"], it["end_line"] + 1))


def cmd_git(a):
    fm = FileMaker(a.seed)
    rng = random.Random(a.seed + 7)
    people = authors(rng)
    repo = a.repo
    if os.path.exists(repo):
        subprocess.run(["rm", "-rf", repo], check=True)
    subprocess.run(["git", "init", "-q", "-b", "main", repo], check=True)
    marks = os.path.join(repo, ".git", "bench-marks")
    fi = subprocess.Popen(["git", "-C", repo, "fast-import", "--quiet", f"--export-marks={marks}"],
                          stdin=subprocess.PIPE)
    out = fi.stdin
    files = {}
    truth = []
    written = 0
    mark = 0
    ts = 1_600_000_000
    base_target = int(a.base_mb * 1048576)
    hist_target = int(a.history_mb * 1048576)
    base_written = 0

    def data(b):
        out.write(b"data %d\n" % len(b))
        out.write(b)
        out.write(b"\n")

    def new_file(author, m):
        nonlocal written
        lang = fm.lang()
        size = fm.size(lang)
        n_p, n_d = fm.counts(size)
        rel = fm.path(lang)
        lines, items = fm.content(lang, size, n_p, n_d)
        rows = []
        for it in items:
            rows.append({"file": rel, "line": it["line"], "end_line": it["end_line"], "type": it["type"],
                         "class": it["class"], "author_name": author[0], "author_email": author[1],
                         "mark": m, "in_head": True})
        truth.extend(rows)
        files[rel] = GitFile(lang, lines, rows)
        return rel

    while written < hist_target:
        mark += 1
        ts += rng.randint(600, 86400)
        author = rng.choice(people)
        ops = []
        if base_written < base_target:
            ops = [("add",)] * rng.randint(5, 20)
        else:
            for _ in range(rng.randint(1, 4)):
                x = rng.random()
                ops.append(("add",) if x < 0.12 or not files else ("delete",) if x < 0.17 else
                           ("unplant",) if x < 0.22 else ("plant",) if x < 0.40 else ("modify",))
        changed = set()
        deleted = set()
        for op in ops:
            if op[0] == "add":
                changed.add(new_file(author, mark))
                continue
            cands = [p for p in files if p not in deleted]
            if not cands:
                continue
            p = rng.choice(cands)
            f = files[p]
            if op[0] == "delete":
                if p in changed:
                    continue
                deleted.add(p)
                continue
            n = len(f.lines)
            if op[0] == "modify":
                # replace a few free lines in place (line numbers stay stable)
                for ln in rng.sample(range(1, n + 1), min(n, rng.randint(3, 40))):
                    if ln not in f.busy:
                        f.lines[ln - 1] = fm.filler.lines(f.lang, 1)[0]
            elif op[0] == "unplant":
                live = [it for it in f.items if it["in_head"]]
                if not live:
                    continue
                it = rng.choice(live)
                for ln in range(it["line"], it["end_line"] + 1):
                    f.lines[ln - 1] = fm.filler.lines(f.lang, 1)[0]
                it["in_head"] = False
            else:  # plant: a new secret (or decoy) replacing free filler lines
                cls = "planted" if rng.random() < 0.6 else "decoy"
                it = fm.items.make(cls, f.lang)
                k = len(it["lines"])
                for _ in range(20):
                    start = rng.randint(2, max(2, n - k))
                    if not any(ln in f.busy for ln in range(start - 1, start + k + 1)) and start + k - 1 <= n:
                        break
                else:
                    continue
                for i, line in enumerate(it["lines"]):
                    f.lines[start - 1 + i] = line
                row = {"file": p, "line": start + it["first"], "end_line": start + it["last"],
                       "type": it["type"], "class": cls, "author_name": author[0],
                       "author_email": author[1], "mark": mark, "in_head": True}
                truth.append(row)
                f.items.append(row)
                f.busy.update(range(start - 1, start + k + 1))
            changed.add(p)
        changed -= deleted
        if not changed and not deleted:
            mark -= 1
            continue
        out.write(b"commit refs/heads/main\nmark :%d\n" % mark)
        sig = f"{author[0]} <{author[1]}> {ts} +0000\n".encode()
        out.write(b"author " + sig + b"committer " + sig)
        data(f"{rng.choice(VERBS)} {rng.choice(WORDS)} {rng.choice(WORDS)}".encode())
        if mark > 1:
            out.write(b"from :%d\n" % (mark - 1))
        for p in sorted(deleted):
            out.write(b"D %s\n" % p.encode())
            for it in files[p].items:
                it["in_head"] = False
            del files[p]
        for p in sorted(changed):
            blob = ("\n".join(files[p].lines) + "\n").encode()
            out.write(b"M 100644 inline %s\n" % p.encode())
            data(blob)
            written += len(blob)
            if base_written < base_target:
                base_written += len(blob)
        out.write(b"\n")
    out.close()
    if fi.wait() != 0:
        sys.exit("git fast-import failed")
    shas = {}
    with open(marks) as mf:
        for line in mf:
            m, sha = line.split()
            shas[int(m[1:])] = sha
    subprocess.run(["git", "-C", repo, "checkout", "-q", "-f", "main"], check=True)
    with open(a.truth, "w") as tf:
        for row in truth:
            row["commit"] = shas.get(row["mark"])
            tf.write(json.dumps(row) + "\n")
    with open(os.path.join(os.path.dirname(os.path.abspath(a.truth)), "repo-meta.json"), "w") as mf:
        json.dump({"commits": mark, "blob_bytes": written, "files_at_head": len(files)}, mf)
    np_ = sum(1 for r in truth if r["class"] == "planted")
    print(f"git: {mark} commits, {written / 1048576:.1f} MB of blobs written, {len(files)} files at HEAD, "
          f"{np_} planted / {len(truth) - np_} decoys in {repo}", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sp = ap.add_subparsers(dest="cmd", required=True)
    f = sp.add_parser("files")
    f.add_argument("--out", required=True)
    f.add_argument("--mb", type=float, default=300)
    f.add_argument("--seed", type=int, default=42)
    f.add_argument("--truth", required=True)
    g = sp.add_parser("git")
    g.add_argument("--repo", required=True)
    g.add_argument("--base-mb", type=float, default=40)
    g.add_argument("--history-mb", type=float, default=300)
    g.add_argument("--seed", type=int, default=42)
    g.add_argument("--truth", required=True)
    a = ap.parse_args()
    cmd_files(a) if a.cmd == "files" else cmd_git(a)


if __name__ == "__main__":
    main()
