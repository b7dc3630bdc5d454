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


@dataclass
class _Walk:
    """One walk of each tree of a forest: the collectivités of every tree node in walk order (`sequence`),
    where each node's subtree starts and ends in it, its parent and children, and its tree's root. A subtree's
    collectivités are then a slice, and the rest of its tree two slices: linear, whatever the number of cuts."""

    sequence: list[str]
    start: dict
    end: dict
    parent: dict
    children: dict
    root_of: dict

    def below(self, node) -> list[str]:
        return self.sequence[self.start[node] : self.end[node]]

    def above(self, node) -> list[str]:
        root = self.root_of[node]
        return self.sequence[self.start[root] : self.start[node]] + self.sequence[self.end[node] : self.end[root]]


def _walk(tree: nx.Graph, members: dict) -> _Walk:
    walk = _Walk([], {}, {}, {}, {}, {})
    for root in tree.nodes:
        if root in walk.start:
            continue
        walk.start[root], walk.parent[root], walk.root_of[root] = len(walk.sequence), None, root
        walk.sequence.extend(members.get(root, ()))
        stack = [(root, iter(tree[root]))]
        while stack:
            node, neighbours = stack[-1]
            for following in neighbours:
                if following != walk.parent[node]:
                    walk.start[following], walk.parent[following] = len(walk.sequence), node
                    walk.root_of[following] = root
                    walk.children.setdefault(node, []).append(following)
                    walk.sequence.extend(members.get(following, ()))
                    stack.append((following, iter(tree[following])))
                    break
            else:
                walk.end[node] = len(walk.sequence)
                stack.pop()
    return walk


def articulation_points(graph: nx.Graph, kinds: tuple[str, ...] = ("agent", "reseau")) -> list[CutPoint]:
    """Agents (and networks) whose departure would leave collectivités with no link to the others.

    For each articulation point, the collectivités on the smaller side(s) of the cut are those that lose
    their only link; a cut that separates no collectivité (an agent alone) is not reported. Computed on the
    block-cut tree (biconnected components), in linear time.
    """
    cuts = set(nx.articulation_points(graph))
    if not cuts:
        return []
    tree, members = nx.Graph(), {}
    for index, block in enumerate(nx.biconnected_components(graph)):
        tree.add_node(("b", index))
        members[("b", index)] = [n for n in block if n not in cuts and graph.nodes[n].get("kind") == "collectivite"]
        tree.add_edges_from((("b", index), ("v", node)) for node in block if node in cuts)
    for node in cuts:
        members[("v", node)] = [node] if graph.nodes[node].get("kind") == "collectivite" else []
    walk = _walk(tree, members)
    points = []
    for node in sorted(cuts):
        if graph.nodes[node].get("kind") not in kinds:
            continue
        sides = [walk.below(child) for child in walk.children.get(("v", node), [])] + [walk.above(("v", node))]
        parts = sorted((sorted(part) for part in sides if part), key=lambda part: (-len(part), part))
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
    """Ties (a membership, an exchange) that are the only link between two groups of collectivités.

    Computed on the bridge tree (the 2-edge-connected components joined by the bridges), in linear time.
    """
    found_bridges = [
        (a, b)
        for a, b in nx.bridges(graph)
        # An agent's tie to their own collectivité: the cut points already say who it hangs by.
        if {graph.nodes[a].get("kind"), graph.nodes[b].get("kind")} != {"agent", "collectivite"}
    ]
    if not found_bridges:
        return []
    without = nx.Graph(graph)
    without.remove_edges_from(nx.bridges(graph))
    component_of, members, tree = {}, {}, nx.Graph()
    for index, component in enumerate(nx.connected_components(without)):
        tree.add_node(index)
        members[index] = [n for n in component if graph.nodes[n].get("kind") == "collectivite"]
        component_of.update(dict.fromkeys(component, index))
    tree.add_edges_from((component_of[a], component_of[b]) for a, b in nx.bridges(graph))
    walk = _walk(tree, members)
    found = []
    for a, b in found_bridges:
        upper, lower = component_of[a], component_of[b]
        if walk.parent.get(lower) != upper:
            upper, lower = lower, upper
        below, above = sorted(walk.below(lower)), sorted(walk.above(lower))
        side_a, side_b = (above, below) if component_of[a] == upper else (below, above)
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
