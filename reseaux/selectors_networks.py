"""Read queries of the professional networks, scoped to a territory and prefetched for pages and API."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.utils import timezone

from communes.models import Agent, Membership, Territoire
from reseaux.models import (
    Echange,
    Evenement,
    MembreReseau,
    Participation,
    Pilote,
    Referent,
    Reseau,
    Ressource,
)


def reseaux_of(territoire: Territoire, *, on: date | None = None) -> QuerySet[Reseau]:
    """The territory's networks with their member and référent counts on that day (today by default)."""
    on = on or timezone.localdate()
    current = (Q(membres__until__isnull=True) | Q(membres__until__gte=on)) & Q(membres__since__lte=on)
    return (
        Reseau.objects.for_territoire(territoire)
        .select_related("projet")
        .annotate(
            members_count=Count("membres", filter=current, distinct=True),
            referents_count=Count("membres", filter=current & Q(membres__role="referent"), distinct=True),
            collectivites_count=Count("membres__collectivite", filter=current, distinct=True),
        )
        .order_by("closed_on", "kind", "name")
    )


def reseau_of(territoire: Territoire, reseau_id: int) -> Reseau:
    """One network with its members (current and past), events with attendance, and resources."""
    return (
        Reseau.objects.for_territoire(territoire)
        .select_related("projet", "created_by")
        .prefetch_related(
            Prefetch(
                "membres",
                queryset=MembreReseau.objects.select_related("agent", "collectivite").order_by(
                    "-role", "collectivite__name", "agent__last_name", "pk"
                ),
            ),
            Prefetch(
                "evenements",
                queryset=Evenement.objects.prefetch_related(
                    Prefetch(
                        "participations",
                        queryset=Participation.objects.select_related("agent", "collectivite").order_by(
                            "collectivite__name", "agent__last_name", "agent__first_name", "pk"
                        ),
                    )
                ),
            ),
            Prefetch(
                "ressources", queryset=Ressource.objects.filter(withdrawn_at__isnull=True).select_related("added_by")
            ),
        )
        .get(pk=reseau_id)
    )


def echanges_of(territoire: Territoire) -> QuerySet[Echange]:
    return Echange.objects.filter(territoire=territoire).select_related(
        "host", "guest", "host_collectivite", "guest_collectivite"
    )


def agents_of(territoire: Territoire) -> QuerySet[Agent]:
    """The territory's active members, who may join its networks and exchanges, by name; `acting_for` is the
    name of the collectivité each acts for (one active membership per agent and territory)."""
    return (
        Agent.objects.filter(memberships__territoire=territoire, memberships__ended_at__isnull=True, is_active=True)
        .annotate(acting_for=F("memberships__collectivite__name"))
        .order_by("last_name", "first_name", "email")
    )


@dataclass(frozen=True)
class AgentNetworkData:
    """Everything the map of the networks holds about one agent in one territory."""

    memberships: list[MembreReseau]
    participations: list[Participation]
    echanges: list[Echange]


def agent_network_data(territoire: Territoire, agent: Agent) -> AgentNetworkData:
    """The agent's memberships (current and past), event participations and exchanges in the territory."""
    return AgentNetworkData(
        memberships=list(
            MembreReseau.objects.filter(reseau__territoire=territoire, agent=agent)
            .select_related("reseau", "collectivite")
            .order_by("-since", "pk")
        ),
        participations=list(
            Participation.objects.filter(evenement__reseau__territoire=territoire, agent=agent)
            .select_related("evenement__reseau", "collectivite")
            .order_by("-evenement__held_on", "pk")
        ),
        echanges=list(echanges_of(territoire).filter(Q(host=agent) | Q(guest=agent))),
    )


def who_can_help(
    territoire: Territoire,
    asking: Agent,
    *,
    text: str = "",
    reseau: Reseau | None = None,
    projet_id: int | None = None,
    limit: int = 50,
) -> list[Agent]:
    """Agents of the *other* collectivités of the territory who may help: matching a job title or a name, in a
    network, or following or piloting a project; each with `acting_for`, `current_networks` (prefetched) and
    `followed_projects` (prefetched). Professional data only."""
    own = (
        Membership.objects.active()
        .filter(territoire=territoire, agent=asking)
        .values_list("collectivite_id", flat=True)
        .first()
    )
    today = timezone.localdate()
    agents = agents_of(territoire).exclude(pk=asking.pk)
    if own is not None:
        # Both conditions on the same (active) membership: a former colleague now elsewhere is found.
        colleagues = Membership.objects.active().filter(territoire=territoire, collectivite_id=own)
        agents = agents.exclude(pk__in=colleagues.values("agent_id"))
    for word in text.split()[:5]:
        agents = agents.filter(
            Q(job_title__icontains=word) | Q(first_name__icontains=word) | Q(last_name__icontains=word)
        )
    if reseau is not None:
        agents = agents.filter(pk__in=MembreReseau.objects.on(today).filter(reseau=reseau).values("agent_id"))
    if projet_id is not None:
        piloting = Pilote.objects.filter(projet_id=projet_id, starts_on__lte=today).filter(
            Q(ends_on__isnull=True) | Q(ends_on__gt=today)
        )
        acting = Membership.objects.active().filter(
            territoire=territoire, collectivite_id__in=piloting.values("collectivite_id")
        )
        agents = agents.filter(
            Q(pk__in=Referent.objects.filter(projet_id=projet_id, until__isnull=True).values("agent_id"))
            | Q(pk__in=acting.values("agent_id"))
        )
    return list(
        agents.distinct().prefetch_related(
            Prefetch(
                "reseaux",
                queryset=MembreReseau.objects.on(today).filter(reseau__territoire=territoire).select_related("reseau"),
                to_attr="current_networks",
            ),
            Prefetch(
                "projets_suivis",
                queryset=Referent.objects.filter(until__isnull=True, projet__territoire=territoire).select_related(
                    "projet"
                ),
                to_attr="followed_projects",
            ),
        )[:limit]
    )
