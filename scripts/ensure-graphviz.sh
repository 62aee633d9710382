#!/usr/bin/env bash
# Makes sure Graphviz's `dot` program is on PATH: installs it with apt-get when we
# are root on Debian/Ubuntu, otherwise stops with the command to run.
set -euo pipefail
command -v dot >/dev/null 2>&1 && exit 0
if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
  echo "Graphviz's dot is missing; installing the graphviz package with apt-get..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null
  command -v dot >/dev/null 2>&1 && exit 0
fi
cat >&2 <<'MSG'
Graphviz's `dot` program is not installed; deltagrad needs it to render graphs.
Install it with one of:
  apt-get install graphviz              (Debian, Ubuntu; as root or with sudo)
  brew install graphviz                 (macOS)
  conda install -c conda-forge graphviz (conda)
MSG
exit 1
