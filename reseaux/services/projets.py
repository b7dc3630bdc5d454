"""Projects, their pilots, contributions, référents and health.

The pilot of a project is a collectivité: the agents who act for it (active members of the
territory on its behalf, observers aside) may edit the project, through a django-guardian object
permission that follows the pilotage (`sync_pilot_permissions`).
"""

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.shortcuts import assign_perm, get_users_with_perms, remove_perm

from communes.journal import journal_record
from communes.models import Agent, Collectivite, Membership, Territoire
from communes.text import clean_text, render_markdown
from reseaux.cartography import invalidate
from reseaux.models import (
    FIRST_DAY,
    LAST_DAY,
    Axe,
    Contribution,
    HealthChange,
    Pilote,
    Projet,
    Referent,
    Revue,
)

PILOT_PERMISSION = "reseaux.pilot_projet"

# Fields of a project its pilots edit freely; Markdown ones keep their rendered HTML beside them.
EDITABLE_FIELDS = {
    "title",
    "description",
    "axe",
    "status",
    "starts_on",
    "ends_on",
    "review_every_months",
    "objectives",
    "expected_effects",
    "resources",
}
MARKDOWN_FIELDS = ("description", "objectives", "expected_effects", "resources")


def active_pilots(projet: Projet, on: date) -> list[int]:
    """Ids of the collectivités piloting the project on that day.

    Before its first period starts, a project is in the hands of its first pilots, who prepare it.
    """
    periods = list(projet.pilotes.all())
    running = [p.collectivite_id for p in periods if p.is_active_on(on)]
    if running:
        return running
    upcoming = [p for p in periods if p.starts_on > on]
    first = min((p.starts_on for p in upcoming), default=None)
    return [p.collectivite_id for p in upcoming if p.starts_on == first]


def sync_pilot_permissions(projet: Projet, *, on: date | None = None) -> None:
    """Give the edit permission to those who act for a pilot today, and take it from the others."""
    on = on or timezone.localdate()
    pilots = active_pilots(projet, on)
    should = set(
        Membership.objects.active()
        .filter(territoire=projet.territoire_id, collectivite_id__in=pilots, agent__is_active=True)
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


def sync_pilot_permissions_for_collectivite(collectivite_id: int) -> None:
    """After someone joins, leaves or changes role for a collectivité: its projects' permissions follow."""
    projets = Projet.objects.filter(pilotes__collectivite_id=collectivite_id).distinct().prefetch_related("pilotes")
    for projet in projets:
        sync_pilot_permissions(projet)


def _check_pilots(territoire: Territoire, pilotage: str, rotation: list[tuple[Collectivite, date]]) -> None:
    if pilotage not in Projet.Pilotage.values:
        raise ValidationError({"pilotage": _("Mode de pilotage inconnu.")})
    if not rotation:
        raise ValidationError({"pilotes": _("Choisissez au moins une collectivité pilote.")})
    if any(c.territoire_id != territoire.pk or not c.is_active for c, _start in rotation):
        raise ValidationError({"pilotes": _("Une collectivité pilote n'appartient pas au territoire.")})
    # Every period is dated (the database requires it); say so rather than fail on the comparison below.
    if any(start is None for _c, start in rotation):
        raise ValidationError({"pilotes": _("Chaque période du pilotage a une date de début.")})
    if any(not FIRST_DAY <= start <= LAST_DAY for _c, start in rotation):
        raise ValidationError({"pilotes": _("Choisissez une date entre 1900 et 2199.")})
    kinds = {c.kind for c, _start in rotation}
    count = len({c.pk for c, _start in rotation})
    if pilotage == Projet.Pilotage.EPCI and (len(rotation) != 1 or kinds != {Collectivite.Kind.EPCI}):
        raise ValidationError({"pilotes": _("Un projet piloté par l'EPCI a l'EPCI pour seul pilote.")})
    if pilotage == Projet.Pilotage.COMMUNE and (len(rotation) != 1 or kinds != {Collectivite.Kind.COMMUNE}):
        raise ValidationError({"pilotes": _("Un projet piloté par une commune a une seule commune pilote.")})
    if pilotage in (Projet.Pilotage.COPILOTAGE, Projet.Pilotage.ALTERNE) and count < 2:
        raise ValidationError(
            {"pilotes": _("Le co-pilotage et le pilotage alterné réunissent au moins deux collectivités.")}
        )
    if pilotage == Projet.Pilotage.COPILOTAGE and len(rotation) != count:
        raise ValidationError({"pilotes": _("Une collectivité ne co-pilote qu'une fois.")})
    if pilotage == Projet.Pilotage.ALTERNE:
        starts = [start for _c, start in rotation]
        if starts != sorted(starts) or len(set(starts)) != len(starts):
            raise ValidationError({"pilotes": _("Les périodes du pilotage alterné se suivent, sans se chevaucher.")})
        if any(a.pk == b.pk for (a, _s), (b, _t) in zip(rotation, rotation[1:], strict=False)):
            raise ValidationError({"pilotes": _("Deux périodes qui se suivent ont des pilotes différents.")})


def _periods(projet: Projet, pilotage: str, rotation: list[tuple[Collectivite, date]]) -> list[Pilote]:
    periods = []
    for index, (collectivite, start) in enumerate(rotation):
        end = rotation[index + 1][1] if pilotage == Projet.Pilotage.ALTERNE and index + 1 < len(rotation) else None
        periods.append(Pilote(projet=projet, collectivite=collectivite, starts_on=start, ends_on=end))
    return periods


def _normalised(name: str, value):
    if name == "title" and isinstance(value, str):
        return value.strip()
    if name in MARKDOWN_FIELDS and isinstance(value, str):
        return clean_text(value)
    return value


def _render(projet: Projet) -> None:
    for name in MARKDOWN_FIELDS:
        source = clean_text(getattr(projet, name))
        setattr(projet, name, source)
        setattr(projet, f"{name}_html", render_markdown(source))


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
    review_every_months: int = 3,
    objectives: str = "",
    expected_effects: str = "",
    resources: str = "",
) -> Projet:
    """Create a project with its pilots: one pilot, co-pilots from the same day, or a rotation.

    `rotation` lists (collectivité, from which day); for co-pilotage the days are the same, for
    pilotage alterné each period lasts until the next one starts.
    """
    _check_pilots(territoire, pilotage, rotation)
    if axe is not None and axe.territoire_id != territoire.pk:
        raise ValidationError({"axe": _("Cet axe n'est pas celui du territoire.")})
    projet = Projet(
        territoire=territoire,
        axe=axe,
        title=title.strip(),
        description=description,
        status=status,
        pilotage=pilotage,
        starts_on=starts_on,
        ends_on=ends_on,
        review_every_months=review_every_months,
        objectives=objectives,
        expected_effects=expected_effects,
        resources=resources,
        created_by=by,
    )
    _render(projet)
    projet.full_clean()
    projet.save()
    Pilote.objects.bulk_create(_periods(projet, pilotage, rotation))
    transaction.on_commit(lambda: invalidate(territoire.pk))
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
def projet_update(*, projet: Projet, by: Agent, **fields) -> Projet:
    """Change what the pilots describe of their project (not its pilots nor its health, which have their own
    services and history). The journal keeps the names of the changed fields."""
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ValidationError(_("Champs non modifiables : %(champs)s.") % {"champs": ", ".join(sorted(unknown))})
    projet = Projet.objects.select_for_update().get(pk=projet.pk)
    axe = fields.get("axe")
    if axe is not None and axe.territoire_id != projet.territoire_id:
        raise ValidationError({"axe": _("Cet axe n'est pas celui du territoire.")})
    # Compare what would be stored, so a title with spaces or a text with a browser's CRLF is no change.
    fields = {name: _normalised(name, value) for name, value in fields.items()}
    changed = sorted(name for name, value in fields.items() if getattr(projet, name) != value)
    for name, value in fields.items():
        setattr(projet, name, value)
    _render(projet)
    projet.full_clean()
    projet.save()
    if changed:
        journal_record(
            action="reseaux.projet.updated",
            actor=by,
            territoire=projet.territoire,
            target=projet,
            data={"champs": changed},
        )
    return projet


@transaction.atomic
def health_set(*, projet: Projet, by: Agent, health: str, reason: str, revue: Revue | None = None) -> Projet:
    """Change the project's health with a reason; the change joins its history."""
    if health not in Projet.Health.values:
        raise ValidationError({"health": _("Santé inconnue : vert, orange ou rouge.")})
    reason = reason.strip()
    if not reason:
        raise ValidationError({"health_reason": _("Dites pourquoi la santé du projet change.")})
    projet = Projet.objects.select_for_update().get(pk=projet.pk)
    if health == projet.health and reason == projet.health_reason:
        return projet
    HealthChange.objects.create(
        projet=projet, health=health, previous=projet.health, reason=reason[:300], revue=revue, changed_by=by
    )
    projet.health, projet.health_reason = health, reason[:300]
    projet.save(update_fields=["health", "health_reason"])
    journal_record(
        action="reseaux.projet.health",
        actor=by,
        territoire=projet.territoire,
        target=projet,
        data={"health": health, "reason": reason[:300]},
    )
    return projet


@transaction.atomic
def pilotage_change(
    *, projet: Projet, by: Agent, pilotage: str, rotation: list[tuple[Collectivite, date]], from_day: date | None = None
) -> Projet:
    """Change who pilots the project from a day on (today by default); the past periods stay as they were.

    Periods running on that day end then; periods planned after it are replaced by the new rotation.
    """
    from_day = from_day or timezone.localdate()
    if from_day < timezone.localdate():
        # Periods that already started would be deleted as if they were plans: the past is not rewritten.
        raise ValidationError({"from_day": _("Le pilotage se change à partir d'aujourd'hui, pas dans le passé.")})
    projet = Projet.objects.select_for_update().get(pk=projet.pk)
    _check_pilots(projet.territoire, pilotage, rotation)
    if any(start < from_day for _c, start in rotation):
        raise ValidationError(
            {
                "pilotes": _("Le nouveau pilotage commence au plus tôt le %(jour)s.")
                % {"jour": from_day.strftime("%d/%m/%Y")}
            }
        )
    before = [(p.collectivite.name, p.starts_on.isoformat()) for p in projet.pilotes.select_related("collectivite")]
    dropped = projet.pilotes.filter(starts_on__gte=from_day)
    # A handover to a period that is dropped will not take place: its review, still to hold, goes with it.
    cancelled = Revue.objects.filter(pilote__in=dropped, held=False)
    cancelled_handovers = [revue.progress for revue in cancelled]
    cancelled.delete()
    # A planned period that never started is a plan, not history; the journal keeps what it was.
    dropped.delete()
    projet.pilotes.filter(starts_on__lt=from_day).exclude(ends_on__lte=from_day).update(ends_on=from_day)
    Pilote.objects.bulk_create(_periods(projet, pilotage, rotation))
    transaction.on_commit(lambda: invalidate(projet.territoire_id))
    projet.pilotage = pilotage
    projet.save(update_fields=["pilotage"])
    projet = Projet.objects.prefetch_related("pilotes").get(pk=projet.pk)
    sync_pilot_permissions(projet)
    journal_record(
        action="reseaux.pilotage.changed",
        actor=by,
        territoire=projet.territoire,
        target=projet,
        data={
            "pilotage": pilotage,
            "from": from_day.isoformat(),
            "before": before,
            "after": [(c.name, start.isoformat()) for c, start in rotation],
            "cancelled_handover_reviews": cancelled_handovers,
        },
    )
    return projet


@transaction.atomic
def contribution_set(
    *, projet: Projet, by: Agent, collectivite: Collectivite, amount: Decimal, staff_days: Decimal
) -> Contribution:
    """Record (or change) what a participating collectivité brings: co-financing and staff time."""
    if collectivite.territoire_id != projet.territoire_id:
        raise ValidationError({"collectivite": _("Cette collectivité n'appartient pas au territoire.")})
    if amount < 0 or staff_days < 0:
        raise ValidationError(_("Montant et temps agent sont positifs ou nuls."))
    contribution, created = Contribution.objects.select_for_update().get_or_create(
        projet=projet, collectivite=collectivite, defaults={"amount": amount, "staff_days": staff_days}
    )
    before = None if created else {"amount": str(contribution.amount), "staff_days": str(contribution.staff_days)}
    contribution.amount, contribution.staff_days = amount, staff_days
    contribution.full_clean()
    contribution.save()
    journal_record(
        action="reseaux.contribution.set",
        actor=by,
        territoire=projet.territoire,
        target=projet,
        data={
            "collectivite": collectivite.name,
            "amount": str(amount),
            "staff_days": str(staff_days),
            "before": before,
        },
    )
    return contribution


@transaction.atomic
def contribution_remove(*, contribution: Contribution, by: Agent) -> None:
    """A collectivité no longer takes part; the journal keeps what it brought."""
    # The stored values, not those of an object the caller may hold from before a change.
    contribution = (
        Contribution.objects.select_for_update(of=("self",))
        .select_related("projet__territoire", "collectivite")
        .get(pk=contribution.pk)
    )
    journal_record(
        action="reseaux.contribution.removed",
        actor=by,
        territoire=contribution.projet.territoire,
        target=contribution.projet,
        data={
            "collectivite": contribution.collectivite.name,
            "amount": str(contribution.amount),
            "staff_days": str(contribution.staff_days),
        },
    )
    contribution.delete()


@transaction.atomic
def referent_add(*, projet: Projet, by: Agent, agent: Agent) -> Referent:
    """An agent of the territory starts following the project."""
    if not Membership.objects.active().filter(territoire=projet.territoire_id, agent=agent).exists():
        raise ValidationError({"agent": _("Cette personne n'est pas membre du territoire.")})
    if projet.referents.filter(agent=agent, until__isnull=True).exists():
        raise ValidationError({"agent": _("Cette personne suit déjà le projet.")})
    referent = Referent.objects.create(projet=projet, agent=agent, since=timezone.localdate())
    journal_record(
        action="reseaux.referent.added",
        actor=by,
        territoire=projet.territoire,
        target=projet,
        data={"agent": agent.get_full_name() or agent.email},
    )
    return referent


@transaction.atomic
def referent_end(*, referent: Referent, by: Agent) -> Referent:
    """The agent stops following the project; the period stays in its history."""
    if referent.until is not None:
        raise ValidationError(_("Cette personne ne suit déjà plus le projet."))
    referent.until = timezone.localdate()
    referent.save(update_fields=["until"])
    journal_record(
        action="reseaux.referent.ended",
        actor=by,
        territoire=referent.projet.territoire,
        target=referent.projet,
        data={"agent": referent.agent.get_full_name() or referent.agent.email},
    )
    return referent
