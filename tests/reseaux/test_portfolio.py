from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from communes.models import Agent, Collectivite, Membership
from reseaux import services, systemic
from reseaux.models import Lien, Pilote, Projet, Revue
from tests.conftest import make_member

pytestmark = pytest.mark.django_db


def commune(territoire, name):
    return Collectivite.objects.get(territoire=territoire, name=name)


def can_edit(agent, projet) -> bool:
    return Agent.objects.get(pk=agent.pk).has_perm("reseaux.pilot_projet", projet)


@pytest.fixture
def chanverrie_dgs(mortagne):
    return make_member(mortagne, "Chanverrie", "dgs@chanverrie.test", Membership.Role.DGS)


def test_the_agents_of_the_pilot_collectivites_edit_the_others_read(
    mortagne, dgs_epci, dgs_commune, sg_petite_commune, chanverrie_dgs
):
    start = date(2026, 1, 1)
    projet = services.projet_create(
        territoire=mortagne,
        by=dgs_commune,
        title="Groupement de commandes de fournitures",
        pilotage=Projet.Pilotage.COPILOTAGE,
        rotation=[(commune(mortagne, "Mortagne-sur-Sèvre"), start), (commune(mortagne, "Chanverrie"), start)],
    )
    assert can_edit(dgs_commune, projet) and can_edit(chanverrie_dgs, projet)
    assert not can_edit(sg_petite_commune, projet) and not can_edit(dgs_epci, projet)


def test_after_a_handover_the_new_pilot_edits_and_the_old_one_no_longer(
    mortagne, dgs_epci, dgs_commune, sg_petite_commune
):
    today = date.today()
    projet = services.projet_create(
        territoire=mortagne,
        by=dgs_commune,
        title="Plan de formation mutualisé",
        pilotage=Projet.Pilotage.ALTERNE,
        rotation=[
            (commune(mortagne, "Mortagne-sur-Sèvre"), today - timedelta(days=10)),
            (commune(mortagne, "Mallièvre"), today + timedelta(days=20)),
        ],
    )
    assert [(p.collectivite.name, p.ends_on) for p in projet.pilotes.all()] == [
        ("Mortagne-sur-Sèvre", today + timedelta(days=20)),
        ("Mallièvre", None),
    ]
    assert can_edit(dgs_commune, projet) and not can_edit(sg_petite_commune, projet)
    assert services.pilotage_sweep(on=today) == 0
    handover_day = today + timedelta(days=20)
    assert services.pilotage_sweep(on=handover_day) == 1
    assert services.pilotage_sweep(on=handover_day + timedelta(days=1)) == 0  # once
    review = Revue.objects.get(projet=projet)
    assert review.handover and "de Mortagne-sur-Sèvre à Mallièvre" in review.progress
    assert can_edit(sg_petite_commune, projet) and not can_edit(dgs_commune, projet)


def test_pilotage_modes_are_checked(mortagne, achards, dgs_epci):
    epci = commune(mortagne, "CC du Pays de Mortagne")
    day = date(2026, 1, 1)
    cases = [
        (Projet.Pilotage.EPCI, [(commune(mortagne, "Tiffauges"), day)], "l'EPCI pour seul pilote"),
        (Projet.Pilotage.COMMUNE, [(epci, day)], "une seule commune"),
        (Projet.Pilotage.COPILOTAGE, [(epci, day)], "au moins deux"),
        (Projet.Pilotage.ALTERNE, [(epci, day), (commune(mortagne, "Tiffauges"), day)], "sans se chevaucher"),
        (Projet.Pilotage.COMMUNE, [(achards.collectivites.filter(kind="commune").first(), day)], "n'appartient pas"),
    ]
    for pilotage, rotation, message in cases:
        with pytest.raises(ValidationError, match=message):
            services.projet_create(territoire=mortagne, by=dgs_epci, title="X", pilotage=pilotage, rotation=rotation)
    assert not Projet.objects.exists() and not Pilote.objects.exists()


def test_a_review_changes_the_health_only_with_a_reason(mortagne, dgs_epci):
    projet = services.projet_create(
        territoire=mortagne, by=dgs_epci, title="Schéma de mutualisation", pilotage="epci",
        rotation=[(commune(mortagne, "CC du Pays de Mortagne"), date(2026, 1, 1))],
    )  # fmt: skip
    with pytest.raises(ValidationError, match="pourquoi"):
        services.revue_record(projet=projet, by=dgs_epci, held_on=date(2026, 4, 1), progress="Retard", health="orange")
    services.revue_record(
        projet=projet, by=dgs_epci, held_on=date(2026, 4, 1), progress="Retard", health="orange",
        health_reason="Le marché d'assistance à maîtrise d'ouvrage est infructueux.",
    )  # fmt: skip
    assert Projet.objects.get(pk=projet.pk).health == "orange"


def three_projects(territoire, by):
    epci = commune(territoire, "CC du Pays de Mortagne")
    make = lambda title: services.projet_create(  # noqa: E731
        territoire=territoire, by=by, title=title, pilotage="epci", rotation=[(epci, date(2026, 1, 1))]
    )
    return make("Service commun ADS"), make("Plan de formation"), make("Schéma de mutualisation"), make("Fête du vélo")


def test_the_systemic_ranking_orders_linked_projects_and_shows_loops_and_isolated_ones(mortagne, dgs_epci):
    ads, formation, schema, velo = three_projects(mortagne, dgs_epci)
    services.lien_create(
        source=schema, target=ads, kind="renforce", justification="Le schéma prévoit le service.", by=dgs_epci
    )
    services.lien_create(
        source=ads, target=schema, kind="renforce", justification="Le service nourrit le schéma.", by=dgs_epci
    )
    services.lien_create(
        source=formation, target=ads, kind="depend_de", justification="Former les instructeurs.", by=dgs_epci
    )
    graph = systemic.link_graph(mortagne)
    ranking = systemic.systemic_ranking(graph)
    # ADS: 2 + 2 + 1 = 5; schéma: 2 + 2 = 4; formation: 1; vélo: 0.
    assert [(pk, score) for pk, score in ranking] == [
        (ads.pk, 5.0),
        (schema.pk, 4.0),
        (formation.pk, 1.0),
        (velo.pk, 0.0),
    ]
    assert systemic.loops(graph) == [sorted([ads.pk, schema.pk])]
    assert systemic.isolated(graph) == [velo.pk]


def test_links_are_checked_and_unique(mortagne, achards, dgs_epci, outsider):
    ads, formation, _schema, _velo = three_projects(mortagne, dgs_epci)
    foreign = services.projet_create(
        territoire=achards, by=outsider, title="Projet voisin", pilotage="epci",
        rotation=[(achards.collectivites.get(kind="epci"), date(2026, 1, 1))],
    )  # fmt: skip
    with pytest.raises(ValidationError, match="même territoire"):
        services.lien_create(source=ads, target=foreign, kind="renforce", justification="x", by=dgs_epci)
    with pytest.raises(ValidationError, match="Justifiez"):
        services.lien_create(source=ads, target=formation, kind="renforce", justification=" ", by=dgs_epci)
    services.lien_create(source=ads, target=formation, kind="renforce", justification="x", by=dgs_epci)
    with pytest.raises(ValidationError, match="existe déjà"):
        services.lien_create(source=ads, target=formation, kind="renforce", justification="y", by=dgs_epci)
    with pytest.raises(IntegrityError), transaction.atomic():
        Lien.objects.create(source=ads, target=ads, kind="renforce", justification="z", created_by=dgs_epci)


def test_permissions_follow_the_handover_even_if_its_review_was_recorded_by_hand(
    mortagne, dgs_commune, sg_petite_commune
):
    today = date.today()
    handover = today - timedelta(days=2)
    projet = services.projet_create(
        territoire=mortagne, by=dgs_commune, title="Plan de formation", pilotage=Projet.Pilotage.ALTERNE,
        rotation=[(commune(mortagne, "Mortagne-sur-Sèvre"), today - timedelta(days=30)), (commune(mortagne, "Mallièvre"), handover)],
    )  # fmt: skip
    services.revue_record(
        projet=projet,
        by=dgs_commune,
        held_on=today - timedelta(days=1),
        progress="Passation",
        health="vert",
        handover=True,
    )
    assert services.pilotage_sweep(on=today) == 0  # the handover review is already held
    assert can_edit(sg_petite_commune, projet) and not can_edit(dgs_commune, projet)
    assert Revue.objects.filter(projet=projet).count() == 1
