"""The systemic dimension of the portfolio: which projects hold the others together.

One query builds a networkx graph of the territory's links; the analyses are pure functions of it.
"""

import networkx as nx

from communes.models import Territoire
from reseaux.models import Lien, Projet

# How much a link counts in a project's systemic score: reinforcing another project counts most.
WEIGHTS = {Lien.Kind.RENFORCE: 2.0, Lien.Kind.MUTUALISE_AVEC: 1.5, Lien.Kind.DEPEND_DE: 1.0}


def link_graph(territoire: Territoire) -> nx.MultiDiGraph:
    graph = nx.MultiDiGraph()
    graph.add_nodes_from(Projet.objects.for_territoire(territoire).values_list("pk", flat=True))
    for source, target, kind in Lien.objects.filter(source__territoire=territoire).values_list(
        "source_id", "target_id", "kind"
    ):
        graph.add_edge(source, target, kind=kind, weight=WEIGHTS[kind])
    return graph


def systemic_ranking(graph: nx.MultiDiGraph) -> list[tuple[int, float]]:
    """Projects by weighted degree (links in and out), highest first; ties by id for a stable order."""
    scores = dict(graph.degree(weight="weight"))
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


def loops(graph: nx.MultiDiGraph) -> list[list[int]]:
    """Cycles of mutual reinforcement: "renforce" links that come back to where they started."""
    reinforcing = nx.DiGraph()
    reinforcing.add_edges_from(
        (source, target) for source, target, kind in graph.edges(data="kind") if kind == Lien.Kind.RENFORCE
    )
    # Each cycle starts at its smallest id but keeps the direction of its links (a reinforces b, b c...).
    rotated = [
        cycle[cycle.index(min(cycle)) :] + cycle[: cycle.index(min(cycle))] for cycle in nx.simple_cycles(reinforcing)
    ]
    return sorted(rotated, key=lambda c: (len(c), c))


def isolated(graph: nx.MultiDiGraph) -> list[int]:
    """Projects linked to no other."""
    return sorted(node for node, degree in graph.degree() if degree == 0)
