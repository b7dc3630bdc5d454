#!/usr/bin/env bash
# Runs the whole test suite: lint, migrations, then pytest on SQLite and on a throwaway
# PostgreSQL server (loopback only), browser tests with Debian's chromium included.
# Usage: scripts/test.sh [pytest arguments]
source "$(dirname "$0")/bootstrap.sh"
export DEBUG="${DEBUG:-true}"

find_pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

if [ ! -x /usr/bin/chromium ] || [ -z "$(find_pg_bin)" ]; then
  apt_install chromium postgresql || true
fi
[ -x /usr/bin/chromium ] || [ "${CODIR_SKIP_E2E:-}" = 1 ] \
  || die "Chromium manque pour les tests navigateur : apt-get install chromium (ou CODIR_SKIP_E2E=1)."

log "ruff"
ruff check .
ruff format --check .
log "Migrations à jour"
python manage.py makemigrations --check --dry-run -v 1 >/dev/null || die "Des migrations manquent : manage.py makemigrations."

log "Réglages de production (manage.py check --deploy)"
DEBUG=false SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(60))')" ALLOWED_HOSTS=codir.example.fr \
  python manage.py check --deploy --fail-level WARNING || die "Les réglages de production ne passent pas check --deploy."

PYTEST=(python -m pytest -n 2 --durations=8 "$@")

log "Tests sur SQLite"
env -u DATABASE_URL "${PYTEST[@]}"

PG_BIN="$(find_pg_bin)"
if [ -z "$PG_BIN" ]; then
  [ "${CI:-}" = true ] && die "PostgreSQL est introuvable : la CI doit tester sur PostgreSQL."
  printf '\033[33mATTENTION : PostgreSQL absent, tests sur PostgreSQL non exécutés (apt-get install postgresql).\033[0m\n'
  exit 0
fi

PG_PORT="${PG_PORT:-54329}"
# Another server on this port would receive the migrations meant for the throwaway one.
if (exec 3<>"/dev/tcp/127.0.0.1/$PG_PORT") 2>/dev/null; then
  die "Le port $PG_PORT est déjà pris (une autre série de tests ?) : arrêtez-la ou choisissez PG_PORT=…"
fi
PG_DIR="$(mktemp -d /tmp/codir-pg.XXXXXX)"
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
  # PostgreSQL refuses to run as root: the throwaway cluster belongs to the postgres user.
  chown postgres: "$PG_DIR"
  as_pg=(runuser -u postgres --)
fi
stop_pg() {
  "${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
}
trap stop_pg EXIT
log "PostgreSQL jetable ($("$PG_BIN/postgres" --version)) sur 127.0.0.1:$PG_PORT"
"${as_pg[@]}" "$PG_BIN/initdb" -D "$PG_DIR/data" -U codir --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
"${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w \
  -o "-k $PG_DIR -p $PG_PORT -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off" start >/dev/null \
  || { cat "$PG_DIR/server.log" >&2; die "PostgreSQL n'a pas démarré."; }
export DATABASE_URL="postgres://codir@127.0.0.1:$PG_PORT/postgres"

log "Migrations réversibles (PostgreSQL)"
python manage.py migrate --no-input -v 0
python manage.py migrate communes zero --no-input -v 0
python manage.py migrate --no-input -v 0

log "Tests sur PostgreSQL"
"${PYTEST[@]}"
log "Tous les tests passent (SQLite et PostgreSQL)."
