"""Project reviews: recorded by the CoDir, opened by the sweep at each handover, reminded when due."""

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from communes.journal import journal_record
from communes.models import Agent, Collectivite
from communes.text import clean_text
from decisions.models import Proposition
from reseaux import tasks
from reseaux.models import Pilote, Projet, Revue
from reseaux.services.projets import health_set, sync_pilot_permissions

# Statuses of a project that is alive enough to be reviewed.
REVIEWED_STATUSES = (Projet.Status.EN_PREPARATION, Projet.Status.EN_COURS, Projet.Status.SUSPENDU)
# The pilots hear of a coming review this long before it is due.
REMINDER_AHEAD = timedelta(days=14)
# The daily sweep re-syncs the permissions of projects whose pilots changed this recently.
PERMISSIONS_CATCH_UP = timedelta(days=31)


def add_months(day: date, months: int) -> date:
    """Same day `months` later, or the month's last day when it is shorter (31 January + 1 = 28/29 February);
    `date.max` beyond the calendar."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    if year > date.max.year:  # a date typed far in the future must not break the pages nor the sweep
        return date.max
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def next_review_on(projet: Projet, last_held: date | None) -> date:
    """When the project's next periodic review is due: its frequency after the last review held, or
    after its start (its creation when it has no start date)."""
    base = last_held or projet.starts_on or timezone.localtime(projet.created_at).date()
    return add_months(base, projet.review_every_months)


def _handover_of(projet: Projet, held_on: date) -> Pilote | None:
    """The handover a review recorded by hand is about: the closest handover within a month of it that has
    no review yet (held a few days before or after the new pilot takes over), so the sweep opens no other."""
    periods = (
        Pilote.objects.filter(projet=projet, handover_revue__isnull=True)
        .filter(starts_on__range=(held_on - PERMISSIONS_CATCH_UP, held_on + PERMISSIONS_CATCH_UP))
        .exclude(starts_on=Pilote.objects.filter(projet=projet).order_by("starts_on").values("starts_on")[:1])
    )
    return min(periods, key=lambda period: (abs((period.starts_on - held_on).days), period.pk), default=None)


@transaction.atomic
def revue_record(
    *,
    projet: Projet,
    by: Agent,
    held_on: date,
    progress: str,
    health: str,
    health_reason: str = "",
    next_steps: str = "",
    participants: str = "",
    collectivites: list[Collectivite] | tuple = (),
    proposition: Proposition | None = None,
    handover: bool = False,
) -> Revue:
    """Record a project review; the project's health follows (a change needs a reason).

    A handover review opened by the sweep is completed rather than duplicated.
    """
    if health not in Projet.Health.values:
        raise ValidationError({"health": _("Santé inconnue : vert, orange ou rouge.")})
    projet = Projet.objects.select_for_update().get(pk=projet.pk)
    if health != projet.health and not health_reason.strip():
        raise ValidationError({"health_reason": _("Dites pourquoi la santé du projet change.")})
    if held_on > timezone.localdate():
        raise ValidationError({"held_on": _("Une revue s'enregistre une fois tenue, pas avant.")})
    if not progress.strip():
        raise ValidationError({"progress": _("Décrivez l'avancement du projet.")})
    if any(c.territoire_id != projet.territoire_id for c in collectivites):
        raise ValidationError({"collectivites": _("Une collectivité n'appartient pas au territoire.")})
    if proposition is not None and proposition.territoire_id != projet.territoire_id:
        raise ValidationError({"proposition": _("Cette décision n'est pas celle du territoire.")})
    pending = projet.revues.filter(held=False).order_by("held_on").first() if handover else None
    revue = pending or Revue(projet=projet, pilote=_handover_of(projet, held_on) if handover else None)
    revue.held_on = held_on
    revue.progress = clean_text(progress).strip()
    revue.health = health
    revue.health_reason = health_reason.strip()
    revue.next_steps = clean_text(next_steps).strip()
    revue.participants = participants.strip()
    revue.proposition = proposition
    revue.handover = handover
    revue.held = True
    revue.recorded_by = by
    revue.recorded_at = timezone.now()
    revue.full_clean()
    revue.save()
    revue.collectivites.set(collectivites)
    if health != projet.health:
        health_set(projet=projet, by=by, health=health, reason=health_reason, revue=revue)
    journal_record(
        action="reseaux.revue.recorded",
        actor=by,
        territoire=projet.territoire,
        target=projet,
        data={"health": health, "handover": handover, "held_on": held_on.isoformat()},
    )
    return revue


def pilotage_sweep(*, on: date | None = None) -> int:
    """At each handover of an alternating pilotage: permissions follow, a review is opened for the new
    pilot to hold, and the pilots and référents hear of it. The permissions of any project whose pilots
    changed lately (a pilotage changed from a later day) follow as well.

    Idempotent: a handover already opened is not opened again; projects finished or abandoned get none.
    Returns how many handovers.
    """
    on = on or timezone.localdate()
    count = 0
    # Permissions follow the pilotage on the day it changes, even when the handover review was recorded by
    # hand, and whatever the mode (a pilotage changed from a later day changes hands too). Only projects
    # whose periods start or end within the window are looked at; it lets a sweep catch up after downtime.
    window = (on - PERMISSIONS_CATCH_UP, on)
    changing = Q(pilotes__starts_on__range=window) | Q(pilotes__ends_on__range=window)
    for projet in Projet.objects.filter(changing).distinct().prefetch_related("pilotes"):
        sync_pilot_permissions(projet, on=on)
    # A finished or abandoned project holds no more reviews; a handover has one review, whatever its date.
    periods = (
        Pilote.objects.filter(
            projet__pilotage=Projet.Pilotage.ALTERNE,
            projet__status__in=REVIEWED_STATUSES,
            starts_on__range=window,
            handover_revue__isnull=True,
        )
        .select_related("collectivite")
        .order_by("starts_on", "pk")
    )
    for period in periods:
        with transaction.atomic():
            # Serialise with another sweep or a review being recorded: the check below then holds.
            projet = (
                Projet.objects.select_for_update(of=("self",)).select_related("territoire").get(pk=period.projet_id)
            )
            if Revue.objects.filter(pilote=period).exists():
                continue
            previous = (
                Pilote.objects.filter(projet=projet, starts_on__lt=period.starts_on)
                .select_related("collectivite")
                .order_by("-starts_on")
                .first()
            )
            if previous is None:
                continue
            revue = Revue.objects.create(
                projet=projet,
                pilote=period,
                held_on=period.starts_on,
                progress=_("Passation du pilotage de %(avant)s à %(apres)s.")
                % {"avant": previous.collectivite, "apres": period.collectivite},
                health=projet.health,
                handover=True,
                held=False,
                recorded_by=projet.created_by,
            )
            journal_record(
                action="reseaux.pilotage.handover",
                actor=None,
                territoire=projet.territoire,
                target=projet,
                data={"from": previous.collectivite.name, "to": period.collectivite.name},
            )
            transaction.on_commit(lambda pk=revue.pk: tasks.notify_handover.enqueue(pk))
        count += 1
    return count


def review_reminders_sweep(*, on: date | None = None) -> int:
    """Tell the pilots and référents of each living project that its periodic review falls due within
    two weeks; once per due date. Returns how many projects were reminded."""
    on = on or timezone.localdate()
    projets = Projet.objects.filter(status__in=REVIEWED_STATUSES).annotate(
        last_held=Max("revues__held_on", filter=Q(revues__held=True))
    )
    count = 0
    for projet in projets.iterator(chunk_size=500):
        due = next_review_on(projet, projet.last_held)
        if due - REMINDER_AHEAD > on or projet.review_reminded_for == due:
            continue
        with transaction.atomic():
            updated = (
                Projet.objects.filter(pk=projet.pk).exclude(review_reminded_for=due).update(review_reminded_for=due)
            )
            if updated:
                transaction.on_commit(lambda pk=projet.pk, due=due: tasks.remind_review.enqueue(pk, due.isoformat()))
                count += 1
    return count


@dataclass
class PortfolioSweep:
    handovers: int
    reminders: int


def portfolio_sweep(*, on: date | None = None) -> PortfolioSweep:
    """The portfolio's daily work: handovers of alternating pilotage, then reminders of reviews due."""
    return PortfolioSweep(handovers=pilotage_sweep(on=on), reminders=review_reminders_sweep(on=on))
