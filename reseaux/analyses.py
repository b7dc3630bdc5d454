"""Analyses of the graph of professional ties (reseaux.graph): pure functions of a networkx graph, tested on
small hand-made graphs. Each result names nodes by their key (`a12`, `c3`, `r5`) and the page turns them
into people, collectivités and networks."""

import random
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import combinations

import networkx as nx

# Brokerage is measured between collectivités (the paths that link one collectivité to another): exact up to
# this many collectivités, estimated from a seeded sample of source collectivités beyond (each source costs a
# walk of the whole graph; the ranking of the main brokers is stable well before that).
BROKERAGE_SOURCES = 32


def nodes_of(graph: nx.Graph, kind: str) -> list[str]:
    return sorted(node for node, data in graph.nodes(data=True) if data.get("kind") == kind)


def hubs(graph: nx.Graph, limit: int = 10) -> list[tuple[str, int]]:
    """Agents with the most ties (degree), highest first; ties broken by key for a stable order."""
    ranked = sorted(((node, graph.degree(node)) for node in nodes_of(graph, "agent")), key=lambda i: (-i[1], i[0]))
    return [item for item in ranked if item[1] > 1][:limit]


def brokers(graph: nx.Graph, limit: int = 10) -> list[tuple[str, float]]:
    """Agents through whom the shortest paths between collectivités pass most, highest first, with their share
    of the top broker's score (1.0 for the first): the people who link worlds that would otherwise know
    each other less."""
    collectivites = nodes_of(graph, "collectivite")
    if len(collectivites) < 2:
        return []
    sources = collectivites
    if len(sources) > BROKERAGE_SOURCES:
        sources = random.Random(42).sample(collectivites, BROKERAGE_SOURCES)
    scores = nx.betweenness_centrality_subset(graph, sources=sources, targets=collectivites, normalized=False)
    ranked = sorted(((n, scores[n]) for n in nodes_of(graph, "agent") if scores[n] > 0), key=lambda i: (-i[1], i[0]))
    if not ranked:
        return []
    top = ranked[0][1]
    return [(node, round(score / top, 3)) for node, score in ranked[:limit]]


@dataclass
class CutPoint:
    """A node whose departure cuts collectivités off from the rest: `cut_off` lose their only link."""

    node: str
    cut_off: list[str]
    remaining_with: list[str] = field(default_factory=list)


def _collectivites_in(graph: nx.Graph, nodes) -> list[str]:
    return sorted(node for node in nodes if graph.nodes[node].get("kind") == "collectivite")


def articulation_points(graph: nx.Graph, kinds: tuple[str, ...] = ("agent", "reseau")) -> list[CutPoint]:
    """Agents (and networks) whose departure would leave collectivités with no link to the others.

    For each articulation point, the collectivités on the smaller side(s) of the cut are those that lose
    their only link; a cut that separates no collectivité (an agent alone) is not reported.
    """
    points = []
    for node in sorted(nx.articulation_points(graph)):
        if graph.nodes[node].get("kind") not in kinds:
            continue
        component = nx.node_connected_component(graph, node) - {node}
        parts = sorted(
            (_collectivites_in(graph, part) for part in nx.connected_components(graph.subgraph(component))),
            key=lambda part: (-len(part), part),
        )
        parts = [part for part in parts if part]
        if len(parts) < 2:
            continue
        points.append(
            CutPoint(node=node, cut_off=sorted(c for part in parts[1:] for c in part), remaining_with=parts[0])
        )
    return sorted(points, key=lambda p: (-len(p.cut_off), p.node))


@dataclass
class Bridge:
    """A tie whose loss splits the collectivités in two groups."""

    a: str
    b: str
    side_a: list[str]
    side_b: list[str]


def bridges(graph: nx.Graph) -> list[Bridge]:
    """Ties (a membership, an exchange) that are the only link between two groups of collectivités."""
    found = []
    for a, b in nx.bridges(graph):
        if {graph.nodes[a].get("kind"), graph.nodes[b].get("kind")} == {"agent", "collectivite"}:
            continue  # an agent's tie to their own collectivité: the cut points already say who it hangs by
        without = graph.copy()
        without.remove_edge(a, b)
        side_a = _collectivites_in(graph, nx.node_connected_component(without, a))
        side_b = _collectivites_in(graph, nx.node_connected_component(without, b))
        if side_a and side_b:
            a, b, side_a, side_b = (a, b, side_a, side_b) if a < b else (b, a, side_b, side_a)
            found.append(Bridge(a, b, side_a, side_b))
    return sorted(found, key=lambda bridge: (bridge.a, bridge.b))


def coverage(graph: nx.Graph) -> dict[str, dict[str, int]]:
    """The coverage matrix: for each collectivité, how many of its agents belong to each network."""
    matrix: dict[str, dict[str, int]] = {c: {} for c in nodes_of(graph, "collectivite")}
    for agent in nodes_of(graph, "agent"):
        collectivite = f"c{graph.nodes[agent]['collectivite']}"
        if collectivite not in matrix:
            continue
        for neighbour in graph.neighbors(agent):
            if graph.nodes[neighbour].get("kind") == "reseau":
                matrix[collectivite][neighbour] = matrix[collectivite].get(neighbour, 0) + 1
    return matrix


def isolated_collectivites(graph: nx.Graph) -> list[str]:
    """Collectivités none of whose agents belongs to a network nor took part in an exchange."""
    tied = set()
    for a, b, layers in graph.edges(data="layers"):
        if "appartenance" in layers and len(layers) == 1:
            continue
        for node in (a, b):
            if graph.nodes[node].get("kind") == "agent":
                tied.add(f"c{graph.nodes[node]['collectivite']}")
    return [c for c in nodes_of(graph, "collectivite") if c not in tied]


def collectivite_links(graph: nx.Graph) -> set[tuple[str, str]]:
    """Pairs of collectivités linked through a network, a project or the CoDir they share, or an exchange."""
    present: dict[str, set[str]] = defaultdict(set)  # gathering node -> collectivités present
    pairs = set()
    for node, data in graph.nodes(data=True):
        if data.get("kind") == "agent":
            own = f"c{data['collectivite']}"
            for neighbour in graph.neighbors(node):
                kind = graph.nodes[neighbour].get("kind")
                if kind in ("reseau", "projet", "codir"):
                    present[neighbour].add(own)
                elif kind == "agent":
                    other = f"c{graph.nodes[neighbour]['collectivite']}"
                    if other != own:
                        pairs.add(tuple(sorted((own, other))))
        elif data.get("kind") in ("projet", "codir"):
            present[node].update(n for n in graph.neighbors(node) if graph.nodes[n].get("kind") == "collectivite")
    for members in present.values():
        pairs.update(combinations(sorted(members), 2))
    return pairs


def density(graph: nx.Graph) -> float:
    """Share of the pairs of collectivités linked by at least one shared network, project or exchange."""
    count = len(nodes_of(graph, "collectivite"))
    if count < 2:
        return 0.0
    return round(len(collectivite_links(graph)) / (count * (count - 1) / 2), 4)


def communities(graph: nx.Graph) -> list[list[str]]:
    """Groups more tied among themselves than with the others (Louvain, seeded so the page is stable),
    largest first; only the groups that hold at least one collectivité."""
    if graph.number_of_edges() == 0:
        return []
    groups = nx.community.louvain_communities(graph, weight="weight", seed=42)
    kept = [sorted(group) for group in groups if _collectivites_in(graph, group)]
    return sorted(kept, key=lambda group: (-len(group), group))


@dataclass
class Evolution:
    ties_gained: list[tuple[str, str]]
    ties_lost: list[tuple[str, str]]
    agents_left: list[str]
    agents_joined: list[str]
    networks_weakened: list[tuple[str, int, int]]  # network, members before, members after
    newly_isolated: list[str]
    no_longer_isolated: list[str]


def _ties(graph: nx.Graph) -> set[tuple[str, str]]:
    return {tuple(sorted((a, b))) for a, b, layers in graph.edges(data="layers") if layers != ["appartenance"]}


def _members(graph: nx.Graph, reseau: str) -> int:
    if reseau not in graph:
        return 0
    return sum(1 for n in graph.neighbors(reseau) if graph.nodes[n].get("kind") == "agent")


def evolution(before: nx.Graph, after: nx.Graph) -> Evolution:
    """What changed between two dates: ties gained and lost, agents who left or came, networks that lost
    members, collectivités that lost or found their links."""
    ties_before, ties_after = _ties(before), _ties(after)
    agents_before, agents_after = set(nodes_of(before, "agent")), set(nodes_of(after, "agent"))
    networks = sorted(set(nodes_of(before, "reseau")) | set(nodes_of(after, "reseau")))
    weakened = [
        (reseau, _members(before, reseau), _members(after, reseau))
        for reseau in networks
        if _members(after, reseau) < _members(before, reseau)
    ]
    isolated_before, isolated_after = set(isolated_collectivites(before)), set(isolated_collectivites(after))
    return Evolution(
        ties_gained=sorted(ties_after - ties_before),
        ties_lost=sorted(ties_before - ties_after),
        agents_left=sorted(agents_before - agents_after),
        agents_joined=sorted(agents_after - agents_before),
        networks_weakened=weakened,
        newly_isolated=sorted(isolated_after - isolated_before),
        no_longer_isolated=sorted((isolated_before - isolated_after) & set(nodes_of(after, "collectivite"))),
    )
