"""The pilot permission follows the memberships of the pilot collectivités; access rules on top of it."""

from datetime import timedelta

import pytest

from communes import services as communes_services
from communes.access import territoire_access
from communes.models import Membership
from reseaux import access, services
from tests.conftest import collectivite, make_member
from tests.reseaux.builders import can_edit, commune_projet, today

pytestmark = pytest.mark.django_db


@pytest.fixture
def projet(mortagne, dgs_commune):
    return commune_projet(mortagne, dgs_commune, "Mortagne-sur-Sèvre", "Restauration scolaire", start=today())


def test_a_new_member_of_a_pilot_commune_gets_the_permission_once_committed(
    mortagne, projet, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        dga = make_member(mortagne, "Mortagne-sur-Sèvre", "dga@mortagne-sur-sevre.test", Membership.Role.DGA)
    assert callbacks and not can_edit(dga, projet)  # not before the membership is committed
    for callback in callbacks:
        callback()
    assert can_edit(dga, projet)


def test_members_of_other_collectivites_and_observers_do_not_get_it(
    mortagne, projet, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        other = make_member(mortagne, "Tiffauges", "dgs@tiffauges.test", Membership.Role.DGS)
        elu = make_member(mortagne, "Mortagne-sur-Sèvre", "maire@mortagne-sur-sevre.test", Membership.Role.OBSERVATEUR)
    assert not can_edit(other, projet) and not can_edit(elu, projet)


def test_a_deactivated_member_loses_the_permission(
    mortagne, dgs_epci, dgs_commune, projet, django_capture_on_commit_callbacks
):
    assert can_edit(dgs_commune, projet)
    membership = Membership.objects.get(agent=dgs_commune, territoire=mortagne)
    with django_capture_on_commit_callbacks(execute=True):
        communes_services.membership_deactivate(membership=membership, by=dgs_epci)
    assert not can_edit(dgs_commune, projet)


def test_a_closed_account_loses_the_permission(
    mortagne, dgs_epci, dgs_commune, projet, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        communes_services.agent_deactivate(agent=dgs_commune, by=dgs_epci)
    from guardian.shortcuts import get_users_with_perms

    assert dgs_commune.pk not in get_users_with_perms(projet, only_with_perms_in=["pilot_projet"]).values_list(
        "pk", flat=True
    )


def test_the_first_pilots_prepare_a_project_before_their_period_starts(mortagne, dgs_epci, dgs_commune):
    later = today() + timedelta(days=60)
    projet = commune_projet(mortagne, dgs_epci, "Mortagne-sur-Sèvre", "Maison France services", start=later)
    assert can_edit(dgs_commune, projet)  # nobody else pilots it yet: its first pilot prepares it
    services.portfolio_sweep(on=later)
    assert can_edit(dgs_commune, projet)


def test_a_pilotage_changed_from_a_later_day_changes_hands_on_that_day(
    mortagne, dgs_epci, dgs_commune, sg_petite_commune
):
    projet = commune_projet(mortagne, dgs_epci, "Mortagne-sur-Sèvre", "Maison France services", start=today())
    later = today() + timedelta(days=5)
    services.pilotage_change(
        projet=projet, by=dgs_commune, pilotage="commune",
        rotation=[(collectivite(mortagne, "Mallièvre"), later)], from_day=later,
    )  # fmt: skip
    assert can_edit(dgs_commune, projet) and not can_edit(sg_petite_commune, projet)
    services.portfolio_sweep(on=later)
    assert can_edit(sg_petite_commune, projet) and not can_edit(dgs_commune, projet)


def test_pilots_edit_referents_follow_observers_and_others_read(
    mortagne, projet, dgs_commune, dgs_epci, referent, observateur, sg_petite_commune
):
    services.referent_add(projet=projet, by=dgs_commune, agent=referent)
    services.referent_add(projet=projet, by=dgs_commune, agent=observateur)
    rights = {
        agent.email.split("@")[0]: (
            access.can_pilot(territoire_access(agent, mortagne.slug), projet),
            access.can_follow(territoire_access(agent, mortagne.slug), projet),
        )
        for agent in (dgs_commune, dgs_epci, referent, observateur, sg_petite_commune)
    }
    assert rights == {
        "sophie.guerin": (True, True),
        "claire.bernard": (False, False),
        "thomas.charrier": (False, True),
        "bernard.pineau": (False, False),  # an observer reads, even when named référent
        "elodie.martineau": (False, False),
    }
    services.referent_end(referent=projet.referents.get(agent=referent), by=dgs_commune)
    assert not access.can_follow(territoire_access(referent, mortagne.slug), projet)
