"""Read queries of the communes app, scoped to a territory and prefetched for their pages."""

from django.db.models import Count, Prefetch, Q, QuerySet
from guardian.shortcuts import get_users_with_perms

from communes.models import Agent, Collectivite, Invitation, JournalEntry, Membership, Seat, Territoire


def territoires_for_agent(agent: Agent) -> QuerySet[Territoire]:
    """The territories an agent belongs to or facilitates, with their number of active communes."""
    return (
        Territoire.objects.accessible_to(agent)
        .annotate(
            communes_count=Count(
                "collectivites", filter=Q(collectivites__kind=Collectivite.Kind.COMMUNE, collectivites__left_at=None)
            )
        )
        .order_by("name")  # Meta.ordering does not apply to aggregated querysets.
    )


def _active_seats() -> Prefetch:
    return Prefetch(
        "seats",
        queryset=Seat.objects.active().select_related("membership__agent").order_by("kind"),
        to_attr="active_seats",
    )


def collectivites_with_seats(territoire: Territoire, *, include_left: bool = False) -> QuerySet[Collectivite]:
    """The EPCI then its communes, each with `active_seats` (titulaire, suppléant) prefetched."""
    collectivites = Collectivite.objects.for_territoire(territoire)
    if not include_left:
        collectivites = collectivites.active()
    return collectivites.prefetch_related(_active_seats())


def collectivite_seat_history(collectivite: Collectivite) -> QuerySet[Seat]:
    """Every tenure of the collectivité's seats, most recent first."""
    return collectivite.seats.select_related("membership__agent").order_by("-started_at")


def members_of_territoire(territoire: Territoire, *, include_ended: bool = False) -> QuerySet[Membership]:
    memberships = Membership.objects.for_territoire(territoire)
    if not include_ended:
        memberships = memberships.active()
    return (
        memberships.select_related("agent", "collectivite")
        .prefetch_related(Prefetch("seats", queryset=Seat.objects.active(), to_attr="active_seats"))
        .order_by("-collectivite__kind", "collectivite__name", "agent__last_name", "agent__first_name")
    )


def pending_invitations(territoire: Territoire) -> QuerySet[Invitation]:
    """Pending invitations of the territory, of both kinds (members and facilitators)."""
    return Invitation.objects.for_territoire(territoire).pending().select_related("collectivite", "invited_by")


def facilitators_of_territoire(territoire: Territoire) -> QuerySet[Agent]:
    """Agents who hold the facilitator permission on the territory themselves (not through a group)."""
    return get_users_with_perms(
        territoire, only_with_perms_in=["facilitate_territoire"], with_superusers=False, with_group_users=False
    ).order_by("last_name", "first_name", "email")


def invitations_of_territoire(territoire: Territoire) -> QuerySet[Invitation]:
    return Invitation.objects.for_territoire(territoire).select_related("collectivite", "invited_by", "accepted_by")


def journal_of_territoire(territoire: Territoire) -> QuerySet[JournalEntry]:
    return JournalEntry.objects.for_territoire(territoire).select_related("actor")


def seat_holder(seats: list[Seat], kind: str) -> Seat | None:
    """The active seat of the given kind among prefetched `active_seats`."""
    return next((seat for seat in seats if seat.kind == kind), None)


def active_seat(agent: Agent, territoire: Territoire) -> Seat | None:
    """The seat through which an agent speaks for a collectivité of this territory, if any.

    The one definition of "who holds a voice": an active seat, of an active membership, of a
    collectivité still in the territory. Signing, ratifying and expressing positions all ask it.
    """
    return (
        Seat.objects.active()
        .select_related("collectivite")
        .filter(
            membership__agent=agent,
            membership__territoire=territoire,
            membership__ended_at__isnull=True,
            collectivite__left_at__isnull=True,
        )
        .first()
    )
