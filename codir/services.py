"""The only writers of instances, CoDir meetings and their agendas, and the agenda dispatch.

The dispatch never relies on a single moment: at the deadline `dispatch_due` writes one
outbox row per member, `send_pending` sends the rows that have not gone yet, and the sweep
(`manage.py tick`, every minute) runs both, so that after a downtime what was due goes out
and is recorded as late, with its delay.
"""

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from charte.selectors import rules_in_force
from codir import ical
from codir.calendar import CONSEIL_CLEAR_DAYS, latest_sending_day
from codir.models import AgendaVersion, Document, Envoi, Instance, PointOdj, Reunion, new_uid
from communes.journal import journal_record
from communes.mail import absolute_url
from communes.models import Agent, Collectivite, Membership, Territoire
from communes.text import clean_text, render_markdown

logger = logging.getLogger(__name__)

MAX_DOCUMENT_SIZE = 20 * 1024 * 1024  # 20 Mo: what mail servers and members' connections bear
LATE_TOLERANCE = timedelta(minutes=5)  # a send within five minutes of its due time is on time
EMPTY_AGENDA_REMINDER = timedelta(hours=24)


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


@transaction.atomic
def instance_create(
    *,
    territoire: Territoire,
    by: Agent,
    kind: str,
    starts_at: datetime,
    place: str = "",
    title: str = "",
    agenda: str = "",
    uid: str = "",
) -> Instance:
    """Record an instance (conseil, bureau, conférence des maires…) the CoDir will prepare."""
    agenda = clean_text(agenda)
    instance = Instance(
        territoire=territoire,
        kind=kind,
        starts_at=starts_at,
        place=place.strip(),
        title=title.strip(),
        agenda=agenda,
        agenda_html=render_markdown(agenda),
        uid=uid or new_uid(),
        created_by=by,
    )
    instance.full_clean()
    instance.save()
    journal_record(action="codir.instance.created", actor=by, territoire=territoire, target=instance)
    return instance


@dataclass
class MeetingProposal:
    starts_at: datetime | None
    host: Collectivite | None
    animateur: Agent | None
    reasons: list[str] = field(default_factory=list)


def reunion_proposal(territoire: Territoire, instance: Instance | None = None) -> MeetingProposal:
    """What the charter's rules suggest for the next meeting: date, host and animateur by rotation.

    Rotation picks whoever served least recently (never first, then the longest ago); ties go
    to the smallest collectivité, so that small communes are not always last.
    """
    rules = rules_in_force(territoire)
    proposal = MeetingProposal(starts_at=None, host=None, animateur=None)
    if instance is not None:
        day = timezone.localtime(instance.starts_at).date() - timedelta(days=rules.codir_avant_instance_jours)
        proposal.starts_at = timezone.make_aware(datetime.combine(day, time(9, 0)))
        proposal.reasons.append(
            _("%(jours)s jours avant l'instance, selon la charte.") % {"jours": rules.codir_avant_instance_jours}
        )
    if rules.lieu_tournant:
        last_hosted = dict(
            Reunion.objects.for_territoire(territoire)
            .filter(host__isnull=False, cancelled_at__isnull=True)
            .values_list("host_id")
            .annotate(last=Max("starts_at"))
        )
        candidates = list(Collectivite.objects.for_territoire(territoire).active())
        if candidates:
            proposal.host = min(
                candidates, key=lambda c: (c.pk in last_hosted, last_hosted.get(c.pk), c.population, c.name)
            )
            proposal.reasons.append(_("Lieu tournant : la collectivité qui a accueilli le moins récemment."))
    if rules.animation_tournante:
        last_animated = dict(
            Reunion.objects.for_territoire(territoire)
            .filter(animateur__isnull=False, cancelled_at__isnull=True)
            .values_list("animateur_id")
            .annotate(last=Max("starts_at"))
        )
        members = list(
            Membership.objects.active()
            .filter(territoire=territoire, role__in=[Membership.Role.DGS, Membership.Role.DGA, Membership.Role.SG])
            .select_related("agent", "collectivite")
        )
        if members:
            chosen = min(
                members,
                key=lambda m: (
                    m.agent_id in last_animated,
                    last_animated.get(m.agent_id),
                    m.collectivite.population,
                    m.agent.last_name,
                ),
            )
            proposal.animateur = chosen.agent
            proposal.reasons.append(_("Animation tournante : le membre qui a animé le moins récemment."))
    return proposal


def reunion_warnings(reunion: Reunion) -> list[str]:
    """What a DGS should know about a meeting's date: too late to feed the instance's convocation."""
    warnings = []
    instance = reunion.instance
    if instance is not None and instance.kind == Instance.Kind.CONSEIL:
        latest = latest_sending_day(timezone.localtime(instance.starts_at).date(), CONSEIL_CLEAR_DAYS)
        if timezone.localtime(reunion.starts_at).date() > latest:
            warnings.append(
                _(
                    "La réunion a lieu après le %(date)s, dernier jour d'envoi de la convocation du conseil "
                    "(5 jours francs) : ses avis ne pourront pas accompagner la convocation."
                )
                % {"date": latest.strftime("%d/%m/%Y")}
            )
    if instance is not None and reunion.starts_at >= instance.starts_at:
        warnings.append(_("La réunion a lieu après l'instance qu'elle prépare."))
    return warnings


@transaction.atomic
def reunion_create(
    *,
    territoire: Territoire,
    by: Agent,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    place: str = "",
    host: Collectivite | None = None,
    animateur: Agent | None = None,
    instance: Instance | None = None,
) -> Reunion:
    """Plan a CoDir meeting; its agenda will go out at the deadline the charter sets."""
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": _("La fin doit suivre le début.")})
    if starts_at <= timezone.now():
        raise ValidationError({"starts_at": _("Une réunion se planifie dans le futur.")})
    if host is not None and (host.territoire_id != territoire.pk or not host.is_active):
        raise ValidationError({"host": _("Cette collectivité n'appartient pas au territoire.")})
    if (
        animateur is not None
        and not Membership.objects.active().filter(territoire=territoire, agent=animateur).exists()
    ):
        raise ValidationError({"animateur": _("L'animateur·rice doit être membre du territoire.")})
    if instance is not None and instance.territoire_id != territoire.pk:
        raise ValidationError({"instance": _("Cette instance n'appartient pas au territoire.")})
    reunion = Reunion(
        territoire=territoire,
        title=title.strip(),
        starts_at=starts_at,
        ends_at=ends_at,
        place=place.strip(),
        host=host,
        animateur=animateur,
        instance=instance,
        created_by=by,
    )
    reunion.full_clean()
    reunion.save()
    journal_record(
        action="codir.reunion.created",
        actor=by,
        territoire=territoire,
        target=reunion,
        data={"starts_at": starts_at.isoformat(), "deadline": dispatch_deadline(reunion).isoformat()},
    )
    return reunion


@transaction.atomic
def point_add(
    *,
    reunion: Reunion,
    by: Agent,
    title: str,
    description: str = "",
    presenter: Collectivite | None = None,
    duration_minutes: int = 15,
    documents: list[UploadedFile] | tuple = (),
    now: datetime | None = None,
) -> PointOdj:
    """Add an item to a meeting's agenda, with its documents.

    After the agenda has gone out the item is *hors délai*: it is sent as an update, and the
    collective decides at the start of the meeting whether to discuss it.
    """
    now = now or timezone.now()
    reunion = Reunion.objects.select_for_update().get(pk=reunion.pk)
    if reunion.cancelled_at is not None:
        raise ValidationError(_("Cette réunion est annulée."))
    if reunion.ends_at <= now:
        raise ValidationError(_("Cette réunion a eu lieu : son ordre du jour est clos."))
    if presenter is not None and presenter.territoire_id != reunion.territoire_id:
        raise ValidationError({"presenter": _("Cette collectivité n'appartient pas au territoire.")})
    if rules_in_force(reunion.territoire, now).documents_obligatoires and not documents:
        raise ValidationError({"documents": _("La charte demande un document pour chaque point.")})
    for upload in documents:
        if upload.size > MAX_DOCUMENT_SIZE:
            raise ValidationError({"documents": _("%(nom)s dépasse 20 Mo.") % {"nom": upload.name}})
    description = clean_text(description)
    late = reunion.dispatched_at is not None
    point = PointOdj(
        reunion=reunion,
        position=(reunion.points.aggregate(last=Max("position"))["last"] or 0) + 1,
        title=title.strip(),
        description=description,
        description_html=render_markdown(description),
        presenter=presenter,
        duration_minutes=duration_minutes,
        late=late,
        late_consent=PointOdj.LateConsent.EN_ATTENTE if late else "",
        added_by=by,
        added_at=now,
    )
    point.full_clean()
    point.save()
    for upload in documents:
        document = Document(point=point, file=upload, name=upload.name[:255], size=upload.size, uploaded_by=by)
        document.full_clean()
        document.save()
    journal_record(
        action="codir.point.added",
        actor=by,
        territoire=reunion.territoire,
        target=point,
        data={"reunion": reunion.pk, "late": late, "documents": len(documents)},
    )
    if late:
        _new_version(
            reunion,
            AgendaVersion.Kind.MISE_A_JOUR,
            now,
            _("Point ajouté hors délai : %(titre)s") % {"titre": point.title},
        )
    return point


def _new_version(reunion: Reunion, kind: str, due_at: datetime, changes: str = "") -> AgendaVersion:
    """A new sending of the agenda, with one outbox row per active member (sent after commit)."""
    from codir.tasks import send_agenda_version

    number = (reunion.agenda_versions.aggregate(last=Max("number"))["last"] or 0) + 1
    if number > 1:
        reunion.sequence += 1  # calendar software replaces the event only if SEQUENCE grows
        reunion.save(update_fields=["sequence"])
    version = AgendaVersion.objects.create(
        reunion=reunion, number=number, kind=kind, sequence=reunion.sequence, changes=changes, due_at=due_at
    )
    members = (
        Membership.objects.active().filter(territoire=reunion.territoire, agent__is_active=True).select_related("agent")
    )
    Envoi.objects.bulk_create(
        [Envoi(version=version, recipient=m.agent, email=m.agent.email) for m in members], ignore_conflicts=True
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
    candidates = Reunion.objects.filter(dispatched_at__isnull=True, cancelled_at__isnull=True).select_related(
        "territoire"
    )
    for reunion in candidates:
        deadline = dispatch_deadline(reunion, now=now)
        if deadline > now:
            continue
        with transaction.atomic():
            locked = Reunion.objects.select_for_update().get(pk=reunion.pk)
            if locked.dispatched_at is not None:
                continue  # another sweep did it
            locked.dispatched_at = now
            locked.save(update_fields=["dispatched_at"])
            _new_version(locked, AgendaVersion.Kind.INITIAL, deadline)
            journal_record(
                action="codir.agenda.dispatched",
                actor=None,
                territoire=locked.territoire,
                target=locked,
                data={"deadline": deadline.isoformat(), "late_by_seconds": int((now - deadline).total_seconds())},
            )
        count += 1
    return count


def _agenda_mail(envoi: Envoi) -> EmailMultiAlternatives:
    version = envoi.version
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
        subject = " ".join(render_to_string("emails/agenda_subject.txt", context).split())
        text = render_to_string("emails/agenda_body.txt", context)
        html = render_to_string("emails/agenda_body.html", context)
    message = EmailMultiAlternatives(subject, text, to=[envoi.email])
    message.attach_alternative(html, "text/html")
    invitation = ical.invitation(
        reunion,
        sequence=version.sequence,
        cancelled=context["cancelled"],
        description=text,
        attendee=envoi.email,
    )
    method = "CANCEL" if context["cancelled"] else "REQUEST"
    message.attach("invitation.ics", invitation, f"text/calendar; charset=utf-8; method={method}")
    return message


def send_pending(*, now: datetime | None = None, version: AgendaVersion | None = None) -> DispatchReport:
    """Send the outbox rows not sent yet, one transaction per row.

    The row is locked while its mail is handed to the mail server, and marked sent in the same
    transaction: two workers never send the same row, and a worker killed before the commit
    leaves the row unsent for the next sweep (at most one duplicate if it died after the mail
    server accepted the message).
    """
    report = DispatchReport()
    pending = Envoi.objects.filter(sent_at__isnull=True)
    if version is not None:
        pending = pending.filter(version=version)
    for pk in pending.values_list("pk", flat=True):
        with transaction.atomic():
            envoi = (
                Envoi.objects.select_for_update(skip_locked=True)
                .select_related("version__reunion__territoire", "version__reunion__created_by")
                .filter(pk=pk, sent_at__isnull=True)
                .first()
            )
            if envoi is None:
                continue
            moment = now or timezone.now()
            envoi.attempts += 1
            try:
                _agenda_mail(envoi).send()
            except Exception as error:  # a mail server refusal must not stop the other sends
                logger.exception("agenda mail to %s failed", envoi.email)
                envoi.last_error = str(error)[:1000]
                envoi.save(update_fields=["attempts", "last_error"])
                report.failed += 1
                continue
            envoi.sent_at = moment
            delay = moment - envoi.version.due_at
            envoi.late_by = delay if delay > LATE_TOLERANCE else None
            envoi.save(update_fields=["attempts", "sent_at", "late_by"])
            report.sent += 1
            report.late += envoi.late_by is not None
    return report


def remind_empty_agendas(*, now: datetime) -> int:
    """24 hours before the deadline, remind the convener of a meeting whose agenda is still empty."""
    from codir.tasks import remind_empty_agenda

    count = 0
    for reunion in Reunion.objects.filter(
        dispatched_at__isnull=True, cancelled_at__isnull=True, empty_agenda_reminded_at__isnull=True
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
