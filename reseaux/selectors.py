"""Read queries of the portfolio, scoped to a territory and prefetched for their pages and the API."""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Count, F, Max, Prefetch, Q, QuerySet
from django.utils import timezone

from communes.access import permission_held
from communes.models import Agent, Collectivite, Territoire
from communes.population import CLASS_LABELS, COMMUNE_CLASSES, EPCI_CLASS, population_class
from reseaux import systemic
from reseaux.models import Contribution, DocumentProjet, HealthChange, Jalon, Lien, Pilote, Projet, Referent, Revue
from reseaux.services.projets import PILOT_PERMISSION
from reseaux.services.revues import REVIEWED_STATUSES, next_review_on


@dataclass
class PortfolioFilters:
    """What the dashboard is narrowed to; empty means everything."""

    axe: int | None = None
    status: str = ""
    health: str = ""
    pilotage: str = ""
    pilote: int | None = None  # a collectivité piloting today
    participant: int | None = None  # a collectivité contributing


def portfolio(territoire: Territoire, filters: PortfolioFilters | None = None, *, on: date | None = None) -> QuerySet:
    """The territory's projects with what the dashboard shows, in a fixed number of queries.

    Each project carries `last_held` (its last review held), `late_count` (milestones past due) and its
    pilots, contributions, phases and milestones prefetched.
    """
    on = on or timezone.localdate()
    filters = filters or PortfolioFilters()
    projets = Projet.objects.for_territoire(territoire)
    if filters.axe:
        projets = projets.filter(axe_id=filters.axe)
    for name in ("status", "health", "pilotage"):
        if getattr(filters, name):
            projets = projets.filter(**{name: getattr(filters, name)})
    if filters.pilote:
        projets = projets.filter(
            Q(pilotes__ends_on__isnull=True) | Q(pilotes__ends_on__gt=on),
            pilotes__collectivite_id=filters.pilote,
            pilotes__starts_on__lte=on,
        )
    if filters.participant:
        projets = projets.filter(contributions__collectivite_id=filters.participant)
    return (
        projets.distinct()
        .select_related("axe")
        .annotate(
            last_held=Max("revues__held_on", filter=Q(revues__held=True)),
            late_count=Count("jalons", filter=Q(jalons__done_on__isnull=True, jalons__due_on__lt=on), distinct=True),
        )
        .prefetch_related(
            Prefetch("pilotes", queryset=Pilote.objects.select_related("collectivite")),
            Prefetch("contributions", queryset=Contribution.objects.select_related("collectivite")),
            "phases",
            "jalons",
        )
        # Projects without an axe come last, on SQLite as on PostgreSQL (whose NULLs sort differently).
        .order_by(F("axe__position").asc(nulls_last=True), F("axe__name").asc(nulls_last=True), "title", "pk")
    )


def projet_of(territoire: Territoire, projet_id: int, reader: Agent | None = None) -> Projet:
    """One project with everything its page and its fiche action show (raises Projet.DoesNotExist);
    its links to other projects as `outgoing_links` and `incoming_links`; with a `reader`, whether they hold
    the pilot permission, for `reseaux.access.can_pilot` (`pilot_permission_of`: (agent id, held))."""
    projets = Projet.objects.for_territoire(territoire)
    if reader is not None:
        projets = projets.annotate(reader_holds_pilot=permission_held(reader, PILOT_PERMISSION, Projet))
    projet = (
        projets.select_related("axe", "territoire", "created_by")
        .annotate(last_held=Max("revues__held_on", filter=Q(revues__held=True)))
        .prefetch_related(
            Prefetch("pilotes", queryset=Pilote.objects.select_related("collectivite")),
            Prefetch("contributions", queryset=Contribution.objects.select_related("collectivite")),
            Prefetch("referents", queryset=Referent.objects.select_related("agent", "agent__collectivite")),
            "phases",
            "jalons",
            "indicateurs",
            Prefetch("documents", queryset=DocumentProjet.objects.filter(withdrawn_at=None)),
            Prefetch(
                "revues",
                queryset=Revue.objects.select_related("proposition", "recorded_by").prefetch_related("collectivites"),
            ),
            Prefetch("health_changes", queryset=HealthChange.objects.select_related("changed_by")),
        )
        .get(pk=projet_id)
    )
    # Both directions of the links in one query rather than two prefetches.
    links = list(Lien.objects.filter(Q(source=projet) | Q(target=projet)).select_related("source", "target"))
    projet.outgoing_links = [lien for lien in links if lien.source_id == projet.pk]
    projet.incoming_links = [lien for lien in links if lien.target_id == projet.pk]
    if reader is not None:
        projet.pilot_permission_of = (reader.pk, projet.reader_holds_pilot)
    return projet


def current_pilots(projet: Projet, on: date | None = None) -> list[Pilote]:
    """The pilot periods running that day (uses the prefetched pilots)."""
    on = on or timezone.localdate()
    return [p for p in projet.pilotes.all() if p.is_active_on(on)]


def review_due_on(projet: Projet) -> date | None:
    """When the next periodic review is due, for a project still alive (needs the `last_held` annotation)."""
    if projet.status not in REVIEWED_STATUSES:
        return None
    return next_review_on(projet, projet.last_held)


def financing(projet: Projet) -> list[tuple[Contribution, Decimal]]:
    """Each contribution with its share of the total co-financing, in percent (prefetched contributions)."""
    contributions = list(projet.contributions.all())
    total = sum((c.amount for c in contributions), Decimal(0))
    return [
        (c, (c.amount * 100 / total).quantize(Decimal("0.1")) if total else Decimal(0))
        for c in sorted(contributions, key=lambda c: (-c.amount, c.collectivite.name))
    ]


@dataclass
class ParityRow:
    collectivite: Collectivite
    pilots: int = 0  # alone (EPCI or commune pilotage)
    copilots: int = 0  # with others, together or in turn
    joins: int = 0  # contributes without piloting

    @property
    def total(self) -> int:
        return self.pilots + self.copilots + self.joins


@dataclass
class ParityClass:
    key: str
    label: str
    collectivites: int = 0
    pilots: int = 0
    copilots: int = 0
    joins: int = 0
    without: int = 0  # collectivités of the class in no project at all


@dataclass
class Parity:
    rows: list[ParityRow]
    classes: list[ParityClass] = field(default_factory=list)


def parity(territoire: Territoire, *, on: date | None = None) -> Parity:
    """How many projects each collectivité pilots, co-pilots and joins, and the same by population class.

    Counts the living projects (not finished nor abandoned) and the pilots of today; four queries.
    """
    on = on or timezone.localdate()
    living = ~Q(projet__status__in=[Projet.Status.TERMINE, Projet.Status.ABANDONNE])
    collectivites = list(Collectivite.objects.for_territoire(territoire).filter(left_at__isnull=True))
    rows = {c.pk: ParityRow(c) for c in collectivites}
    piloted: dict[int, set[int]] = {}
    periods = Pilote.objects.filter(living, projet__territoire=territoire, starts_on__lte=on).filter(
        Q(ends_on__isnull=True) | Q(ends_on__gt=on)
    )
    for collectivite_id, projet_id, pilotage in periods.values_list("collectivite_id", "projet_id", "projet__pilotage"):
        if collectivite_id not in rows or projet_id in piloted.setdefault(collectivite_id, set()):
            continue
        piloted[collectivite_id].add(projet_id)
        if pilotage in (Projet.Pilotage.EPCI, Projet.Pilotage.COMMUNE):
            rows[collectivite_id].pilots += 1
        else:
            rows[collectivite_id].copilots += 1
    # Alternating pilots that are not leading today still co-pilot the project.
    rotating = Pilote.objects.filter(living, projet__territoire=territoire, projet__pilotage=Projet.Pilotage.ALTERNE)
    for collectivite_id, projet_id in rotating.values_list("collectivite_id", "projet_id").distinct():
        if collectivite_id in rows and projet_id not in piloted.setdefault(collectivite_id, set()):
            piloted[collectivite_id].add(projet_id)
            rows[collectivite_id].copilots += 1
    contributions = Contribution.objects.filter(living, projet__territoire=territoire)
    for collectivite_id, projet_id in contributions.values_list("collectivite_id", "projet_id"):
        if collectivite_id in rows and projet_id not in piloted.get(collectivite_id, set()):
            rows[collectivite_id].joins += 1
    classes = {EPCI_CLASS: ParityClass(EPCI_CLASS, str(CLASS_LABELS[EPCI_CLASS]))}
    classes.update({key: ParityClass(key, str(label)) for key, _bound, label in COMMUNE_CLASSES})
    for row in rows.values():
        group = classes[population_class(row.collectivite)]
        group.collectivites += 1
        group.pilots += row.pilots
        group.copilots += row.copilots
        group.joins += row.joins
        group.without += row.total == 0
    return Parity(rows=list(rows.values()), classes=[c for c in classes.values() if c.collectivites])


@dataclass
class ReviewCandidate:
    projet: Projet
    due_on: date | None
    pending_handover: bool
    late_jalons: list[Jalon]
    health_changes: list[HealthChange]
    on_agenda: bool = False

    @property
    def reasons(self) -> list[str]:
        return [
            reason
            for reason, present in (
                ("revue", self.due_on is not None),
                ("passation", self.pending_handover),
                ("jalons", bool(self.late_jalons)),
                ("sante", bool(self.health_changes)),
            )
            if present
        ]


def portfolio_review(territoire: Territoire, *, meeting_day: date, since: datetime) -> list[ReviewCandidate]:
    """What a CoDir meeting on `meeting_day` should look at: projects whose review falls due by then,
    handover reviews waiting, milestones late by then, and health changes since `since` (the previous
    meeting). A fixed number of queries, whatever the size of the portfolio."""
    projets = (
        Projet.objects.for_territoire(territoire)
        .filter(status__in=REVIEWED_STATUSES)
        .select_related("axe")
        .annotate(
            last_held=Max("revues__held_on", filter=Q(revues__held=True)),
            pending=Count("revues", filter=Q(revues__held=False), distinct=True),
        )
        .prefetch_related(
            Prefetch("jalons", queryset=Jalon.objects.filter(done_on__isnull=True, due_on__lt=meeting_day)),
            Prefetch(
                "health_changes",
                queryset=HealthChange.objects.filter(changed_at__gte=since).select_related("changed_by"),
            ),
            Prefetch("pilotes", queryset=Pilote.objects.select_related("collectivite")),
        )
        .order_by("title")
    )
    candidates = []
    for projet in projets:
        due = next_review_on(projet, projet.last_held)
        candidate = ReviewCandidate(
            projet=projet,
            due_on=due if due <= meeting_day else None,
            pending_handover=projet.pending > 0,
            late_jalons=list(projet.jalons.all()),
            health_changes=list(projet.health_changes.all()),
        )
        if candidate.reasons:
            candidates.append(candidate)
    return candidates


def systemic_view(territoire: Territoire) -> dict:
    """The ranking, loops and isolated projects, with the project objects (two queries and the graph)."""
    graph = systemic.link_graph(territoire)
    projets = Projet.objects.for_territoire(territoire).select_related("axe").in_bulk()
    return {
        "ranking": [(projets[pk], score) for pk, score in systemic.systemic_ranking(graph)],
        "loops": [[projets[pk] for pk in cycle] for cycle in systemic.loops(graph)],
        "isolated": [projets[pk] for pk in systemic.isolated(graph)],
        "links": Lien.objects.filter(source__territoire=territoire)
        .select_related("source", "target")
        .order_by("source__title", "target__title"),
    }
