#!/usr/bin/env bash
# Builds the example environment's git repositories under ./repos, with a fixed history
# (fixed authors and dates, so finding ids are the same on every machine).
#
# Every credential below is FAKE, made for this example: none of them has ever been valid.
# The project's self-scan allowlists examples/ for that reason (see .nhiscanignore).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/repos}"
rm -rf "$out"
mkdir -p "$out"

commit() { # commit "Name" email "date" "message"
  GIT_AUTHOR_NAME="$1" GIT_AUTHOR_EMAIL="$2" GIT_AUTHOR_DATE="$3" \
  GIT_COMMITTER_NAME="$1" GIT_COMMITTER_EMAIL="$2" GIT_COMMITTER_DATE="$3" \
    git -c commit.gpgsign=false commit -q -m "$4"
}
init() {
  mkdir -p "$1" && cd "$1"
  git init -q -b main
  git config core.autocrlf false
}

# --- payments-api: alice committed an AWS key pair, then deleted it; bob works on it too.
init "$out/payments-api"
mkdir -p src config .github
cat > src/app.py <<'PY'
import os

DB_URL = os.environ["DATABASE_URL"]

def handler(event):
    return {"ok": True}
PY
printf '* @bobb\n/config/ @alice-dev\n' > .github/CODEOWNERS
git add -A && commit "Bob Baker" bob@acme.example "2026-01-05T10:00:00Z" "Initial service skeleton"

cat > config/deploy.env <<'ENV'
# deploy settings
AWS_REGION=us-east-1
AWS_ACCESS_KEY_ID=AKIAZ7FAKEK3Y4LEAK5Q
AWS_SECRET_ACCESS_KEY=q8Zr1FAKEx0Vb3nT6yWm2Lk9Pd4Hs7Jc5Ga1Xe0U
ENV
git add -A && commit "Alice Archer" alice.archer@acme-old.example "2026-02-10T09:30:00Z" "Add deploy config"

git rm -q config/deploy.env
commit "Alice Archer" alice@acme.example "2026-02-11T08:00:00Z" "Remove deploy config (moved to vault)"

mkdir -p config
cat > config/settings.yaml <<'YML'
database:
  url: postgres://payments:Tq7vFAKEr9Lx2Wp@db-1.acme.internal:5432/payments
slack_webhook: https://hooks.slack.com/services/T0FAKE1234/B0FAKE5678/Zq3FAKEw9Rt5Yu1Io7Pa2Sd4
YML
git add -A && commit "Alice Archer" 123456+alice-dev@users.noreply.github.com "2026-03-02T14:12:00Z" "Settings for staging"

echo "# payments-api" > README.md
git add -A && commit "Bob Baker" bob@acme.example "2026-04-01T11:00:00Z" "Add README"

# --- infra-tools: carol (a contractor who left) committed a GitHub token that is still there.
init "$out/infra-tools"
mkdir -p scripts
cat > scripts/sync.sh <<'SH'
#!/bin/sh
# mirror repositories nightly
GITHUB_TOKEN=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
git clone "https://x-access-token:${GITHUB_TOKEN}@github.com/acme/infra" /tmp/infra
SH
git add -A && commit "Carol Chen" carol@contractors.example "2026-05-20T16:45:00Z" "Nightly mirror script"
echo "tools for ops" > README.md
git add -A && commit "Dave Dunn" dave@acme.example "2026-06-01T09:00:00Z" "Add README"

echo "example repositories written to $out"
