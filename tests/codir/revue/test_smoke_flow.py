"""The whole review, end to end through the services: the lead's first check of the foundations."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from codir.models import Engagement, Participation, Reponse, RevueAnnuelle
from codir.revue import services
from codir.revue.selectors import results_of
from decisions.models import Action, Proposition
from tests.conftest import collectivite


@pytest.mark.django_db
def test_a_review_goes_from_preparation_to_closure_and_leaves_actions_in_the_register(
    mortagne,
    facilitateur,
    dgs_epci,
    dgs_commune,
    sg_petite_commune,
    referent,
    observateur,
    django_capture_on_commit_callbacks,
):
    campagne = services.campagne_create(facilitator=facilitateur, year=2026, title="", territoires=[mortagne])
    revue = campagne.revues.get()
    with django_capture_on_commit_callbacks(execute=True):
        services.revue_open_questionnaire(revue=revue, by=facilitateur)
    with pytest.raises(PermissionDenied):
        services.reponse_submit(revue=revue, agent=observateur, answers={"se_connaitre_1": 4})
    for level, agent in enumerate([dgs_epci, dgs_commune, sg_petite_commune], start=3):
        services.reponse_submit(
            revue=revue, agent=agent, answers={"se_connaitre_1": level, "se_connaitre_libre": f"Idée {level}"}
        )
    with pytest.raises(ValidationError):
        services.reponse_submit(revue=revue, agent=dgs_epci, answers={"se_connaitre_1": 1})
    assert Participation.objects.filter(revue=revue).count() == 3
    assert Reponse.objects.filter(revue=revue).count() == 3
    results = results_of(revue)
    dimension = results.dimensions[0]
    assert dimension.mean == 4.0 and dimension.items[0].distribution == [0, 0, 1, 1, 1]
    services.revue_start_seminar(revue=revue, by=facilitateur)
    with pytest.raises(ValidationError):
        services.revue_close(revue=revue, by=facilitateur)
    services.seminaire_save(revue=revue, by=facilitateur, bilan="Un **bon** an.", perspectives="Continuer.")
    from datetime import date

    services.engagement_add(
        revue=revue,
        by=facilitateur,
        title="Tenir le délai de 48 h",
        owner_collectivite=collectivite(mortagne, "Mallièvre"),
        due_date=date(2027, 6, 30),
    )
    with pytest.raises(PermissionDenied):
        services.seminaire_save(revue=revue, by=dgs_epci, bilan="x", perspectives="")
    revue = services.revue_close(revue=revue, by=facilitateur)
    assert revue.stage == RevueAnnuelle.Stage.CLOTUREE
    assert revue.proposition.kind == Proposition.Kind.SEMINAIRE and revue.proposition.result == "adoptee"
    action = Action.objects.get(proposition=revue.proposition)
    assert action.title == "Tenir le délai de 48 h"
    assert Engagement.objects.get(revue=revue).action == action
    assert revue.network_svg.startswith("<svg") and revue.indicators
    assert results_of(revue).dimensions[0].mean == 4.0
