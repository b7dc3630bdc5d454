"""The graph of the territory's professional ties, built from the application's own data, at any date.

Nodes are agents (`a<id>`), collectivités (`c<id>`) and what gathers them: networks (`r<id>`), projects
(`p<id>`) and the CoDir itself (`codir`). Modelling a network as a node (an affiliation graph) rather than
as a clique of all its members keeps 3,000 agents in 40 networks at a few thousand edges, so the analyses
stay under a second; two agents of one network are two steps apart, through it.

Each *layer* of ties comes from one source and one query. `reseaux` provides its own layers; a higher room
(codir: attendance of CoDir meetings) registers its layer from its AppConfig.ready(), as decisions' hooks do.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import networkx as nx
from django.db.models import Q
from django.utils import timezone

from communes.models import Collectivite, Membership, Territoire
from reseaux.models import Contribution, Echange, MembreReseau, Participation, Pilote, Projet, Reseau

# An event attended keeps strengthening the tie to its network for a year; an exchange between two agents
# links them for two years after it ended: professional memory fades, the map should too.
EVENT_MEMORY = timedelta(days=365)
EXCHANGE_MEMORY = timedelta(days=730)


@dataclass(frozen=True)
class Tie:
    """One tie between two nodes, from one layer. `people` describes the agents at its ends, for those the
    territory's memberships do not list on that day (a network membership dated before they joined the app):
    (key, attributes) pairs, the attributes naming the collectivité they acted for."""

    a: str
    b: str
    layer: str
    weight: float = 1.0
    people: tuple[tuple[str, dict], ...] = ()


def person(agent_id: int, first: str, last: str, job: str, collectivite_id: int) -> tuple[str, dict]:
    """An agent node's key and attributes."""
    label = f"{first} {last}".strip()
    return agent_key(agent_id), {"kind": "agent", "label": label, "job": job, "collectivite": collectivite_id}


TieSource = Callable[[Territoire, date], Iterable[Tie]]
NodeSource = Callable[[Territoire, date], Iterable[tuple[str, dict]]]
_layers: dict[str, tuple[TieSource, NodeSource | None]] = {}

# What the map shows by default: the professional networks proper. Projects and the CoDir are added on demand
# (the CoDir links every commune that attends: it would hide who depends on whom in the networks).
DEFAULT_LAYERS = ("reseaux", "echanges")


def register_layer(name: str, ties: TieSource, nodes: NodeSource | None = None) -> None:
    """Add a layer of ties (and the nodes it brings); called once from an AppConfig.ready()."""
    _layers[name] = (ties, nodes)


def known_layers() -> list[str]:
    return list(_layers)


def agent_key(pk: int) -> str:
    return f"a{pk}"


def collectivite_key(pk: int) -> str:
    return f"c{pk}"


def _end_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.max))


def _people(territoire: Territoire, at: date) -> tuple[list[tuple[str, dict]], list[Tie], set[str]]:
    """Every collectivité still in the territory, every agent who was a member on that day, tied to the
    collectivité they acted for, and the keys of the agents never to bring back from a tie: those who had left
    the territory by then, and observers (élus are not on the map)."""
    nodes = [
        (collectivite_key(pk), {"kind": "collectivite", "label": name, "is_epci": kind == "epci", "population": pop})
        for pk, name, kind, pop in Collectivite.objects.for_territoire(territoire)
        .filter(Q(left_at__isnull=True) | Q(left_at__gt=at))
        .values_list("pk", "name", "kind", "population")
    ]
    ties = []
    excluded = set()
    memberships = Membership.objects.filter(territoire=territoire).values_list(
        "agent_id", "agent__first_name", "agent__last_name", "agent__job_title", "collectivite_id", "role",
        "started_at", "ended_at",
    )  # fmt: skip
    end = _end_of(at)
    for agent_id, first, last, job, collectivite_id, role, started, ended in memberships:
        if role == Membership.Role.OBSERVATEUR or (ended is not None and ended <= end):
            excluded.add(agent_key(agent_id))
            continue
        if started > end:
            continue  # joined the app later: brought back by a tie dated before, if any
        nodes.append(person(agent_id, first, last, job, collectivite_id))
        ties.append(Tie(agent_key(agent_id), collectivite_key(collectivite_id), "appartenance"))
    return nodes, ties, excluded


def _reseaux_nodes(territoire: Territoire, at: date) -> Iterable[tuple[str, dict]]:
    rows = (
        Reseau.objects.for_territoire(territoire)
        .filter(created_on__lte=at)
        .filter(Q(closed_on__isnull=True) | Q(closed_on__gte=at))
        .values_list("pk", "name", "kind")
    )
    return [(f"r{pk}", {"kind": "reseau", "label": name, "reseau_kind": kind}) for pk, name, kind in rows]


def _reseaux_ties(territoire: Territoire, at: date) -> Iterable[Tie]:
    """Members tied to their network, more strongly when référent, and for each event attended this year."""
    who = ("agent_id", "agent__first_name", "agent__last_name", "agent__job_title", "collectivite_id")
    members = MembreReseau.objects.on(at).filter(reseau__territoire=territoire).values_list(*who, "reseau_id", "role")
    ties = [
        Tie(agent_key(row[0]), f"r{reseau_id}", "reseaux", 2.0 if role == "referent" else 1.0, (person(*row),))
        for *row, reseau_id, role in members
    ]
    events = Participation.objects.filter(
        evenement__reseau__territoire=territoire, evenement__held_on__range=(at - EVENT_MEMORY, at)
    ).values_list(*who, "evenement__reseau_id")
    ties += [Tie(agent_key(row[0]), f"r{reseau_id}", "reseaux", 0.5, (person(*row),)) for *row, reseau_id in events]
    return ties


def _echanges_ties(territoire: Territoire, at: date) -> Iterable[Tie]:
    rows = Echange.objects.filter(territoire=territoire, starts_on__lte=at, ends_on__gte=at - EXCHANGE_MEMORY)
    host = ("host_id", "host__first_name", "host__last_name", "host__job_title", "host_collectivite_id")
    guest = ("guest_id", "guest__first_name", "guest__last_name", "guest__job_title", "guest_collectivite_id")
    return [
        Tie(agent_key(row[0]), agent_key(row[5]), "echanges", 1.0, (person(*row[:5]), person(*row[5:])))
        for row in rows.values_list(*host, *guest)
    ]


def _projets_nodes(territoire: Territoire, at: date) -> Iterable[tuple[str, dict]]:
    rows = (
        Projet.objects.for_territoire(territoire)
        .filter(created_at__lte=_end_of(at))  # a project is on the map from the day it was created
        .exclude(status=Projet.Status.ABANDONNE)
        .values_list("pk", "title")
    )
    return [(f"p{pk}", {"kind": "projet", "label": title}) for pk, title in rows]


def _projets_ties(territoire: Territoire, at: date) -> Iterable[Tie]:
    """Pilot collectivités (today's, or all the rotation's) and participants, tied to the project."""
    pilots = (
        Pilote.objects.filter(projet__territoire=territoire, starts_on__lte=at)
        .exclude(projet__status=Projet.Status.ABANDONNE)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gt=at) | Q(projet__pilotage=Projet.Pilotage.ALTERNE))
        .values_list("collectivite_id", "projet_id")
        .distinct()
    )
    ties = [Tie(collectivite_key(c), f"p{p}", "projets", 2.0) for c, p in pilots]
    contributions = Contribution.objects.filter(projet__territoire=territoire).exclude(
        projet__status=Projet.Status.ABANDONNE
    )
    ties += [
        Tie(collectivite_key(c), f"p{p}", "projets")
        for c, p in contributions.values_list("collectivite_id", "projet_id")
    ]
    return ties


register_layer("reseaux", _reseaux_ties, _reseaux_nodes)
register_layer("echanges", _echanges_ties)
register_layer("projets", _projets_ties, _projets_nodes)


def build_graph(territoire: Territoire, at: date | None = None, layers: Iterable[str] = DEFAULT_LAYERS) -> nx.Graph:
    """The weighted graph of the territory on that day (today by default), with the layers asked for.

    Ties of the same pair add up; each edge keeps the layers it comes from.
    """
    at = at or timezone.localdate()
    graph = nx.Graph(territoire=territoire.pk, at=at.isoformat())
    nodes, ties, excluded = _people(territoire, at)
    graph.add_nodes_from(nodes)
    for name in layers:
        tie_source, node_source = _layers[name]
        if node_source is not None:
            graph.add_nodes_from(node_source(territoire, at))
        ties.extend(tie_source(territoire, at))
    for tie in ties:
        for key, attributes in tie.people:
            home = collectivite_key(attributes["collectivite"])
            # For ties dated before the person's membership was recorded in the app; never for who had left.
            if key not in graph and key not in excluded and home in graph:
                graph.add_node(key, **attributes)
                graph.add_edge(key, home, weight=1.0, layers=["appartenance"])
        if tie.a not in graph or tie.b not in graph:
            continue  # a tie to a collectivité that had left the territory that day
        if graph.has_edge(tie.a, tie.b):
            edge = graph.edges[tie.a, tie.b]
            edge["weight"] += tie.weight
            edge["layers"] = sorted({*edge["layers"], tie.layer})
        else:
            graph.add_edge(tie.a, tie.b, weight=tie.weight, layers=[tie.layer])
    return graph
