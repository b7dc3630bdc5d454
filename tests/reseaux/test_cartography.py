"""The analyses behind the map: cached per territory, date and layers, recomputed when their data change."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from reseaux import cartography, graph, services
from tests.conftest import collectivite

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_cache():
    from django.core.cache import cache

    cache.clear()


def test_the_analysis_is_cached_until_a_member_joins(
    mortagne, referent, dgs_commune, django_capture_on_commit_callbacks
):
    reseau = services.reseau_create(territoire=mortagne, by=referent, name="Réseau RH", kind="metier")
    first = cartography.analysis_of(mortagne)
    with CaptureQueriesContext(connection) as queries:
        again = cartography.analysis_of(mortagne)
    assert len(queries) == 0 and again.nodes == first.nodes
    mortagne_key = graph.collectivite_key(collectivite(mortagne, "Mortagne-sur-Sèvre").pk)
    assert mortagne_key in first.isolated
    with django_capture_on_commit_callbacks(execute=True):
        services.membre_add(reseau=reseau, by=referent, agent=dgs_commune)
    after = cartography.analysis_of(mortagne)
    assert mortagne_key not in after.isolated
    assert after.coverage[mortagne_key] == {f"r{reseau.pk}": 1}


def test_each_date_and_set_of_layers_has_its_own_analysis(mortagne, referent):
    today = timezone.localdate()
    a = cartography.analysis_of(mortagne, today)
    b = cartography.analysis_of(mortagne, today - timedelta(days=400))
    c = cartography.analysis_of(mortagne, today, ("reseaux", "codir"))
    assert (a.at, b.at) == (today.isoformat(), (today - timedelta(days=400)).isoformat())
    assert c.layers == ["reseaux", "codir"] and "codir" in c.nodes and "codir" not in a.nodes


def test_the_overview_folds_agents_into_their_collectivite_and_lays_it_out(mortagne, referent, dgs_commune):
    reseau = services.reseau_create(territoire=mortagne, by=referent, name="Réseau RH", kind="metier")
    services.membre_add(reseau=reseau, by=referent, agent=dgs_commune)
    overview = cartography.analysis_of(mortagne).overview
    assert not any(data["kind"] == "agent" for data in overview["nodes"].values())
    mortagne_key = graph.collectivite_key(collectivite(mortagne, "Mortagne-sur-Sèvre").pk)
    tie = next(e for e in overview["edges"] if {e["a"], e["b"]} == {mortagne_key, f"r{reseau.pk}"})
    assert tie["layers"] == ["reseaux"] and tie["weight"] == 1.0
    assert all(-1.01 <= node["x"] <= 1.01 and -1.01 <= node["y"] <= 1.01 for node in overview["nodes"].values())
    drawing = cartography.draw(cartography.analysis_of(mortagne), focus=f"r{reseau.pk}")
    assert all(0 <= node.x <= drawing["width"] and 0 <= node.y <= drawing["height"] for node in drawing["nodes"])
    faded = {node.key: node.faded for node in drawing["nodes"]}
    assert not faded[mortagne_key] and faded[graph.collectivite_key(collectivite(mortagne, "Tiffauges").pk)]
