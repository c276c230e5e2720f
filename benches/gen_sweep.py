#!/usr/bin/env python3
"""Deterministic environment for the `nhiscan sweep` scaling benchmark.

  gen_sweep.py --out DIR --repos 500 --hosts 200 --people 10000 --seed 42 [--jobs 4]

Writes
  DIR/hr/roster.csv     P people (employee_id,email,name,status,end_date,type,manager_email,aliases,risk),
                        ~10% terminated, ~3% on leave
  DIR/repos/<name>/     N small git repositories (built with `git fast-import`, then checked out):
                        a few commits each by roster people (and a few unknown authors), CODEOWNERS
                        in some, planted secrets (random, vendor-shaped) in ~30%
  DIR/hosts/<name>/     M host snapshots: etc/hostname, passwd, group, sudoers, sudoers.d/,
                        crontab, home/*/.ssh/authorized_keys (commented), var/spool/cron/crontabs/*
  DIR/nhiscan.toml      [hr] roster, a git connector over repos/ and a host connector over every root
  DIR/params.json       the sizes used
"""
import argparse
import base64
import concurrent.futures as cf
import csv
import io
import json
import os
import random
import shutil
import struct
import subprocess
import sys

sys.dont_write_bytecode = True  # no benches/__pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_corpus as gc  # noqa: E402

FIRST = ("Aaron Abby Adam Aisha Alan Alba Alex Amir Ana Andre Anya Arjun Ava Ben Bea Boris Caleb Cara "
         "Chen Chloe Chris Dana Dara Dev Diego Dina Eli Ella Emil Emma Eric Eva Farah Felix Fiona Gabe "
         "Gina Greg Hana Hugo Ian Ines Ira Isla Jack Jade Jai Jana Joel Jon Kai Kara Kim Kofi Lara Leo "
         "Lena Liam Lina Luca Maya Mia Milo Nia Nico Nina Noah Nora Omar Owen Paula Pedro Petra Raj "
         "Rosa Ruth Sam Sara Sean Sofia Tara Theo Tom Uma Vera Vik Wen Xin Yuki Zane Zoe").split()
LAST = ("Abbott Ali Alvarez Becker Bianchi Brown Cho Costa Cruz Dang Dubois Ekwueme Fernandes Fox Gupta "
        "Haas Hale Horvat Ivanova Jensen Kaur Khan Klein Kowalski Laine Lee Lind Malik Meyer Mori Nagy "
        "Nguyen Nilsen Novak Obi Olsen Ortiz Park Perez Popescu Rao Reyes Roth Saito Schmidt Shah Silva "
        "Sokolov Stone Suzuki Tan Torres Ueda Varga Vogel Wang Weber Wong Yadav Young Zhang Zimmer").split()


def make_roster(rng, n):
    people = []
    used_user = set()
    for i in range(n):
        f, l = rng.choice(FIRST), rng.choice(LAST)
        user = (f[0] + l).lower()
        k = 1
        while user in used_user:
            k += 1
            user = f"{(f[0] + l).lower()}{k}"
        used_user.add(user)
        email = f"{user}@acme.example"
        x = rng.random()
        status = "terminated" if x < 0.10 else "leave" if x < 0.13 else "active"
        end = f"{rng.randint(2023, 2026)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}" if status == "terminated" else ""
        t = rng.random()
        typ = "employee" if t < 0.85 else "contractor" if t < 0.95 else "vendor"
        gh = f"{user}-{rng.choice(['dev', 'gh', 'code', 'acme'])}" if rng.random() < 0.5 else user
        aliases = [user, f"github:{gh}"]
        if rng.random() < 0.3:
            aliases.append(f"aws:{user}")
        if rng.random() < 0.15:
            aliases.append(f"{f.lower()}.{l.lower()}@acme-old.example")
        people.append({"employee_id": f"E{100000 + i}", "email": email, "name": f"{f} {l}",
                       "status": status, "end_date": end, "type": typ, "manager_email": "",
                       "aliases": ";".join(aliases),
                       "risk": "high" if rng.random() < 0.05 else "standard",
                       "_user": user, "_gh": gh})
    actives = [p for p in people if p["status"] == "active"]
    for p in people:
        if rng.random() < 0.9 and actives:
            m = rng.choice(actives)
            if m is not p:
                p["manager_email"] = m["email"]
    return people


def write_roster(path, people):
    cols = ["employee_id", "email", "name", "status", "end_date", "type", "manager_email", "aliases", "risk"]
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(cols)
        for p in people:
            w.writerow([p[c] for c in cols])


# --------------------------------------------------------------------------------------------- repos


def unknown_author(rng):
    n = rng.choice(["ci-bot", "deploy", "jenkins", "build", "ext-dev", "freelancer", "intern"])
    return (n, f"{n}{rng.randint(1, 99)}@{rng.choice(['gmail.example', 'contractor.example', 'acme.example'])}")


POOLS = None  # filler line pools shared by every repository (built once, deterministically)


def repo_stream(seed, name, people, with_secrets):
    """fast-import stream (bytes) for one small repository."""
    rng = random.Random(seed)
    fm = gc.FileMaker(seed, POOLS)
    team = [rng.choice(people) for _ in range(rng.randint(1, 4))]
    authors = [(p["name"], p["email"]) for p in team]
    if rng.random() < 0.15:
        authors.append(unknown_author(rng))
    files = {}
    out = io.BytesIO()
    ts = 1_650_000_000 + rng.randint(0, 10**7)
    ncommits = rng.randint(2, 6)
    secrets_left = rng.randint(1, 3) if with_secrets else 0
    for c in range(1, ncommits + 1):
        a = rng.choice(authors)
        ts += rng.randint(3600, 10 * 86400)
        changed = []
        nadd = rng.randint(3, 8) if c == 1 else rng.randint(0, 2)
        for _ in range(nadd):
            lang = fm.lang()
            n_p = 1 if secrets_left and rng.random() < 0.5 else 0
            secrets_left -= n_p
            lines, _ = fm.content(lang, rng.randint(1, 8) * 1024, n_p, 0)
            p = fm.path(lang).split("/", 1)[1]
            files[p] = "\n".join(lines) + "\n"
            changed.append(p)
        if c > 1 and files:
            for p in rng.sample(sorted(files), min(len(files), rng.randint(1, 2))):
                lines = files[p].split("\n")
                for _ in range(rng.randint(1, 5)):
                    lines[rng.randrange(len(lines))] = fm.filler.lines("py", 1)[0]
                if secrets_left and rng.random() < 0.4:
                    it = fm.items.make("planted", "env")
                    lines[rng.randrange(len(lines))] = it["lines"][0] if len(it["lines"]) == 1 else lines[0]
                    secrets_left -= 1
                files[p] = "\n".join(lines)
                changed.append(p)
        if c == 1 and rng.random() < 0.4:
            owners = " ".join(f"@{p['_gh']}" if rng.random() < 0.6 else p["email"] for p in team[:2])
            files[".github/CODEOWNERS"] = f"* {owners}\n"
            changed.append(".github/CODEOWNERS")
        if not changed:
            changed.append(rng.choice(sorted(files)))
        out.write(b"commit refs/heads/main\nmark :%d\n" % c)
        sig = f"{a[0]} <{a[1]}> {ts} +0000\n".encode()
        out.write(b"author " + sig + b"committer " + sig)
        msg = f"{rng.choice(gc.VERBS)} {rng.choice(gc.WORDS)}".encode()
        out.write(b"data %d\n%s\n" % (len(msg), msg))
        if c > 1:
            out.write(b"from :%d\n" % (c - 1))
        for p in sorted(set(changed)):
            blob = files[p].encode()
            out.write(b"M 100644 inline %s\ndata %d\n" % (p.encode(), len(blob)))
            out.write(blob + b"\n")
        out.write(b"\n")
    return out.getvalue()


def build_repo(args):
    path, seed, people, with_secrets = args
    stream = repo_stream(seed, os.path.basename(path), people, with_secrets)
    subprocess.run(["git", "init", "-q", "-b", "main", path], check=True)
    subprocess.run(["git", "-C", path, "fast-import", "--quiet"], input=stream, check=True)
    subprocess.run(["git", "-C", path, "checkout", "-q", "-f", "main"], check=True)
    return path


# --------------------------------------------------------------------------------------------- hosts


def ssh_key(rng):
    kind = rng.random()
    if kind < 0.6:
        blob = struct.pack(">I", 11) + b"ssh-ed25519" + struct.pack(">I", 32) + rng.randbytes(32)
        return "ssh-ed25519", base64.b64encode(blob).decode()
    n = b"\x00" + rng.randbytes(256)
    e = b"\x01\x00\x01"
    blob = struct.pack(">I", 7) + b"ssh-rsa" + struct.pack(">I", len(e)) + e + struct.pack(">I", len(n)) + n
    return "ssh-rsa", base64.b64encode(blob).decode()


def build_host(args):
    path, seed, people, hostname = args
    rng = random.Random(seed)
    os.makedirs(os.path.join(path, "etc", "sudoers.d"), exist_ok=True)
    os.makedirs(os.path.join(path, "var", "spool", "cron", "crontabs"), exist_ok=True)

    def w(rel, text, mode=0o644):
        full = os.path.join(path, rel)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w") as f:
            f.write(text)
        os.chmod(full, mode)

    w("etc/hostname", hostname + "\n")
    passwd = ["root:x:0:0:root:/root:/bin/bash", "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin",
              "bin:x:2:2:bin:/bin:/usr/sbin/nologin", "sys:x:3:3:sys:/dev:/usr/sbin/nologin",
              "www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin",
              "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin",
              "sshd:x:110:65534::/run/sshd:/usr/sbin/nologin"]
    humans = rng.sample(people, rng.randint(3, 20))
    users = []
    uid = 1000
    for p in humans:
        users.append((p["_user"], p))
    for _ in range(rng.randint(0, 3)):  # shadow accounts outside HR
        users.append((rng.choice(["deploy", "svc-backup", "jenkins", "tmpadmin", "olduser", "ansible"]) + str(rng.randint(1, 9)), None))
    seen = set()
    users = [u for u in users if not (u[0] in seen or seen.add(u[0]))]
    for name, p in users:
        gecos = p["name"] if p else ""
        shell = "/bin/bash" if rng.random() < 0.9 else "/usr/sbin/nologin"
        passwd.append(f"{name}:x:{uid}:{uid}:{gecos}:/home/{name}:{shell}")
        uid += 1
    if rng.random() < 0.05:
        passwd.append("toor:x:0:0:break glass:/root:/bin/bash")
    w("etc/passwd", "\n".join(passwd) + "\n")
    admins = [n for n, _ in users if rng.random() < 0.25]
    dockers = [n for n, _ in users if rng.random() < 0.3]
    group = ["root:x:0:", "adm:x:4:syslog", f"sudo:x:27:{','.join(admins)}", f"docker:x:999:{','.join(dockers)}",
             "wheel:x:10:" + (",".join(n for n, _ in users[:1]) if rng.random() < 0.3 else "")]
    group += [f"{n}:x:{1000 + i}:" for i, (n, _) in enumerate(users)]
    w("etc/group", "\n".join(group) + "\n")
    sudo = ["# /etc/sudoers", "Defaults\tenv_reset", "Defaults\tsecure_path=\"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"",
            "root\tALL=(ALL:ALL) ALL", "%sudo\tALL=(ALL:ALL) ALL", "#includedir /etc/sudoers.d"]
    w("etc/sudoers", "\n".join(sudo) + "\n", 0o440)
    for n, _ in users:
        if rng.random() < 0.1:
            w(f"etc/sudoers.d/{n}", f"{n} ALL=(ALL) NOPASSWD: ALL\n", 0o440)
    for n, p in users:
        keys = []
        for _ in range(rng.randint(0, 3)):
            t, b = ssh_key(rng)
            c = rng.random()
            if p and c < 0.5:
                comment = p["email"]
            elif p and c < 0.7:
                comment = f"{n}@{rng.choice(['laptop', 'macbook', 'workstation'])}"
            elif c < 0.85:
                other = rng.choice(people)
                comment = other["email"]  # somebody else's key in this account
            else:
                comment = f"deploy-key-{rng.randint(1, 999)}"
            keys.append(f"# added {rng.randint(2019, 2026)}-{rng.randint(1, 12):02d} ticket OPS-{rng.randint(100, 9999)}")
            keys.append(f"{t} {b} {comment}")
        if keys:
            w(f"home/{n}/.ssh/authorized_keys", "\n".join(keys) + "\n", 0o600)
        w(f"home/{n}/.bashrc", "# ~/.bashrc\nexport PATH=$HOME/bin:$PATH\nalias ll='ls -alF'\n")
    cron = ["SHELL=/bin/sh", "PATH=/usr/local/sbin:/usr/local/bin:/sbin:/bin:/usr/sbin:/usr/bin",
            "17 *\t* * *\troot\tcd / && run-parts --report /etc/cron.hourly"]
    w("etc/crontab", "\n".join(cron) + "\n")
    items = gc.Items(rng)
    for n, p in users:
        if rng.random() < 0.3:
            lines = [f"# m h dom mon dow command (user {n})", f"{rng.randint(0, 59)} {rng.randint(0, 23)} * * * /home/{n}/bin/{rng.choice(gc.VERBS)}.sh"]
            if rng.random() < 0.3:
                it = items.make("planted", "env")
                if len(it["lines"]) == 1:
                    lines.append(f"*/15 * * * * {it['lines'][0]} /usr/local/bin/sync-{rng.choice(gc.WORDS)}")
            w(f"var/spool/cron/crontabs/{n}", "\n".join(lines) + "\n", 0o600)
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--repos", type=int, default=500)
    ap.add_argument("--hosts", type=int, default=200)
    ap.add_argument("--people", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--jobs", type=int, default=max(2, (os.cpu_count() or 2) * 2))
    a = ap.parse_args()
    if os.path.exists(a.out):
        shutil.rmtree(a.out)
    os.makedirs(os.path.join(a.out, "hr"))
    os.makedirs(os.path.join(a.out, "repos"))
    os.makedirs(os.path.join(a.out, "hosts"))
    global POOLS
    POOLS = gc.Filler(random.Random(a.seed + 11)).pools
    rng = random.Random(a.seed)
    people = make_roster(rng, a.people)
    write_roster(os.path.join(a.out, "hr", "roster.csv"), people)
    slim = [{k: p[k] for k in ("name", "email", "_user", "_gh")} for p in people]
    repo_jobs = []
    for i in range(a.repos):
        name = f"{rng.choice(gc.WORDS)}-{rng.choice(['api', 'svc', 'infra', 'tools', 'web', 'lib'])}-{i:04d}"
        repo_jobs.append((os.path.join(a.out, "repos", name), a.seed * 100003 + i, slim, rng.random() < 0.3))
    host_jobs = []
    for i in range(a.hosts):
        hn = f"{rng.choice(['web', 'db', 'app', 'batch', 'bastion', 'cache', 'ci'])}-{i:04d}"
        host_jobs.append((os.path.join(a.out, "hosts", hn), a.seed * 7919 + i, people, hn))
    with cf.ThreadPoolExecutor(a.jobs) as ex:
        list(ex.map(build_repo, repo_jobs))
    for j in host_jobs:
        build_host(j)
    roots = ", ".join(json.dumps(f"hosts/{os.path.basename(j[0])}") for j in host_jobs)
    with open(os.path.join(a.out, "nhiscan.toml"), "w") as f:
        f.write("# generated by benches/gen_sweep.py\n[hr]\nroster = \"hr/roster.csv\"\n\n"
                "[[connector]]\ntype = \"git\"\npaths = [\"repos\"]\n\n"
                f"[[connector]]\ntype = \"host\"\nroots = [{roots}]\n")
    params = {"repos": a.repos, "hosts": a.hosts, "people": a.people, "seed": a.seed,
              "terminated": sum(1 for p in people if p["status"] == "terminated")}
    with open(os.path.join(a.out, "params.json"), "w") as f:
        json.dump(params, f)
    print(f"sweep env: {a.repos} repos, {a.hosts} hosts, {a.people} people "
          f"({params['terminated']} terminated) in {a.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
