#!/usr/bin/env bash
# Offboarding at scale (issue 13): `offboard` over a generated roster (default 10,000
# people, 500 of them leavers) against the bundled example sources, run twice (the second
# run re-checks every open case); then `serve` under a steady rate of signed events.
#
#   benches/offboard_scale.sh                      # PEOPLE=10000 LEAVERS=500 RATE=200 SECONDS_=60
#   PEOPLE=2000 LEAVERS=100 SECONDS_=10 benches/offboard_scale.sh
#
# Reports wall time and peak memory of each offboard run, the store's size after each,
# and for serve: events sent, accepted (2xx), stored, duplicates, and how long the worker
# took to drain them. Loopback only; offline.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NHISCAN="${NHISCAN:-$ROOT/target/release/nhiscan}"
[[ -x "$NHISCAN" ]] || NHISCAN="$ROOT/target/debug/nhiscan"
PEOPLE="${PEOPLE:-10000}"
LEAVERS="${LEAVERS:-500}"
RATE="${RATE:-200}"
SECONDS_="${SECONDS_:-60}"
OUT="${BENCH_OUT:-$ROOT/bench-out}/offboard"
rm -rf "$OUT" && mkdir -p "$OUT"
cp -r "$ROOT/examples/acme/hosts" "$OUT/hosts"
bash "$ROOT/examples/acme/make-repos.sh" "$OUT/repos" >/dev/null

python3 - "$OUT" "$PEOPLE" "$LEAVERS" <<'EOF'
import random, sys
out, people, leavers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(13)
first = ["alex", "sam", "kim", "lee", "max", "ana", "ben", "eva", "ivy", "joe", "mia", "noa"]
rows = ["employee_id,email,name,status,end_date,manager_email,aliases,risk,department"]
# The example's own people first, so its sources have owners.
rows += [
    "E1001,alice@acme.example,Alice Archer,terminated,2026-11-20,dave@acme.example,alice;github:alice-dev;aws:alice,high,Platform",
    "E1002,bob@acme.example,Bob Baker,active,,dave@acme.example,bob;github:bobb,standard,Platform",
    "E1004,dave@acme.example,Dave Dunn,active,,,dave;github:dave-ops;aws:dave,standard,Platform",
]
left = set(rng.sample(range(people), leavers - 1))
for i in range(people):
    name = f"{rng.choice(first)}{i}"
    status, end = ("terminated", "2026-11-%02d" % rng.randint(1, 28)) if i in left else ("active", "")
    risk = "high" if i in left and rng.random() < 0.1 else "standard"
    rows.append(f"P{i:06d},{name}@acme.example,{name.title()},{status},{end},dave@acme.example,{name},{risk},"
                + rng.choice(["Finance", "Engineering", "Sales"]))
open(f"{out}/roster.csv", "w").write("\n".join(rows) + "\n")
EOF
cat >"$OUT/nhiscan.toml" <<'EOF'
[hr]
roster = "roster.csv"

[state]
path = "state.db"

[[app]]
name = "Payroll"
owner = "fin-ops@acme.example"
when = { department = "Finance" }

[[connector]]
type = "git"
paths = ["repos"]

[[connector]]
type = "host"
roots = ["hosts/web-1", "hosts/db-1"]
EOF

cd "$OUT"
printf '## offboard: %s people, %s leavers (nhiscan %s)\n\n' "$PEOPLE" "$LEAVERS" "$("$NHISCAN" --version)"
printf '| run | wall s | peak RSS MiB | store MiB |\n| --- | ---: | ---: | ---: |\n'
for run in 1 2; do
    set +e
    /usr/bin/time -f '%e %M' -o time.txt "$NHISCAN" -c nhiscan.toml --no-progress -q offboard --today 2026-12-01
    set -e
    read -r wall rss < <(tail -1 time.txt)
    size=$(du -m state.db | cut -f1)
    printf '| %s | %s | %s | %s |\n' "$run" "$wall" "$((rss / 1024))" "$size"
done

# serve: a steady rate of signed CloudEvents (some sent twice), then drain.
export NHISCAN_WEBHOOK_SECRET=bench-only-secret
"$NHISCAN" -c nhiscan.toml --no-progress -q serve --listen 127.0.0.1:0 >serve.out 2>serve.err &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do grep -q listening serve.out 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's/.*127\.0\.0\.1:\([0-9]*\).*/\1/p' serve.out | head -1)
python3 - "$port" "$RATE" "$SECONDS_" "$PEOPLE" <<'EOF'
import hashlib, hmac, http.client, json, sys, time, threading
port, rate, secs, people = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
key = b"bench-only-secret"
sent = accepted = dup = bad = 0
lock = threading.Lock()
def send(i):
    global accepted, dup, bad
    body = json.dumps({"specversion": "1.0", "id": f"ev-{i}", "source": "/bench", "type": "employee.terminated",
                       "data": {"employee_id": f"P{i % people:06d}"}}).encode()
    sig = "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request("POST", "/events", body, {"Content-Type": "application/json", "X-Nhiscan-Signature": sig})
    s = c.getresponse().status
    with lock:
        if s == 202: accepted += 1
        elif s == 200: dup += 1
        else: bad += 1
start = time.time(); threads = []
n = rate * secs
for i in range(n):
    # Every 20th event is sent again: the same event, never a second one.
    for j in ([i, i] if i % 20 == 0 else [i]):
        t = threading.Thread(target=send, args=(j,)); t.start(); threads.append(t); sent += 1
    target = start + (i + 1) / rate
    wait = target - time.time()
    if wait > 0: time.sleep(wait)
for t in threads: t.join()
print(f"\n## serve: {sent} requests in {time.time() - start:.1f} s ({n} distinct events at {rate}/s)\n")
print(f"accepted (202): {accepted}, duplicates (200): {dup}, other: {bad}")
EOF
python3 - <<'EOF'
import sqlite3, time
t = time.time()
while True:
    c = sqlite3.connect("state.db", timeout=30)
    total, pending = c.execute("SELECT count(*), count(*) - count(processed_at) FROM events").fetchone()
    if pending == 0 or time.time() - t > 600: break
    time.sleep(1)
print(f"stored: {total}, still pending after {time.time() - t:.0f} s: {pending}")
EOF
