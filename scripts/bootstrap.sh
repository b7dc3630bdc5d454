# Sourced by scripts/demo.sh and scripts/test.sh: a virtualenv in .venv with the project installed.
# Installs Debian packages when they are missing and we are root (or have sudo).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf '\033[1m==> %s\033[0m\n' "$*"; }
die() { printf '\033[31mERREUR : %s\033[0m\n' "$*" >&2; exit 1; }

apt_install() {
  # apt_install PACKAGE... : install Debian packages if we may; return 1 otherwise.
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null || return 1
    sudo="sudo -n"
  fi
  command -v apt-get >/dev/null 2>&1 || return 1
  log "apt-get install $*"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

PYTHON="${PYTHON:-$(command -v python3.11 || command -v python3 || true)}"
[ -n "$PYTHON" ] || die "Python 3.11 est introuvable (apt-get install python3)."
"$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' \
  || die "Python 3.11 est requis ; $PYTHON est $("$PYTHON" --version 2>&1)."

if [ ! -x .venv/bin/python ]; then
  log "Création de l'environnement virtuel .venv"
  if ! "$PYTHON" -m venv .venv 2>/dev/null; then
    rm -rf .venv
    apt_install python3-venv || die "Le module venv manque : apt-get install python3-venv."
    "$PYTHON" -m venv .venv
  fi
fi
# shellcheck disable=SC1091
. .venv/bin/activate
if [ ! -f .venv/.installed ] || [ pyproject.toml -nt .venv/.installed ]; then
  log "Installation des dépendances Python"
  python -m pip install --quiet --upgrade pip
  python -m pip install --quiet -e ".[test]"
  touch .venv/.installed
fi
