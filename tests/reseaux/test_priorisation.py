"""The priorisation of projects to launch: scored by the systemic graph, decided by the collective."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from communes.models import JournalEntry
from decisions import services as decisions
from decisions.models import Proposition
from reseaux import services
from reseaux.models import Priorisation, Projet
from tests.reseaux.builders import epci_projet

pytestmark = pytest.mark.django_db


@pytest.fixture
def portfolio(mortagne, dgs_epci):
    """Four ideas; the schéma reinforces the service and the formation depends on it."""
    make = lambda title: epci_projet(mortagne, dgs_epci, title=title, status=Projet.Status.IDEE)  # noqa: E731
    ads, formation, schema, velo = make("Service commun ADS"), make("Plan de formation"), make("Schéma"), make("Vélo")
    services.lien_create(
        source=schema, target=ads, kind="renforce", justification="Le schéma prévoit le service.", by=dgs_epci
    )
    services.lien_create(
        source=formation, target=ads, kind="depend_de", justification="Former les instructeurs.", by=dgs_epci
    )
    services.lien_create(
        source=formation, target=schema, kind="mutualise_avec", justification="Un même prestataire.", by=dgs_epci
    )
    return ads, formation, schema, velo


def choices(proposition):
    return [
        (c.rank, c.projet.title, c.systemic_score, c.launched_at)
        for c in Priorisation.objects.filter(proposition=proposition).select_related("projet")
    ]


def test_priorisation_ranks_the_projects_by_systemic_score(mortagne, dgs_epci, portfolio):
    ads, formation, schema, velo = portfolio
    proposition = services.priorisation_create(
        territoire=mortagne,
        by=dgs_epci,
        title="Projets à lancer en 2026",
        intro="Nous proposons :",
        projets=[velo, schema, ads, formation],
    )
    assert (proposition.kind, proposition.status) == (Proposition.Kind.PRIORISATION, Proposition.Status.BROUILLON)
    # ADS 2 + 1 = 3; schéma 2 + 1.5 = 3.5; formation 1 + 1.5 = 2.5; vélo 0.
    assert choices(proposition) == [
        (1, "Schéma", Decimal("3.50"), None),
        (2, "Service commun ADS", Decimal("3.00"), None),
        (3, "Plan de formation", Decimal("2.50"), None),
        (4, "Vélo", Decimal("0.00"), None),
    ]
    assert proposition.body.startswith("Nous proposons :\n\nProjets proposés au lancement :")
    assert "1. **Schéma** — score systémique 3.5\n2. **Service commun ADS** — score systémique 3" in proposition.body
    assert JournalEntry.objects.get(action="reseaux.priorisation.created").data == {
        "projets": ["Schéma", "Service commun ADS", "Plan de formation", "Vélo"]
    }


def test_equal_scores_are_ranked_by_title(mortagne, dgs_epci):
    zebre, abeille = (epci_projet(mortagne, dgs_epci, title=t, status="idee") for t in ("Zèbre", "Abeille"))
    proposition = services.priorisation_create(
        territoire=mortagne, by=dgs_epci, title="T", intro="", projets=[zebre, abeille]
    )
    assert [c[1] for c in choices(proposition)] == ["Abeille", "Zèbre"]


def test_priorisation_refuses_running_projects_duplicates_and_other_territories(
    mortagne, achards, dgs_epci, outsider, portfolio
):
    ads, formation, _schema, _velo = portfolio
    foreign = epci_projet(achards, outsider, title="Voisin", status="idee")
    cases = [
        ([], "au moins un projet"),
        ([ads, ads], "qu'une fois"),
        ([ads, foreign], "n'appartient pas"),
    ]
    for status in (Projet.Status.EN_COURS, Projet.Status.TERMINE, Projet.Status.SUSPENDU, Projet.Status.ABANDONNE):
        Projet.objects.filter(pk=formation.pk).update(status=status)
        formation.status = status
        cases.append(([ads, formation], "Seuls les projets"))
    for projets, message in cases:
        with pytest.raises(ValidationError, match=message):
            services.priorisation_create(territoire=mortagne, by=dgs_epci, title="T", intro="", projets=projets)
    assert not Proposition.objects.exists() and not Priorisation.objects.exists()


def decide(proposition, by, voices, choice: str) -> Proposition:
    proposition = decisions.proposition_open(
        proposition=proposition, by=by, closes_at=timezone.now() + timedelta(days=3)
    )
    for agent in voices:
        decisions.position_express(
            proposition=proposition,
            agent=agent,
            choice=choice,
            **({"motive": "Pas prioritaire"} if choice == "objection" else {}),
        )
    return decisions.proposition_close(proposition=proposition, by=by)


def test_an_adopted_priorisation_launches_its_projects(mortagne, dgs_epci, voices, portfolio):
    ads, _formation, schema, velo = portfolio
    Projet.objects.filter(pk=schema.pk).update(status=Projet.Status.EN_PREPARATION)
    proposition = services.priorisation_create(
        territoire=mortagne, by=dgs_epci, title="T", intro="", projets=[ads, schema]
    )
    before = timezone.now()
    closed = decide(proposition, dgs_epci, voices, "pour")
    assert closed.result == "adoptee"
    assert {p.title: p.status for p in Projet.objects.all()} == {
        "Service commun ADS": "en_cours",
        "Schéma": "en_cours",
        "Plan de formation": "idee",
        "Vélo": "idee",
    }
    launched = [c[3] for c in choices(proposition)]
    assert all(day is not None and day >= before for day in launched)
    assert JournalEntry.objects.filter(action="reseaux.projet.launched").count() == 2
    assert velo.status == "idee"


def test_a_priorisation_not_adopted_changes_nothing(mortagne, dgs_epci, voices, portfolio):
    ads, *_ = portfolio
    objected = services.priorisation_create(territoire=mortagne, by=dgs_epci, title="T", intro="", projets=[ads])
    assert decide(objected, dgs_epci, voices, "objection").result == "objection"
    without_quorum = services.priorisation_create(territoire=mortagne, by=dgs_epci, title="T2", intro="", projets=[ads])
    assert decide(without_quorum, dgs_epci, voices[:2], "pour").result == "sans_quorum"
    withdrawn = services.priorisation_create(territoire=mortagne, by=dgs_epci, title="T3", intro="", projets=[ads])
    withdrawn = decisions.proposition_open(
        proposition=withdrawn, by=dgs_epci, closes_at=timezone.now() + timedelta(days=3)
    )
    decisions.proposition_withdraw(proposition=withdrawn, by=dgs_epci, reason="Reporté")
    assert Projet.objects.get(pk=ads.pk).status == "idee"
    assert not Priorisation.objects.exclude(launched_at=None).exists()
    assert not JournalEntry.objects.filter(action="reseaux.projet.launched").exists()


def test_an_adopted_priorisation_does_not_revive_a_project_abandoned_meanwhile(mortagne, dgs_epci, voices, portfolio):
    ads, formation, *_ = portfolio
    proposition = services.priorisation_create(
        territoire=mortagne, by=dgs_epci, title="T", intro="", projets=[ads, formation]
    )
    Projet.objects.filter(pk=formation.pk).update(status=Projet.Status.ABANDONNE)
    decide(proposition, dgs_epci, voices, "pour")
    assert Projet.objects.get(pk=formation.pk).status == "abandonne"
    assert Projet.objects.get(pk=ads.pk).status == "en_cours"
    launched = {c[1]: c[3] is not None for c in choices(proposition)}
    assert launched == {"Service commun ADS": True, "Plan de formation": False}
