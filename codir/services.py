"""The only writers of instances, CoDir meetings, their agendas, attendance, minutes and avis.

The dispatch of agendas lives in `codir.dispatch`.
"""

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from charte.selectors import rules_in_force
from codir import dispatch
from codir.calendar import CONSEIL_CLEAR_DAYS, latest_sending_day
from codir.models import AgendaVersion, Document, Instance, PointOdj, Presence, Reunion, new_uid
from communes.journal import journal_record
from communes.models import Agent, Collectivite, Membership, Territoire
from communes.text import clean_text, render_markdown
from communes.uploads import AGENDA_DOCUMENTS, validate_upload
from reseaux.models import Projet

logger = logging.getLogger(__name__)

LATE_TOLERANCE = timedelta(minutes=5)  # a send within five minutes of its due time is on time
EMPTY_AGENDA_REMINDER = timedelta(hours=24)


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
    convener_email: str = "",
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
        convener_email=convener_email.strip().lower(),
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
        data={"starts_at": starts_at.isoformat(), "deadline": dispatch.dispatch_deadline(reunion).isoformat()},
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
    instance_item: str = "",
    documents: list[UploadedFile] | tuple = (),
    projet: Projet | None = None,
    notify: bool = True,
    now: datetime | None = None,
) -> PointOdj:
    """Add an item to a meeting's agenda, with its documents.

    After the agenda has gone out the item is *hors délai*: it is sent as an update (unless `notify` is
    false: the caller adding several items sends one update for all), and the collective decides at the
    start of the meeting whether to discuss it. A project review needs no document: its fiche action is one.
    """
    now = now or timezone.now()
    reunion = Reunion.objects.select_for_update().get(pk=reunion.pk)
    if reunion.cancelled_at is not None:
        raise ValidationError(_("Cette réunion est annulée."))
    if reunion.ends_at <= now:
        raise ValidationError(_("Cette réunion a eu lieu : son ordre du jour est clos."))
    if presenter is not None and presenter.territoire_id != reunion.territoire_id:
        raise ValidationError({"presenter": _("Cette collectivité n'appartient pas au territoire.")})
    if projet is not None and projet.territoire_id != reunion.territoire_id:
        raise ValidationError({"projet": _("Ce projet n'appartient pas au territoire.")})
    if rules_in_force(reunion.territoire, now).documents_obligatoires and not documents and projet is None:
        raise ValidationError({"documents": _("La charte demande un document pour chaque point.")})
    for upload in documents:
        # Size, format and content, as every upload path checks them (the form and the API did already).
        try:
            validate_upload(upload, AGENDA_DOCUMENTS)
        except ValidationError as error:
            raise ValidationError({"documents": error.messages}) from None
    description = clean_text(description)
    # Late once the agenda has gone out, or once its deadline has passed even if the sweep has not
    # run since (downtime).
    late = reunion.dispatched_at is not None or now >= dispatch.dispatch_deadline(reunion, now=now)
    point = PointOdj(
        reunion=reunion,
        position=(reunion.points.aggregate(last=Max("position"))["last"] or 0) + 1,
        title=title.strip(),
        description=description,
        description_html=render_markdown(description),
        presenter=presenter,
        duration_minutes=duration_minutes,
        instance_item=instance_item.strip(),
        projet=projet,
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
    if reunion.dispatched_at is not None and notify:
        dispatch.new_version(
            reunion,
            AgendaVersion.Kind.MISE_A_JOUR,
            now,
            _("Point ajouté hors délai : %(titre)s") % {"titre": point.title},
        )
    return point


@transaction.atomic
def reunion_cancel(*, reunion: Reunion, by: Agent, reason: str) -> Reunion:
    """Cancel a meeting; members who received its agenda get the cancellation (METHOD:CANCEL)."""
    reunion = Reunion.objects.select_for_update().get(pk=reunion.pk)
    if reunion.cancelled_at is not None:
        raise ValidationError(_("Cette réunion est déjà annulée."))
    if not reason.strip():
        raise ValidationError({"reason": _("Dites pourquoi la réunion est annulée.")})
    now = timezone.now()
    reunion.cancelled_at = now
    reunion.cancellation_reason = reason.strip()
    if reunion.dispatched_at is None:
        reunion.sequence += 1
    reunion.save(update_fields=["cancelled_at", "cancellation_reason", "sequence"])
    if reunion.dispatched_at is not None:
        dispatch.new_version(reunion, AgendaVersion.Kind.ANNULATION, now, reunion.cancellation_reason)
    journal_record(
        action="codir.reunion.cancelled",
        actor=by,
        territoire=reunion.territoire,
        target=reunion,
        data={"reason": reason},
    )
    return reunion


@transaction.atomic
def reunion_reschedule(*, reunion: Reunion, by: Agent, starts_at: datetime, ends_at: datetime, place: str) -> Reunion:
    """Move a meeting; once its agenda has gone out, members get an update saying what changed."""
    reunion = Reunion.objects.select_for_update().get(pk=reunion.pk)
    if reunion.cancelled_at is not None:
        raise ValidationError(_("Cette réunion est annulée."))
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": _("La fin doit suivre le début.")})
    if starts_at <= timezone.now():
        raise ValidationError({"starts_at": _("Une réunion se déplace dans le futur.")})
    changes = []
    if (reunion.starts_at, reunion.ends_at) != (starts_at, ends_at):
        changes.append(
            _("Horaire : %(avant)s → %(apres)s")
            % {
                "avant": timezone.localtime(reunion.starts_at).strftime("%d/%m/%Y %H:%M"),
                "apres": timezone.localtime(starts_at).strftime("%d/%m/%Y %H:%M"),
            }
        )
    if reunion.place != place.strip():
        changes.append(
            _("Lieu : %(avant)s → %(apres)s") % {"avant": reunion.place or "—", "apres": place.strip() or "—"}
        )
    if not changes:
        return reunion
    reunion.starts_at, reunion.ends_at, reunion.place = starts_at, ends_at, place.strip()
    if reunion.dispatched_at is None:
        reunion.sequence += 1  # calendar feeds replace the event only if SEQUENCE grows
    reunion.save(update_fields=["starts_at", "ends_at", "place", "sequence"])
    if reunion.dispatched_at is not None:
        dispatch.new_version(reunion, AgendaVersion.Kind.MISE_A_JOUR, timezone.now(), " ; ".join(changes))
    journal_record(
        action="codir.reunion.rescheduled",
        actor=by,
        territoire=reunion.territoire,
        target=reunion,
        data={"changes": changes},
    )
    return reunion


@transaction.atomic
def point_late_consent(*, point: PointOdj, by: Agent, accepted: bool) -> PointOdj:
    """Record the collective's answer, at the start of the meeting, on discussing a late item."""
    point = PointOdj.objects.select_for_update().get(pk=point.pk)
    if not point.late:
        raise ValidationError(_("Ce point a été inscrit dans les délais."))
    point.late_consent = PointOdj.LateConsent.ACCEPTE if accepted else PointOdj.LateConsent.REFUSE
    point.save(update_fields=["late_consent"])
    journal_record(
        action="codir.point.late_consent",
        actor=by,
        territoire=point.reunion.territoire,
        target=point,
        data={"accepted": accepted},
    )
    return point


@transaction.atomic
def point_move(*, point: PointOdj, by: Agent, offset: int) -> PointOdj:
    """Move an item up (offset -1) or down (+1) the agenda; the convener orders the items."""
    reunion = Reunion.objects.select_for_update().get(pk=point.reunion_id)
    points = list(reunion.points.filter(withdrawn_at__isnull=True).order_by("position"))
    index = next(i for i, p in enumerate(points) if p.pk == point.pk)
    target = index + offset
    if not 0 <= target < len(points):
        return point
    points[index], points[target] = points[target], points[index]
    for position, item in enumerate(points, start=1):
        item.position = position
    PointOdj.objects.bulk_update(points, ["position"])
    journal_record(
        action="codir.point.moved", actor=by, territoire=reunion.territoire, target=point, data={"offset": offset}
    )
    return points[target]


@transaction.atomic
def presence_record(*, reunion: Reunion, by: Agent, statuses: dict[int, tuple[str, str]]) -> int:
    """Record who took part: `statuses` maps a collectivité id to (status, represented by)."""
    if reunion.cancelled_at is not None:
        raise ValidationError(_("Cette réunion est annulée."))
    if timezone.now() < reunion.starts_at - timedelta(hours=1):
        raise ValidationError(_("Les présences se notent le jour de la réunion."))
    collectivites = {c.pk: c for c in Collectivite.objects.for_territoire(reunion.territoire)}
    count = 0
    for collectivite_id, (status, represented_by) in statuses.items():
        if collectivite_id not in collectivites:
            raise ValidationError(_("Cette collectivité n'appartient pas au territoire."))
        if status not in Presence.Status.values:
            raise ValidationError(_("Présence inconnue."))
        if status == Presence.Status.REPRESENTE and not represented_by.strip():
            raise ValidationError(
                _("Indiquez qui représente %(collectivite)s.") % {"collectivite": collectivites[collectivite_id]}
            )
        Presence.objects.update_or_create(
            reunion=reunion,
            collectivite_id=collectivite_id,
            defaults={
                "status": status,
                "represented_by": represented_by.strip(),
                "recorded_by": by,
                "recorded_at": timezone.now(),
            },
        )
        count += 1
    journal_record(
        action="codir.reunion.presences", actor=by, territoire=reunion.territoire, target=reunion, data={"count": count}
    )
    return count


def minutes_deadline(reunion: Reunion) -> datetime:
    """The minutes are due this long after the meeting, by the charter's rules."""
    return reunion.ends_at + timedelta(
        days=rules_in_force(reunion.territoire, reunion.ends_at).delai_compte_rendu_jours
    )


@transaction.atomic
def minutes_save(*, reunion: Reunion, by: Agent, text: str, publish: bool = False) -> Reunion:
    """Write the minutes; publishing records the date (late if after the charter's deadline)."""
    reunion = Reunion.objects.select_for_update().get(pk=reunion.pk)
    if reunion.cancelled_at is not None:
        raise ValidationError(_("Cette réunion est annulée."))
    now = timezone.now()
    if now < reunion.starts_at - timedelta(hours=1):
        raise ValidationError(_("Le compte rendu s'écrit le jour de la réunion."))
    if publish and now < reunion.starts_at:
        raise ValidationError(_("Le compte rendu se diffuse une fois la réunion commencée."))
    text = clean_text(text)
    reunion.minutes, reunion.minutes_html = text, render_markdown(text)
    fields = ["minutes", "minutes_html"]
    if publish and reunion.minutes_published_at is None:
        if not text.strip():
            raise ValidationError({"text": _("Un compte rendu vide ne se diffuse pas.")})
        reunion.minutes_published_at = now
        fields.append("minutes_published_at")
    reunion.save(update_fields=fields)
    journal_record(
        action="codir.reunion.minutes_published" if publish else "codir.reunion.minutes_saved",
        actor=by,
        territoire=reunion.territoire,
        target=reunion,
    )
    return reunion


INSTANCE_KINDS_BY_WORD = [
    ("conseil", Instance.Kind.CONSEIL),
    ("bureau", Instance.Kind.BUREAU),
    ("conférence", Instance.Kind.CONFERENCE),
    ("conference", Instance.Kind.CONFERENCE),
]


@transaction.atomic
def instances_import_ics(*, territoire: Territoire, by: Agent, content: bytes) -> dict[str, int]:
    """Import the instances of an .ics file (e.g. the EPCI's assemblies calendar), idempotent by UID.

    An event already imported is updated if it changed (SEQUENCE bumped) and marked cancelled
    if the file says so; importing the same file twice changes nothing.
    """
    from icalendar import Calendar

    try:
        calendar = Calendar.from_ical(content)
    except (ValueError, IndexError) as error:
        raise ValidationError(
            _("Ce fichier n'est pas un calendrier iCalendar lisible (%(erreur)s).") % {"erreur": error}
        ) from None
    report = {"created": 0, "updated": 0, "unchanged": 0}
    seen: set[str] = set()
    for event in calendar.walk("VEVENT"):
        uid = str(event.get("uid", "")).strip()
        # One instance per UID: overrides of a recurring event share their series' UID.
        if not uid or len(uid) > 255 or uid in seen or event.get("recurrence-id") is not None:
            continue
        seen.add(uid)
        try:
            start = event.decoded("dtstart", None)
        except (ValueError, TypeError):
            start = None
        if not isinstance(start, date):
            continue
        if not isinstance(start, datetime):  # an all-day event: assume the evening session
            start = datetime.combine(start, time(18, 0))
        if timezone.is_naive(start):
            start = timezone.make_aware(start)
        summary = str(event.get("summary", "")).strip()
        kind = next((k for word, k in INSTANCE_KINDS_BY_WORD if word in summary.lower()), Instance.Kind.AUTRE)
        values = {
            "kind": kind,
            "title": summary[:200],
            "starts_at": start,
            "place": str(event.get("location", "")).strip()[:200],
            "cancelled": str(event.get("status", "")).upper() == "CANCELLED",
        }
        instance = Instance.objects.filter(territoire=territoire, uid=uid).first()
        if instance is None:
            Instance.objects.create(territoire=territoire, uid=uid, created_by=by, **values)
            report["created"] += 1
        elif any(getattr(instance, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(instance, k, v)
            instance.sequence += 1
            instance.save()
            report["updated"] += 1
        else:
            report["unchanged"] += 1
    journal_record(action="codir.instances.imported", actor=by, territoire=territoire, target=None, data=report)
    return report
