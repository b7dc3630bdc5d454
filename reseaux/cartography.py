"""The analyses of a territory's graph of ties, as the map page and the API show them: computed once per
territory, date and layers, cached, and recomputed when the data they come from change.

The cache key carries a per-territory version that the signal receivers of `reseaux.signals` bump on any
change of networks, members, events, exchanges, projects' pilots or memberships: no stale map, no timer.
"""

import time
from dataclasses import asdict, dataclass
from datetime import date
from time import perf_counter

import networkx as nx
from django.core.cache import cache
from django.utils import timezone

from communes.models import Territoire
from reseaux import analyses, graph

CACHE_SECONDS = 24 * 3600
LIMIT = 10  # hubs and brokers shown


def _version_key(territoire_id: int) -> str:
    return f"reseaux:graph-version:{territoire_id}"


def graph_version(territoire_id: int) -> int:
    # A version starts from the clock, so a version lost from the cache (evicted) never comes back to a value
    # whose analyses could still be there.
    return cache.get_or_set(_version_key(territoire_id), time.time_ns, timeout=None)


def invalidate(territoire_id: int) -> None:
    """Called when the data of the graph change: every cached analysis of the territory is out of date."""
    try:
        cache.incr(_version_key(territoire_id))
    except ValueError:  # no version yet (or evicted): a new one from the clock
        cache.set(_version_key(territoire_id), time.time_ns(), timeout=None)


@dataclass
class Analysis:
    """Everything the map page shows, JSON-ready (node keys: `a<id>` agents, `c<id>` collectivités,
    `r<id>` networks, `p<id>` projects, `codir`)."""

    at: str
    layers: list[str]
    nodes: dict[str, dict]
    edges: list[dict]
    hubs: list[tuple[str, int]]
    brokers: list[tuple[str, float]]
    cut_points: list[dict]
    bridges: list[dict]
    isolated: list[str]
    coverage: dict[str, dict[str, int]]
    communities: list[list[str]]
    density: float
    overview: dict  # the map: collectivités and what gathers them, with positions (see `overview`)
    seconds: float  # how long the computation took, shown to whoever benchmarks it


def compute(territoire: Territoire, at: date, layers: tuple[str, ...]) -> Analysis:
    """Build the graph and run every analysis (no cache)."""
    started = perf_counter()
    snapshot = graph.build_graph(territoire, at, layers)
    result = Analysis(
        at=at.isoformat(),
        layers=list(layers),
        nodes={node: dict(data) for node, data in snapshot.nodes(data=True)},
        edges=[{"a": a, "b": b, **data} for a, b, data in snapshot.edges(data=True)],
        hubs=analyses.hubs(snapshot, LIMIT),
        brokers=analyses.brokers(snapshot, LIMIT),
        cut_points=[asdict(point) for point in analyses.articulation_points(snapshot)],
        bridges=[asdict(bridge) for bridge in analyses.bridges(snapshot)],
        isolated=analyses.isolated_collectivites(snapshot),
        coverage=analyses.coverage(snapshot),
        communities=[],
        density=analyses.density(snapshot),
        overview={},
        seconds=0.0,
    )
    folded = fold(snapshot)
    # Communities of collectivités, found on the folded map (200 nodes rather than 3,000: same groups, faster).
    result.communities = analyses.communities(folded)
    result.overview = overview(folded)
    result.seconds = round(perf_counter() - started, 3)
    return result


def fold(snapshot: nx.Graph) -> nx.Graph:
    """The graph with each agent folded into their collectivité: collectivités, networks, projects and the
    CoDir, tied as strongly as the agents who link them."""
    folded = nx.Graph()
    for node, data in snapshot.nodes(data=True):
        if data.get("kind") != "agent":
            folded.add_node(node, **{k: v for k, v in data.items() if k in ("kind", "label", "is_epci", "reseau_kind")})
    for a, b, data in snapshot.edges(data=True):
        ends = []
        for node in (a, b):
            attributes = snapshot.nodes[node]
            ends.append(f"c{attributes['collectivite']}" if attributes.get("kind") == "agent" else node)
        if ends[0] == ends[1] or ends[0] not in folded or ends[1] not in folded:
            continue
        if folded.has_edge(*ends):
            folded.edges[ends]["weight"] += data["weight"]
            folded.edges[ends]["layers"] = sorted({*folded.edges[ends]["layers"], *data["layers"]})
        else:
            folded.add_edge(*ends, weight=data["weight"], layers=list(data["layers"]))
    return folded


def overview(folded: nx.Graph) -> dict:
    """The map drawn on the page (agents would be 3,000 dots hiding everything): the folded graph laid out
    once by a seeded force layout in a unit square, so the drawing is stable from one visit to the next."""
    positions = nx.spring_layout(folded, seed=7, weight="weight", iterations=50) if len(folded) else {}
    return {
        "nodes": {
            node: {**data, "degree": folded.degree(node), "x": round(float(positions[node][0]), 4),
                   "y": round(float(positions[node][1]), 4)}
            for node, data in folded.nodes(data=True)
        },
        "edges": [{"a": a, "b": b, "weight": round(d["weight"], 2), "layers": d["layers"]} for a, b, d in folded.edges(data=True)],
    }  # fmt: skip


def analysis_of(
    territoire: Territoire,
    at: date | None = None,
    layers: tuple[str, ...] = graph.DEFAULT_LAYERS,
    version: int | None = None,
) -> Analysis:
    """The analysis of the territory on that day (today by default), from the cache when the data have not
    changed since it was computed. A caller that caches what it draws from it passes the `version` it read,
    so both are filed under the same state of the data."""
    at = at or timezone.localdate()
    layers = tuple(name for name in graph.known_layers() if name in layers)
    version = graph_version(territoire.pk) if version is None else version
    key = f"reseaux:analysis:{territoire.pk}:{version}:{at.isoformat()}:{','.join(layers)}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    result = compute(territoire, at, layers)
    cache.set(key, result, CACHE_SECONDS)
    return result


def evolution_of(territoire: Territoire, before: date, after: date, layers: tuple[str, ...] = graph.DEFAULT_LAYERS):
    """What changed between two dates (not cached: asked for rarely, by the facilitator)."""
    return evolution_named(territoire, before, after, layers)[0]


def evolution_named(
    territoire: Territoire, before: date, after: date, layers: tuple[str, ...] = graph.DEFAULT_LAYERS
) -> tuple[analyses.Evolution, dict[str, str]]:
    """The evolution, and the names of every node of either date (an agent who left is only in the first)."""
    first, second = graph.build_graph(territoire, before, layers), graph.build_graph(territoire, after, layers)
    labels = {}
    for snapshot in (first, second):
        for node, data in snapshot.nodes(data=True):
            label = data.get("label") or node
            if data.get("kind") == "agent":
                home = snapshot.nodes.get(f"c{data.get('collectivite')}", {}).get("label")
                label = f"{label} ({home})" if home else label
            labels.setdefault(node, label)
    return analyses.evolution(first, second), labels


# Colours of the map, readable on white (contrast ≥ 3:1 for graphical objects, RGAA 3.2).
KIND_COLOURS = {"epci": "#1d4f7c", "commune": "#2f7d6d", "reseau": "#7a4d00", "projet": "#6a3d8f", "codir": "#4a5360"}
COMMUNITY_COLOURS = ["#1d4f7c", "#a4231b", "#2f7d6d", "#7a4d00", "#6a3d8f", "#4a5360", "#8a3b6b", "#3b6b8a"]


@dataclass
class Drawn:
    key: str
    label: str
    kind: str
    x: float
    y: float
    r: float
    colour: str
    shape: str  # "circle" or "square"
    faded: bool
    flagged: bool  # isolated or cut off by a single departure
    degree: int


def draw(analysis: Analysis, *, width: int = 900, height: int = 640, by: str = "nature", focus: str = "") -> dict:
    """Screen geometry of the overview: nodes sized by their ties, coloured by nature or community, the
    flagged ones (isolated, or depending on one person) outlined; with a network in focus, the others fade."""
    overview = analysis.overview
    margin = 40
    community_of = {node: index for index, group in enumerate(analysis.communities) for node in group}
    fragile = set(analysis.isolated) | {c for point in analysis.cut_points for c in point["cut_off"]}
    near = (
        {focus}
        | {e["a"] for e in overview["edges"] if e["b"] == focus}
        | {e["b"] for e in overview["edges"] if e["a"] == focus}
    )
    nodes = {}
    for key, data in overview["nodes"].items():
        kind = data["kind"]
        nature = ("epci" if data.get("is_epci") else "commune") if kind == "collectivite" else kind
        colour = (
            COMMUNITY_COLOURS[community_of[key] % len(COMMUNITY_COLOURS)]
            if by == "communaute" and key in community_of
            else KIND_COLOURS.get(nature, "#4a5360")
        )
        nodes[key] = Drawn(
            key=key,
            label=data.get("label", key),
            kind=nature,
            x=round(margin + (data["x"] + 1) / 2 * (width - 2 * margin), 1),
            y=round(margin + (data["y"] + 1) / 2 * (height - 2 * margin), 1),
            r=round(6 + 3 * min(data["degree"], 16) ** 0.5, 1),
            colour=colour,
            # Not by colour alone (RGAA 3.1): the EPCI is ringed and named, networks and projects are squares.
            shape=("epci" if data.get("is_epci") else "circle") if kind == "collectivite" else "square",
            faded=bool(focus) and key not in near,
            flagged=key in fragile,
            degree=data["degree"],
        )
    edges = [
        {
            "a": nodes[e["a"]],
            "b": nodes[e["b"]],
            "width": round(min(1 + e["weight"] / 2, 6), 1),
            "faded": bool(focus) and focus not in (e["a"], e["b"]),
            "layers": e["layers"],
            "weight": e["weight"],
        }
        for e in overview["edges"]
    ]
    return {"width": width, "height": height, "nodes": sorted(nodes.values(), key=lambda n: n.r), "edges": edges}
