#!/usr/bin/env python3
"""Held-out seeded company for the attribution evaluation: same layout and truth.json format as
gen_company.py (score.py scores both), designed independently of it and of nhiscan's code.

  gen_heldout.py --seed N [--people P] --out DIR [--aws ENDPOINT]

Layout (as gen_company.py): DIR/hr/roster.csv, DIR/hr/contractors.csv ([hr] extra), DIR/repos/*
(git fast-import, fixed authors and dates), DIR/hosts/* (root snapshots), DIR/nhiscan.toml,
DIR/.nhiscanignore (empty), DIR/truth.json. With --aws, IAM items on a fresh moto server.

Company "Globex" (globex.example; contractors partners.example). Four leavers are scored with
`leaver` (role in brackets), and every item with `sweep`:

  [renamed]    changed surname, risk high: roster email is the new name; old email (written
               `First.Old@Globex.example`, `; `-separated), old login and a `github:` login are
               aliases. Commits under the old email, a GitHub noreply address whose login is in
               another case (`ID+Login@users.noreply.github.com`), a plus-addressed and an
               upper-cased work address, the exact display name with a laptop's default address,
               one secret that survives only in history, one with an active co-author.
               Host account under the old login whose GECOS carries an active sponsor's email,
               and an admin one (`sudo`) elsewhere; a key whose comment is a bare hostname, the
               same key (behind `from=`/`no-pty` options) in the shared `deploy` account; a
               second key in root's authorized_keys commented with the old email; a token in
               ~/.bashrc; an /etc/cron.d job run as the old login with a token; a sudoers runas
               grant onto the `reporting` account; `SVC_<First>_<Oldlast>` host account. IAM
               user named with the old email address (two keys, one deactivated),
               `SVC_<First>_<Oldlast>_Deploy` (no tags), a user tagged OwnerEmail = the old
               email, `svc-<oldlogin>-etl` already handed over (owner tag = an active person),
               and a role trusting the account root only under a PrincipalArn condition naming
               the old-email IAM user.
  [smith]      Jane Smith, status spelled `Terminated`, no aliases; her own account is
               password-locked (`!` in shadow), her key sits in an active colleague's account.
               Active John Smith holds the alias `jsmith` (host account `jsmith` with a crontab
               secret, IAM user `jsmith`, a service user tagged owner=jsmith, commits from
               `jsmith@<laptop>`); an active second Jane Smith (jane.m.smith@, account
               `jane.m.smith` with GECOS "Jane Smith") commits as "Jane Smith".
  [contractor] only in contractors.csv; commits from a personal gmail (alias), from the old
               `login@users.noreply.github.com`, and as a `Co-authored-by:` of an active
               colleague's secret-bearing commit, and on a never-merged `wip/<login>` branch;
               host login `ext_<first>` (alias), admin only through `docker`, with a key whose
               comment is the gmail; IAM users by `aws:` alias and named with the gmail (path
               /contractors/); a service user tagged created_by = the gmail.
  [manager]    terminated manager of the renamed leaver and of others: IAM role tagged
               `Owner=Team Payments` plus `contact=<manager>`, an /etc/cron.d job under the
               manager's login, GECOS of a shared `reports` account naming the manager's email,
               a sudoers `User_Alias` (manager + an active person) onto `ledgerapp`, a service
               user tagged owner = the manager's employee id.

Company-wide traps: a rehired person (two roster rows with the same email: an old terminated
row with their old login alias, a new active row) whose old-login host account, key, crontab
and IAM user must not be reported; people on leave (some spelled `On Leave`); Grünewald-style
names whose emails and logins are transliterated; other terminated people with accounts, keys, crontabs,
IAM users and committed secrets (all sweep musts); service IAM users tagged `Owner=Team X`
only (no person: orphaned) and tagged with people's emails in several spellings; a role
trusting an active person's user; an account-root-only role (no person, neutral); outsiders
nobody in HR knew committing secrets; active people's own keys with hostname-only comments;
commits whose author name equals a leaver's display name but whose email is someone else's.

Truth format: exactly gen_company.py's (see its docstring): items{resource: {kind, connector,
trap, ties, exposure, sweep, sweep_owner, sweep_relations}}, leavers[{email, role, must,
must_not}], sweep{must, must_not}. Where the contract is silent the choice and the reasoning
are in a comment beside the item.
"""
import argparse
import base64
import csv
import hashlib
import io
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import zlib

sys.dont_write_bytecode = True

DOM = "globex.example"
CDOM = "partners.example"
FIRST = ("Aleksa Bianca Camille Dario Elif Fabian Greta Hamid Irene Jonas Katya Lorenzo Mirela "
         "Nadia Oskar Priya Quentin Rafael Selin Tobias Ulla Valentin Wanda Xenia Yusuf Zofia "
         "Agnes Bruno Celine Dmitri Esther Florin Gideon Helga Ismael Jorge Kirsi Lukas Marta "
         "Nils Odette Pavel Renata Stefan Teodora Umberto Vesna Wim Yara Zeno").split()
LAST = ("Achterberg Baptiste Castellano Dahl Eriksen Falk Gallo Hartmann Iversen Jovanovic "
        "Kaminski Lindqvist Moreau Nowicki Ostrowski Pereira Quast Ruiz Sandoval Takacs Ulrich "
        "Vasquez Wojcik Yilmaz Zeller Brandt Cerny Dumitru Engel Fischer Grünewald Holm Ibarra "
        "Janssen Kovacs Lehmann Marin Nyberg Olesen Petrov Rinaldi Sauer Thorsen Urban Vidal "
        "Winter").split()
OUTSIDERS = [("Brom Quickwater", "brom.q@freelance-dev.example"),
             ("Sable Inkridge", "sable@inkridge.example"),
             ("Tamsin Oakhurst", "tamsin.oakhurst@agency-42.example")]
WORDS = "ledger payouts fraud risk kyc invoices treasury settlement refunds fx".split()
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
GIT_ENV = dict(os.environ, GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1")


def tr(s):
    """ASCII spelling of a name for emails and logins (HR keeps the display name: Grünewald)."""
    return s.replace("ü", "ue").replace("ö", "oe").replace("ä", "ae")


def rs(rng, n, alpha=ALNUM):
    return "".join(rng.choice(alpha) for _ in range(n))


def crc62(s):
    c = zlib.crc32(s.encode()) & 0xFFFFFFFF
    out = ""
    while c:
        c, d = divmod(c, 62)
        out = B62[d] + out
    return out.rjust(6, "0")


def secret(rng):
    t = rng.randrange(4)
    if t == 0:
        b = rs(rng, 30)
        return f"GH_TOKEN=ghp_{b}{crc62(b)}"
    if t == 1:
        return f"STRIPE_API_KEY=sk_live_{rs(rng, 26)}"
    if t == 2:
        return f"SLACK_TOKEN=xoxb-{rng.randint(10**10, 10**12)}-{rng.randint(10**10, 10**12)}-{rs(rng, 24)}"
    return f"GITLAB_PAT=glpat-{rs(rng, 20)}"


def sshkey(rng):
    blob = struct.pack(">I", 11) + b"ssh-ed25519" + struct.pack(">I", 32) + rng.randbytes(32)
    fp = "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    return "ssh-ed25519 " + base64.b64encode(blob).decode(), fp


class P:
    def __init__(self, **kw):
        self.__dict__.update(kw)

    def active(self):
        return self.status in ("active", "leave")


class Co:
    def __init__(self, seed, n):
        self.seed, self.n = seed, n
        self.rng = random.Random(seed * 7919 + 17)
        self.people, self.rows, self.items = [], [], {}
        self.locals = set()
        self.roles = {}
        self.nid = 0

    def person(self, first, last, status="active", typ="employee", local=None, login=None,
               aliases=(), risk="standard"):
        rng = self.rng
        if local is None:
            for c in (tr(f"{first}.{last}".lower()), tr(f"{first[0]}{last}".lower()),
                      tr(f"{first}.{last}{rng.randint(2, 99)}".lower())):
                if c not in self.locals:
                    local = c
                    break
        assert local not in self.locals, local
        self.locals.add(local)
        dom = CDOM if typ == "contractor" else DOM
        self.nid += 1
        p = P(first=first, last=last, name=f"{first} {last}", local=local, email=f"{local}@{dom}",
              status=status, typ=typ, risk=risk, login=login or local, aliases=list(aliases),
              emp=(f"K{700 + self.nid}" if typ == "contractor" else f"G{20000 + self.nid}"),
              end=(f"2026-{rng.randint(1, 10):02d}-{rng.randint(1, 28):02d}" if status == "terminated" else ""),
              manager=None, idents=[], gh=None)
        if login and login != local:
            self.locals.add(login)
        p.idents.append((p.name, p.email))
        self.people.append(p)
        self.rows.append(p)
        return p

    def item(self, res, kind, conn, trap, ties, exposure=(), sweep="neutral", owner=None, rels=None):
        assert res not in self.items, res
        self.items[res] = {
            "kind": kind, "connector": conn, "trap": trap,
            "ties": [{"person": (p.email if p else None), "relation": r} for p, r in ties],
            "exposure": sorted({p.email for p in exposure if p is not None}),
            "sweep": sweep, "sweep_owner": owner.email if owner else None,
            "sweep_relations": rels or []}

    def auto(self, res, kind, conn, trap, p, rel, sweep_rels=None, exposure=()):
        """An item held by one person (or nobody): sweep follows from their status."""
        if p is None:
            self.item(res, kind, conn, trap, [(None, rel)], exposure, "must", None,
                      sweep_rels or ["orphaned"])
        elif p.active():
            self.item(res, kind, conn, trap + " (active owner)", [(p, rel)], exposure, "must_not")
        else:
            self.item(res, kind, conn, trap, [(p, rel)], exposure, "must", p, sweep_rels or [rel])

    def fresh(self):
        rng = self.rng
        while True:
            f, l = rng.choice(FIRST), rng.choice(LAST)
            if tr(f"{f}.{l}".lower()) not in self.locals and l != "Smith":
                return f, l


def build_people(co):
    rng, n = co.rng, co.n
    sponsor_pool = []
    for i in range(n - 12):
        f, l = co.fresh()
        st = rng.choices(["active", "leave", "terminated"], [85, 5, 10])[0]
        p = co.person(f, l, status=st)
        if st == "leave" and rng.random() < 0.5:
            p.status_text = "On Leave"   # an HRIS spelling; `leave` people are active owners
        if rng.random() < 0.3:
            p.gh = tr(f"{f.lower()}{l[:3].lower()}{rng.randint(1, 99)}")
            p.aliases.append(f"github:{p.gh}")
            if rng.random() < 0.5:
                p.idents.append((p.name, f"{rng.randint(10**6, 10**8)}+{p.gh}@users.noreply.github.com"))
        if rng.random() < 0.2:
            alt = tr(f"{f[0]}{l}".lower())[:6]
            if alt not in co.locals:
                co.locals.add(alt)
                p.login = alt
                p.aliases.append(alt)
        if p.active():
            sponsor_pool.append(p)
    actives = [p for p in co.people if p.status == "active"]
    for p in co.people:
        p.manager = rng.choice(actives)
    # [manager] terminated, manages several people including the renamed leaver
    mf, ml = co.fresh()
    mlogin = tr(f"{mf[0]}{ml}".lower())[:8] + "m"
    mg = co.person(mf, ml, status="terminated", login=mlogin, aliases=[mlogin])
    mg.manager = rng.choice(actives)
    for p in rng.sample(co.people[:-1], 6):
        p.manager = mg
    # [renamed] Oldlast -> Newlast
    rf = rng.choice(FIRST)
    while True:
        old, new = rng.sample(LAST, 2)
        oldlocal, oldlogin = tr(f"{rf}.{old}".lower()), tr(f"{rf[0]}{old}".lower())
        if not {oldlocal, oldlogin, tr(f"{rf}.{new}".lower())} & co.locals:
            break
    gh = tr(f"{rf.lower()}-{old[:4].lower()}-gh")
    rn = co.person(rf, new, status="terminated", risk="high",
                   aliases=[f"{oldlocal}@{DOM}", oldlogin, f"github:{gh}"], login=oldlogin)
    co.locals.add(oldlocal)
    rn.old, rn.oldlocal, rn.oldname, rn.gh = old, oldlocal, f"{rf} {old}", gh
    rn.alias_text = [f"{rf}.{old}@Globex.example" if tr(rf) == rf and tr(old) == old else rn.aliases[0]] + rn.aliases[1:]
    rn.manager = mg
    rn.idents = [(rn.oldname, f"{oldlocal}@{DOM}"),
                 (rn.oldname, f"{rng.randint(10**6, 10**8)}+{gh.title()}@users.noreply.github.com"),
                 (rn.name, f"{rn.local}+ci@{DOM}"),
                 (rn.name, f"{rn.local[0].upper()}{rn.local[1:]}@Globex.Example"),
                 (rn.name, rn.email)]
    # [smith] Jane Smith (leaver, no alias), John Smith (jsmith), a second Jane Smith
    js = co.person("Jane", "Smith", status="terminated")
    jo = co.person("John", "Smith", aliases=["jsmith", "aws:jsmith"], login="jsmith")
    jo.idents.append(("J. Smith", "jsmith@jsmith-thinkpad.local"))
    j2 = co.person("Jane", "Smith", local="jane.m.smith")
    js.manager = jo.manager = j2.manager = rng.choice(actives)
    # [contractor]
    cf, cl = co.fresh()
    cgh = tr(f"{cf.lower()}{cl.lower()}")
    gmail = tr(f"{cf.lower()}.{cl.lower()}.dev@gmail.com")
    ct = co.person(cf, cl, status="terminated", typ="contractor",
                   aliases=[gmail, f"github:{cgh}", f"ext_{cf.lower()}", f"aws:ext-{cf.lower()}"],
                   login=f"ext_{cf.lower()}")
    ct.gmail, ct.gh = gmail, cgh
    ct.idents = [(ct.name, gmail), (cgh, f"{cgh}@users.noreply.github.com"), (ct.name, ct.email)]
    ct.manager = rng.choice(actives)
    # rehired: an old terminated row and a new active row with the same email
    hf, hl = co.fresh()
    rh = co.person(hf, hl, status="active")
    rh.login = tr(f"{hf[0]}{hl}".lower()) + "1"
    co.locals.add(rh.login)
    old_row = P(**dict(rh.__dict__))
    old_row.emp, old_row.status, old_row.end, old_row.aliases = f"G{10000 + co.nid}", "terminated", "2022-03-31", [rh.login]
    rh.manager = old_row.manager = rng.choice(actives)
    co.rows.insert(rng.randrange(len(co.rows)), old_row)
    # active look-alike of the renamed leaver: same first name, the leaver's NEW surname's initial
    co.roles.update(renamed=rn, smith=js, john=jo, jane2=j2, contractor=ct, manager=mg, rehired=rh,
                    sponsor=rng.choice(sponsor_pool))
    # Spell one leaver's status the way an HRIS export does (the contract's extension reads it).
    js.status_text = "Terminated"


def write_hr(co, out):
    cols = ["employee_id", "email", "name", "status", "end_date", "type", "manager_email", "aliases", "risk"]
    for fname, contractors in (("roster.csv", False), ("contractors.csv", True)):
        with open(os.path.join(out, "hr", fname), "w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(cols)
            for p in co.rows:
                if (p.typ == "contractor") != contractors:
                    continue
                w.writerow([p.emp, p.email, p.name, getattr(p, "status_text", p.status), p.end, p.typ,
                            p.manager.email if p.manager else "",
                            ("; " if p is co.roles.get("renamed") else ";").join(getattr(p, "alias_text", p.aliases)),
                            p.risk])


# ----------------------------------------------------------------------------- git

def build_repos(co, out):
    rng = random.Random(co.seed * 104729)
    r = co.roles
    rn, js, jo, j2, ct, mg = r["renamed"], r["smith"], r["john"], r["jane2"], r["contractor"], r["manager"]
    pool = [p for p in co.people if p not in (rn, js, jo, j2, ct, mg)]
    nrepos = max(8, co.n // 15)
    for i in range(nrepos):
        name = f"{rng.choice(WORDS)}-{['api', 'jobs', 'infra', 'web'][i % 4]}-{i:02d}"
        members = rng.sample(pool, rng.randint(3, 6))
        commits = []  # (person|None, ident, n_secrets, coauthors, delete_later)
        for p in members:
            commits.append((p, rng.choice(p.idents), rng.choice([0, 0, 1]), [], False))
        if i % 3 == 0:
            o = OUTSIDERS[i % len(OUTSIDERS)]
            commits.append((None, o, 1, [], False))
        # the leavers' commits, spread over the repositories
        if i < 5:
            commits.append((rn, rn.idents[i], 1, [], i == 4))
        if i in (1, 5):
            commits.append((js, js.idents[0], 1, [], False))
        if i in (1, 2, 6):
            commits.append((j2, j2.idents[0], 1, [], False))   # same display name, other email
            commits.append((jo, jo.idents[-1], 1, [], False))  # jsmith@laptop: John's alias
        if i in (2, 3):
            commits.append((ct, ct.idents[i - 2], 1, [], False))
        if i == 3:
            # co-authored: an active colleague's commit, the contractor pair-programmed it
            a = next((m for m in members if m.status == "active"), members[0])
            commits.append((a, a.idents[0], 1, [ct], False))
        if i == 6:
            # the leaver co-authored under an active author... and the reverse
            a = next((m for m in members[1:] if m.status == "active"), members[1])
            commits.append((rn, rn.idents[4], 1, [a], False))
        if i == 9:
            # author name is the leaver's exact (unique) display name, the email names nobody
            # (a laptop's default address whose local part is a first name others share): the
            # README's "when the email names nobody, the name still counts" -> the leaver's.
            commits.append((rn, (rn.name, f"{rn.first.lower()}@{rn.first.lower()}s-macbook.local"), 1, [], False))
        if i == 7:
            commits.append((mg, mg.idents[0], 1, [], False))
        if i == 8 % nrepos:
            # an active person whose display name is the manager's but whose email is their own
            a = members[0]
            commits.append((a, (mg.name, a.email), 1, [], False))
        rng.shuffle(commits)
        # a stale, never-merged branch: only reachable from refs/heads/wip/<login>
        branch = [(ct, ct.idents[0])] if i == 10 else []
        build_repo(co, out, name, commits, rng, branch)


def ident_kind(p, ident):
    e = ident[1]
    if "noreply" in e:
        return "GitHub noreply address, github: alias"
    if "gmail" in e:
        return "personal gmail alias"
    if "+" in e:
        return "plus-addressed work email"
    if e.endswith(".local"):
        return "display name only, laptop address"
    if e != e.lower():
        return "upper-cased work email"
    if e != p.email:
        return "old email alias (surname change)"
    if ident[0] != p.name:
        return "old display name"
    return "work email"


def build_repo(co, out, name, commits, rng, branch=()):
    path = os.path.join(out, "repos", name)
    files = {"README.md": f"# {name}\n", "app/main.py": "print('ok')\n"}
    committers = set()
    for p, ident in branch:
        committers.add(p)
    for p, ident, n, coa, _ in commits:
        committers.add(p)
        for c in coa:
            committers.add(c)
    stream = io.BytesIO()
    ts = 1_690_000_000 + rng.randint(0, 10**7)
    planted = []  # [rel, line, author, coauthors, mark, deleted]
    mark = 0
    pending_delete = []
    seq = []
    for c in commits:
        seq.append(("c", c))
        if c[4]:
            seq.append(("d", c))
    first = True
    for op, (p, ident, n, coa, dele) in seq:
        mark += 1
        ts += rng.randint(3600, 4 * 86400)
        changed = {}
        msg = f"update {mark}"
        if first:
            changed.update(files)
            first = False
        if op == "d":
            for pl in planted:
                if pl[2] is p and pl[5] == "pending":
                    changed[pl[0]] = None
                    pl[5] = True
            msg = "remove leaked config"
            ident = p.idents[0]
        elif n:
            rel = f"deploy/{rng.choice(WORDS)}-{len(planted)}.env"
            pre = rng.randint(0, 2)
            body = [f"# {name} settings"] * pre + [secret(rng), "REGION=eu-west-1"]
            changed[rel] = "\n".join(body) + "\n"
            planted.append([rel, pre + 1, p, coa, mark, "pending" if dele else False, ident])
            if coa:
                msg += "\n\n" + "\n".join(f"Co-authored-by: {c.idents[0][0]} <{c.idents[0][1]}>" for c in coa)
        else:
            files["app/main.py"] += f"# {mark}\n"
            changed["app/main.py"] = files["app/main.py"]
        for k, v in changed.items():
            if v is None:
                files.pop(k, None)
            else:
                files[k] = v
        stream.write(b"commit refs/heads/main\nmark :%d\n" % mark)
        sig = f"{ident[0]} <{ident[1]}> {ts} +0000\n".encode()
        stream.write(b"author " + sig + b"committer " + sig)
        m = msg.encode()
        stream.write(b"data %d\n%s\n" % (len(m), m))
        if mark > 1:
            stream.write(b"from :%d\n" % (mark - 1))
        for k in sorted(changed):
            if changed[k] is None:
                stream.write(b"D %s\n" % k.encode())
            else:
                blob = changed[k].encode()
                stream.write(b"M 100644 inline %s\ndata %d\n" % (k.encode(), len(blob)) + blob + b"\n")
        stream.write(b"\n")
    tip = mark
    for p, ident in branch:
        mark += 1
        ts += 3600
        rel = f"scratch/{p.login}-local.env"
        blob = (secret(rng) + "\n").encode()
        planted.append([rel, 1, p, [], mark, True, ident])
        stream.write(b"commit refs/heads/wip/%s\nmark :%d\n" % (p.login.encode(), mark))
        sig = f"{ident[0]} <{ident[1]}> {ts} +0000\n".encode()
        stream.write(b"author " + sig + b"committer " + sig)
        stream.write(b"data 3\nwip\nfrom :%d\n" % tip)
        stream.write(b"M 100644 inline %s\ndata %d\n" % (rel.encode(), len(blob)) + blob + b"\n\n")
    subprocess.run(["git", "init", "-q", "-b", "main", path], check=True, env=GIT_ENV)
    marks = os.path.join(out, ".marks")
    subprocess.run(["git", "-C", path, "fast-import", "--quiet", f"--export-marks={marks}"],
                   input=stream.getvalue(), check=True, env=GIT_ENV)
    subprocess.run(["git", "-C", path, "checkout", "-q", "-f", "main"], check=True, env=GIT_ENV)
    sha = {}
    with open(marks) as f:
        for line in f:
            mk, s = line.split()
            sha[int(mk[1:])] = s
    os.remove(marks)
    for rel, line, author, coa, mk, deleted, ident in planted:
        res = f"{name}@{sha[mk]}:{rel}:{line}" if deleted else f"{name}:{rel}:{line}"
        holders = [author] + list(coa)
        ties = [(h, "authored") for h in holders]
        exposure = [c for c in committers if c not in holders]
        gone = [h for h in holders if h is not None and not h.active()]
        if author is None:
            trap = "secret committed by an outsider"
            co.item(res, "secret_in_repo", "git", trap, ties, exposure, "must", None, ["authored", "orphaned"])
        elif gone:
            # A departed author or co-author knows the value: it must be rotated, and sweep names
            # the departed one (an active co-holder does not make it safe).
            g = gone[0]
            # A departed co-author (Co-authored-by trailer) pair-wrote the change and knows the
            # value as well as the author: `authored` for them (the contract's "committed it" is
            # the closest relation; the trailer is git's own record of a second author).
            if g is not author:
                trap = "secret co-authored by a leaver (Co-authored-by trailer, personal gmail), active author"
            else:
                trap = f"secret authored by a leaver ({ident_kind(g, ident)})" + (
                    ", active co-author" if coa else "")
            if deleted:
                trap += ", only on an unmerged wip/ branch" if "scratch/" in rel else ", history only"
            co.item(res, "secret_in_repo", "git", trap, ties, exposure, "must", g, ["authored", "has_access"])
        else:
            trap = "secret authored by an active person"
            co.item(res, "secret_in_repo", "git", trap, ties, exposure, "must_not")
    # sharper trap labels for the leavers' secrets (which identity was used)
    return


# ----------------------------------------------------------------------------- hosts

def build_hosts(co, out):
    rng = random.Random(co.seed * 15485863)
    r = co.roles
    rn, js, jo, j2, ct, mg, rh, sp = (r[k] for k in ("renamed", "smith", "john", "jane2", "contractor",
                                                      "manager", "rehired", "sponsor"))
    names = ["pay-web-01", "pay-web-02", "batch-01", "ledger-db", "bastion", "ci-runner-03"]
    hosts = {h: {"passwd": ["root:x:0:0:root:/root:/bin/bash",
                            "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin",
                            "postgres:x:113:120:PostgreSQL administrator,,,:/var/lib/postgresql:/bin/bash"],
                 "groups": {"sudo": [], "docker": [], "adm": ["daemon"]}, "files": {}, "uid": 1000,
                 "users": set()} for h in names}
    keys = {}

    def key_for(p):
        if p.email not in keys:
            keys[p.email] = sshkey(rng)
        return keys[p.email]

    def account(h, login, gecos, p, trap, admin=False, rel="is", key_comment=None, key=None, locked=False,
                shell="/bin/bash", record=True, sweep_rels=None):
        H = hosts[h]
        assert login not in H["users"], (h, login)
        uid = H["uid"]
        H["uid"] += 1
        H["users"].add(login)
        H["passwd"].append(f"{login}:x:{uid}:{uid}:{gecos}:/home/{login}:{shell}")
        H["groups"].setdefault(login, [])
        if admin:
            H["groups"]["sudo" if admin is True else admin].append(login)
        if locked:
            H.setdefault("locked", set()).add(login)
        kind = "host_admin" if admin else "host_account"
        if record:
            co.auto(f"{h}:{login}", kind, f"host:{h}", trap, p, rel, sweep_rels)
        if key is not None:
            pub, fp = key
            H["files"].setdefault(f"home/{login}/.ssh/authorized_keys", []).append(f"{pub} {key_comment}")
            return fp
        return None

    def cron(h, login, p, trap, rel="has_access"):
        line = secret(rng)
        pre = rng.randint(0, 2)
        body = ["MAILTO=\"\""] * pre + [f"{rng.randint(0, 59)} * * * * {line} /usr/local/bin/sync.sh"]
        H = hosts[h]
        H["files"][f"var/spool/cron/crontabs/{login}"] = body
        co.auto(f"{h}:/var/spool/cron/crontabs/{login}:{pre + 1}", "secret_on_host", f"host:{h}", trap, p, rel)

    # Ordinary people: an account on one or two hosts, their own key (comments in several styles),
    # some crontab secrets; admins in sudo.
    special = {rn, js, jo, j2, ct, mg, rh}
    spare = []
    for p in co.people:
        if p in special or p is sp or rng.random() > 0.35:
            if p not in special and p is not sp and p.status == "active":
                spare.append(p)
            continue
        for h in rng.sample(names, rng.choice([1, 1, 2])):
            admin = rng.random() < 0.2
            style = rng.randrange(3)
            comment = [p.email, f"{p.login}@{p.first.lower()}-mbp", f"ws-{rng.randint(1000, 9999)}"][style]
            st = "leaver's" if not p.active() else "person's"
            fp = account(h, p.login, f"{p.name},,,", p, f"{st} own host account", admin, key=key_for(p),
                         key_comment=comment)
            kt = ["email comment", "user@host comment", "hostname-only comment"][style]
            co.auto(f"{h}:{p.login}#{fp}", "ssh_authorized_key", f"host:{h}", f"{st} own key in own account ({kt})",
                    p, "owns")
            if rng.random() < 0.25:
                cron(h, p.login, p, f"credential in a {'leaver' if not p.active() else 'person'}'s crontab")

    # [renamed] the old login everywhere; GECOS carries an active sponsor's email (another person):
    # the login is the leaver's listed alias, an exact identifier, so the account is the leaver's
    # (`is`), and the sponsor, who merely requested it, is not its owner.
    rk = key_for(rn)
    host_name_comment = "pay-web-02"   # a key comment that is a bare hostname, nobody's name
    fp = account("pay-web-01", rn.login, f"{rn.oldname},,,sponsor {sp.email}", rn,
                 "renamed leaver's account under the old login, GECOS names an active sponsor",
                 key=rk, key_comment=host_name_comment)
    co.auto(f"pay-web-01:{rn.login}#{fp}", "ssh_authorized_key", "host:pay-web-01",
            "renamed leaver's key (hostname-only comment) in own account", rn, "owns")
    account("batch-01", rn.login, rn.oldname, rn, "renamed leaver's admin account under the old login (no key)",
            admin=True)
    # shared deploy account (sudo) trusting the same key: "the same key elsewhere names them"
    deploy_keys = []
    # options before the key type (from=, no-pty): the same key, the same fingerprint
    deploy_keys.append(f'from="10.20.0.0/16",no-pty,no-port-forwarding {rk[0]} {host_name_comment}')
    co.auto(f"batch-01:deploy#{rk[1]}", "ssh_authorized_key", "host:batch-01",
            "renamed leaver's key in the shared deploy account (hostname comment; same key in own account)",
            rn, "has_access")
    others = spare[:3]
    for p in others:
        k = key_for(p)
        deploy_keys.append(f"{k[0]} {p.email}")
        co.auto(f"batch-01:deploy#{k[1]}", "ssh_authorized_key", "host:batch-01",
                "active person's key in the shared deploy account", p, "has_access")
    H = hosts["batch-01"]
    H["passwd"].append(f"deploy:x:{H['uid']}:{H['uid']}:deploy,,,:/home/deploy:/bin/bash")
    H["uid"] += 1
    H["groups"]["sudo"].append("deploy")
    H["files"]["home/deploy/.ssh/authorized_keys"] = deploy_keys
    # the deploy account itself: active holders remain; the contract does not settle it -> neutral
    co.item("batch-01:deploy", "host_admin", "host:batch-01", "shared deploy account (leaver's key among active ones)",
            [(rn, "has_access")] + [(p, "has_access") for p in others], sweep="neutral")
    # /etc/cron.d job with a user field = the old login, a token inline
    line = secret(rng)
    H["files"]["etc/cron.d/ledger-export"] = ["SHELL=/bin/sh", "PATH=/usr/local/bin:/usr/bin:/bin",
                                              f"15 2 * * * {rn.login} {line} /usr/local/bin/ledger-export"]
    co.auto("batch-01:/etc/cron.d/ledger-export:3", "secret_on_host", "host:batch-01",
            "/etc/cron.d job run as the renamed leaver's old login, token inline", rn, "has_access",
            ["has_access", "owns"])
    # sudoers runas grant onto the `reporting` account: the leaver can become it
    account("batch-01", "reporting", "reporting job,,,", None, "", record=False)
    H["files"]["etc/sudoers.d/reporting"] = [f"{rn.login} ALL=(reporting) NOPASSWD: ALL"]
    co.auto("batch-01:reporting", "host_account", "host:batch-01",
            "account the renamed leaver can become through a sudoers runas grant", rn, "has_access")

    # [smith] Jane's own account under her email's local part; John's `jsmith` account with a
    # crontab secret and the second Jane's account: never Jane-the-leaver's.
    # password locked in shadow (`!`) on the day she left; the account and any key still exist,
    # so it is still a finding (status may be inactive; the contract still lists it).
    account("pay-web-02", js.login, "Jane Smith,,,", js,
            "Jane Smith's own account (email local part, no alias), password locked", locked=True)
    fp = account("bastion", jo.login, "John Smith,,,", jo, "jsmith: John Smith's listed alias, look-alike of Jane Smith",
                 key=key_for(jo), key_comment="jsmith@jsmith-thinkpad")
    co.auto(f"bastion:{jo.login}#{fp}", "ssh_authorized_key", "host:bastion",
            "jsmith's key (John Smith's alias), look-alike of Jane Smith", jo, "owns")
    cron("bastion", jo.login, jo, "credential in jsmith's crontab (John Smith's alias)")
    fp = account("bastion", j2.login, "Jane Smith,,,", j2, "the other Jane Smith's account (same display name)",
                 key=key_for(j2), key_comment="jane@jane-mbp")
    co.auto(f"bastion:{j2.login}#{fp}", "ssh_authorized_key", "host:bastion",
            "the other Jane Smith's key (same display name)", j2, "owns")
    # Jane-the-leaver's key in an active colleague's account (comment: her email)
    col = others[0]
    fpc = account("bastion", col.login, f"{col.name},,,", col, "active colleague's account trusting a leaver's key",
                  key=key_for(js), key_comment=js.email, record=False)
    co.item(f"bastion:{col.login}", "host_account", "host:bastion", "active colleague's account trusting Jane Smith's key",
            [(col, "is"), (js, "has_access")], sweep="neutral")
    co.auto(f"bastion:{col.login}#{fpc}", "ssh_authorized_key", "host:bastion",
            "leaver's key (email comment) in an active colleague's account", js, "has_access")

    # [contractor] login ext_<first> (alias), key comment = personal gmail (alias)
    fp = account("ci-runner-03", ct.login, f"{ct.name} (contractor),,,", ct,
                 "contractor's account (alias login), admin only through the docker group",
                 admin="docker", key=key_for(ct), key_comment=ct.gmail)
    co.auto(f"ci-runner-03:{ct.login}#{fp}", "ssh_authorized_key", "host:ci-runner-03",
            "contractor's key (gmail comment) in own account", ct, "owns")
    cron("ci-runner-03", ct.login, ct, "credential in the contractor's crontab")

    # [manager] own account; a shared `reports` account whose GECOS names the manager's email
    account("ledger-db", mg.login, f"{mg.name},,,", mg, "terminated manager's own account", admin=True)
    account("ledger-db", "reports", f"Reports bot,,,owner {mg.email}", mg,
            "shared account whose GECOS names the terminated manager's email", rel="owns",
            sweep_rels=["owns", "is"])
    line = secret(rng)
    hosts["ledger-db"]["files"]["etc/cron.d/nightly-recon"] = [
        "# reconciliation", f"30 1 * * * {mg.login} {line} /opt/recon/run"]
    co.auto("ledger-db:/etc/cron.d/nightly-recon:2", "secret_on_host", "host:ledger-db",
            "/etc/cron.d job run as the terminated manager's login", mg, "has_access", ["has_access", "owns"])
    # an /etc/cron.d job under an active person's login: not orphaned
    ap = others[1]
    account("ledger-db", ap.login, f"{ap.name},,,", ap, "person's own host account")
    line = secret(rng)
    hosts["ledger-db"]["files"]["etc/cron.d/metrics-push"] = [f"*/5 * * * * {ap.login} {line} /opt/metrics/push"]
    co.auto("ledger-db:/etc/cron.d/metrics-push:1", "secret_on_host", "host:ledger-db",
            "/etc/cron.d job run as an active person's login", ap, "has_access")
    # an account whose GECOS names an active person's email: theirs, not orphaned
    account("ledger-db", "etl", f"ETL loader,,,{ap.email}", ap, "shared account whose GECOS names an active person",
            rel="owns")

    # a token exported in the renamed leaver's own ~/.bashrc
    line = secret(rng)
    hosts["pay-web-01"]["files"][f"home/{rn.login}/.bashrc"] = ["# ~/.bashrc", "alias ll='ls -l'", f"export {line}"]
    co.auto(f"pay-web-01:/home/{rn.login}/.bashrc:3", "secret_on_host", "host:pay-web-01",
            "token exported in the renamed leaver's ~/.bashrc (old login)", rn, "has_access", ["has_access", "owns"])
    # a second key of the renamed leaver in root's authorized_keys, comment = the OLD email (alias)
    rk2 = sshkey(rng)
    hosts["ledger-db"]["files"]["root/.ssh/authorized_keys"] = [f"{rk2[0]} {rn.oldlocal}@{DOM}"]
    co.auto(f"ledger-db:root#{rk2[1]}", "ssh_authorized_key", "host:ledger-db",
            "renamed leaver's key in root's authorized_keys (comment: old email alias)", rn, "has_access")
    # sudoers User_Alias: the terminated manager and an active person may become `ledgerapp`
    ap2 = others[2]
    account("ledger-db", ap2.login, f"{ap2.name},,,", ap2, "person's own host account")
    account("ledger-db", "ledgerapp", "ledger application,,,", None, "", record=False)
    hosts["ledger-db"]["files"]["etc/sudoers.d/ledger"] = [
        f"User_Alias LEDGER_OPS = {mg.login}, {ap2.login}",
        "LEDGER_OPS ALL=(ledgerapp) NOPASSWD: ALL"]
    # the manager can become it (has_access, leaver must); an active person can too, so who is
    # accountable in a sweep is not settled: neutral for sweep.
    co.item("ledger-db:ledgerapp", "host_account", "host:ledger-db",
            "account a sudoers User_Alias (terminated manager + active person) may become",
            [(mg, "has_access"), (ap2, "has_access")], sweep="neutral")
    # rehired: an account under the old login from the first tenure, now listed as an alias on
    # the terminated (old) row only. The person is active again: a security team would not
    # call it departed; the active row wins. (The account may be stale, but that is hygiene.)
    fp = account("pay-web-01", rh.login, f"{rh.name},,,", rh, "rehired person's old-login account (old row terminated)",
                 key=key_for(rh), key_comment=f"{rh.login}@old-laptop")
    co.auto(f"pay-web-01:{rh.login}#{fp}", "ssh_authorized_key", "host:pay-web-01",
            "rehired person's key (old row terminated)", rh, "owns")
    cron("pay-web-01", rh.login, rh, "credential in the rehired person's old-login crontab (old row terminated)")
    # S: a service account named after the renamed leaver in underscores and capitals
    svc_login = tr(f"SVC_{rn.first}_{rn.old}")
    account("batch-01", svc_login, "deploy service,,,", rn,
            "SVC_<First>_<Oldlast> host service account (naming only, old surname)", rel="owns")
    # outsiders (nobody in HR)
    for k, (nm, em) in enumerate(OUTSIDERS[:2]):
        login = em.split("@")[0].replace(".", "")
        h = names[k]
        fp = account(h, login, f"{nm},,,", None, "account of someone HR never knew", key=sshkey(rng),
                     key_comment=em)
        co.item(f"{h}:{login}#{fp}", "ssh_authorized_key", f"host:{h}", "key of someone HR never knew",
                [(None, "owns")], sweep="must", rels=["orphaned"])

    for h, H in hosts.items():
        root = os.path.join(out, "hosts", h)

        def w(rel, lines, mode=0o644):
            pth = os.path.join(root, rel)
            os.makedirs(os.path.dirname(pth), exist_ok=True)
            with open(pth, "w") as f:
                f.write("\n".join(lines) + "\n")
            os.chmod(pth, mode)
        w("etc/hostname", [h])
        w("etc/passwd", H["passwd"])
        w("etc/shadow", [f"{u}:{'!' if u in H.get('locked', ()) else ''}$6$salt$hash:19800:0:99999:7:::"
                         for u in (l.split(':')[0] for l in H["passwd"])], 0o640)
        gl = []
        gid = 27
        for g, mem in H["groups"].items():
            gl.append(f"{g}:x:{gid}:{','.join(mem)}")
            gid += 1
        w("etc/group", gl)
        w("etc/sudoers", ["Defaults\tenv_reset", "root\tALL=(ALL:ALL) ALL", "%sudo\tALL=(ALL:ALL) ALL",
                          "@includedir /etc/sudoers.d"], 0o440)
        for rel, lines in H["files"].items():
            w(rel, lines, 0o600 if "crontabs" in rel or ".ssh" in rel else 0o644)
    return names


# ----------------------------------------------------------------------------- aws

def aws_call(endpoint, service, params):
    import urllib.parse
    import urllib.request
    import xml.etree.ElementTree as ET
    req = urllib.request.Request(endpoint.rstrip("/") + "/", data=urllib.parse.urlencode(params).encode(),
                                 method="POST", headers={
        "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
        "Authorization": f"AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/{service}/aws4_request, "
                         "SignedHeaders=host, Signature=0", "X-Amz-Date": "20260101T000000Z"})
    with urllib.request.urlopen(req, timeout=30) as r:
        root = ET.fromstring(r.read())
    return {el.tag.split("}")[-1]: (el.text or "") for el in root.iter()}


def build_aws(co, ep):
    rng = random.Random(co.seed * 2654435761)
    acct = aws_call(ep, "sts", {"Action": "GetCallerIdentity", "Version": "2011-06-15"})["Account"]
    conn = "aws:eval"
    r = co.roles
    rn, js, jo, ct, mg, rh = (r[k] for k in ("renamed", "smith", "john", "contractor", "manager", "rehired"))

    def iam(action, tags=(), **kw):
        ps = {"Action": action, "Version": "2010-05-08", **kw}
        for i, (k, v) in enumerate(tags, 1):
            ps[f"Tags.member.{i}.Key"], ps[f"Tags.member.{i}.Value"] = k, v
        return aws_call(ep, "iam", ps)

    def user(name, tags, p, rel, trap, sweep_rels=None, keys=1):
        iam("CreateUser", tags, UserName=name)
        arn = f"arn:aws:iam::{acct}:user/{name}"
        co.auto(arn, "aws_iam_user", conn, trap, p, rel, sweep_rels)
        for _ in range(keys):
            kid = iam("CreateAccessKey", UserName=name)["AccessKeyId"]
            krel = "created" if rel == "is" else rel
            co.auto(f"{arn}#{kid}", "aws_access_key", conn, "access key of " + trap, p, krel,
                    None if sweep_rels is None else sorted(set(sweep_rels) | {krel}))
        return arn

    def role(name, trust_stmt, tags, ties, trap, sweep, owner=None, rels=None):
        doc = {"Version": "2012-10-17", "Statement": [trust_stmt]}
        iam("CreateRole", tags, RoleName=name, AssumeRolePolicyDocument=json.dumps(doc))
        arn = f"arn:aws:iam::{acct}:role/{name}"
        co.item(arn, "aws_iam_role", conn, trap, ties, sweep=sweep, owner=owner, rels=rels)
        return arn

    special = {rn, js, jo, ct, mg, rh, r["jane2"]}
    uarn = {}
    for p in co.people:
        if p in special or rng.random() > 0.12:
            continue
        style = rng.randrange(3)
        name = [p.local, p.email, p.login][style]
        st = "leaver's" if not p.active() else "person's"
        uarn[p.email] = user(name, [], p, "is", f"{st} own IAM user ({['local part', 'email as name', 'login'][style]})")
    # [renamed] IAM user named with the OLD email address (an alias), SVC_ upper-case service user
    rarn = user(f"{rn.oldlocal}@{DOM}", [], rn, "is", "renamed leaver's IAM user named with the old email (alias)",
                keys=2)
    # deactivate one key: an inactive key is still a credential to delete
    kid = next(r.split("#")[1] for r in co.items if r.startswith(rarn + "#"))
    iam("UpdateAccessKey", UserName=f"{rn.oldlocal}@{DOM}", AccessKeyId=kid, Status="Inactive")
    co.items[f"{rarn}#{kid}"]["trap"] += " (key deactivated)"
    # 18: ownership already handed over: naming says the leaver, the owner tag names an active
    # person. The exact tag beats the naming hint (README precedence): not the leaver's, and not
    # orphaned.
    heir = next(p for p in co.people if p.status == "active" and p not in special)
    user(f"svc-{rn.login}-etl", [("owner", heir.email)], heir, "owns",
         "svc-<leaver login>-etl handed over: owner tag = an active person (naming says the leaver)")
    user(tr(f"SVC_{rn.first}_{rn.old}_Deploy"), [], rn, "owns",
         "SVC_<First>_<Oldlast>_Deploy service user (naming only, old surname)", ["owns"])
    # a role trusting the account root, scoped by a PrincipalArn condition to the leaver's user
    role(f"ledger-breakglass", {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{acct}:root"},
                                "Action": "sts:AssumeRole",
                                "Condition": {"ArnEquals": {"aws:PrincipalArn": rarn}}}, [],
         [(rn, "has_access")], "role trusting the account root, conditioned on the renamed leaver's IAM user",
         "must", rn, ["has_access"])
    # [smith] jsmith is John's (aws: alias); jane.smith is the leaver's (local part)
    user("jsmith", [], jo, "is", "jsmith: John Smith's aws: alias, look-alike of Jane Smith")
    user(js.local, [], js, "is", "Jane Smith's IAM user (email local part)")
    # [contractor] by aws: alias; a service user tagged created_by = the contractor's gmail
    user(f"ext-{ct.first.lower()}", [], ct, "is", "contractor's IAM user (aws: alias)")
    iam("CreateUser", [], UserName=ct.gmail, Path="/contractors/")
    garn = f"arn:aws:iam::{acct}:user/contractors/{ct.gmail}"
    co.auto(garn, "aws_iam_user", conn, "contractor's IAM user named with the personal gmail (alias), path /contractors/",
            ct, "is")
    user(f"svc-{rng.choice(WORDS)}-sync", [("OwnerEmail", f"{rn.oldlocal}@{DOM}")], rn, "owns",
         "service user tagged OwnerEmail = the renamed leaver's OLD email (alias)", ["owns"])
    # owner tag with a bare username: `jsmith` is John Smith's listed alias, never Jane-the-leaver's
    user(f"svc-{rng.choice(WORDS)}-smithbot", [("owner", "jsmith")], jo, "owns",
         "service user tagged owner=jsmith (John Smith's alias), look-alike of Jane Smith")
    user(f"svc-{rng.choice(WORDS)}-uploader", [("created_by", ct.gmail)], ct, "owns",
         "service user tagged created_by = the contractor's personal gmail (alias)", ["owns", "created"])
    # [manager] a service user tagged with the manager's employee id (HR's stable id)
    user(f"svc-{rng.choice(WORDS)}-recon", [("owner", mg.emp)], mg, "owns",
         "service user tagged owner = the terminated manager's employee id", ["owns"])
    # [manager] role tagged Owner=Team Payments + contact=<manager>
    svc = {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    role("payments-batch", svc, [("Owner", "Team Payments"), ("contact", mg.email)], [(mg, "owns")],
         "role tagged Owner=Team Payments and contact = the terminated manager", "must", mg, ["owns"])
    # Owner=Team <X> only: nobody accountable. A team is not a roster person, so sweep calls it
    # orphaned (owner null); a leaver scan must not pin it on any one member of that team.
    for t in ("Team Payments", "Team Risk"):
        user(f"svc-{t.split()[1].lower()}-reporter", [("Owner", t)], None, "owns",
             f"service user tagged Owner={t} only (no person)", ["orphaned"])
    # service users tagged with a person's email in the spellings teams use
    spell = ["OwnerEmail", "owner", "Contact", "maintainer", "CreatedBy"]
    pool = [p for p in co.people if p not in special]
    for k in range(8):
        p = rng.choice(pool)
        tag = rng.choice(spell)
        val = rng.choice([p.email, f"{p.name} <{p.email}>", p.email.upper()])
        user(f"svc-{rng.choice(WORDS)}-{k}", [(tag, val)], p, "owns",
             f"service user tagged {tag} = a {'leaver' if not p.active() else 'person'}", ["owns"])
    # a role trusting an active person's IAM user
    act = [e for e, a in uarn.items() if co_get(co, e).active()]
    if act:
        p = co_get(co, act[0])
        role("analytics-readonly", {"Effect": "Allow", "Principal": {"AWS": uarn[act[0]]}, "Action": "sts:AssumeRole"},
             [], [(p, "has_access")], "role trusting an active person's IAM user", "must_not")
    # an account-root trust with nobody named: neutral (no person, not an AWS-managed role either)
    role("cross-team-audit", {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{acct}:root"},
                              "Action": "sts:AssumeRole"}, [], [], "account-root trust naming nobody", "neutral")
    # rehired person: IAM user under the old login (listed on the old, terminated row only)
    user(rh.login, [], rh, "is", "rehired person's IAM user under the old login (old row terminated)")


def co_get(co, email):
    return next(p for p in co.people if p.email == email)


# ----------------------------------------------------------------------------- truth

def look_alikes(co, p):
    return {q.email for q in co.people if q is not p and (q.first == p.first or q.last == p.last)}


def truth(co, hosts):
    leavers = []
    for role in ("renamed", "smith", "contractor", "manager"):
        p = co.roles[role]
        la = look_alikes(co, p)
        must, must_not = [], []
        for res, it in sorted(co.items.items()):
            tied = [t for t in it["ties"] if t["person"] == p.email]
            if tied:
                must.append({"kind": it["kind"], "resource": res, "owner": p.email,
                             "relation": tied[0]["relation"], "trap": it["trap"]})
            elif p.email in it["exposure"]:
                must_not.append({"kind": it["kind"], "resource": res,
                                 "why": "exposure only (committed to the repository): opt-in behind --exposure"})
            elif any(t["person"] in la for t in it["ties"]):
                must_not.append({"kind": it["kind"], "resource": res, "why": f"a look-alike's item ({it['trap']})"})
        leavers.append({"email": p.email, "role": role, "name": p.name, "login": p.login, "risk": p.risk,
                        "must": must, "must_not": must_not})
    items = co.items
    return {
        "generator": "benches/attribution/gen_heldout.py", "seed": co.seed, "people": co.n, "hosts": hosts,
        "leavers": leavers,
        "sweep": {"must": [{"kind": it["kind"], "resource": r, "owner": it["sweep_owner"],
                            "relations": it["sweep_relations"], "trap": it["trap"]}
                           for r, it in sorted(items.items()) if it["sweep"] == "must"],
                  "must_not": [{"kind": it["kind"], "resource": r, "why": it["trap"]}
                               for r, it in sorted(items.items()) if it["sweep"] == "must_not"]},
        "items": items,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--people", type=int, default=300)
    ap.add_argument("--out", required=True)
    ap.add_argument("--aws", metavar="ENDPOINT")
    a = ap.parse_args()
    if a.people < 40:
        ap.error("--people must be at least 40")
    if os.path.exists(a.out):
        shutil.rmtree(a.out)
    os.makedirs(os.path.join(a.out, "hr"))
    co = Co(a.seed, a.people)
    build_people(co)
    write_hr(co, a.out)
    build_repos(co, a.out)
    hosts = build_hosts(co, a.out)
    if a.aws:
        build_aws(co, a.aws)
    roots = ", ".join(json.dumps(f"hosts/{h}") for h in hosts)
    with open(os.path.join(a.out, "nhiscan.toml"), "w") as f:
        f.write("# generated by benches/attribution/gen_heldout.py\n[hr]\nroster = \"hr/roster.csv\"\n"
                "extra = [\"hr/contractors.csv\"]\n\n[[connector]]\ntype = \"git\"\npaths = [\"repos\"]\n\n"
                f"[[connector]]\ntype = \"host\"\nroots = [{roots}]\n")
        if a.aws:
            f.write(f"\n[[connector]]\ntype = \"aws\"\nname = \"eval\"\nendpoint_url = \"{a.aws}\"\ncloudtrail = false\n")
    open(os.path.join(a.out, ".nhiscanignore"), "w").close()
    t = truth(co, hosts)
    with open(os.path.join(a.out, "truth.json"), "w") as f:
        json.dump(t, f, indent=1, sort_keys=True)
    print(f"heldout company: seed {a.seed}, {a.people} people, {len(os.listdir(os.path.join(a.out, 'repos')))} repos, "
          f"{len(hosts)} hosts, {len(co.items)} items, {len(t['sweep']['must'])} sweep musts -> {a.out}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
