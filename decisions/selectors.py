"""Read queries of the decision engine, scoped to a territory and prefetched for their pages."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from communes.models import Collectivite, Seat, Territoire
from decisions.models import Action, Position, Proposition, Round


def _current_position_of(collectivite_id: int | None):
    return Exists(
        Position.objects.current().filter(
            round__proposition=OuterRef("pk"), round__closed_at__isnull=True, collectivite_id=collectivite_id
        )
    )


def open_propositions(territoire: Territoire, *, collectivite: Collectivite | None) -> QuerySet[Proposition]:
    """Open propositions, soonest deadline first, each with `my_collectivite_expressed`."""
    return (
        Proposition.objects.for_territoire(territoire)
        .filter(status=Proposition.Status.OUVERTE)
        .select_related("author")
        .annotate(my_collectivite_expressed=_current_position_of(collectivite.pk if collectivite else None))
        .order_by("closes_at", "pk")
    )


def drafts_of(territoire: Territoire, author) -> QuerySet[Proposition]:
    return Proposition.objects.for_territoire(territoire).filter(status=Proposition.Status.BROUILLON, author=author)


def proposition_with_record(proposition: Proposition) -> Proposition:
    """The proposition with every round and every position (current and replaced) prefetched."""
    positions = Position.objects.select_related("collectivite", "spoken_by").order_by(
        "collectivite__name", "created_at"
    )
    return (
        Proposition.objects.select_related("territoire", "author")
        .prefetch_related(
            Prefetch(
                "rounds",
                queryset=Round.objects.order_by("number").prefetch_related(Prefetch("positions", queryset=positions)),
            ),
            Prefetch("actions", queryset=Action.objects.select_related("owner_collectivite", "owner_agent")),
        )
        .get(pk=proposition.pk)
    )


@dataclass
class TallyRow:
    collectivite: Collectivite
    position: Position | None
    history: list[Position]


def tally_by_collectivite(proposition: Proposition, round_: Round) -> list[TallyRow]:
    """Every collectivité with a voice, and its current position in the round (None if silent).

    Uses the round's prefetched positions; collectivités are read in one query.
    """
    positions = list(round_.positions.all())
    current = {p.collectivite_id: p for p in positions if p.replaced_at is None}
    history: dict[int, list[Position]] = {}
    for position in positions:
        history.setdefault(position.collectivite_id, []).append(position)
    collectivites = Collectivite.objects.for_territoire(proposition.territoire).filter(
        Q(left_at__isnull=True) | Q(pk__in=current.keys())
    )
    return [TallyRow(c, current.get(c.pk), history.get(c.pk, [])) for c in collectivites]


def register(
    territoire: Territoire,
    *,
    kind: str = "",
    result: str = "",
    since: date | None = None,
    until: date | None = None,
    query: str = "",
) -> QuerySet[Proposition]:
    """Closed decisions, newest first, filtered as the register page and API allow."""
    decisions = (
        Proposition.objects.for_territoire(territoire)
        .filter(status=Proposition.Status.CLOSE)
        .select_related("author")
        .order_by("-closed_at", "-pk")
    )
    if kind:
        decisions = decisions.filter(kind=kind)
    if result:
        decisions = decisions.filter(result=result)
    if since:
        decisions = decisions.filter(closed_at__date__gte=since)
    if until:
        decisions = decisions.filter(closed_at__date__lte=until)
    if query:
        decisions = decisions.filter(Q(title__icontains=query) | Q(body__icontains=query))
    return decisions


def actions_of_territoire(territoire: Territoire, *, status: str = "") -> QuerySet[Action]:
    actions = Action.objects.for_territoire(territoire).select_related(
        "proposition", "owner_collectivite", "owner_agent"
    )
    if status:
        actions = actions.filter(status=status)
    return actions.order_by("due_date", "pk")


def voice_of(collectivite: Collectivite) -> list[Seat]:
    return list(Seat.objects.active().filter(collectivite=collectivite).select_related("membership__agent"))
