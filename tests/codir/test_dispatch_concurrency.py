"""Two workers draining the outbox at the same time never send the same row (PostgreSQL only).

`send_pending` locks each row with FOR UPDATE SKIP LOCKED and marks it sent in the same transaction; the
sweep locks the meeting before creating its first agenda version. These tests run the real code in threads,
each with its own database connection, against committed data (`transaction=True`), with a mail backend
slow enough that the workers meet on the same rows.
"""

import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.core.mail.backends.base import BaseEmailBackend
from django.db import close_old_connections, connection, transaction

from codir import dispatch
from codir.models import AgendaVersion, Envoi
from communes.models import Membership
from tests.conftest import make_member
from tests.mailtools import invitation_of

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite locks the whole database and ignores SELECT … FOR UPDATE SKIP LOCKED: "
        "concurrent workers can only be tested on PostgreSQL (DATABASE_URL=postgres://…).",
    ),
    pytest.mark.django_db(transaction=True),
]

EXTRA_MEMBERS = 27  # with the three members of the `reunion` fixture: 30 recipients per version
SEND_DELAY = 0.02  # seconds per mail: long enough for the other worker to reach a row that is being sent


class RecordingBackend(BaseEmailBackend):
    """Records every mail handed to it, from any thread, slowly, as a remote mail server would."""

    lock = threading.Lock()
    sent: list[tuple[str, str, int]] = []  # (worker thread, recipient, iCalendar SEQUENCE = agenda version)

    def send_messages(self, messages):
        for message in messages:
            time.sleep(SEND_DELAY)
            sequence = int(invitation_of(message).events[0]["sequence"])
            with self.lock:
                self.sent.append((threading.current_thread().name, message.to[0], sequence))
        return len(messages)


@pytest.fixture
def recording_mail(settings):
    settings.EMAIL_BACKEND = f"{__name__}.RecordingBackend"
    # Nothing runs on enqueue: the workers of these tests are the threads, not an immediate task backend.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    RecordingBackend.sent = []
    return RecordingBackend


@pytest.fixture
def members(reunion, mortagne):
    for index in range(EXTRA_MEMBERS):
        make_member(mortagne, "Tiffauges", f"agent{index}@tiffauges.test", Membership.Role.SG)
    return Membership.objects.active().filter(territoire=mortagne).count()


def run_concurrently(target, workers: int) -> dict:
    """Run `target()` in `workers` threads released together; each thread has its own connection."""
    barrier = threading.Barrier(workers, timeout=30)
    results, errors = {}, []

    def run(name):
        try:
            barrier.wait()
            results[name] = target()
        except BaseException as error:  # re-raised in the test's thread, where pytest sees it
            errors.append(error)
        finally:
            connection.close()  # the test database is dropped at the end: no connection may linger

    threads = [threading.Thread(target=run, args=(f"worker-{n}",), name=f"worker-{n}") for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a worker is stuck (a lock never released?)"
    if errors:
        raise errors[0]
    close_old_connections()
    return results


def test_two_workers_never_send_the_same_outbox_row(recording_mail, reunion, members):
    now = dispatch.dispatch_deadline(reunion)
    with transaction.atomic():
        dispatch.new_version(reunion, AgendaVersion.Kind.INITIAL, now)
        dispatch.new_version(reunion, AgendaVersion.Kind.MISE_A_JOUR, now, "Point ajouté hors délai")
    expected = {(envoi.email, envoi.version.sequence) for envoi in Envoi.objects.select_related("version")}
    assert len(expected) == Envoi.objects.count() == 2 * members == 60

    reports = run_concurrently(lambda: dispatch.send_pending(now=now), workers=2)

    sends = Counter((recipient, sequence) for _, recipient, sequence in recording_mail.sent)
    assert set(sends) == expected, "a row was missed or a stranger was mailed"
    assert [row for row, count in sends.items() if count > 1] == [], "a row was sent twice"
    assert sum(report.sent for report in reports.values()) == len(recording_mail.sent) == len(expected)
    assert sum(report.failed for report in reports.values()) == 0
    # Each row was tried once: a second worker that met it skipped it rather than waiting and sending again.
    assert set(Envoi.objects.values_list("attempts", flat=True)) == {1}
    assert not Envoi.objects.filter(sent_at__isnull=True).exists()
    # Both workers did send: the rows were shared out, not drained by one while the other waited.
    per_worker = Counter(worker for worker, _, _ in recording_mail.sent)
    assert len(per_worker) == 2 and min(per_worker.values()) > 0, per_worker


def test_two_sweeps_at_the_deadline_dispatch_once_and_mail_each_member_once(recording_mail, reunion, members):
    deadline = dispatch.dispatch_deadline(reunion)

    reports = run_concurrently(lambda: dispatch.codir_sweep(now=deadline + timedelta(seconds=1)), workers=2)

    assert AgendaVersion.objects.filter(reunion=reunion).count() == 1, "the agenda was dispatched twice"
    assert sum(report.dispatched for report in reports.values()) == 1
    sends = Counter(recipient for _, recipient, _ in recording_mail.sent)
    assert len(sends) == members and set(sends.values()) == {1}
    assert sum(report.sent for report in reports.values()) == members
