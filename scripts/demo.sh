#!/usr/bin/env bash
# Sets everything up and serves the demo on http://127.0.0.1:8000 with its background worker.
# Usage: scripts/demo.sh        (Ctrl+C stops the server and the worker)
source "$(dirname "$0")/bootstrap.sh"
export DEBUG="${DEBUG:-true}"

log "Base de données (SQLite : db.sqlite3, ou DATABASE_URL)"
python manage.py migrate --no-input -v 0
log "Territoire de démonstration"
python manage.py demo

log "Travailleur des tâches de fond (envois d'e-mails, échéances)"
python manage.py db_worker --queue-name '*' &
WORKER_PID=$!
log "Échéances (clôtures, relances) : manage.py tick chaque minute"
( while true; do python manage.py tick >/dev/null; sleep 60; done ) &
TICK_PID=$!
trap 'kill "$WORKER_PID" "$TICK_PID" 2>/dev/null || true' EXIT INT TERM

log "Application sur http://127.0.0.1:8000/ (Ctrl+C pour arrêter)"
python manage.py runserver 127.0.0.1:8000
