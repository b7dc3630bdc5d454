#!/usr/bin/env bash
# Load test on loopback, bounded in time: a throwaway PostgreSQL, the demo territory plus 200 agents,
# gunicorn with production settings (DEBUG off), two task workers and the minute sweep, then locust with
# 200 users while the agendas of several CoDir meetings reach their deadline and go out. Prints requests,
# failures, latencies (overall, steady state, per page, every 10 s), throughput and the outbox check; exits 1
# if a request failed, a user never got logged in, an agenda mail was missed or sent twice, or a log shows
# an error.
# Usage: scripts/load.sh                      (2 minutes, 200 users)
#        LOAD_DURATION=20s LOAD_USERS=50 scripts/load.sh      (quick check)
# Other knobs: LOAD_SPAWN_RATE (20/s), LOAD_MEETINGS (8), LOAD_TICK (30 s), LOAD_WAIT_MIN/MAX (5-15 s),
# LOAD_WEB_WORKERS (3), LOAD_WEB_THREADS (4), LOAD_WORKER_NICE (5), LOAD_PG_PORT (54334), LOAD_WEB_PORT (8734).
# shellcheck source=scripts/bootstrap.sh
source "$(dirname "$0")/bootstrap.sh"

DURATION="${LOAD_DURATION:-2m}"
USERS="${LOAD_USERS:-200}"
SPAWN_RATE="${LOAD_SPAWN_RATE:-20}"
MEETINGS="${LOAD_MEETINGS:-8}"
TICK="${LOAD_TICK:-30}"
PG_PORT="${LOAD_PG_PORT:-54334}"
WEB_PORT="${LOAD_WEB_PORT:-8734}"
WEB_WORKERS="${LOAD_WEB_WORKERS:-3}"
WEB_THREADS="${LOAD_WEB_THREADS:-4}"
WORKER_NICE="${LOAD_WORKER_NICE:-5}"

python -c 'import locust' 2>/dev/null || {
  log "Installation de locust (extra « load »)"
  python -m pip install --quiet -e ".[test,load]"
}
find_pg_bin() {
  local bin
  for bin in /usr/lib/postgresql/*/bin; do if [ -x "$bin/postgres" ]; then echo "$bin"; fi; done | sort -V | tail -n 1
}
[ -n "$(find_pg_bin)" ] || apt_install postgresql || true
PG_BIN="$(find_pg_bin)"
[ -n "$PG_BIN" ] || die "PostgreSQL est introuvable (apt-get install postgresql)."
# locust's duration (2m, 20s, 1m30s) in seconds: the deadlines of the meetings are spread over the run.
SECONDS_TOTAL="$(python -c 'import re, sys; print(sum(int(n) * {"h": 3600, "m": 60, "s": 1}[u] for n, u in re.findall(r"(\d+)([hms])", sys.argv[1])))' "$DURATION")"
[ "$SECONDS_TOTAL" -gt 0 ] || die "LOAD_DURATION illisible : $DURATION (exemples : 2m, 20s, 1m30s)."

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# A port already taken would be someone else's server: the test would write into their database.
for port in "$PG_PORT" "$WEB_PORT"; do
  ! port_in_use "$port" || die "Le port 127.0.0.1:$port est déjà pris (LOAD_PG_PORT, LOAD_WEB_PORT pour en choisir d'autres)."
done

WORK="$(mktemp -d /tmp/codir-load.XXXXXX)"
RESULTS="var/load/$(date +%Y%m%d-%H%M%S)"
mkdir -p "$RESULTS" "$WORK/mails"
PG_DIR="$WORK/pg"
mkdir "$PG_DIR"
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
  # PostgreSQL refuses to run as root: the throwaway cluster belongs to the postgres user.
  chown postgres: "$PG_DIR"
  chmod 711 "$WORK"  # postgres must reach its folder inside, nothing more
  as_pg=(runuser -u postgres --)
fi
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  "${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
  cp "$WORK"/*.log "$WORK"/*.csv "$WORK/plan.json" "$RESULTS/" 2>/dev/null || true
  cp "$PG_DIR/server.log" "$RESULTS/postgresql.log" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

log "PostgreSQL jetable ($("$PG_BIN/postgres" --version)) sur 127.0.0.1:$PG_PORT"
"${as_pg[@]}" "$PG_BIN/initdb" -D "$PG_DIR/data" -U codir --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
# fsync stays on: the figures are those of a server that writes for real.
"${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w \
  -o "-k $PG_DIR -p $PG_PORT -c listen_addresses=127.0.0.1 -c max_connections=100" start >/dev/null \
  || { cat "$PG_DIR/server.log" >&2; die "PostgreSQL n'a pas démarré."; }

# Production settings (DEBUG off, manifest static files through WhiteNoise), except HTTPS: the test stays
# on loopback over plain HTTP, so the redirection and the Secure flag of the cookies are turned off here only.
export DEBUG=false
SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(60))')"
export SECRET_KEY
export ALLOWED_HOSTS=127.0.0.1 SITE_URL="http://127.0.0.1:$WEB_PORT"
export SECURE_SSL_REDIRECT=false SESSION_COOKIE_SECURE=false CSRF_COOKIE_SECURE=false SECURE_HSTS_SECONDS=0
export DATABASE_URL="postgres://codir@127.0.0.1:$PG_PORT/postgres" DATABASE_CONN_MAX_AGE=60
export EMAIL_BACKEND=file EMAIL_FILE_PATH="$WORK/mails"
export CACHE_URL="file://$WORK/cache" STATIC_ROOT="$WORK/static" MEDIA_ROOT="$WORK/media" LOG_LEVEL=WARNING
LOAD_PASSWORD="Charge-$(python -c 'import secrets; print(secrets.token_urlsafe(12))')"
export LOAD_PASSWORD LOAD_PLAN="$WORK/plan.json" LOAD_REQUESTS="$WORK/requests.csv"

log "Migrations, fichiers statiques, territoire de démonstration, $USERS agents"
python manage.py migrate --no-input -v 0
python manage.py collectstatic --no-input -v 0
python manage.py demo --password "$LOAD_PASSWORD" >"$WORK/demo.log"
python scripts/load/seed.py agents --count "$USERS" --password "$LOAD_PASSWORD"

log "gunicorn ($WEB_WORKERS processus × $WEB_THREADS fils) sur 127.0.0.1:$WEB_PORT, deux travailleurs db_worker"
gunicorn codir.wsgi --bind "127.0.0.1:$WEB_PORT" --workers "$WEB_WORKERS" --threads "$WEB_THREADS" \
  --error-logfile "$WORK/gunicorn.log" &
PIDS+=($!)
# The workers and the sweep run at a lower priority, as the systemd units of deploy/ set them (Nice=5): when the
# processors are short, the pages keep them and the mails wait a little.
for n in 1 2; do
  nice -n "$WORKER_NICE" python manage.py db_worker --queue-name '*' >"$WORK/worker-$n.log" 2>&1 &
  PIDS+=($!)
done
for _ in $(seq 60); do
  curl -sf -o /dev/null "http://127.0.0.1:$WEB_PORT/comptes/connexion/" && break
  sleep 0.5
done
curl -sf -o /dev/null "http://127.0.0.1:$WEB_PORT/comptes/connexion/" || { cat "$WORK/gunicorn.log" >&2; die "gunicorn ne répond pas."; }

# Deadlines from just after the ramp-up to two thirds of the run: the sweep dispatches them under load.
FIRST=$(( SECONDS_TOTAL / 4 < 15 ? SECONDS_TOTAL / 4 : 15 ))
LAST=$(( SECONDS_TOTAL * 2 / 3 ))
python scripts/load/seed.py plan --meetings "$MEETINGS" --first "$FIRST" --last "$LAST" --out "$LOAD_PLAN"

# The sweep, as cron runs it in production (every minute there; every LOAD_TICK seconds here, so that a short
# run sees several). It dispatches the agendas at their deadline; the workers send them, and so does the sweep.
tick_loop() {
  local sleeper=""
  # Stopped between two passes, never in the middle of one: a pass interrupted while it sends would leave
  # the rows it holds to the next pass, which is correct but not what this test measures.
  trap 'kill "$sleeper" 2>/dev/null; exit 0' TERM
  while true; do
    nice -n "$WORKER_NICE" python manage.py tick >>"$WORK/tick.log" 2>&1
    sleep "$TICK" &
    sleeper=$!
    wait "$sleeper"
  done
}
tick_loop &
TICK_PID=$!
PIDS+=("$TICK_PID")

log "Charge : $USERS utilisateurs (+$SPAWN_RATE/s) pendant $DURATION"
locust_rc=0
locust --headless -f scripts/load/locustfile.py --host "http://127.0.0.1:$WEB_PORT" \
  -u "$USERS" -r "$SPAWN_RATE" -t "$DURATION" --stop-timeout 10 --csv "$WORK/run" --only-summary \
  >"$WORK/locust.log" 2>&1 || locust_rc=$?
LOCUST_END="$(date +%s)"

# The sweep stops with the load; one last pass catches what became due since its previous one, as cron would.
kill "$TICK_PID" 2>/dev/null || true
wait "$TICK_PID" 2>/dev/null || true
python manage.py tick >>"$WORK/tick.log" 2>&1

report_rc=0
python scripts/load/report.py --plan "$LOAD_PLAN" --requests "$LOAD_REQUESTS" --users "$USERS" --mails "$WORK/mails" \
  --locust-end "$LOCUST_END" --tick "$TICK" || report_rc=$?

if [ -s "$WORK/run_failures.csv" ] && [ "$(wc -l <"$WORK/run_failures.csv")" -gt 1 ]; then
  printf '\nÉchecs (locust) :\n'
  cat "$WORK/run_failures.csv"
fi
# Server errors and worker timeouts that locust cannot see (the workers' and the sweep's own failures).
errors="$(cat "$WORK/gunicorn.log" "$WORK"/worker-*.log "$WORK/tick.log" | grep -c -E 'Traceback|WORKER TIMEOUT|ERROR' || true)"
printf '\nErreurs dans les journaux (gunicorn, travailleurs, tick) : %s\n' "$errors"
printf 'Résultats et journaux : %s/\n' "$RESULTS"
if [ "$locust_rc" -ne 0 ] || [ "$report_rc" -ne 0 ] || [ "$errors" -ne 0 ]; then
  exit 1
fi
