from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from communes import services
from communes.models import Agent, Invitation, JournalEntry, Membership, Seat
from tests.conftest import PASSWORD, collectivite, make_member

pytestmark = pytest.mark.django_db


def active_holder(territoire, name, kind):
    seat = Seat.objects.active().filter(collectivite=collectivite(territoire, name), kind=kind).first()
    return seat.membership.agent if seat else None


def test_a_seat_passes_to_the_successor_and_the_previous_tenure_stays_in_history(mortagne, dgs_commune, dgs_epci):
    mortagne_sevre = collectivite(mortagne, "Mortagne-sur-Sèvre")
    interim = make_member(mortagne, "Mortagne-sur-Sèvre", "interim@mortagne.test", Membership.Role.DGA)
    services.seat_assign(
        collectivite=mortagne_sevre,
        kind=Seat.Kind.TITULAIRE,
        membership=interim.memberships.get(),
        by=dgs_epci,
    )
    assert active_holder(mortagne, "Mortagne-sur-Sèvre", Seat.Kind.TITULAIRE) == interim
    history = list(mortagne_sevre.seats.order_by("started_at").values_list("membership__agent__email", "ended_at"))
    assert [email for email, _ in history] == [dgs_commune.email, interim.email]
    assert history[0][1] is not None and history[1][1] is None
    entry = JournalEntry.objects.filter(action="communes.seat.assigned").latest("created_at")
    assert entry.actor == dgs_epci
    assert entry.data["previous"] == dgs_commune.email


def test_a_suppleant_who_becomes_titulaire_leaves_the_suppleant_seat(mortagne, dgs_commune):
    deputy = make_member(
        mortagne, "Mortagne-sur-Sèvre", "dga@mortagne.test", Membership.Role.DGA, seat=Seat.Kind.SUPPLEANT
    )
    services.seat_assign(
        collectivite=collectivite(mortagne, "Mortagne-sur-Sèvre"),
        kind=Seat.Kind.TITULAIRE,
        membership=deputy.memberships.get(),
        by=None,
    )
    assert active_holder(mortagne, "Mortagne-sur-Sèvre", Seat.Kind.TITULAIRE) == deputy
    assert active_holder(mortagne, "Mortagne-sur-Sèvre", Seat.Kind.SUPPLEANT) is None


def test_the_database_refuses_two_titulaires_for_one_collectivite(mortagne, dgs_commune):
    other = make_member(mortagne, "Mortagne-sur-Sèvre", "autre@mortagne.test", Membership.Role.DGA)
    with pytest.raises(IntegrityError), transaction.atomic():
        Seat.objects.create(
            collectivite=collectivite(mortagne, "Mortagne-sur-Sèvre"),
            kind=Seat.Kind.TITULAIRE,
            membership=other.memberships.get(),
        )


def test_the_database_refuses_one_member_holding_both_seats(mortagne, dgs_commune):
    with pytest.raises(IntegrityError), transaction.atomic():
        Seat.objects.create(
            collectivite=collectivite(mortagne, "Mortagne-sur-Sèvre"),
            kind=Seat.Kind.SUPPLEANT,
            membership=dgs_commune.memberships.get(),
        )


def test_a_seat_goes_only_to_a_member_of_that_collectivite(mortagne, dgs_commune):
    with pytest.raises(ValidationError, match="ne représente pas Mallièvre"):
        services.seat_assign(
            collectivite=collectivite(mortagne, "Mallièvre"),
            kind=Seat.Kind.SUPPLEANT,
            membership=dgs_commune.memberships.get(),
            by=None,
        )
    assert not Seat.objects.filter(collectivite__name="Mallièvre").exists()


def test_an_observer_cannot_hold_a_voice(mortagne, observateur):
    with pytest.raises(ValidationError, match="observateur"):
        services.seat_assign(
            collectivite=collectivite(mortagne, "CC du Pays de Mortagne"),
            kind=Seat.Kind.SUPPLEANT,
            membership=observateur.memberships.get(),
            by=None,
        )


def test_deactivating_a_member_ends_their_seat_and_keeps_their_history(mortagne, dgs_commune, dgs_epci):
    membership = dgs_commune.memberships.get()
    services.membership_deactivate(membership=membership, by=dgs_epci)
    membership.refresh_from_db()
    assert membership.ended_at is not None
    assert active_holder(mortagne, "Mortagne-sur-Sèvre", Seat.Kind.TITULAIRE) is None
    assert Seat.objects.filter(membership=membership).count() == 1  # the tenure is kept, closed
    assert Agent.objects.filter(pk=dgs_commune.pk).exists()
    with pytest.raises(ValidationError, match="déjà désactivé"):
        services.membership_deactivate(membership=membership, by=dgs_epci)


def test_an_agent_has_one_active_membership_per_territory(mortagne, dgs_commune):
    with pytest.raises(ValidationError, match="déjà membre"):
        services.membership_add(
            territoire=mortagne,
            agent=dgs_commune,
            collectivite=collectivite(mortagne, "Tiffauges"),
            role=Membership.Role.SG,
            by=None,
        )


def test_a_member_cannot_represent_a_collectivite_of_another_territory(mortagne, achards, dgs_commune):
    with pytest.raises(ValidationError, match="n'appartient pas au territoire"):
        services.membership_add(
            territoire=mortagne,
            agent=services.agent_create(email="x@y.test", first_name="X", last_name="Y", password=PASSWORD),
            collectivite=achards.collectivites.first(),
            role=Membership.Role.SG,
            by=None,
        )


def invite(mortagne, dgs_epci, email="nouvelle.dgs@treize-vents.test", **kwargs):
    return services.invitation_create(
        territoire=mortagne,
        collectivite=collectivite(mortagne, "Treize-Vents"),
        email=email,
        role=kwargs.get("role", Membership.Role.DGS),
        seat_kind=kwargs.get("seat_kind", Seat.Kind.TITULAIRE),
        by=dgs_epci,
    )


def test_an_invitation_mails_a_one_time_link_that_creates_the_account_membership_and_seat(
    mortagne, dgs_epci, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invitation = invite(mortagne, dgs_epci, email="Nouvelle.DGS@Treize-Vents.test")
    assert invitation.email == "nouvelle.dgs@treize-vents.test"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["nouvelle.dgs@treize-vents.test"]
    assert "CC du Pays de Mortagne" in message.subject
    token = services.invitation_token(invitation)
    assert f"/comptes/invitation/{token}/" in message.body
    assert message.alternatives and token in message.alternatives[0][0]
    assert "Treize-Vents" in message.body and "7 jours" in message.body

    found = services.invitation_from_token(token)
    assert found == invitation
    membership = services.invitation_accept(
        invitation=found, first_name="Agathe", last_name="Brochard", password=PASSWORD
    )
    agent = membership.agent
    assert agent.check_password(PASSWORD)
    assert (membership.collectivite.name, membership.role) == ("Treize-Vents", Membership.Role.DGS)
    assert active_holder(mortagne, "Treize-Vents", Seat.Kind.TITULAIRE) == agent
    invitation.refresh_from_db()
    assert invitation.accepted_by == agent and invitation.status == "acceptee"
    actions = set(JournalEntry.objects.filter(territoire=mortagne).values_list("action", flat=True))
    assert {"communes.membership.invited", "communes.invitation.accepted", "communes.membership.added"} <= actions
    with pytest.raises(ValidationError, match="déjà été utilisée"):
        services.invitation_accept(invitation=invitation, first_name="A", last_name="B", password=PASSWORD)


def test_an_expired_invitation_is_refused_and_creates_nothing(mortagne, dgs_epci):
    invitation = invite(mortagne, dgs_epci)
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(ValidationError, match="expiré"):
        services.invitation_accept(invitation=invitation, first_name="A", last_name="B", password=PASSWORD)
    assert not Agent.objects.filter(email=invitation.email).exists()


def test_the_invitation_lasts_seven_days(mortagne, dgs_epci):
    invitation = invite(mortagne, dgs_epci)
    assert invitation.expires_at - invitation.created_at == timedelta(days=7)


def test_a_forged_or_tampered_token_designates_nothing(mortagne, dgs_epci):
    invitation = invite(mortagne, dgs_epci)
    token = services.invitation_token(invitation)
    assert services.invitation_from_token(token[:-2] + "xx") is None
    assert services.invitation_from_token("nimportequoi") is None
    invitation.nonce = "changed"
    invitation.save()
    assert services.invitation_from_token(token) is None


def test_a_new_invitation_to_the_same_address_replaces_the_pending_one(mortagne, dgs_epci):
    first = invite(mortagne, dgs_epci)
    second = invite(mortagne, dgs_epci, role=Membership.Role.SG)
    first.refresh_from_db()
    assert first.status == "annulee" and second.status == "en_attente"


def test_a_weak_password_is_refused_in_french_and_nothing_is_created(mortagne, dgs_epci):
    invitation = invite(mortagne, dgs_epci)
    with pytest.raises(ValidationError) as error:
        services.invitation_accept(invitation=invitation, first_name="A", last_name="B", password="123")
    assert "password" in error.value.message_dict
    assert any("trop court" in m for m in error.value.message_dict["password"])
    assert not Agent.objects.filter(email=invitation.email).exists()
    assert Invitation.objects.get(pk=invitation.pk).is_usable


def test_an_existing_account_accepts_only_as_itself(mortagne, achards, dgs_epci, outsider):
    invitation = invite(mortagne, dgs_epci, email=outsider.email, seat_kind="")
    with pytest.raises(ValidationError, match="connectez-vous"):
        services.invitation_accept(invitation=invitation, first_name="A", last_name="B", password=PASSWORD)
    membership = services.invitation_accept(invitation=invitation, agent=outsider)
    assert membership.territoire == mortagne and membership.agent == outsider


def test_inviting_a_current_member_is_refused(mortagne, dgs_epci, dgs_commune):
    with pytest.raises(ValidationError, match="déjà membre"):
        invite(mortagne, dgs_epci, email=dgs_commune.email.upper())


def test_facilitation_is_an_object_permission_on_the_territory(mortagne, achards, facilitateur):
    assert facilitateur.has_perm("communes.facilitate_territoire", mortagne)
    assert not facilitateur.has_perm("communes.facilitate_territoire", achards)
    services.facilitator_revoke(territoire=mortagne, agent=facilitateur, by=None)
    facilitateur = Agent.objects.get(pk=facilitateur.pk)  # fresh permission cache
    assert not facilitateur.has_perm("communes.facilitate_territoire", mortagne)


def test_deactivation_removes_the_administrator_permission_and_revokes_pending_invitations(
    mortagne, dgs_epci, dgs_commune
):
    services.territoire_admin_grant(territoire=mortagne, agent=dgs_commune, by=dgs_epci)
    pending = invite(mortagne, dgs_commune)
    services.membership_deactivate(membership=dgs_commune.memberships.get(), by=dgs_epci)
    fresh = Agent.objects.get(pk=dgs_commune.pk)
    assert not fresh.has_perm("communes.administer_territoire", mortagne)
    pending.refresh_from_db()
    assert pending.status == "annulee"
    entry = JournalEntry.objects.filter(action="communes.membership.deactivated").latest("created_at")
    assert entry.data["invitations_revoked"] == [pending.pk]


def test_an_invitation_from_someone_who_left_cannot_be_accepted(mortagne, dgs_epci, dgs_commune):
    services.territoire_admin_grant(territoire=mortagne, agent=dgs_commune, by=dgs_epci)
    invitation = invite(mortagne, dgs_commune)
    Membership.objects.filter(agent=dgs_commune).update(ended_at=timezone.now())  # left without the service
    with pytest.raises(ValidationError, match="n'est plus membre"):
        services.invitation_accept(invitation=invitation, first_name="A", last_name="B", password=PASSWORD)


def test_an_observer_is_never_an_administrator(mortagne, dgs_epci, observateur):
    with pytest.raises(ValidationError, match="observateur"):
        services.territoire_admin_grant(territoire=mortagne, agent=observateur, by=dgs_epci)


def test_nobody_deactivates_themselves_nor_the_last_administrator(mortagne, dgs_epci, dgs_commune):
    with pytest.raises(ValidationError, match="vous-même"):
        services.membership_deactivate(membership=dgs_epci.memberships.get(), by=dgs_epci)
    with pytest.raises(ValidationError, match="dernier administrateur"):
        services.membership_deactivate(membership=dgs_epci.memberships.get(), by=dgs_commune)
    services.territoire_admin_grant(territoire=mortagne, agent=dgs_commune, by=dgs_epci)
    services.membership_deactivate(membership=dgs_epci.memberships.get(), by=dgs_commune)
    assert not Membership.objects.get(agent=dgs_epci).is_active


def test_a_seat_is_not_given_to_a_membership_deactivated_since_it_was_read(mortagne, dgs_epci, dgs_commune):
    deputy = make_member(mortagne, "Mortagne-sur-Sèvre", "dga@mortagne.test", Membership.Role.DGA)
    stale = deputy.memberships.get()
    services.membership_deactivate(membership=Membership.objects.get(pk=stale.pk), by=dgs_epci)
    with pytest.raises(ValidationError, match="désactivé"):
        services.seat_assign(
            collectivite=collectivite(mortagne, "Mortagne-sur-Sèvre"),
            kind=Seat.Kind.SUPPLEANT,
            membership=stale,
            by=None,
        )
    assert not Seat.objects.filter(membership=stale).exists()


def test_closing_an_account_ends_its_memberships_and_seats(mortagne, dgs_epci, dgs_commune):
    services.agent_deactivate(agent=dgs_commune, by=dgs_epci)
    assert not Agent.objects.get(pk=dgs_commune.pk).is_active
    assert not Membership.objects.active().filter(agent=dgs_commune).exists()
    assert not Seat.objects.active().filter(membership__agent=dgs_commune).exists()


def test_email_addresses_are_unique_whatever_their_case(dgs_commune):
    with pytest.raises(ValidationError, match="existe déjà"):
        services.agent_create(email=dgs_commune.email.upper(), first_name="A", last_name="B", password=PASSWORD)
    with pytest.raises(IntegrityError), transaction.atomic():
        Agent.objects.create(email=dgs_commune.email.upper())


def test_facilitation_through_a_group_is_not_honoured_anywhere(mortagne):
    from django.contrib.auth.models import Group
    from guardian.shortcuts import assign_perm

    from communes.models import Territoire

    agent = services.agent_create(email="groupe@cnfpt.test", first_name="G", last_name="R", password=PASSWORD)
    group = Group.objects.create(name="Consultants")
    agent.groups.add(group)
    assign_perm("communes.facilitate_territoire", group, mortagne)
    assert not Territoire.objects.accessible_to(agent).exists()


def test_an_apostrophe_in_the_territory_name_is_not_escaped_in_the_mail_subject(db, django_capture_on_commit_callbacks):
    from tests.conftest import import_epci

    erdre = import_epci("244400503")  # CC d'Erdre et Gesvres
    admin = make_member(erdre, "CC d'Erdre et Gesvres", "dgs@erdre.test", Membership.Role.DGS)
    with django_capture_on_commit_callbacks(execute=True):
        services.invitation_create(
            territoire=erdre,
            collectivite=erdre.collectivites.filter(kind="commune").first(),
            email="x@erdre.test",
            role="sg",
            by=admin,
        )
    assert mail.outbox[0].subject == "Invitation au CoDir de territoire — CC d'Erdre et Gesvres"
