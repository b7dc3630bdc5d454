"""What the load test measured, and whether every agenda went out exactly once (run by scripts/load.sh).

    python scripts/load/report.py --plan plan.json --requests requests.csv --users 200 --mails mails/
                                  --locust-end 1712345678 --tick 30

Waits until the background workers have drained the outbox (bounded), then prints the figures of locust
(requests, failures, latency percentiles overall and per page, throughput) and checks the database and the
mails written by the file e-mail backend: every meeting whose deadline has passed was dispatched, every
outbox row (`codir.Envoi`) was sent, each recipient × agenda version was mailed exactly once. Exits 1 if
a request failed, a user never got logged in, or any of these checks does not hold.
"""

import argparse
import csv
import email
import json
import math
import os
import re
import statistics
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from email import policy
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "codir.settings")

import django  # noqa: E402

django.setup()

from django.db.models import Q  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_tasks_db.models import DBTaskResult  # noqa: E402

from codir.dispatch import MAX_ATTEMPTS, dispatch_deadline  # noqa: E402
from codir.models import AgendaVersion, Envoi, Reunion  # noqa: E402
from communes.models import Membership  # noqa: E402

LOGINS = {"connexion", "API : jeton"}  # the names the locustfile gives to its password logins
SEPARATOR = b"\n" + b"-" * 79 + b"\n"  # what Django's file backend writes after each message
UID = re.compile(r"^UID:(\S+)", re.MULTILINE)
SEQUENCE = re.compile(r"^SEQUENCE:(\d+)", re.MULTILINE)


def wait_for_workers(reunions: list[int], timeout: float) -> float:
    """Wait until no outbox row of the run is still to be sent and no background task is waiting or running."""
    started = time.monotonic()
    while True:
        pending = Envoi.objects.filter(
            version__reunion__in=reunions, sent_at__isnull=True, attempts__lt=MAX_ATTEMPTS, recipient__is_active=True
        ).count()
        busy = DBTaskResult.objects.filter(status__in=["READY", "RUNNING"]).count()
        waited = time.monotonic() - started
        if (pending == 0 and busy == 0) or waited > timeout:
            return waited
        time.sleep(1)


def agenda_mails(folder: Path) -> Counter:
    """(recipient, meeting UID, iCalendar SEQUENCE) of every agenda mail the file backend wrote."""
    sent = Counter()
    for path in sorted(folder.glob("*.log")):
        for chunk in path.read_bytes().split(SEPARATOR):
            if not chunk.strip():
                continue
            message = email.message_from_bytes(chunk, policy=policy.default)
            for part in message.walk():
                if part.get_content_type() == "text/calendar":
                    ics = part.get_content()
                    sent[(str(message["To"]), UID.search(ics).group(1), int(SEQUENCE.search(ics).group(1)))] += 1
    return sent


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile of sorted values."""
    return values[max(math.ceil(p / 100 * len(values)) - 1, 0)]


def latencies(rows: list[dict]) -> str:
    values = sorted(float(row["ms"]) for row in rows)
    if not values:
        return "—"
    return " ".join(f"{percentile(values, p):>6.0f}" for p in (50, 95, 99, 100))


def print_requests(requests_path: Path, users: int) -> list[str]:
    rows = list(csv.DictReader(requests_path.open()))
    if not rows:
        return ["aucune requête enregistrée"]
    problems = []
    failures = sum(row["failed"] == "True" for row in rows)
    if failures:
        problems.append(f"{failures} requêtes en échec")
    began = min(float(row["start"]) for row in rows)
    ended = max(float(row["end"]) for row in rows)
    # A user whose login had not come back when the run ended never worked: locust does not count it as a
    # failure (the request was cut, not answered), this report does.
    logins = [float(row["end"]) for row in rows if row["name"] in LOGINS and row["failed"] == "False"]
    if len(logins) < users:
        problems.append(f"{users - len(logins)} utilisateurs sur {users} jamais connectés pendant le test")
    print("\n== Requêtes (locust) ==")
    print(f"requêtes : {len(rows)}")
    print(f"échecs : {failures}")
    print(f"débit : {len(rows) / (ended - began):.1f} requêtes/s sur {ended - began:.0f} s")
    print(
        f"utilisateurs connectés : {len(logins)}/{users}"
        + (f", le dernier à +{max(logins) - began:.0f} s" if logins else "")
    )
    print(f"{'':<34} {'p50':>6} {'p95':>6} {'p99':>6} {'max':>6}  (ms)")
    print(f"{'latence, ensemble':<34} {latencies(rows)}")
    # The steady state begins when every user has logged in (the ramp-up is a queue of password hashes).
    if logins and len(logins) >= users:
        settled = max(logins)
        steady = [row for row in rows if float(row["start"]) >= settled]
        print(
            f"{'latence, régime établi':<34} {latencies(steady)}  "
            f"({len(steady)} requêtes après la dernière connexion ; "
            f"{len(steady) / max(ended - settled, 1):.1f} requêtes/s)"
        )
    else:
        print(f"{'latence, régime établi':<34} —  (pas atteint : des utilisateurs attendaient encore leur connexion)")
    # Ten seconds at a time, with the agenda mails sent meanwhile: what the dispatch costs the pages.
    sent = Envoi.objects.filter(sent_at__gte=datetime.fromtimestamp(began, UTC)).values_list("sent_at", flat=True)
    mails_at = Counter(int((moment.timestamp() - began) // 10) for moment in sent)
    print(f"\n{'chronologie':<12} {'requêtes':>8} {'connexions':>10} {'courriels':>9} {'p50':>6} {'p95':>6}  (ms)")
    for bucket in range(int((ended - began) // 10) + 1):
        within = [row for row in rows if int((float(row["start"]) - began) // 10) == bucket]
        values = sorted(float(row["ms"]) for row in within)
        logged = sum(began + bucket * 10 <= end < began + bucket * 10 + 10 for end in logins)
        p50 = f"{percentile(values, 50):>6.0f} {percentile(values, 95):>6.0f}" if values else f"{'—':>6} {'—':>6}"
        print(f"{'+' + str(bucket * 10) + ' s':<12} {len(within):>8} {logged:>10} {mails_at.get(bucket, 0):>9} {p50}")
    names = Counter(row["name"] for row in rows)
    print(f"\n{'page':<34} {'requêtes':>8} {'échecs':>6} {'p50':>6} {'p95':>6} {'p99':>6} {'max':>6}  (ms)")
    for name, count in names.most_common():
        of_page = [row for row in rows if row["name"] == name]
        failed = sum(row["failed"] == "True" for row in of_page)
        print(f"{name[:34]:<34} {count:>8} {failed:>6} {latencies(of_page)}")
    return problems


def check_outbox(plan: dict, mails_folder: Path, locust_end: float, tick: float) -> list[str]:
    problems = []
    ids = [r["id"] for r in plan["reunions"]]
    during_run = [r["id"] for r in plan["reunions"] if r["dispatched_during_run"]]
    now = timezone.now()
    reunions = list(Reunion.objects.filter(pk__in=ids).select_related("territoire"))
    due = [r for r in reunions if r.pk in during_run and dispatch_deadline(r) <= now]
    undispatched = [r.pk for r in due if r.dispatched_at is None]
    versions = AgendaVersion.objects.filter(reunion__in=ids)
    rows = Envoi.objects.filter(version__in=versions)
    sent_rows = rows.filter(sent_at__isnull=False)
    members = Membership.objects.active().filter(territoire__slug=plan["slug"], agent__is_active=True).count()
    short = [
        v.pk
        for v in versions.filter(kind=AgendaVersion.Kind.INITIAL)
        if Envoi.objects.filter(version=v).count() != members
    ]
    db_keys = {
        (e.email, e.version.reunion.uid, e.version.sequence) for e in sent_rows.select_related("version__reunion")
    }
    uids = {r.uid for r in reunions}
    mails = Counter({key: count for key, count in agenda_mails(mails_folder).items() if key[1] in uids})
    duplicates = sum(count - 1 for count in mails.values() if count > 1)
    missing = len(db_keys - set(mails))
    strangers = len(set(mails) - db_keys)
    delays = [(e.sent_at - e.version.due_at).total_seconds() for e in sent_rows.select_related("version")]
    during = sent_rows.filter(sent_at__lte=datetime.fromtimestamp(locust_end, UTC)).count()
    tasks = Counter(DBTaskResult.objects.values_list("status", flat=True))

    print("\n== Envoi des ordres du jour pendant la charge ==")
    print(
        f"réunions dont l'échéance tombait pendant le test : {len(due)}/{len(during_run)}, non envoyées : {len(undispatched)}"
    )
    print(
        f"versions de l'ordre du jour : {versions.count()} "
        f"(dont {versions.exclude(kind=AgendaVersion.Kind.INITIAL).count()} mises à jour pour un point hors délai)"
    )
    print(f"destinataires par envoi initial : {members} membres actifs ; envois incomplets : {len(short)}")
    print(f"lignes d'envoi (codir.Envoi) attendues : {rows.count()}")
    print(
        f"lignes marquées parties : {sent_rows.count()} (dont {during} pendant la charge), en attente : {rows.count() - sent_rows.count()}"
    )
    print(
        f"lignes essayées plus d'une fois : {rows.filter(attempts__gt=1).count()}, en erreur : {rows.exclude(last_error='').count()}"
    )
    print(
        f"courriels d'ordre du jour écrits : {sum(mails.values())} ; doublons (destinataire × version) : {duplicates}"
    )
    print(f"lignes parties sans courriel : {missing} ; courriels sans ligne : {strangers}")
    if delays:
        print(
            f"délai entre l'échéance et l'envoi (s) : médiane {statistics.median(delays):.1f}, "
            f"max {max(delays):.1f} (manage.py tick toutes les {tick:.0f} s ; le cron de production : chaque minute)"
        )
    print(f"tâches de fond : {dict(sorted(tasks.items()))}")

    if undispatched:
        problems.append(f"réunions à l'échéance passée non envoyées : {undispatched}")
    if short:
        problems.append(f"envois initiaux incomplets (versions {short})")
    if rows.count() != sent_rows.count():
        problems.append(f"{rows.count() - sent_rows.count()} lignes d'envoi jamais parties")
    if duplicates or missing or strangers:
        problems.append(f"courriels : {duplicates} doublons, {missing} manquants, {strangers} inattendus")
    if sum(mails.values()) != sent_rows.count():
        problems.append(f"{sum(mails.values())} courriels pour {sent_rows.count()} lignes parties")
    if tasks.get("FAILED") or tasks.get("READY") or tasks.get("RUNNING"):
        failed = DBTaskResult.objects.filter(~Q(status="SUCCESSFUL")).values_list("task_path", "status")[:5]
        problems.append(f"tâches de fond non terminées ou en échec : {list(failed)}")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--plan", type=Path, required=True)
    parser.add_argument("--requests", type=Path, required=True, help="les requêtes chronométrées (LOAD_REQUESTS)")
    parser.add_argument("--mails", type=Path, required=True, help="EMAIL_FILE_PATH")
    parser.add_argument("--locust-end", type=float, required=True, help="fin de la charge (secondes epoch)")
    parser.add_argument("--users", type=int, required=True, help="le nombre d'utilisateurs de locust")
    parser.add_argument("--tick", type=float, default=60, help="intervalle du balayage (manage.py tick), en s")
    parser.add_argument("--drain-timeout", type=float, default=300)
    args = parser.parse_args()
    plan = json.loads(args.plan.read_text())

    waited = wait_for_workers([r["id"] for r in plan["reunions"]], args.drain_timeout)
    print(f"(file d'envoi vidée {waited:.0f} s après la fin de la charge)")
    problems = print_requests(args.requests, args.users)
    problems += check_outbox(plan, args.mails, args.locust_end, args.tick)
    if problems:
        print("\nÉCHEC :\n- " + "\n- ".join(problems))
        sys.exit(1)
    print("\nOK : tous connectés, aucune requête en échec, chaque ordre du jour envoyé une fois à chaque membre.")


if __name__ == "__main__":
    main()
