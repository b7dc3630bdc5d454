"""The portfolio's read queries: dashboard filters, parity, the CoDir's review list, financing, systemic view."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from communes.models import Collectivite
from communes.population import population_class
from reseaux import selectors, services
from reseaux.models import Axe, Projet, Revue
from reseaux.selectors import PortfolioFilters
from reseaux.services.revues import add_months
from tests.reseaux.builders import coll, commune_projet, epci_projet, today

pytestmark = pytest.mark.django_db


@pytest.fixture
def portfolio(mortagne, dgs_epci, dgs_commune):
    """Four projects under two axes, with pilots of every kind, contributions, milestones and reviews."""
    ressources = Axe.objects.create(territoire=mortagne, name="Ressources humaines", position=0)
    mutualisation = Axe.objects.create(territoire=mortagne, name="Mutualisation", position=1)
    ads = epci_projet(mortagne, dgs_epci, title="Service commun ADS", axe=mutualisation, status="en_cours")
    formation = services.projet_create(
        territoire=mortagne,
        by=dgs_commune,
        title="Plan de formation",
        axe=ressources,
        pilotage=Projet.Pilotage.ALTERNE,
        rotation=[
            (coll(mortagne, "Mortagne-sur-Sèvre"), today() - timedelta(days=30)),
            (coll(mortagne, "Mallièvre"), today() + timedelta(days=30)),
        ],
    )
    velo = commune_projet(mortagne, dgs_epci, "Tiffauges", "Fête du vélo", axe=mutualisation, status="termine")
    cantine = services.projet_create(
        territoire=mortagne,
        by=dgs_commune,
        title="Restauration scolaire",
        axe=mutualisation,
        pilotage=Projet.Pilotage.COPILOTAGE,
        rotation=[(coll(mortagne, "Mortagne-sur-Sèvre"), today()), (coll(mortagne, "Chanverrie"), today())],
        starts_on=add_months(today(), -3) + timedelta(days=3),
    )
    for projet, name, amount in (
        (ads, "Mallièvre", "1000"),
        (ads, "Tiffauges", "3000"),
        (cantine, "Mallièvre", "500"),
        (velo, "Saint-Malô-du-Bois", "200"),
    ):
        services.contribution_set(
            projet=projet, by=dgs_epci, collectivite=coll(mortagne, name), amount=Decimal(amount), staff_days=Decimal(1)
        )
    services.jalon_add(projet=ads, by=dgs_epci, title="Convention", due_on=today() - timedelta(days=5))
    done = services.jalon_add(projet=ads, by=dgs_epci, title="Recrutement", due_on=today() - timedelta(days=9))
    services.jalon_reach(jalon=done, by=dgs_epci, done_on=today() - timedelta(days=1))
    services.jalon_add(projet=ads, by=dgs_epci, title="Logiciel", due_on=today() + timedelta(days=7))
    services.jalon_add(projet=velo, by=dgs_epci, title="Bilan", due_on=today() - timedelta(days=50))
    services.revue_record(
        projet=ads, by=dgs_epci, held_on=today() - timedelta(days=40), progress="Lancement", health="vert"
    )
    services.revue_record(
        projet=ads, by=dgs_epci, held_on=today() - timedelta(days=20), progress="Suite", health="vert"
    )
    services.health_set(projet=formation, by=dgs_commune, health="orange", reason="Formateur absent")
    return {"ads": ads, "formation": formation, "velo": velo, "cantine": cantine}


def titles(queryset) -> list[str]:
    return [p.title for p in queryset]


def test_portfolio_is_ordered_by_axe_then_title_with_its_annotations(mortagne, portfolio, django_assert_num_queries):
    # The handover review opened for the formation is pending, not held: it is not the last review held.
    services.pilotage_sweep(on=today() + timedelta(days=30))
    assert Revue.objects.get(projet=portfolio["formation"]).held is False
    with django_assert_num_queries(5):  # projects, then pilots, contributions, phases and milestones
        projets = list(selectors.portfolio(mortagne))
        for projet in projets:
            [p.collectivite.name for p in projet.pilotes.all()]
            [c.collectivite.name for c in projet.contributions.all()]
            list(projet.phases.all()), list(projet.jalons.all())
    assert [(p.title, p.last_held, p.late_count) for p in projets] == [
        ("Plan de formation", None, 0),
        ("Fête du vélo", None, 1),
        ("Restauration scolaire", None, 0),
        ("Service commun ADS", today() - timedelta(days=20), 1),
    ]


def test_portfolio_late_count_is_relative_to_the_day(mortagne, portfolio):
    later = {p.title: p.late_count for p in selectors.portfolio(mortagne, on=today() + timedelta(days=8))}
    assert later["Service commun ADS"] == 2
    earlier = {p.title: p.late_count for p in selectors.portfolio(mortagne, on=today() - timedelta(days=5))}
    assert earlier["Service commun ADS"] == 0


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"status": "en_cours"}, ["Service commun ADS"]),
        ({"status": "termine"}, ["Fête du vélo"]),
        ({"health": "orange"}, ["Plan de formation"]),
        ({"health": "vert"}, ["Fête du vélo", "Restauration scolaire", "Service commun ADS"]),
        ({"pilotage": "alterne"}, ["Plan de formation"]),
        ({"pilotage": "copilotage"}, ["Restauration scolaire"]),
        ({"pilotage": "epci", "status": "en_cours"}, ["Service commun ADS"]),
        ({"pilotage": "epci", "status": "idee"}, []),
    ],
)
def test_portfolio_filters(mortagne, portfolio, filters, expected):
    assert titles(selectors.portfolio(mortagne, PortfolioFilters(**filters))) == expected


def test_portfolio_filters_by_axe_pilot_of_the_day_and_participant_without_duplicates(mortagne, portfolio):
    ressources = Axe.objects.get(name="Ressources humaines")
    assert titles(selectors.portfolio(mortagne, PortfolioFilters(axe=ressources.pk))) == ["Plan de formation"]
    mortagne_sur_sevre, mallievre = coll(mortagne, "Mortagne-sur-Sèvre"), coll(mortagne, "Mallièvre")
    assert titles(selectors.portfolio(mortagne, PortfolioFilters(pilote=mortagne_sur_sevre.pk))) == [
        "Plan de formation",
        "Restauration scolaire",
    ]
    # Mallièvre takes its turn in 30 days: not a pilot today, the pilot from then on.
    assert titles(selectors.portfolio(mortagne, PortfolioFilters(pilote=mallievre.pk))) == []
    handover = today() + timedelta(days=30)
    assert titles(selectors.portfolio(mortagne, PortfolioFilters(pilote=mallievre.pk), on=handover)) == [
        "Plan de formation"
    ]
    assert titles(selectors.portfolio(mortagne, PortfolioFilters(pilote=mortagne_sur_sevre.pk), on=handover)) == [
        "Restauration scolaire"
    ]
    participants = list(selectors.portfolio(mortagne, PortfolioFilters(participant=mallievre.pk)))
    assert [(p.title, p.late_count, p.last_held) for p in participants] == [
        ("Restauration scolaire", 0, None),
        ("Service commun ADS", 1, today() - timedelta(days=20)),
    ]


def test_portfolio_is_scoped_to_its_territory(mortagne, achards, outsider, portfolio):
    epci_projet(achards, outsider, title="Projet voisin")
    assert "Projet voisin" not in titles(selectors.portfolio(mortagne))
    assert titles(selectors.portfolio(achards)) == ["Projet voisin"]


# --- parity --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("population", "expected"),
    [
        (0, "moins_1000"),
        (999, "moins_1000"),
        (1000, "1000_3499"),
        (3499, "1000_3499"),
        (3500, "3500_9999"),
        (9999, "3500_9999"),
        (10000, "10000_49999"),
        (49999, "10000_49999"),
        (50000, "50000_plus"),
        (2_100_000, "50000_plus"),
    ],
)
def test_population_classes_follow_the_thresholds_of_municipal_law(population, expected):
    assert population_class(Collectivite(kind="commune", population=population)) == expected


def test_an_epci_is_its_own_class_whatever_its_population():
    assert population_class(Collectivite(kind="epci", population=500)) == "epci"
    assert population_class(Collectivite(kind="epci", population=60000)) == "epci"


def test_parity_counts_pilots_copilots_and_joins_of_living_projects(mortagne, portfolio, django_assert_num_queries):
    with django_assert_num_queries(4):
        result = selectors.parity(mortagne)
    rows = {r.collectivite.name: (r.pilots, r.copilots, r.joins) for r in result.rows}
    assert len(rows) == 12
    assert {name: counts for name, counts in rows.items() if counts != (0, 0, 0)} == {
        "CC du Pays de Mortagne": (1, 0, 0),  # the ADS service
        "Mortagne-sur-Sèvre": (0, 2, 0),  # formation (its turn today) and restauration
        "Chanverrie": (0, 1, 0),
        "Mallièvre": (0, 1, 2),  # its turn at the formation comes; contributes to ADS and restauration
        "Tiffauges": (0, 0, 1),  # the fête du vélo is finished: only its ADS contribution counts
    }
    classes = {c.key: (c.collectivites, c.pilots, c.copilots, c.joins, c.without) for c in result.classes}
    assert classes == {
        "epci": (1, 1, 0, 0, 0),
        "moins_1000": (1, 0, 1, 2, 0),  # Mallièvre, 240 inhabitants
        "1000_3499": (7, 0, 0, 1, 6),
        "3500_9999": (3, 0, 3, 0, 1),  # Saint-Laurent-sur-Sèvre takes part in nothing
    }
    assert [c.label for c in result.classes][:2] == ["EPCI", "Communes de moins de 1 000 habitants"]


def test_parity_moves_a_commune_across_a_bound_and_forgets_those_who_left(mortagne, portfolio):
    Collectivite.objects.filter(name="Mallièvre").update(population=1000)
    Collectivite.objects.filter(name="Saint-Laurent-sur-Sèvre").update(population=3499)
    Collectivite.objects.filter(name="Treize-Vents").update(left_at=today())
    result = selectors.parity(mortagne)
    classes = {c.key: (c.collectivites, c.copilots, c.joins, c.without) for c in result.classes}
    assert "moins_1000" not in classes  # an empty class is not shown
    assert classes["1000_3499"] == (8, 1, 3, 6)
    assert classes["3500_9999"] == (2, 3, 0, 0)
    assert "Treize-Vents" not in {r.collectivite.name for r in result.rows}


def test_parity_a_copilot_is_counted_once_per_project(mortagne, dgs_commune, portfolio):
    # Mortagne-sur-Sèvre pilots the formation again later: still one project.
    formation = portfolio["formation"]
    services.pilotage_change(
        projet=formation,
        by=dgs_commune,
        pilotage="alterne",
        rotation=[
            (coll(mortagne, "Mortagne-sur-Sèvre"), today() + timedelta(days=1)),
            (coll(mortagne, "Mallièvre"), today() + timedelta(days=30)),
            (coll(mortagne, "Mortagne-sur-Sèvre"), today() + timedelta(days=60)),
        ],
        from_day=today() + timedelta(days=1),
    )
    rows = {r.collectivite.name: (r.pilots, r.copilots, r.joins) for r in selectors.parity(mortagne).rows}
    assert rows["Mortagne-sur-Sèvre"] == (0, 2, 0) and rows["Mallièvre"] == (0, 1, 2)


# --- portfolio_review ----------------------------------------------------------------------------


def test_portfolio_review_lists_what_the_next_meeting_should_look_at(
    mortagne, dgs_epci, dgs_commune, portfolio, django_assert_num_queries
):
    voirie = services.projet_create(
        territoire=mortagne,
        by=dgs_commune,
        title="Voirie",
        pilotage=Projet.Pilotage.ALTERNE,
        rotation=[
            (coll(mortagne, "Mortagne-sur-Sèvre"), today() - timedelta(days=30)),
            (coll(mortagne, "Mallièvre"), today() - timedelta(days=2)),
        ],
    )
    services.pilotage_sweep(on=today())
    services.jalon_add(projet=voirie, by=dgs_commune, title="Le jour même", due_on=today() + timedelta(days=7))
    meeting_day = today() + timedelta(days=7)
    with django_assert_num_queries(4):
        candidates = selectors.portfolio_review(
            mortagne, meeting_day=meeting_day, since=timezone.now() - timedelta(hours=1)
        )
    assert [(c.projet.title, c.reasons) for c in candidates] == [
        ("Plan de formation", ["sante"]),
        ("Restauration scolaire", ["revue"]),
        ("Service commun ADS", ["jalons"]),
        ("Voirie", ["passation"]),
    ]
    by_title = {c.projet.title: c for c in candidates}
    assert by_title["Restauration scolaire"].due_on == add_months(add_months(today(), -3) + timedelta(days=3), 3)
    assert [j.title for j in by_title["Service commun ADS"].late_jalons] == ["Convention"]
    assert [h.health for h in by_title["Plan de formation"].health_changes] == ["orange"]
    # Later, the health change is old news; the milestone due in a week is late by a meeting after it.
    later = selectors.portfolio_review(mortagne, meeting_day=meeting_day + timedelta(days=1), since=timezone.now())
    assert [(c.projet.title, c.reasons) for c in later] == [
        ("Restauration scolaire", ["revue"]),
        ("Service commun ADS", ["jalons"]),
        ("Voirie", ["passation", "jalons"]),
    ]


def test_portfolio_review_leaves_out_finished_and_abandoned_projects(mortagne, dgs_epci, portfolio):
    Projet.objects.filter(territoire=mortagne).update(status=Projet.Status.TERMINE)
    Projet.objects.filter(title="Plan de formation").update(status=Projet.Status.ABANDONNE)
    meeting_day = today() + timedelta(days=400)
    assert selectors.portfolio_review(mortagne, meeting_day=meeting_day, since=timezone.now() - timedelta(days=1)) == []


def test_a_held_handover_review_is_no_longer_pending(mortagne, dgs_commune, portfolio):
    formation = portfolio["formation"]
    services.pilotage_sweep(on=today() + timedelta(days=30))
    meeting_day = today() + timedelta(days=31)
    since = timezone.now() + timedelta(days=1)
    reasons = {
        c.projet.title: c.reasons for c in selectors.portfolio_review(mortagne, meeting_day=meeting_day, since=since)
    }
    assert reasons["Plan de formation"] == ["passation"]
    services.revue_record(
        projet=formation, by=dgs_commune, held_on=today(), progress="Passation", health="orange", handover=True
    )
    reasons = {
        c.projet.title: c.reasons for c in selectors.portfolio_review(mortagne, meeting_day=meeting_day, since=since)
    }
    assert "Plan de formation" not in reasons


# --- financing and the systemic view -------------------------------------------------------------


def test_financing_gives_each_share_of_the_total(mortagne, dgs_epci, portfolio):
    ads = selectors.projet_of(mortagne, portfolio["ads"].pk)
    assert [(c.collectivite.name, share) for c, share in selectors.financing(ads)] == [
        ("Tiffauges", Decimal("75.0")),
        ("Mallièvre", Decimal("25.0")),
    ]
    thirds = epci_projet(mortagne, dgs_epci, title="Tiers")
    for name in ("Tiffauges", "Mallièvre", "Chanverrie"):
        services.contribution_set(
            projet=thirds, by=dgs_epci, collectivite=coll(mortagne, name), amount=Decimal(100), staff_days=Decimal(0)
        )
    shares = selectors.financing(selectors.projet_of(mortagne, thirds.pk))
    assert [(c.collectivite.name, share) for c, share in shares] == [
        ("Chanverrie", Decimal("33.3")),
        ("Mallièvre", Decimal("33.3")),
        ("Tiffauges", Decimal("33.3")),
    ]
    time_only = epci_projet(mortagne, dgs_epci, title="Temps agent")
    services.contribution_set(
        projet=time_only,
        by=dgs_epci,
        collectivite=coll(mortagne, "Mallièvre"),
        amount=Decimal(0),
        staff_days=Decimal(4),
    )
    assert [share for _c, share in selectors.financing(selectors.projet_of(mortagne, time_only.pk))] == [Decimal(0)]


def test_systemic_view_gives_projects_ranked_loops_isolated_and_links(mortagne, dgs_epci, portfolio):
    ads, formation, velo, cantine = (portfolio[k] for k in ("ads", "formation", "velo", "cantine"))
    services.lien_create(source=ads, target=cantine, kind="renforce", justification="a", by=dgs_epci)
    services.lien_create(source=cantine, target=ads, kind="renforce", justification="b", by=dgs_epci)
    services.lien_create(source=formation, target=ads, kind="mutualise_avec", justification="c", by=dgs_epci)
    view = selectors.systemic_view(mortagne)
    assert [(p.title, score) for p, score in view["ranking"]] == [
        ("Service commun ADS", 5.5),
        ("Restauration scolaire", 4.0),
        ("Plan de formation", 1.5),
        ("Fête du vélo", 0.0),
    ]
    assert [[p.title for p in loop] for loop in view["loops"]] == [
        sorted(
            ["Service commun ADS", "Restauration scolaire"],
            key=lambda t: {ads.title: ads.pk, cantine.title: cantine.pk}[t],
        )
    ]
    assert view["isolated"] == [velo]
    assert [(lien.source.title, lien.target.title) for lien in view["links"]] == [
        ("Plan de formation", "Service commun ADS"),
        ("Restauration scolaire", "Service commun ADS"),
        ("Service commun ADS", "Restauration scolaire"),
    ]


def test_a_loop_of_three_projects_keeps_the_direction_of_its_links():
    import networkx as nx

    from reseaux import systemic

    graph = nx.MultiDiGraph()
    for source, target in [(1, 3), (3, 2), (2, 1)]:
        graph.add_edge(source, target, kind="renforce", weight=2.0)
    assert systemic.loops(graph) == [[1, 3, 2]]
