"""The portfolio's mails: handovers of an alternating pilotage and periodic reviews due."""

from datetime import timedelta

import pytest
from django.core import mail

from communes import services as communes_services
from communes.models import Membership
from reseaux import services
from reseaux.models import Projet, Revue
from reseaux.services.revues import add_months, review_reminders_sweep
from reseaux.tasks import notify_handover, project_followers
from tests.conftest import make_member
from tests.reseaux.builders import coll, today

pytestmark = pytest.mark.django_db


@pytest.fixture
def formation(mortagne, dgs_commune, sg_petite_commune, observateur):
    """Mortagne-sur-Sèvre pilots until its handover to Mallièvre in five days."""
    return services.projet_create(
        territoire=mortagne,
        by=dgs_commune,
        title="Plan de formation mutualisé",
        pilotage=Projet.Pilotage.ALTERNE,
        rotation=[
            (coll(mortagne, "Mortagne-sur-Sèvre"), today() - timedelta(days=60)),
            (coll(mortagne, "Mallièvre"), today() + timedelta(days=5)),
        ],
        starts_on=add_months(today(), -3) + timedelta(days=10),
    )


def recipients() -> list[str]:
    return sorted(address for message in mail.outbox for address in message.to)


def test_the_handover_mail_goes_to_the_new_pilot_and_the_referents(
    mortagne, formation, dgs_commune, referent, django_capture_on_commit_callbacks
):
    services.referent_add(projet=formation, by=dgs_commune, agent=referent)
    elu = make_member(mortagne, "Mallièvre", "maire@mallievre.test", Membership.Role.OBSERVATEUR)
    handover = today() + timedelta(days=5)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.pilotage_sweep(on=handover) == 1
    # Mallièvre's SG (its pilot from that day), the référent; neither the former pilot nor the observer.
    assert recipients() == ["elodie.martineau@mallievre.test", "thomas.charrier@paysdemortagne.test"]
    assert elu.email not in recipients()
    message = mail.outbox[0]
    assert message.subject == "[CC du Pays de Mortagne] Passation du pilotage : Plan de formation mutualisé"
    assert "Passation du pilotage de Mortagne-sur-Sèvre à Mallièvre." in message.body
    assert f"/t/{mortagne.slug}/projets/{formation.pk}/" in message.body
    assert message.alternatives and "Plan de formation mutualisé" in message.alternatives[0][0]
    # Once: the next sweeps open nothing and send nothing.
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.pilotage_sweep(on=handover + timedelta(days=1)) == 0
    assert mail.outbox == []


def test_no_handover_mail_once_the_review_is_held(mortagne, formation, sg_petite_commune):
    services.pilotage_sweep(on=today() + timedelta(days=5))
    revue = Revue.objects.get(projet=formation)
    Revue.objects.filter(pk=revue.pk).update(held=True)
    notify_handover.call(revue.pk)
    assert mail.outbox == []


def test_the_review_reminder_goes_to_todays_pilots_and_active_referents(
    mortagne, formation, dgs_commune, referent, django_capture_on_commit_callbacks
):
    former = make_member(mortagne, "Tiffauges", "ancien@tiffauges.test", Membership.Role.DGS)
    for agent in (referent, former):
        services.referent_add(projet=formation, by=dgs_commune, agent=agent)
    # A référent who left the territory hears no more of it.
    communes_services.membership_deactivate(
        membership=Membership.objects.get(agent=former, territoire=mortagne), by=dgs_commune
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert review_reminders_sweep(on=today()) == 1
    assert recipients() == ["sophie.guerin@mortagne-sur-sevre.test", "thomas.charrier@paysdemortagne.test"]
    due = services.next_review_on(Projet.objects.get(pk=formation.pk), None)
    message = mail.outbox[0]
    assert message.subject == "[CC du Pays de Mortagne] Revue de projet à prévoir : Plan de formation mutualisé"
    assert f"{due.day} " in message.body and str(due.year) in message.body
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert review_reminders_sweep(on=today() + timedelta(days=1)) == 0
    assert mail.outbox == []


def test_followers_on_a_day_are_the_pilots_of_that_day(mortagne, formation, dgs_commune, sg_petite_commune):
    assert project_followers(formation) == [dgs_commune.email]
    assert project_followers(formation, today() + timedelta(days=5)) == [sg_petite_commune.email]
