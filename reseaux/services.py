"""The only writers of the project portfolio: projects and their pilots, links, reviews.

The pilot of a project is a collectivité: the agents who act for it (active members of the
territory on its behalf) may edit the project, through a django-guardian object permission
that follows the pilotage (`sync_pilot_permissions`).
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm, get_users_with_perms, remove_perm

from communes.journal import journal_record
from communes.models import Agent, Collectivite, Membership, Territoire
from communes.text import clean_text, render_markdown
from reseaux.models import Axe, Lien, Pilote, Projet, Revue

PILOT_PERMISSION = "reseaux.pilot_projet"


def active_pilots(projet: Projet, on: date) -> list[int]:
    """Ids of the collectivités piloting the project on that day."""
    return [p.collectivite_id for p in projet.pilotes.all() if p.is_active_on(on)]


def sync_pilot_permissions(projet: Projet, *, on: date | None = None) -> None:
    """Give the edit permission to those who act for a pilot today, and take it from the others."""
    on = on or timezone.localdate()
    pilots = active_pilots(projet, on)
    should = set(
        Membership.objects.active()
        .filter(territoire=projet.territoire, collectivite_id__in=pilots)
        .exclude(role=Membership.Role.OBSERVATEUR)
        .values_list("agent_id", flat=True)
    )
    has = set(
        get_users_with_perms(projet, only_with_perms_in=["pilot_projet"], with_superusers=False).values_list(
            "pk", flat=True
        )
    )
    for agent in Agent.objects.filter(pk__in=should - has):
        assign_perm(PILOT_PERMISSION, agent, projet)
    for agent in Agent.objects.filter(pk__in=has - should):
        remove_perm(PILOT_PERMISSION, agent, projet)


def _check_pilots(territoire: Territoire, pilotage: str, rotation: list[tuple[Collectivite, date]]) -> None:
    if any(c.territoire_id != territoire.pk or not c.is_active for c, _start in rotation):
        raise ValidationError({"pilotes": _("Une collectivité pilote n'appartient pas au territoire.")})
    kinds = {c.kind for c, _start in rotation}
    count = len({c.pk for c, _start in rotation})
    if pilotage == Projet.Pilotage.EPCI and (count != 1 or kinds != {Collectivite.Kind.EPCI}):
        raise ValidationError({"pilotes": _("Un projet piloté par l'EPCI a l'EPCI pour seul pilote.")})
    if pilotage == Projet.Pilotage.COMMUNE and (count != 1 or kinds != {Collectivite.Kind.COMMUNE}):
        raise ValidationError({"pilotes": _("Un projet piloté par une commune a une seule commune pilote.")})
    if pilotage in (Projet.Pilotage.COPILOTAGE, Projet.Pilotage.ALTERNE) and count < 2:
        raise ValidationError(
            {"pilotes": _("Le co-pilotage et le pilotage alterné réunissent au moins deux collectivités.")}
        )
    if pilotage == Projet.Pilotage.ALTERNE:
        starts = [start for _c, start in rotation]
        if starts != sorted(starts) or len(set(starts)) != len(starts):
            raise ValidationError({"pilotes": _("Les périodes du pilotage alterné se suivent, sans se chevaucher.")})


@transaction.atomic
def projet_create(
    *,
    territoire: Territoire,
    by: Agent,
    title: str,
    pilotage: str,
    rotation: list[tuple[Collectivite, date]],
    description: str = "",
    axe: Axe | None = None,
    status: str = Projet.Status.EN_PREPARATION,
    starts_on: date | None = None,
    ends_on: date | None = None,
) -> Projet:
    """Create a project with its pilots: one pilot, co-pilots from the same day, or a rotation.

    `rotation` lists (collectivité, from which day); for co-pilotage the days are the same, for
    pilotage alterné each period lasts until the next one starts.
    """
    if pilotage not in Projet.Pilotage.values:
        raise ValidationError({"pilotage": _("Mode de pilotage inconnu.")})
    _check_pilots(territoire, pilotage, rotation)
    description = clean_text(description)
    projet = Projet(
        territoire=territoire,
        axe=axe,
        title=title.strip(),
        description=description,
        description_html=render_markdown(description),
        status=status,
        pilotage=pilotage,
        starts_on=starts_on,
        ends_on=ends_on,
        created_by=by,
    )
    projet.full_clean()
    projet.save()
    periods = []
    for index, (collectivite, start) in enumerate(rotation):
        end = rotation[index + 1][1] if pilotage == Projet.Pilotage.ALTERNE and index + 1 < len(rotation) else None
        periods.append(Pilote(projet=projet, collectivite=collectivite, starts_on=start, ends_on=end))
    Pilote.objects.bulk_create(periods)
    sync_pilot_permissions(projet)
    journal_record(
        action="reseaux.projet.created",
        actor=by,
        territoire=territoire,
        target=projet,
        data={"pilotage": pilotage, "pilotes": [c.name for c, _start in rotation]},
    )
    return projet


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
    handover: bool = False,
) -> Revue:
    """Record a project review; the project's health follows (a change needs a reason)."""
    if health not in Projet.Health.values:
        raise ValidationError({"health": _("Santé inconnue : vert, orange ou rouge.")})
    if health != projet.health and not health_reason.strip():
        raise ValidationError({"health_reason": _("Dites pourquoi la santé du projet change.")})
    revue = Revue(
        projet=projet,
        held_on=held_on,
        progress=clean_text(progress),
        health=health,
        health_reason=health_reason.strip(),
        next_steps=clean_text(next_steps),
        participants=participants.strip(),
        handover=handover,
        recorded_by=by,
    )
    revue.full_clean()
    revue.save()
    if health != projet.health:
        Projet.objects.filter(pk=projet.pk).update(health=health)
    journal_record(
        action="reseaux.revue.recorded",
        actor=by,
        territoire=projet.territoire,
        target=projet,
        data={"health": health, "handover": handover},
    )
    return revue


def pilotage_sweep(*, on: date | None = None) -> int:
    """At each handover of an alternating pilotage: permissions follow, and a review is opened.

    Idempotent: a handover already reviewed is not reviewed again. Returns how many handovers.
    """
    on = on or timezone.localdate()
    count = 0
    # Permissions follow the pilotage even when the handover review was recorded by hand.
    for projet in Projet.objects.filter(pilotage=Projet.Pilotage.ALTERNE).prefetch_related("pilotes"):
        sync_pilot_permissions(projet, on=on)
    periods = (
        Pilote.objects.filter(projet__pilotage=Projet.Pilotage.ALTERNE, starts_on__lte=on)
        .exclude(starts_on=None)
        .select_related("projet", "collectivite")
    )
    for period in periods:
        projet = period.projet
        first = not Pilote.objects.filter(projet=projet, starts_on__lt=period.starts_on).exists()
        if first or Revue.objects.filter(projet=projet, handover=True, held_on__gte=period.starts_on).exists():
            continue
        with transaction.atomic():
            previous = (
                Pilote.objects.filter(projet=projet, starts_on__lt=period.starts_on).order_by("-starts_on").first()
            )
            Revue.objects.create(
                projet=projet,
                held_on=period.starts_on,
                progress=_("Passation du pilotage de %(avant)s à %(apres)s.")
                % {"avant": previous.collectivite, "apres": period.collectivite},
                health=projet.health,
                handover=True,
                recorded_by=projet.created_by,
            )
            sync_pilot_permissions(projet, on=on)
            journal_record(
                action="reseaux.pilotage.handover",
                actor=None,
                territoire=projet.territoire,
                target=projet,
                data={"from": previous.collectivite.name, "to": period.collectivite.name},
            )
        count += 1
    return count


@transaction.atomic
def lien_create(*, source: Projet, target: Projet, kind: str, justification: str, by: Agent) -> Lien:
    """Link two projects of the same territory, saying why."""
    if source.territoire_id != target.territoire_id:
        raise ValidationError(_("Les deux projets doivent appartenir au même territoire."))
    if source.pk == target.pk:
        raise ValidationError(_("Un projet ne se lie pas à lui-même."))
    if kind not in Lien.Kind.values:
        raise ValidationError({"kind": _("Nature de lien inconnue.")})
    if not justification.strip():
        raise ValidationError({"justification": _("Justifiez le lien en une phrase.")})
    try:
        with transaction.atomic():
            lien = Lien.objects.create(
                source=source, target=target, kind=kind, justification=justification.strip(), created_by=by
            )
    except IntegrityError:
        raise ValidationError(_("Ce lien existe déjà.")) from None
    journal_record(
        action="reseaux.lien.created", actor=by, territoire=source.territoire, target=lien, data={"kind": kind}
    )
    return lien
