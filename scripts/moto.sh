#!/usr/bin/env bash
# Install moto (the AWS emulator the aws connector's integration tests run against) into
# .venv at the repository root. Idempotent: a no-op (well under a second) when the pinned
# version is already installed. Needs PyPI; tests never reach the internet afterwards.
set -euo pipefail

MOTO_VERSION="5.2.5"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="${PYTHON:-python3}"

if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" - "$MOTO_VERSION" <<'PYCHECK' 2>/dev/null; then
import sys
from importlib.metadata import version
import flask, flask_cors, boto3  # noqa: F401  (the server and the seeding scripts need them)
sys.exit(0 if version("moto") == sys.argv[1] else 1)
PYCHECK
  echo "moto $MOTO_VERSION already installed in $VENV"
  exit 0
fi

if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
  "moto[server]==$MOTO_VERSION" \
  || "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
       "moto==$MOTO_VERSION" flask flask-cors
echo "moto $MOTO_VERSION installed in $VENV"
