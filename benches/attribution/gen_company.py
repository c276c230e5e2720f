#!/usr/bin/env python3
"""Seeded company for the attribution evaluation (issue 8): an nhiscan environment plus the truth.

  gen_company.py --seed N [--people P] --out DIR

Writes, deterministically for (seed, people):
  DIR/hr/roster.csv        employees (contract columns), look-alike names, aliases only some
                           systems know, people on leave, terminated managers
  DIR/hr/contractors.csv   contractors, only here ([hr] extra)
  DIR/repos/<name>/        git repositories built with `git fast-import` (fixed authors, emails,
                           dates); secrets planted by known authors, some by people HR never knew,
                           CODEOWNERS naming active leads in some
  DIR/hosts/<name>/        host snapshot roots: etc/hostname, passwd, group, shadow, sudoers,
                           home/*/.ssh/authorized_keys, var/spool/cron/crontabs/*
  DIR/nhiscan.toml         [hr] roster + extra, a git connector over repos/, a host connector
  DIR/truth.json           what `nhiscan leaver` (for a few chosen leavers) and `nhiscan sweep`
                           must and must not report, derived from the generator's own ground truth
                           (who made, owns or holds each item), never from running nhiscan

Traps (placed at random positions): shared first names; surname prefixes (a leaver `alice`, an
active `alice.<surname>` whose items carry the token `alice`); a person whose username is another
person's first name; aliases only some systems know (noreply commit emails behind `github:`,
an old-domain commit address, a host login listed only as a roster alias); contractors only in
contractors.csv (committing from a personal address the roster lists); people on leave with items;
terminated managers; outsiders nobody in HR knew committing secrets and holding host accounts;
active people's own accounts, keys (comment `user@macbook`) and crontab secrets (weak tie only);
a shared `deploy` account in `sudo` trusting a leaver's laptop key; a nologin
`svc-<leaver>-backup`; an account `<leaver>-build` whose GECOS names the look-alike's email;
secrets in repositories a leaver merely committed to (exposure).

With --aws ENDPOINT (a fresh moto server; benches/attribution.sh starts one with AWS=1) it also
seeds IAM users, access keys, owner tags in the spellings teams use, AWS-created roles
(`AWSReservedSSO_*` under /aws-reserved/, OrganizationAccountAccessRole), a role trusting a
leaver's IAM user, and an IAM user named with a leaver's token but tagged with the look-alike's
email, and adds an `aws` connector (name `eval`). Without it the truth has no `aws` items, and
the scorer prints n/a for aws.

Truth format (truth.json):
  items: {resource: {kind, connector, trap, ties: [{person, relation}], exposure: [person],
          sweep: "must"|"must_not"|"neutral", sweep_owner, sweep_relations}}
    `person` is a roster email, or null for someone HR never knew. `ties` are the people the
    item really belongs to or is really held by; `exposure` are people who could merely read it.
  leavers: [{email, role, must: [{kind, resource, owner, relation}], must_not: [{kind, resource,
            why}]}]
  sweep: {must: [...], must_not: [...]}
Neutral items (left out of every set) are those whose expected outcome the contract and issue 8
do not settle: the deploy account's CI key, a svc-<leaver>-backup in the sweep, an active
person's account that trusts a leaver's key (the key itself is in the truth).
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

sys.dont_write_bytecode = True

DOMAIN = "acme.example"
CDOMAIN = "contractors.example"

FIRST = ("Alice Aaron Adam Aisha Alan Amir Ana Andre Anya Arjun Ava Ben Bea Boris Caleb Cara Chen "
         "Chloe Chris Dana Dara Dev Diego Dina Eli Ella Emil Emma Eric Eva Farah Felix Fiona Gabe "
         "Gina Greg Hana Hugo Ian Ines Ira Isla Jack Jade Jai Jana Joel Jon Kai Kara Kim Kofi Lara "
         "Leo Lena Liam Lina Luca Maya Mia Milo Morgan Nia Nico Nina Noah Nora Omar Owen Paula Pedro "
         "Petra Raj Reed Rosa Ruth Sam Sara Sean Sofia Tara Theo Tom Uma Vera Vik Wen Yuki Zane "
         "Zoe").split()
LAST = ("Abbott Ali Alvarez Archer Becker Bianchi Brown Cho Costa Cruz Dang Dubois Ekwueme Ellis "
        "Fernandes Fox Gupta Haas Hale Horvat Ivanova Jensen Kaur Khan Klein Kowalski Laine Lee "
        "Lind Malik Meyer Mori Nagy Nguyen Nilsen Novak Obi Olsen Ortiz Park Perez Popescu Rao "
        "Reyes Roth Saito Schmidt Shah Silva Smithson Sokolov Stone Suzuki Tan Tate Torres Ueda "
        "Varga Vogel Wang Weber Wong Yadav Young Zhang Zimmer").split()
# Outsiders (nobody in HR): names that share no token with anyone on the roster.
OUT_FIRST = "Xavi Quill Ysolde Thaddeus Orrin Wilhelmina Zebedee Ulric Philippa Barnaby".split()
OUT_LAST = "Quint Ostrander Vexley Marchbank Thistlewood Brackwater Penhallow Drumm".split()
WORDS = ("billing ledger payments search catalog orders auth gateway metrics reports inventory "
         "shipping checkout profile notify export import sync backup media").split()
SUFFIX = ["api", "svc", "infra", "tools", "web", "worker"]

ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


# ----------------------------------------------------------------------------- secret values
# Random values in each vendor's shape (none has ever been valid), one per line.

def _rs(rng, alphabet, n):
    return "".join(rng.choice(alphabet) for _ in range(n))


def _crc_b62(s):
    import zlib
    c = zlib.crc32(s.encode()) & 0xFFFFFFFF
    out = ""
    while c:
        c, d = divmod(c, 62)
        out = B62[d] + out
    return out.rjust(6, "0")


def secret_line(rng):
    """(KEY=value line, short type)."""
    t = rng.choice(["ghp", "stripe", "slack", "glpat", "npm"])
    if t == "ghp":
        body = _rs(rng, ALNUM, 30)
        return f"GITHUB_TOKEN=ghp_{body}{_crc_b62(body)}", t
    if t == "npm":
        body = _rs(rng, ALNUM, 30)
        return f"NPM_TOKEN=npm_{body}{_crc_b62(body)}", t
    if t == "stripe":
        return f"STRIPE_SECRET_KEY=sk_live_{_rs(rng, ALNUM, 24)}", t
    if t == "slack":
        return (f"SLACK_BOT_TOKEN=xoxb-{rng.randint(10**10, 10**12)}-{rng.randint(10**10, 10**12)}-"
                f"{_rs(rng, ALNUM, 24)}"), t
    return f"GITLAB_TOKEN=glpat-{_rs(rng, ALNUM, 20)}", t


def ssh_key(rng):
    """(public key text without comment, fingerprint as ssh-keygen -lf prints it)."""
    blob = struct.pack(">I", 11) + b"ssh-ed25519" + struct.pack(">I", 32) + rng.randbytes(32)
    fp = "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    return "ssh-ed25519 " + base64.b64encode(blob).decode(), fp


# ----------------------------------------------------------------------------- people

class Person:
    def __init__(self, **kw):
        self.__dict__.update(kw)

    def active(self):
        return self.status in ("active", "leave")


class Company:
    def __init__(self, seed, n):
        self.rng = random.Random(seed)
        self.seed = seed
        self.n = n
        self.people = []
        self.next_id = 0
        self.local_parts = set()
        self.full_names = set()
        self.by_email = {}
        self.items = {}      # resource -> item
        self.leavers = []    # (role, Person)
        self.roles = {}

    # -- people
    def _free(self, local):
        return local not in self.local_parts

    def add_person(self, first, last, status="active", typ="employee", local=None, risk="standard",
                   emp_id=None):
        rng = self.rng
        if local is None:
            cands = []
            if rng.random() < 0.3:
                cands.append(first.lower())
            cands += [f"{first}.{last}".lower(), (first[0] + last).lower()]
            local = next((c for c in cands if self._free(c)), None)
            k = 2
            while local is None:
                c = f"{first}.{last}{k}".lower()
                local = c if self._free(c) else None
                k += 1
        assert self._free(local), local
        self.local_parts.add(local)
        self.full_names.add((first, last))
        dom = CDOMAIN if typ == "contractor" else DOMAIN
        i = self.next_id
        self.next_id += 1
        p = Person(first=first, last=last, name=f"{first} {last}", local=local,
                   email=f"{local}@{dom}", status=status, typ=typ, risk=risk,
                   emp_id=emp_id or (f"C{5000 + i}" if typ == "contractor" else f"E{10000 + i}"),
                   end_date="", manager=None, aliases=[], gh=None, login=local, commit_ids=[],
                   key=None, reports=0)
        if status == "terminated":
            p.end_date = f"2026-{rng.randint(1, 11):02d}-{rng.randint(1, 28):02d}"
        # Aliases only some systems know.
        if rng.random() < 0.5:
            p.gh = f"{local.replace('.', '-')}-{rng.choice(['dev', 'gh', 'code'])}"
            p.aliases.append(f"github:{p.gh}")
        if rng.random() < 0.2:
            p.aliases.append(f"aws:{local}")
        if rng.random() < 0.25:
            # a host login that differs from the email's local part, known to HR only as an alias
            alt = (first[0] + last).lower() + str(rng.randint(2, 9))
            if self._free(alt):
                self.local_parts.add(alt)
                p.login = alt
                p.aliases.append(alt)
        elif rng.random() < 0.3:
            p.aliases.append(local)
        if rng.random() < 0.15:
            p.aliases.append(f"{first}.{last}@acme-old.example".lower())
        # How they appear as a commit author.
        p.commit_ids = [(p.name, p.email)]
        if p.gh:
            p.commit_ids.append((p.name, f"{100000 + i}+{p.gh}@users.noreply.github.com"))
        old = [a for a in p.aliases if a.endswith("@acme-old.example")]
        if old:
            p.commit_ids.append((p.name, old[0]))
        pub, fp = ssh_key(rng)
        comment = f"{p.login}@{rng.choice(['macbook', 'laptop', 'workstation'])}" \
            if rng.random() < 0.6 else p.email
        if old and rng.random() < 0.3:
            comment = old[0]  # an address only the roster's aliases know
        p.key = (pub, fp, comment)
        self.people.append(p)
        self.by_email[p.email] = p
        return p

    def fresh_name(self, first=None, last=None):
        rng = self.rng
        for _ in range(1000):
            f = first or rng.choice(FIRST)
            ln = last or rng.choice(LAST)
            if (f, ln) not in self.full_names:
                return f, ln
        raise RuntimeError("name space exhausted")

    def build_people(self):
        rng = self.rng
        n = self.n
        # Planted traps, at random positions of the roster.
        special = []
        # 1. look-alike: leaver `alice` (username = first name), active `alice.smithson`.
        f = rng.choice([x for x in FIRST if x.lower() not in self.local_parts])
        s1, s2 = rng.sample(LAST, 2)
        lk = self.add_person(f, s1, status="terminated", local=f.lower())
        la = self.add_person(f, s2, status="active", local=f"{f}.{s2}".lower())
        la.aliases.append(f"aws:{la.local}")
        la.commit_ids.append((f, la.email))  # commits signed with the shared first name only
        if not la.gh:
            la.gh = f"{la.local.replace('.', '-')}-dev"
            la.aliases.append(f"github:{la.gh}")
            la.commit_ids.append((la.name, f"{200000 + len(self.people)}+{la.gh}@users.noreply.github.com"))
        # a third person with the same first name (shared first names)
        f3, l3 = self.fresh_name(first=f)
        self.add_person(f3, l3, status="active", local=(f3[0] + l3).lower() + "x"
                        if not self._free((f3[0] + l3).lower()) else (f3[0] + l3).lower())
        self.roles["lookalike_leaver"] = lk
        self.roles["lookalike_active"] = la
        # 2. high-risk leaver with a github alias (commits from the noreply address)
        f, ln = self.fresh_name()
        hr = self.add_person(f, ln, status="terminated", risk="high", local=f"{f}.{ln}".lower())
        if not hr.gh:
            hr.gh = f"{hr.local.replace('.', '-')}-gh"
            hr.aliases.append(f"github:{hr.gh}")
            hr.commit_ids.append((hr.name, f"{300000}+{hr.gh}@users.noreply.github.com"))
        self.roles["high_risk_leaver"] = hr
        # 3. terminated manager whose first name is an active person's username
        mf = rng.choice([x for x in FIRST if x.lower() not in self.local_parts])
        ml1, ml2 = rng.sample([x for x in LAST if x not in (s1, s2)], 2)
        mg = self.add_person(mf, ml1, status="terminated", local=(mf[0] + ml1).lower())
        mu = self.add_person(mf, ml2, status="active", local=mf.lower())
        self.roles["manager_leaver"] = mg
        self.roles["username_is_first_name"] = mu
        # 4. contractor only in contractors.csv, committing from a personal address
        f, ln = self.fresh_name()
        co = self.add_person(f, ln, status="terminated", typ="contractor", local=f"{f}.{ln}".lower())
        personal = f"{f}.{ln}.dev@gmail.example".lower()
        co.aliases.append(personal)
        co.commit_ids = [(co.name, personal)]
        self.roles["contractor_leaver"] = co
        # 5. on leave, with items (an active owner)
        f, ln = self.fresh_name()
        lv = self.add_person(f, ln, status="leave")
        self.roles["on_leave"] = lv
        special = list(self.people)
        self.people = []
        # Everyone else.
        while len(self.people) + len(special) < n:
            f, ln = self.fresh_name()
            x = rng.random()
            status = "terminated" if x < 0.08 else "leave" if x < 0.11 else "active"
            typ = "contractor" if rng.random() < 0.08 else "employee"
            self.add_person(f, ln, status=status, typ=typ)
        rest = self.people
        self.people = []
        for p in special:
            rest.insert(rng.randrange(len(rest) + 1), p)
        self.people = rest
        # Managers: a tree; the manager leaver manages a few, and has a terminated manager.
        for i, p in enumerate(self.people):
            if i == 0:
                continue
            m = self.people[rng.randrange(0, max(1, min(i, 30)))]
            if m is not p:
                p.manager = m
        reports = [p for p in self.people if p is not mg and p.manager is not mg]
        for p in rng.sample(reports, min(4, len(reports))):
            p.manager = mg
        bosses = [p for p in self.people if p.status == "terminated" and p is not mg]
        if bosses:
            mg.manager = rng.choice(bosses)
        self.leavers = [("lookalike", lk), ("high_risk", hr), ("terminated_manager", mg),
                        ("contractor", co)]

    def write_hr(self, out):
        cols = ["employee_id", "email", "name", "status", "end_date", "type", "manager_email",
                "aliases", "risk"]
        for fname, want in (("roster.csv", False), ("contractors.csv", True)):
            with open(os.path.join(out, "hr", fname), "w", newline="") as f:
                w = csv.writer(f, lineterminator="\n")
                w.writerow(cols)
                for p in self.people:
                    if (p.typ == "contractor") != want:
                        continue
                    w.writerow([p.emp_id, p.email, p.name, p.status, p.end_date, p.typ,
                                p.manager.email if p.manager else "", ";".join(p.aliases), p.risk])

    # -- items
    def item(self, resource, kind, connector, trap, ties, exposure=(), sweep="neutral",
             sweep_owner=None, sweep_relations=None):
        assert resource not in self.items, resource
        self.items[resource] = {
            "kind": kind, "connector": connector, "trap": trap,
            "ties": [{"person": (p.email if p else None), "relation": r} for p, r in ties],
            "exposure": sorted({p.email for p in exposure}),
            "sweep": sweep,
            "sweep_owner": sweep_owner.email if sweep_owner else None,
            "sweep_relations": sweep_relations or [],
        }


# ----------------------------------------------------------------------------- git

def build_repos(co, out):
    rng = co.rng
    people = co.people
    nrepos = max(6, co.n // 10)
    r = co.roles
    lk, la, hr, mg, cnt, lv = (r["lookalike_leaver"], r["lookalike_active"], r["high_risk_leaver"],
                               r["manager_leaver"], r["contractor_leaver"], r["on_leave"])
    names = []
    for i in range(nrepos):
        names.append(f"{rng.choice(WORDS)}-{rng.choice(SUFFIX)}-{i:03d}")
    teams = [rng.sample(people, rng.randint(2, 6)) for _ in range(nrepos)]
    # (repo index, person, planted secrets authored by them)
    plan = [[(p, rng.choice([0, 0, 1, 1, 2])) for p in t] for t in teams]

    def put(person, secrets, idx=None):
        idx = rng.randrange(nrepos) if idx is None else idx
        plan[idx].append((person, secrets))
        return idx

    # Planted relations with the leavers and their look-alikes, at random repositories.
    shared = put(lk, 1)
    put(la, 2, shared)          # the look-alike's secrets where the leaver commits too
    put(la, 1)
    put(lk, 0)                  # the leaver only committed here: exposure
    put(lk, 1)
    put(hr, 2)
    put(hr, 1)                  # from the noreply address (chosen below)
    put(hr, 0)
    put(hr, 0)                  # exposure x2
    led = put(mg, 1)               # and CODEOWNERS names them there: they own its secrets
    put(mg, 0)
    put(r["username_is_first_name"], 2)
    put(cnt, 1)
    put(cnt, 0)
    put(lv, 1)
    outsiders = []
    for k in range(max(2, nrepos // 10)):
        f, ln = OUT_FIRST[k % len(OUT_FIRST)], OUT_LAST[(k * 3) % len(OUT_LAST)]
        outsiders.append(((f"{f} {ln}"), f"{f.lower()}{rng.randint(10, 99)}@gmail.example"))
    out_plan = [(rng.randrange(nrepos), o) for o in outsiders]

    os.makedirs(os.path.join(out, "repos"), exist_ok=True)
    for i, name in enumerate(names):
        build_repo(co, out, name, plan[i], [o for j, o in out_plan if j == i], i, mg if i == led else None)


# git without the user's or the system's config, so every machine builds the same repositories.
GIT_ENV = dict(os.environ, GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1")


def build_repo(co, out, name, plan, outsiders, idx, leaver_lead=None):
    rng = random.Random(co.seed * 1_000_003 + idx)
    path = os.path.join(out, "repos", name)
    # Deduplicate people (a person may be planted twice): sum their secrets.
    members = {}
    for p, s in plan:
        members[p.email] = (p, members.get(p.email, (p, 0))[1] + s)
    events = []   # (author (name, email), person|None, n_secrets)
    for p, s in members.values():
        ident = rng.choice(p.commit_ids)
        events.append((ident, p, 0))
        for _ in range(s):
            events.append((rng.choice(p.commit_ids), p, 1))
    for o in outsiders:
        events.append((o, None, 0))
        events.append((o, None, 1))
    rng.shuffle(events)
    # CODEOWNERS: an active lead in some repositories.
    actives = [p for p, _ in members.values() if p.status == "active"]
    lead = None
    files = {}
    if actives and rng.random() < 0.4:
        lead = rng.choice(actives)
    if leaver_lead is not None:
        lead = leaver_lead
    if lead is not None:
        ref = f"@{lead.gh}" if lead.gh and rng.random() < 0.5 else lead.email
        files[".github/CODEOWNERS"] = f"* {ref}\n"
    files["README.md"] = f"# {name}\n"
    files["src/main.py"] = "\n".join(f"def step_{k}():\n    return {k}" for k in range(5)) + "\n"
    committers = {p.email: p for _, p, _ in events if p is not None}
    ts = 1_700_000_000 + rng.randint(0, 10**7)
    stream = io.BytesIO()
    planted = []  # (path, line, author person or None, author ident)
    first = True
    for mark, (ident, p, nsec) in enumerate(events, start=1):
        ts += rng.randint(3600, 5 * 86400)
        changed = set()
        if first:
            changed |= set(files)
            first = False
        if nsec:
            k = len(planted)
            rel = f"config/{rng.choice(WORDS)}-{k}.env"
            pre = rng.randint(0, 3)
            line, _ = secret_line(rng)
            body = [f"# settings {j}" for j in range(pre)] + [line, "LOG_LEVEL=info"]
            files[rel] = "\n".join(body) + "\n"
            changed.add(rel)
            planted.append((rel, pre + 1, p, ident))
        else:
            s = files["src/main.py"].split("\n")
            s.append(f"# touched {mark}")
            files["src/main.py"] = "\n".join(s)
            changed.add("src/main.py")
        stream.write(b"commit refs/heads/main\nmark :%d\n" % mark)
        sig = f"{ident[0]} <{ident[1]}> {ts} +0000\n".encode()
        stream.write(b"author " + sig + b"committer " + sig)
        msg = f"change {mark}".encode()
        stream.write(b"data %d\n%s\n" % (len(msg), msg))
        if mark > 1:
            stream.write(b"from :%d\n" % (mark - 1))
        for fp in sorted(changed):
            blob = files[fp].encode()
            stream.write(b"M 100644 inline %s\ndata %d\n" % (fp.encode(), len(blob)))
            stream.write(blob + b"\n")
        stream.write(b"\n")
    subprocess.run(["git", "init", "-q", "-b", "main", path], check=True, env=GIT_ENV)
    subprocess.run(["git", "-C", path, "fast-import", "--quiet"], input=stream.getvalue(), check=True,
                   env=GIT_ENV)
    subprocess.run(["git", "-C", path, "checkout", "-q", "-f", "main"], check=True, env=GIT_ENV)
    # Ground truth for each secret.
    for rel, line, author, ident in planted:
        resource = f"{name}:{rel}:{line}"
        ties = [(author, "authored")]
        if lead is not None and lead is not author:
            ties.append((lead, "owns"))
        exposure = [c for e, c in committers.items() if author is None or e != author.email]
        exposure = [c for c in exposure if c is not lead]
        if author is None:
            trap = "secret committed by someone HR never knew"
            sweep, owner, rels = "must", None, ["authored", "orphaned"]
        elif not author.active():
            trap = "secret authored by a leaver" + (
                " (noreply address)" if "noreply" in ident[1] else
                " (personal address in contractors.csv)" if "gmail" in ident[1] else
                " (old-domain alias)" if "acme-old" in ident[1] else "")
            sweep, owner, rels = "must", author, ["authored"]
        else:
            trap = "secret authored by an active person" + (" (on leave)" if author.status == "leave" else "")
            if author is co.roles["lookalike_active"]:
                trap = "secret authored by the look-alike (alice.<surname>)"
            sweep, owner, rels = "must_not", None, []
            if lead is not None and not lead.active():
                # an active author, a departed CODEOWNERS owner: issue 8 does not say
                trap += ", CODEOWNERS names a leaver"
                sweep = "neutral"
        if lead is not None and not lead.active() and lead is not author:
            trap += " (CODEOWNERS: the leaver owns it)"
        co.item(resource, "secret_in_repo", "git", trap, ties, exposure, sweep, owner, rels)


# ----------------------------------------------------------------------------- hosts

def build_hosts(co, out):
    rng = co.rng
    nh = max(4, co.n // 30)
    r = co.roles
    lk, la, hr, mg, cnt, lv, mu = (r["lookalike_leaver"], r["lookalike_active"],
                                   r["high_risk_leaver"], r["manager_leaver"],
                                   r["contractor_leaver"], r["on_leave"],
                                   r["username_is_first_name"])
    hosts = [f"{rng.choice(['web', 'db', 'app', 'batch', 'cache', 'ci'])}-{i:02d}" for i in range(nh)]
    members = [set() for _ in range(nh)]
    for h in range(nh):
        for p in rng.sample(co.people, min(len(co.people), rng.randint(8, 20))):
            members[h].add(p.email)

    def on(p, k=1):
        hs = rng.sample(range(nh), k)
        for h in hs:
            members[h].add(p.email)
        return hs

    on(lk, 2)
    on(la, 2)
    on(hr, 2)
    on(mg, 1)
    on(mu, 2)
    on(lv, 1)
    on(cnt, 1)
    deploy_leaver = {h: [] for h in range(nh)}
    for h in rng.sample(range(nh), 2):
        deploy_leaver[h].append(hr)                    # class 3: hr's laptop key in deploy
    root_leaver = {h: [] for h in range(nh)}
    root_leaver[rng.randrange(nh)].append(mg)          # mg's key in root's authorized_keys
    # a leaver's key in an active colleague's account
    guest = {}
    for h in rng.sample(range(nh), 2):
        host_actives = [e for e in members[h] if co.by_email[e].status == "active"
                        and co.by_email[e] not in (la, mu)]
        if host_actives:
            guest[(h, rng.choice(sorted(host_actives)))] = lk if not guest else mg
    backup, backup_active = {}, {}
    for p in (hr, lk):
        backup.setdefault(rng.randrange(nh), []).append(p)
    for p in (la, mu):
        backup_active.setdefault(rng.randrange(nh), []).append(p)
    outsider_hosts = set(rng.sample(range(nh), max(1, nh // 3)))
    co.build_account_host = rng.randrange(nh)  # `<leaver>-build`, whose GECOS names the look-alike
    os.makedirs(os.path.join(out, "hosts"), exist_ok=True)
    for h, hn in enumerate(hosts):
        build_host(co, out, hn, h, [co.by_email[e] for e in sorted(members[h])],
                   deploy_leaver[h], root_leaver[h], guest, backup.get(h, []),
                   backup_active.get(h, []), h in outsider_hosts)
    return hosts


def build_host(co, out, hn, h, people, deploy_keys, root_keys, guest, backup, backup_active,
               outsider):
    rng = random.Random(co.seed * 7919 + h)
    root = os.path.join(out, "hosts", hn)

    def w(rel, text, mode=0o644):
        full = os.path.join(root, rel)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w") as f:
            f.write(text)
        os.chmod(full, mode)

    conn = f"host:{hn}"
    passwd = ["root:x:0:0:root:/root:/bin/bash", "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin",
              "bin:x:2:2:bin:/bin:/usr/sbin/nologin", "sys:x:3:3:sys:/dev:/usr/sbin/nologin",
              "www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin",
              "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin",
              "sshd:x:110:65534::/run/sshd:/usr/sbin/nologin",
              "deploy:x:990:990:shared deploy account:/home/deploy:/bin/bash"]
    shadow = [f"{u}:*:19700:0:99999:7:::" for u in ("root", "daemon", "bin", "sys", "www-data",
                                                    "nobody", "sshd")]
    shadow.append("deploy:!:19700:0:99999:7:::")
    sudo_members = ["deploy"]
    groups = ["root:x:0:", "adm:x:4:syslog"]
    uid = 1000
    crontabs = {}
    for p in people:
        u = p.login
        passwd.append(f"{u}:x:{uid}:{uid}:{p.name},,,:/home/{u}:/bin/bash")
        shadow.append(f"{u}:$6$gen${hashlib.sha256(u.encode()).hexdigest()[:40]}:20100:0:99999:7:::")
        groups.append(f"{u}:x:{uid}:")
        uid += 1
        admin = rng.random() < 0.2
        if admin:
            sudo_members.append(u)
        kind = "host_admin" if admin else "host_account"
        res = f"{hn}:{u}"
        keys = [f"{p.key[0]} {p.key[2]}"]
        g = guest.get((h, p.email))
        if p.active():
            trap = "active person's own host account"
            if p is co.roles["lookalike_active"]:
                trap = "the look-alike's host account (alice.<surname>)"
            elif p is co.roles["username_is_first_name"]:
                trap = "account named after an active person who shares the leaver's first name"
            ties = [(p, "is")]
            if g is not None:
                ties.append((g, "has_access"))
                trap = "active person's account trusting a leaver's key"
                co.item(res, kind, conn, trap, ties, sweep="neutral")
            else:
                co.item(res, kind, conn, trap, ties, sweep="must_not")
        else:
            co.item(res, kind, conn, "leaver's own host account, still there", [(p, "is")],
                    sweep="must", sweep_owner=p, sweep_relations=["is"])
        # own key in own authorized_keys
        kres = f"{hn}:{u}#{p.key[1]}"
        if p.active():
            trap = f"active person's own key (comment {'email' if p.key[2] == p.email else 'user@host'})"
            if p is co.roles["lookalike_active"]:
                trap = "the look-alike's own key"
            co.item(kres, "ssh_authorized_key", conn, trap, [(p, "owns")], sweep="must_not")
        else:
            co.item(kres, "ssh_authorized_key", conn, "leaver's own key in own account", [(p, "owns")],
                    sweep="must", sweep_owner=p, sweep_relations=["owns", "has_access"])
        if g is not None:
            keys.append(f"{g.key[0]} {g.key[2]}")
            gres = f"{hn}:{u}#{g.key[1]}"
            co.item(gres, "ssh_authorized_key", conn, "leaver's key in an active colleague's account",
                    [(g, "has_access"), (p, "owns")], sweep="must", sweep_owner=g,
                    sweep_relations=["has_access", "owns"])
        w(f"home/{u}/.ssh/authorized_keys", "\n".join(keys) + "\n", 0o600)
        if rng.random() < 0.3:
            line, _ = secret_line(rng)
            pre = rng.randint(0, 2)
            body = [f"# crontab of {u}"] * pre + [line,
                                                   f"*/15 * * * * /home/{u}/bin/sync.sh"]
            crontabs[u] = "\n".join(body) + "\n"
            cres = f"{hn}:/var/spool/cron/crontabs/{u}:{pre + 1}"
            if p.active():
                co.item(cres, "secret_on_host", conn, "credential in an active person's crontab",
                        [(p, "has_access")], sweep="must_not")
            else:
                co.item(cres, "secret_on_host", conn, "credential in a leaver's crontab",
                        [(p, "has_access")], sweep="must", sweep_owner=p,
                        sweep_relations=["has_access", "owns", "authored"])
    # Service accounts named after people, no login shell, no keys.
    for p in backup + backup_active:
        u = f"svc-{p.login}-backup"
        passwd.append(f"{u}:x:{uid}:{uid}:backup jobs:/var/lib/{u}:/usr/sbin/nologin")
        shadow.append(f"{u}:!:19700:0:99999:7:::")
        groups.append(f"{u}:x:{uid}:")
        uid += 1
        res = f"{hn}:{u}"
        if p.active():
            co.item(res, "host_account", conn, "nologin svc-<active person>-backup", [(p, "owns")],
                    sweep="must_not")
        else:
            co.item(res, "host_account", conn, "nologin svc-<leaver>-backup", [(p, "owns")],
                    sweep="neutral")
    # An account named with the look-alike leaver's token whose GECOS names the look-alike's email.
    if h == co.build_account_host:
        lk, la = co.roles["lookalike_leaver"], co.roles["lookalike_active"]
        u = f"{lk.local}-build"
        passwd.append(f"{u}:x:{uid}:{uid}:build runner,,,,{la.email}:/home/{u}:/bin/bash")
        shadow.append(f"{u}:!:19700:0:99999:7:::")
        groups.append(f"{u}:x:{uid}:")
        uid += 1
        co.item(f"{hn}:{u}", "host_account", conn,
                "account named with the leaver's token, GECOS email of the look-alike", [(la, "owns")],
                sweep="must_not")
    # Outsiders nobody in HR knew, with an account and a key.
    if outsider:
        f, ln = rng.choice(OUT_FIRST), rng.choice(OUT_LAST)
        u = f"{f}.{ln}".lower()
        passwd.append(f"{u}:x:{uid}:{uid}:{f} {ln}:/home/{u}:/bin/bash")
        shadow.append(f"{u}:$6$gen$outsider:20100:0:99999:7:::")
        groups.append(f"{u}:x:{uid}:")
        uid += 1
        pub, fp = ssh_key(rng)
        w(f"home/{u}/.ssh/authorized_keys", f"{pub} {f.lower()}@home-pc\n", 0o600)
        co.item(f"{hn}:{u}", "host_account", conn, "account of someone HR never knew", [(None, "is")],
                sweep="must", sweep_relations=["orphaned"])
        co.item(f"{hn}:{u}#{fp}", "ssh_authorized_key", conn, "key of someone HR never knew",
                [(None, "owns")], sweep="must", sweep_relations=["orphaned"])
    # The shared deploy account: a CI key (neutral) and people's laptop keys.
    ci_pub, _ = ssh_key(rng)
    dkeys = [f"{ci_pub} ci-runner-{rng.randint(1, 9)}"]
    holders = list(deploy_keys)
    act = [p for p in people if p.status == "active"]
    if act and rng.random() < 0.6:
        holders.append(rng.choice(act))
    for p in holders:
        dkeys.append(f"{p.key[0]} {p.key[2]}")
        kres = f"{hn}:deploy#{p.key[1]}"
        if p.active():
            co.item(kres, "ssh_authorized_key", conn, "active person's key in the shared deploy account",
                    [(p, "has_access")], sweep="must_not")
        else:
            co.item(kres, "ssh_authorized_key", conn, "leaver's key in the shared sudo deploy account",
                    [(p, "has_access")], sweep="must", sweep_owner=p,
                    sweep_relations=["has_access"])
    leaver_holders = [p for p in holders if not p.active()]
    co.item(f"{hn}:deploy", "host_admin", conn,
            "shared sudo account trusting a leaver's key" if leaver_holders
            else "shared sudo account", [(p, "has_access") for p in holders],
            sweep="must" if leaver_holders else "neutral",
            sweep_owner=leaver_holders[0] if leaver_holders else None,
            sweep_relations=["has_access"] if leaver_holders else [])
    w("home/deploy/.ssh/authorized_keys", "\n".join(dkeys) + "\n", 0o600)
    # root's authorized_keys: an active admin's key, maybe a leaver's.
    rkeys = []
    rholders = ([rng.choice(act)] if act else []) + list(root_keys)
    for p in rholders:
        rkeys.append(f"{p.key[0]} {p.key[2]}")
        kres = f"{hn}:root#{p.key[1]}"
        if p.active():
            co.item(kres, "ssh_authorized_key", conn, "active admin's key in root's authorized_keys",
                    [(p, "has_access")], sweep="must_not")
        else:
            co.item(kres, "ssh_authorized_key", conn, "leaver's key in root's authorized_keys",
                    [(p, "has_access")], sweep="must", sweep_owner=p,
                    sweep_relations=["has_access"])
    if rkeys:
        w("root/.ssh/authorized_keys", "\n".join(rkeys) + "\n", 0o600)
    groups.append(f"sudo:x:27:{','.join(sudo_members)}")
    groups.append("deploy:x:990:")
    w("etc/hostname", hn + "\n")
    w("etc/passwd", "\n".join(passwd) + "\n")
    w("etc/shadow", "\n".join(shadow) + "\n", 0o640)
    w("etc/group", "\n".join(groups) + "\n")
    w("etc/sudoers", "Defaults\tenv_reset\nroot\tALL=(ALL:ALL) ALL\n%sudo\tALL=(ALL:ALL) ALL\n", 0o440)
    w("etc/crontab", "SHELL=/bin/sh\n17 *\t* * *\troot\tcd / && run-parts --report /etc/cron.hourly\n")
    for u, text in crontabs.items():
        w(f"var/spool/cron/crontabs/{u}", text, 0o600)


# ----------------------------------------------------------------------------- aws (optional)
# Seeded into a running moto server (--aws ENDPOINT) through IAM's query API with urllib:
# moto checks no signatures, so a request only needs the credential scope naming the service.

OWNER_TAGS = ["owner", "Owner", "owner_email", "OwnerEmail", "email", "contact_email",
              "created_by", "CreatedBy", "creator", "maintainer"]


def aws_call(endpoint, service, params):
    import urllib.parse
    import urllib.request
    import xml.etree.ElementTree as ET
    body = urllib.parse.urlencode(params).encode()
    req = urllib.request.Request(endpoint.rstrip("/") + "/", data=body, method="POST", headers={
        "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
        "Authorization": f"AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/{service}/aws4_request, "
                         "SignedHeaders=host, Signature=0",
        "X-Amz-Date": "20260101T000000Z"})
    with urllib.request.urlopen(req, timeout=30) as r:
        root = ET.fromstring(r.read())
    return {el.tag.split("}")[-1]: (el.text or "") for el in root.iter()}


def iam(endpoint, action, **kw):
    params = {"Action": action, "Version": "2010-05-08"}
    tags = kw.pop("tags", None)
    for k, v in kw.items():
        params[k] = v
    for i, (k, v) in enumerate(tags or [], start=1):
        params[f"Tags.member.{i}.Key"] = k
        params[f"Tags.member.{i}.Value"] = v
    return aws_call(endpoint, "iam", params)


def tag_value(rng, p):
    return rng.choice([p.email, p.email, f"{p.name} <{p.email}>"])


def build_aws(co, endpoint):
    rng = random.Random(co.seed * 31337)
    acct = aws_call(endpoint, "sts", {"Action": "GetCallerIdentity", "Version": "2011-06-15"})["Account"]
    conn = "aws:eval"
    r = co.roles
    lk, la, hr, mg = r["lookalike_leaver"], r["lookalike_active"], r["high_risk_leaver"], r["manager_leaver"]
    taken = set()

    def user(name, tags, ties, trap, sweep, owner=None, rels=None, keys=1, path="/"):
        assert name not in taken, name
        taken.add(name)
        iam(endpoint, "CreateUser", UserName=name, Path=path, tags=tags)
        arn = f"arn:aws:iam::{acct}:user{path}{name}"
        co.item(arn, "aws_iam_user", conn, trap, ties, sweep=sweep, sweep_owner=owner, sweep_relations=rels)
        for _ in range(keys):
            kid = iam(endpoint, "CreateAccessKey", UserName=name)["AccessKeyId"]
            krels = None if rels is None else sorted(set(rels) | ({"created"} if "is" in rels else set()))
            kties = [(p, "created" if rel == "is" else rel) for p, rel in ties]
            co.item(f"{arn}#{kid}", "aws_access_key", conn, trap.replace("IAM user", "access key of IAM user"),
                    kties, sweep=sweep, sweep_owner=owner, sweep_relations=krels)
        return arn

    def role(name, path, trust, tags, ties, trap, sweep, owner=None, rels=None):
        iam(endpoint, "CreateRole", RoleName=name, Path=path, AssumeRolePolicyDocument=json.dumps(trust),
            tags=tags)
        arn = f"arn:aws:iam::{acct}:role{path}{name}"
        co.item(arn, "aws_iam_role", conn, trap, ties, sweep=sweep, sweep_owner=owner, sweep_relations=rels)
        return arn

    # People's own IAM users: by their `aws:` alias (exact) or their email's local part (weak).
    special = {lk.email, la.email, hr.email, mg.email}
    people = [p for p in co.people if p.email not in special and rng.random() < 0.12] + [lk, hr, mg]
    user_arn = {}
    for p in people:
        alias = next((a[4:] for a in p.aliases if a.startswith("aws:")), None)
        name = alias or p.local
        if name in taken:
            continue
        tags = [(rng.choice(["email", "owner", "Owner"]), p.email)] if rng.random() < 0.4 else []
        how = "aws: alias" if alias else "email local part"
        if p.active():
            user_arn[p.email] = user(name, tags, [(p, "is")], f"active person's own IAM user ({how})", "must_not")
        else:
            user_arn[p.email] = user(name, tags, [(p, "is")], f"leaver's own IAM user ({how})", "must",
                                     p, ["is"])
    # The look-alike's IAM user (an `aws:` alias of theirs) and one named with the leaver's
    # token but tagged with the look-alike's email.
    user(la.local, [("email", la.email)], [(la, "is")], "the look-alike's IAM user (aws: alias, email tag)",
         "must_not")
    user(f"{lk.local}-ci", [(rng.choice(OWNER_TAGS), tag_value(rng, la))], [(la, "owns")],
         "IAM user named with the leaver's token, tagged with the look-alike's email", "must_not")
    # Service users with an owner tag, in the spellings teams use.
    for i in range(max(4, co.n // 25)):
        p = rng.choice(co.people)
        t = rng.choice(OWNER_TAGS)
        name = f"svc-{rng.choice(WORDS)}-{i:02d}"
        if p.active():
            user(name, [(t, tag_value(rng, p))], [(p, "owns")], f"service IAM user, tag {t} = active person",
                 "must_not")
        else:
            user(name, [(t, tag_value(rng, p))], [(p, "owns")], f"service IAM user, tag {t} = leaver",
                 "must", p, ["owns"])
    # The leavers' service users: a CreatedBy tag, and naming only.
    user(f"svc-{hr.login.replace('.', '-')}-deploy", [("CreatedBy", hr.email)], [(hr, "owns")],
         "service IAM user tagged CreatedBy = the high-risk leaver", "must", hr, ["owns"])
    user(f"{mg.login}-etl", [], [(mg, "owns")], "IAM user named after the leaver only (naming)", "neutral")
    # Nobody's: no tag, no name anyone has.
    for i in range(max(2, co.n // 100)):
        user(f"legacy-bot-{i}", [], [(None, "owns")], "IAM user with no owner at all", "must", None,
             ["orphaned"])
    # Roles: platform-created ones, one trusting the leaver's IAM user, one owned by an active person.
    sso = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRoleWithSAML",
           "Principal": {"Federated": f"arn:aws:iam::{acct}:saml-provider/AWSSSO_{rng.randbytes(8).hex()}_DO_NOT_DELETE"}}]}
    for perm in ("AdministratorAccess", "ReadOnlyAccess"):
        role(f"AWSReservedSSO_{perm}_{rng.randbytes(8).hex()}", "/aws-reserved/sso.amazonaws.com/", sso, [],
             [], "AWS-created SSO role (/aws-reserved/)", "must_not")
    org = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
           "Principal": {"AWS": "arn:aws:iam::999999999999:root"}}]}
    role("OrganizationAccountAccessRole", "/", org, [], [], "OrganizationAccountAccessRole (AWS-created)",
         "must_not")
    trust_hr = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                "Principal": {"AWS": user_arn[hr.email]}}]}
    role(f"deploy-{rng.choice(WORDS)}", "/", trust_hr, [], [(hr, "has_access")],
         "role whose trust policy names the high-risk leaver's IAM user", "must", hr, ["has_access", "orphaned"])
    ec2 = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
           "Principal": {"Service": "ec2.amazonaws.com"}}]}
    act = [p for p in co.people if p.status == "active"]
    for i in range(3):
        p = rng.choice(act)
        t = rng.choice(OWNER_TAGS)
        role(f"app-{rng.choice(WORDS)}-{i}", "/", ec2, [(t, tag_value(rng, p))], [(p, "owns")],
             f"role tagged {t} = active person", "must_not")
    return acct


# ----------------------------------------------------------------------------- github

def build_github(co, out, url, key_path):
    """An org `acme` on benches/attribution/github_server.py: members by their `github:`
    aliases (leavers' memberships nobody removed, active people's own), logins nobody in HR
    has, deploy keys added by leavers and by active people (the look-alike among them), a
    write deploy key the high-risk leaver added, fine-grained PATs, an invitation the
    high-risk leaver sent, and the contractor leaver as an outside collaborator."""
    rng = random.Random(co.seed * 7919)
    conn = "github:acme"
    r = co.roles
    lk, la, hr, ct = r["lookalike_leaver"], r["lookalike_active"], r["high_risk_leaver"], r["contractor_leaver"]
    if not ct.gh:
        ct.gh = f"{ct.local.replace('.', '-')}-ext"
        ct.aliases.append(f"github:{ct.gh}")
    api = {}

    def user(login, uid):
        return {"login": login, "id": uid, "type": "User", "site_admin": False}

    members, admins = [], []
    by_login = {}
    for i, p in enumerate(co.people):
        if not p.gh or p is ct:
            continue
        by_login[p.gh] = p
        members.append(user(p.gh, 1000 + i))
        if rng.random() < 0.05:
            admins.append(user(p.gh, 1000 + i))
        if p.active():
            co.item(f"acme#member:{p.gh}", "github_member", conn,
                    "active person's own org membership (github: alias)", [(p, "is")], sweep="must_not")
        else:
            co.item(f"acme#member:{p.gh}", "github_member", conn,
                    "leaver's org membership nobody removed (github: alias)", [(p, "is")], sweep="must",
                    sweep_owner=p, sweep_relations=["is"])
    for i in range(max(2, co.n // 100)):
        login = f"{OUT_FIRST[i % len(OUT_FIRST)]}-{OUT_LAST[i % len(OUT_LAST)]}{i}".lower()
        members.append(user(login, 90000 + i))
        co.item(f"acme#member:{login}", "github_member", conn, "org member nobody in HR has", [(None, "is")],
                sweep="must", sweep_owner=None, sweep_relations=["orphaned"])
    api["/orgs/acme/members"] = members
    api["/orgs/acme/members#admin"] = admins
    api["/orgs/acme/outside_collaborators"] = [user(ct.gh, 7000)]
    co.item(f"acme#outside_collaborator:{ct.gh}", "github_outside_collaborator", conn,
            "the contractor leaver, still an outside collaborator", [(ct, "is")], sweep="must",
            sweep_owner=ct, sweep_relations=["is"])
    # Repositories, deploy keys.
    repos = [f"{w}-{s}" for w, s in zip(rng.sample(WORDS, 8), rng.choices(SUFFIX, k=8))]
    api["/orgs/acme/repos"] = [{"id": 500 + i, "name": n, "full_name": f"acme/{n}", "private": True,
                                "fork": False, "archived": False, "default_branch": "main"}
                               for i, n in enumerate(repos)]
    active_gh = [p for p in co.people if p.gh and p.status == "active" and p is not la]
    leaver_gh = [p for p in co.people if p.gh and p.status == "terminated" and p is not ct]
    kid = 7000
    for i, repo in enumerate(repos):
        keys = []
        adders = [rng.choice(active_gh)]
        if i == 0:
            adders.append(hr)
        if i == 1:
            adders.append(la)
        if i in (2, 3) and leaver_gh:
            adders.append(rng.choice(leaver_gh))
        for p in adders:
            kid += 1
            pub, _fp = ssh_key(rng)
            write = p is hr or rng.random() < 0.3
            keys.append({"id": kid, "key": " ".join(pub.split()[:2]), "title": f"deploy@{repo}",
                         "verified": True, "created_at": "2025-06-01T09:00:00Z", "read_only": not write,
                         "added_by": p.gh, "last_used": "2026-11-20T08:00:00Z", "enabled": True})
            res = f"acme/{repo}#deploy_key:{kid}"
            if p.active():
                trap = "the look-alike's deploy key" if p is la else "deploy key an active person added"
                co.item(res, "github_deploy_key", conn, trap, [(p, "created")], sweep="must_not")
            else:
                co.item(res, "github_deploy_key", conn, "deploy key a leaver added (added_by)", [(p, "created")],
                        sweep="must", sweep_owner=p, sweep_relations=["created"])
        api[f"/repos/acme/{repo}/keys"] = keys
    # Fine-grained PATs approved for the org.
    pats = []
    for j, p in enumerate([hr, rng.choice(active_gh), la]):
        pid = 880000 + j
        pats.append({"id": pid, "owner": user(p.gh, 1), "repository_selection": "all",
                     "permissions": {"repository": {"contents": "write", "metadata": "read"}},
                     "access_granted_at": "2026-01-05T10:00:00Z", "token_id": 4000 + j,
                     "token_name": f"bot-{j}", "token_expired": False,
                     "token_expires_at": "2099-01-05T10:00:00Z", "token_last_used_at": "2026-11-28T10:00:00Z"})
        if p.active():
            co.item(f"acme#pat:{pid}", "github_pat", conn,
                    "the look-alike's PAT" if p is la else "PAT an active person owns", [(p, "created")],
                    sweep="must_not")
        else:
            co.item(f"acme#pat:{pid}", "github_pat", conn, "fine-grained PAT a leaver owns", [(p, "created")],
                    sweep="must", sweep_owner=p, sweep_relations=["created"])
    api["/orgs/acme/personal-access-tokens"] = pats
    api["/orgs/acme/personal-access-token-requests"] = []
    api["/orgs/acme/invitations"] = [{"id": 61, "login": None, "email": "new.hire@partner.example",
                                     "role": "direct_member", "created_at": "2026-11-02T10:00:00Z",
                                     "inviter": user(hr.gh, 1), "team_count": 0}]
    co.item("acme#member:invitation/61", "github_member", conn, "invitation the high-risk leaver sent",
            [(hr, "created")], sweep="neutral")
    os.makedirs(os.path.join(out, "github"), exist_ok=True)
    with open(os.path.join(out, "github", "api.json"), "w") as f:
        json.dump(api, f)
    return (f"\n[[connector]]\ntype = \"github\"\norg = \"acme\"\napi_url = \"{url}\"\napp_id = 1\n"
            f"installation_id = 2\nprivate_key_path = {json.dumps(key_path)}\nbackoff_floor_ms = 50\n"
            "cache_dir = \"github-cache\"\n")


# ----------------------------------------------------------------------------- truth

def truth(co, hosts):
    leavers = []
    for role, p in co.leavers:
        must, must_not = [], []
        for res, it in sorted(co.items.items()):
            tied = [t for t in it["ties"] if t["person"] == p.email]
            if tied:
                must.append({"kind": it["kind"], "resource": res, "owner": p.email,
                             "relation": tied[0]["relation"], "trap": it["trap"]})
            elif p.email in it["exposure"]:
                must_not.append({"kind": it["kind"], "resource": res,
                                 "why": "exposure only (committed to the repository): opt-in behind --exposure"})
            elif any(t["person"] in co.look_alikes(p) for t in it["ties"]):
                must_not.append({"kind": it["kind"], "resource": res,
                                 "why": f"a look-alike's item ({it['trap']})"})
        leavers.append({"email": p.email, "role": role, "name": p.name, "login": p.login,
                        "risk": p.risk, "must": must, "must_not": must_not})
    sweep_must = [{"kind": it["kind"], "resource": res, "owner": it["sweep_owner"],
                   "relations": it["sweep_relations"], "trap": it["trap"]}
                  for res, it in sorted(co.items.items()) if it["sweep"] == "must"]
    sweep_not = [{"kind": it["kind"], "resource": res, "why": it["trap"]}
                 for res, it in sorted(co.items.items()) if it["sweep"] == "must_not"]
    return {
        "generator": "benches/attribution/gen_company.py",
        "seed": co.seed, "people": co.n, "hosts": hosts,
        "leavers": leavers,
        "sweep": {"must": sweep_must, "must_not": sweep_not},
        "items": co.items,
    }


def look_alikes(self, p):
    """People whose names or usernames share a token with p (first name, username prefix)."""
    out = set()
    for q in self.people:
        if q is p:
            continue
        if q.first == p.first or q.local.startswith(p.local) or p.local.startswith(q.local) \
                or q.local == p.first.lower() or q.login == p.first.lower():
            out.add(q.email)
    return out


Company.look_alikes = look_alikes


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--people", type=int, default=300)
    ap.add_argument("--out", required=True)
    ap.add_argument("--github", metavar="URL",
                    help="an org on benches/attribution/github_server.py at URL (it reads DIR/github/api.json)")
    ap.add_argument("--github-key", metavar="PEM", help="the GitHub App private key the config names")
    ap.add_argument("--aws", metavar="ENDPOINT",
                    help="seed IAM users, keys, roles and tags into a fresh moto server at ENDPOINT")
    a = ap.parse_args()
    if a.people < 20:
        ap.error("--people must be at least 20")
    if os.path.exists(a.out):
        shutil.rmtree(a.out)
    os.makedirs(os.path.join(a.out, "hr"))
    co = Company(a.seed, a.people)
    co.build_people()
    gh_conf = build_github(co, a.out, a.github, a.github_key) if a.github else ""
    co.write_hr(a.out)
    build_repos(co, a.out)
    hosts = build_hosts(co, a.out)
    if a.aws:
        build_aws(co, a.aws)
    roots = ", ".join(json.dumps(f"hosts/{h}") for h in hosts)
    with open(os.path.join(a.out, "nhiscan.toml"), "w") as f:
        f.write("# generated by benches/attribution/gen_company.py\n[hr]\nroster = \"hr/roster.csv\"\n"
                "extra = [\"hr/contractors.csv\"]\n\n[[connector]]\ntype = \"git\"\npaths = [\"repos\"]\n\n"
                f"[[connector]]\ntype = \"host\"\nroots = [{roots}]\n")
        if a.aws:
            f.write(f"\n[[connector]]\ntype = \"aws\"\nname = \"eval\"\nendpoint_url = \"{a.aws}\"\n"
                    "cloudtrail = false\n")
        f.write(gh_conf)
    # An empty allowlist, so the project's own .nhiscanignore is never picked up.
    open(os.path.join(a.out, ".nhiscanignore"), "w").close()
    t = truth(co, hosts)
    with open(os.path.join(a.out, "truth.json"), "w") as f:
        json.dump(t, f, indent=1, sort_keys=True)
    print(f"company: seed {a.seed}, {a.people} people, {len(os.listdir(os.path.join(a.out, 'repos')))} repos, "
          f"{len(hosts)} hosts, {len(co.items)} items, {len(t['sweep']['must'])} sweep musts -> {a.out}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
