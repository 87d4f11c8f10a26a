#!/usr/bin/env bash
# Set up everything a render or the tests need, idempotently: the system libraries that pycairo and
# manimpango build against, then .venv/ with the pinned Python packages. Re-runs skip what is done.
set -euo pipefail
cd "$(dirname "$0")"

PYTHON=${PYTHON:-python3}
packages=(libcairo2-dev libpango1.0-dev pkg-config gcc espeak-ng)
if [ "$(command -v "$PYTHON")" = /usr/bin/python3 ]; then  # Debian's own Python: headers and venv
  packages+=(python3-dev python3-venv)
fi
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
  echo "setup: installing system packages: ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
stamp=.venv/.setup-$(sha256sum pyproject.toml setup.sh | sha256sum | cut -c1-16)
if [ ! -e "$stamp" ]; then
  echo "setup: installing Python packages into .venv/" >&2
  # torch first and pinned, so nothing pulls a newer CUDA build. Elsewhere, TORCH_INDEX_URL can
  # point pip at a CPU-only wheel index.
  .venv/bin/pip install -q torch==2.13.0 ${TORCH_INDEX_URL:+--extra-index-url "$TORCH_INDEX_URL"}
  .venv/bin/pip install -q -e ".[test]"
  rm -f .venv/.setup-*
  touch "$stamp"
fi
.venv/bin/python -c "import manim, torch, typst, av" || { echo "setup: imports failed" >&2; exit 3; }
