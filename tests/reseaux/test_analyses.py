"""The analyses of the graph of ties, on small hand-made graphs whose answers are known."""

import networkx as nx

from reseaux import analyses


def territory(communes: dict[str, list[str]], memberships: dict[str, list[str]], exchanges=()) -> nx.Graph:
    """`communes`: collectivité key -> its agents; `memberships`: network key -> its member agents."""
    graph = nx.Graph()
    for commune, agents in communes.items():
        graph.add_node(commune, kind="collectivite", label=commune)
        for agent in agents:
            graph.add_node(agent, kind="agent", label=agent, collectivite=int(commune[1:]))
            graph.add_edge(agent, commune, weight=1.0, layers=["appartenance"])
    for reseau, agents in memberships.items():
        graph.add_node(reseau, kind="reseau", label=reseau)
        for agent in agents:
            graph.add_edge(agent, reseau, weight=1.0, layers=["reseaux"])
    for a, b in exchanges:
        graph.add_edge(a, b, weight=1.0, layers=["echanges"])
    return graph


def two_groups_and_a_broker() -> nx.Graph:
    """Finances (r1) links c1 and c2; RH (r2) links c3 and c4; only a9 of c2 is in both; c5 in none."""
    return territory(
        {"c1": ["a1", "a2"], "c2": ["a3", "a9"], "c3": ["a4"], "c4": ["a5", "a6"], "c5": ["a7"]},
        {"r1": ["a1", "a2", "a3", "a9"], "r2": ["a9", "a4", "a5", "a6"]},
    )


def test_the_only_agent_in_both_networks_is_the_broker_and_the_articulation_point():
    graph = two_groups_and_a_broker()
    assert analyses.brokers(graph)[0][0] == "a9"
    points = {point.node: point for point in analyses.articulation_points(graph)}
    assert points["a9"].cut_off == ["c3", "c4"] and points["a9"].remaining_with == ["c1", "c2"]
    # a4 links c3 alone to the RH network: if a4 leaves, c3 loses its only link.
    assert points["a4"].cut_off == ["c3"]
    # Without the finances network, c1 is cut off; without RH, c3 and c4 are each on their own.
    assert points["r1"].cut_off == ["c1"] and points["r2"].cut_off == ["c3", "c4"]
    assert set(points) == {"a9", "a4", "r1", "r2"}  # c1 and c4 have two agents each in their network


def test_a_bridge_is_the_only_tie_between_two_groups_of_collectivites():
    graph = two_groups_and_a_broker()
    found = {(bridge.a, bridge.b): bridge for bridge in analyses.bridges(graph)}
    # a9–r1 is not one: a9 still reaches the finances network through a3, the other agent of c2.
    # a4–c3 is one too, but an agent's tie to their own collectivité is what the cut points report.
    assert set(found) == {("a9", "r2"), ("a4", "r2")}
    assert (found[("a9", "r2")].side_a, found[("a9", "r2")].side_b) == (["c1", "c2"], ["c3", "c4"])
    assert (found[("a4", "r2")].side_a, found[("a4", "r2")].side_b) == (["c3"], ["c1", "c2", "c4"])
    # a7 hangs alone from c5, tied to nothing else: not a bridge between collectivités.
    assert all("a7" not in key for key in found)


def test_a_collectivite_whose_agents_are_in_no_network_is_isolated_until_an_exchange():
    graph = two_groups_and_a_broker()
    assert analyses.isolated_collectivites(graph) == ["c5"]
    graph.add_edge("a7", "a1", weight=1.0, layers=["echanges"])
    assert analyses.isolated_collectivites(graph) == []


def test_the_coverage_matrix_counts_agents_per_collectivite_and_network():
    matrix = analyses.coverage(two_groups_and_a_broker())
    assert matrix["c2"] == {"r1": 2, "r2": 1} and matrix["c1"] == {"r1": 2} and matrix["c5"] == {}


def test_hubs_are_the_agents_with_the_most_ties():
    assert analyses.hubs(two_groups_and_a_broker())[0] == ("a9", 3)


def test_two_communities_are_found_and_the_density_counts_linked_pairs():
    graph = two_groups_and_a_broker()
    groups = analyses.communities(graph)

    def group_of(node):
        return next(group for group in groups if node in group)

    assert {"c3", "c4", "r2"} <= set(group_of("c3")) and group_of("c1") != group_of("c4")
    assert group_of("c5") == ["a7", "c5"]  # on its own
    # Linked pairs: c1-c2 (r1), c2-c3, c2-c4, c3-c4 (r2): 4 of the 10 pairs of 5 collectivités.
    assert analyses.density(graph) == 0.4


def test_the_evolution_lists_what_was_gained_and_lost():
    before = two_groups_and_a_broker()
    after = two_groups_and_a_broker()
    after.remove_node("a9")  # the broker left
    after.add_edge("a7", "r1", weight=1.0, layers=["reseaux"])  # c5 joined finances
    change = analyses.evolution(before, after)
    assert change.agents_left == ["a9"] and change.agents_joined == []
    assert ("a7", "r1") in change.ties_gained and ("a9", "r2") in change.ties_lost
    assert change.ties_lost == [("a9", "r1"), ("a9", "r2")] and change.ties_gained == [("a7", "r1")]
    assert change.networks_weakened == [("r2", 4, 3)]  # r1 lost a9 but gained a7
    assert change.no_longer_isolated == ["c5"] and change.newly_isolated == []


def test_empty_and_tiny_graphs_give_empty_answers():
    graph = territory({"c1": ["a1"]}, {})
    assert analyses.brokers(graph) == [] and analyses.bridges(graph) == [] and analyses.articulation_points(graph) == []
    assert analyses.density(graph) == 0.0 and analyses.isolated_collectivites(graph) == ["c1"]


def brute_force_cut_points(graph: nx.Graph) -> dict[str, list[str]]:
    """The definition itself: remove each node and look at what its component falls into."""
    found = {}
    for node in graph:
        if graph.nodes[node]["kind"] not in ("agent", "reseau"):
            continue
        rest = graph.subgraph(nx.node_connected_component(graph, node) - {node})
        parts = sorted(
            (
                sorted(n for n in part if graph.nodes[n]["kind"] == "collectivite")
                for part in nx.connected_components(rest)
            ),
            key=lambda part: (-len(part), part),
        )
        parts = [part for part in parts if part]
        if len(parts) >= 2:
            found[node] = sorted(c for part in parts[1:] for c in part)
    return found


def brute_force_bridges(graph: nx.Graph) -> dict[tuple[str, str], tuple[list[str], list[str]]]:
    found = {}
    for a, b in graph.edges:
        if {graph.nodes[a]["kind"], graph.nodes[b]["kind"]} == {"agent", "collectivite"}:
            continue
        without = graph.copy()
        without.remove_edge(a, b)
        if nx.has_path(without, a, b):
            continue
        side_a = sorted(n for n in nx.node_connected_component(without, a) if graph.nodes[n]["kind"] == "collectivite")
        side_b = sorted(n for n in nx.node_connected_component(without, b) if graph.nodes[n]["kind"] == "collectivite")
        if side_a and side_b:
            found[tuple(sorted((a, b)))] = (side_a, side_b) if a < b else (side_b, side_a)
    return found


def test_the_linear_cut_points_and_bridges_agree_with_their_definition_on_random_territories():
    import random

    for seed in range(25):
        rng = random.Random(seed)
        communes = {f"c{i}": [f"a{i}{j}" for j in range(rng.randint(1, 3))] for i in range(1, rng.randint(3, 9))}
        agents = [agent for members in communes.values() for agent in members]
        memberships = {
            f"r{k}": rng.sample(agents, rng.randint(1, min(4, len(agents)))) for k in range(rng.randint(0, 4))
        }
        exchanges = [tuple(rng.sample(agents, 2)) for _ in range(rng.randint(0, 2)) if len(agents) > 1]
        graph = territory(communes, memberships, exchanges)
        points = {point.node: point.cut_off for point in analyses.articulation_points(graph)}
        assert points == brute_force_cut_points(graph), seed
        found = {(bridge.a, bridge.b): (bridge.side_a, bridge.side_b) for bridge in analyses.bridges(graph)}
        assert found == brute_force_bridges(graph), seed
