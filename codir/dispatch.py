"""The dispatch of agendas: at the deadline, through an outbox, exactly once per member.

The dispatch never relies on a single moment: at the deadline `dispatch_due` writes one
outbox row per member, `send_pending` sends the rows that have not gone yet, and the sweep
(`manage.py tick`, every minute) runs both, so that after a downtime what was due goes out
and is recorded as late, with its delay.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.header import Header
from email.mime.text import MIMEText

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from charte.selectors import rules_in_force
from codir import ical
from codir.models import AgendaVersion, Envoi, Reunion
from communes.journal import journal_record
from communes.mail import absolute_url
from communes.models import Agent, Membership

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
MAX_NOTICE = timedelta(hours=360)  # the longest notice a charter may set
LATE_TOLERANCE = timedelta(minutes=5)  # a send within five minutes of its due time is on time
EMPTY_AGENDA_REMINDER = timedelta(hours=24)
SEND_BATCH = 200  # outbox rows read together; each is still locked and committed on its own


def dispatch_deadline(reunion: Reunion, *, now: datetime | None = None) -> datetime:
    """When the agenda must go out: the meeting's start minus the notice of the rules in force.

    The notice is counted in elapsed hours (48 h before a 9:00 meeting on the Tuesday after the
    switch to summer time is 8:00 on the Sunday). Once the agenda has gone out, its deadline
    is the one it was sent for: a later change of the charter only moves future meetings.
    """
    first = reunion.agenda_versions.filter(number=1).first() if reunion.dispatched_at else None
    if first is not None:
        return first.due_at
    notice = rules_in_force(reunion.territoire, now).delai_prevenance_heures
    # In UTC: arithmetic on a Europe/Paris datetime would count wall-clock hours, not elapsed ones.
    return reunion.starts_at.astimezone(UTC) - timedelta(hours=notice)


def new_version(reunion: Reunion, kind: str, due_at: datetime, changes: str = "") -> AgendaVersion:
    """A new sending of the agenda, with one outbox row per active member (sent after commit)."""
    from codir.tasks import send_agenda_version

    number = (reunion.agenda_versions.aggregate(last=Max("number"))["last"] or 0) + 1
    if number > 1:
        reunion.sequence += 1  # calendar software replaces the event only if SEQUENCE grows
        reunion.save(update_fields=["sequence"])
    version = AgendaVersion.objects.create(
        reunion=reunion, number=number, kind=kind, sequence=reunion.sequence, changes=changes, due_at=due_at
    )
    members = {
        m.agent
        for m in Membership.objects.active()
        .filter(territoire=reunion.territoire, agent__is_active=True)
        .select_related("agent")
    }
    # Those who have the event in their calendar hear of its changes even if they left since;
    # a cancellation goes only to them.
    received = {
        e.recipient
        for e in Envoi.objects.filter(version__reunion=reunion, recipient__is_active=True).select_related("recipient")
    }
    recipients = received if kind == AgendaVersion.Kind.ANNULATION else members | received
    Envoi.objects.bulk_create(
        [Envoi(version=version, recipient=agent, email=agent.email) for agent in recipients], ignore_conflicts=True
    )
    transaction.on_commit(lambda: send_agenda_version.enqueue(version.pk))
    return version


@dataclass
class DispatchReport:
    dispatched: int = 0
    sent: int = 0
    late: int = 0
    failed: int = 0
    reminded: int = 0


def dispatch_due(*, now: datetime | None = None) -> int:
    """Create the first agenda version of every meeting whose deadline has come; returns how many."""
    now = now or timezone.now()
    count = 0
    candidates = Reunion.objects.filter(
        dispatched_at__isnull=True, cancelled_at__isnull=True, starts_at__lte=now + MAX_NOTICE
    ).select_related("territoire")
    for reunion in candidates:
        if dispatch_deadline(reunion, now=now) > now:
            continue
        with transaction.atomic():
            locked = Reunion.objects.select_for_update().get(pk=reunion.pk)
            if locked.dispatched_at is not None or locked.cancelled_at is not None:
                continue  # another sweep did it, or the meeting was cancelled meanwhile
            deadline = dispatch_deadline(locked, now=now)  # read again: the meeting may have moved
            if deadline > now:
                continue
            locked.dispatched_at = now
            locked.save(update_fields=["dispatched_at"])
            new_version(locked, AgendaVersion.Kind.INITIAL, deadline)
            journal_record(
                action="codir.agenda.dispatched",
                actor=None,
                territoire=locked.territoire,
                target=locked,
                data={"deadline": deadline.isoformat(), "late_by_seconds": int((now - deadline).total_seconds())},
            )
        count += 1
    return count


@dataclass(frozen=True)
class AgendaParts:
    """What every recipient of one agenda version receives alike."""

    subject: str
    encoded_subject: str
    text: str
    html: str
    cancelled: bool
    invitation: ical.Invitation


def _agenda_parts(version: AgendaVersion) -> AgendaParts:
    reunion = version.reunion
    points = list(
        reunion.points.filter(withdrawn_at__isnull=True).prefetch_related("documents").select_related("presenter")
    )
    link = absolute_url(reverse("codir:reunion", args=[reunion.territoire.slug, reunion.pk]))
    for point in points:
        for document in point.documents.all():
            # Documents are served through the access check, never from a public folder.
            document.absolute_url = absolute_url(reverse("codir:document", args=[reunion.territoire.slug, document.pk]))
    context = {
        "reunion": reunion,
        "version": version,
        "points": points,
        "link": link,
        "cancelled": version.kind == AgendaVersion.Kind.ANNULATION,
    }
    with translation.override("fr"):
        text = render_to_string("emails/agenda_body.txt", context)
        subject = " ".join(render_to_string("emails/agenda_subject.txt", context).split())
        return AgendaParts(
            subject=subject,
            encoded_subject=encode_subject(subject),
            text=text,
            html=render_to_string("emails/agenda_body.html", context),
            cancelled=context["cancelled"],
            invitation=ical.Invitation(
                reunion, sequence=version.sequence, cancelled=context["cancelled"], description=text
            ),
        )


class AgendaMail(EmailMultiAlternatives):
    """An agenda mail whose subject comes already encoded (RFC 2047, once per version) and whose MIME
    boundaries are drawn at random rather than searched for: per recipient, Python's header encoder spent
    about a millisecond on a French subject, and its generator compiled a regular expression for each
    boundary it chose — a quarter of a national sweep's time. `subject` stays the readable text."""

    def __init__(self, *args, encoded_subject: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.encoded_subject = encoded_subject

    def message(self):
        subject, self.subject = self.subject, self.encoded_subject  # ASCII: Django only folds it
        try:
            message = super().message()
        finally:
            self.subject = subject
        for part in message.walk():
            if part.is_multipart():
                # 128 random bits: a body cannot contain it by chance, so nothing to search.
                part.set_boundary(f"=_codir_{uuid.uuid4().hex}")
        return message


def encode_subject(subject: str) -> str:
    """The subject as RFC 2047 encoded words on one line (Django folds it); ASCII subjects unchanged."""
    if subject.isascii():
        return subject
    return Header(subject, settings.DEFAULT_CHARSET).encode(linesep="")  # words keep their separating space


def _agenda_mail(envoi: Envoi, rendered: dict[int, AgendaParts]) -> EmailMultiAlternatives:
    """The agenda mail of one outbox row; `rendered` keeps each version's parts for the rest of the sweep
    (they differ only by the recipient: rendering them once per member cost most of a send)."""
    version = envoi.version
    if version.pk not in rendered:
        rendered[version.pk] = _agenda_parts(version)
    parts = rendered[version.pk]
    message = AgendaMail(parts.subject, parts.text, to=[envoi.email], encoded_subject=parts.encoded_subject)
    message.attach_alternative(parts.html, "text/html")
    # An iMIP part: text/calendar with its METHOD parameter, as Outlook expects it.
    part = MIMEText(parts.invitation.for_attendee(envoi.email).decode(), "calendar", "utf-8")
    part.set_param("method", "CANCEL" if parts.cancelled else "REQUEST")
    part.add_header("Content-Disposition", "attachment", filename="invitation.ics")
    message.attach(part)
    return message


def _close_quietly(mailer: BaseEmailBackend) -> None:
    # After a refusal the SMTP session may be broken; the next send opens a fresh one.
    try:
        mailer.close()
    except Exception:  # closing a dead session must not stop the other sends
        logger.warning("closing the mail connection failed", exc_info=True)


def send_pending(*, now: datetime | None = None, version: AgendaVersion | None = None) -> DispatchReport:
    """Send the outbox rows not sent yet, one transaction per row.

    The row is locked while its mail is handed to the mail server, and marked sent in the same
    transaction: two workers never send the same row, and a worker killed before the commit
    leaves the row unsent for the next sweep (at most one duplicate if it died after the mail
    server accepted the message). What the mails share is read and rendered once per batch
    and per version, and one mail connection serves the whole sweep: per row, only the lock,
    the mail and the update remain.
    """
    report = DispatchReport()
    rendered: dict[int, AgendaParts] = {}
    # A refused address is retried by each sweep, up to MAX_ATTEMPTS; its error stays on the row.
    pending = Envoi.objects.filter(sent_at__isnull=True, attempts__lt=MAX_ATTEMPTS, recipient__is_active=True)
    if version is not None:
        pending = pending.filter(version=version)
    pks = list(pending.order_by("pk").values_list("pk", flat=True))
    mailer = get_connection()
    try:
        for start in range(0, len(pks), SEND_BATCH):
            chunk = pks[start : start + SEND_BATCH]
            # order_by(): the outbox's default ordering joins the version and the meeting, for nothing here.
            batch = (
                Envoi.objects.select_related("version__reunion__territoire", "version__reunion__created_by")
                .order_by()
                .in_bulk(chunk)
            )
            for pk in chunk:
                _send_one(batch[pk], mailer, rendered, now, report)
    finally:
        _close_quietly(mailer)
    return report


def _send_one(
    envoi: Envoi,
    mailer: BaseEmailBackend,
    rendered: dict[int, AgendaParts],
    now: datetime | None,
    report: DispatchReport,
) -> None:
    """Lock one outbox row, hand its mail to the server and mark it sent, in one transaction."""
    with transaction.atomic():
        # of=("self",) and no join: only the outbox row needs locking; skip_locked leaves it to the
        # worker already sending it.
        locked = (
            Envoi.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk=envoi.pk, sent_at__isnull=True)
            .order_by()
            .values_list("attempts", flat=True)
        )
        attempts = next(iter(locked), None)
        if attempts is None:
            return  # sent meanwhile, or being sent by another worker
        moment = now or timezone.now()
        try:
            mailer.send_messages([_agenda_mail(envoi, rendered)])
        except Exception as error:  # a mail server refusal must not stop the other sends
            logger.exception("agenda mail to %s failed", envoi.email)
            Envoi.objects.filter(pk=envoi.pk).update(attempts=attempts + 1, last_error=str(error)[:1000])
            report.failed += 1
            _close_quietly(mailer)
            return
        delay = moment - envoi.version.due_at
        late_by = delay if delay > LATE_TOLERANCE else None
        Envoi.objects.filter(pk=envoi.pk).update(attempts=attempts + 1, sent_at=moment, late_by=late_by)
        report.sent += 1
        report.late += late_by is not None


def remind_empty_agendas(*, now: datetime) -> int:
    """24 hours before the deadline, remind the convener of a meeting whose agenda is still empty."""
    from codir.tasks import remind_empty_agenda

    count = 0
    for reunion in Reunion.objects.filter(
        dispatched_at__isnull=True,
        cancelled_at__isnull=True,
        empty_agenda_reminded_at__isnull=True,
        starts_at__lte=now + MAX_NOTICE + EMPTY_AGENDA_REMINDER,
    ).select_related("territoire"):
        deadline = dispatch_deadline(reunion, now=now)
        if not (deadline - EMPTY_AGENDA_REMINDER <= now < deadline) or reunion.points.exists():
            continue
        with transaction.atomic():
            if Reunion.objects.filter(pk=reunion.pk, empty_agenda_reminded_at__isnull=True).update(
                empty_agenda_reminded_at=now
            ):
                transaction.on_commit(lambda pk=reunion.pk: remind_empty_agenda.enqueue(pk))
                count += 1
    return count


def codir_sweep(*, now: datetime | None = None) -> DispatchReport:
    """What the clock calls for: reminders of empty agendas, dispatch at the deadline, pending sends."""
    now = now or timezone.now()
    reminded = remind_empty_agendas(now=now)
    dispatched = dispatch_due(now=now)
    report = send_pending(now=now)
    report.dispatched, report.reminded = dispatched, reminded
    return report


@transaction.atomic
def acknowledge(*, reunion: Reunion, agent: Agent, now: datetime | None = None) -> int:
    """The member has read the agenda ("pris connaissance"): marks the versions they received."""
    return Envoi.objects.filter(
        version__reunion=reunion, recipient=agent, read_at__isnull=True, sent_at__isnull=False
    ).update(read_at=now or timezone.now())
