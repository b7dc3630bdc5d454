"""A territory's administrators invite and revoke facilitators, from the members page and the API.

A facilitator reads the territory through the `communes.facilitate_territoire` object permission:
accepting their invitation never makes them a member.
"""

import re
from urllib.parse import urlencode, urlparse

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from communes import services
from communes.models import Agent, Invitation, JournalEntry, Membership
from tests.conftest import PASSWORD, collectivite, make_member, totp_code

pytestmark = pytest.mark.django_db

NEWCOMER = "marc.olivier@cnfpt.test"


def is_facilitator(agent, territoire) -> bool:
    # A fresh object: guardian caches permissions on the instance it checked.
    return Agent.objects.get(pk=agent.pk).has_perm("communes.facilitate_territoire", territoire)


def link_path(message) -> str:
    """The path of the one-time link in an invitation mail."""
    url = re.search(r"https?://\S+", message.body).group(0)
    return urlparse(url).path


def invite_url(territoire) -> str:
    return reverse("communes:facilitateur_inviter", args=[territoire.slug])


def revoke_url(territoire, agent) -> str:
    return reverse("communes:facilitateur_retirer", args=[territoire.slug, agent.pk])


def test_the_epci_dgs_invites_a_facilitator_who_gets_a_one_time_link_by_mail(
    mortagne, dgs_epci, client_for, django_capture_on_commit_callbacks
):
    client = client_for(dgs_epci)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(invite_url(mortagne), {"facilitateur-email": " Marc.Olivier@CNFPT.test "}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("communes:membres", args=[mortagne.slug])
    page = response.content.decode()
    assert f"Invitation de facilitateur·rice envoyée à {NEWCOMER}" in page
    invitation = Invitation.objects.get(email=NEWCOMER)
    assert (invitation.kind, invitation.collectivite, invitation.role) == ("facilitateur", None, "")
    assert invitation.is_usable and invitation.invited_by == dgs_epci
    # The pending invitation is listed in the facilitators' section, with its cancel button.
    assert reverse("communes:invitation_revoke", args=[mortagne.slug, invitation.pk]) in page
    [message] = mail.outbox
    assert message.to == [NEWCOMER]
    assert message.subject == "Invitation à accompagner le territoire — CC du Pays de Mortagne"
    expected = (
        "Claire Bernard vous invite à accompagner le territoire CC du Pays de Mortagne en tant que "
        "facilitateur·rice (accès en lecture et revue annuelle)."
    )
    assert expected in message.body and expected in message.alternatives[0][0]
    assert "pour None" not in message.body and "en tant que ." not in message.body
    assert link_path(message) == reverse("invitation_accept", args=[services.invitation_token(invitation)])
    entry = JournalEntry.objects.get(action="communes.facilitator.invited")
    assert (entry.actor, entry.territoire, entry.data["email"]) == (dgs_epci, mortagne, NEWCOMER)


def test_a_newcomer_accepts_creates_an_account_and_reads_the_territory_without_being_a_member(
    mortagne, dgs_epci, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.facilitator_invite(territoire=mortagne, email=NEWCOMER, by=dgs_epci)
    url = link_path(mail.outbox[0])
    page = client.get(url).content.decode()
    assert "Accompagner CC du Pays de Mortagne" in page
    assert "vous invite à accompagner le territoire CC du Pays de Mortagne en tant que facilitateur·rice" in page
    assert "Créer mon compte et accompagner le territoire" in page
    data = {"first_name": "Marc", "last_name": "Olivier", "password1": PASSWORD, "password2": PASSWORD}
    response = client.post(url, data, follow=True)
    # A facilitator must have a second factor: the new account enrols it before anything else.
    territoire_url = reverse("communes:territoire", args=[mortagne.slug])
    assert response.redirect_chain[-1][0] == f"{reverse('second_factor_enroll')}?{urlencode({'next': territoire_url})}"
    assert "Vous accompagnez désormais CC du Pays de Mortagne en tant que facilitateur·rice." in (
        response.content.decode()
    )
    device = TOTPDevice.objects.get(user__email=NEWCOMER)
    client.post(reverse("second_factor_enroll"), {"code": totp_code(device), "next": territoire_url})
    agent = Agent.objects.get(email=NEWCOMER)
    assert response.context["user"] == agent and agent.full_name == "Marc Olivier" and agent.collectivite is None
    assert is_facilitator(agent, mortagne)
    assert not Membership.objects.filter(agent=agent).exists()
    invitation = Invitation.objects.get(email=NEWCOMER)
    assert invitation.status == "acceptee" and invitation.accepted_by == agent
    granted = JournalEntry.objects.get(action="communes.facilitator.granted")
    assert granted.actor == dgs_epci and granted.data["agent"] == NEWCOMER
    assert client.get(reverse("communes:territoire", args=[mortagne.slug])).status_code == 200
    assert client.get(url).status_code == 410  # the link works once


def test_someone_with_an_account_accepts_while_logged_in(
    mortagne, dgs_epci, outsider, client, client_for, django_capture_on_commit_callbacks
):
    """The Achards' DGS may accompany the Pays de Mortagne as a neutral third party."""
    with django_capture_on_commit_callbacks(execute=True):
        services.facilitator_invite(territoire=mortagne, email=outsider.email, by=dgs_epci)
    url = link_path(mail.outbox[0])
    # Not logged in: asked to log in first, and nothing happens.
    assert "connectez-vous avec ce compte pour accepter" in client.get(url).content.decode()
    client = client_for(outsider)
    assert "Accepter l'invitation" in client.get(url).content.decode()
    response = client.post(url, follow=True)
    assert response.redirect_chain[-1][0] == reverse("communes:territoire", args=[mortagne.slug])
    assert is_facilitator(outsider, mortagne)
    assert not Membership.objects.filter(agent=outsider, territoire=mortagne).exists()
    assert outsider.memberships.active().count() == 1  # still the Achards' DGS
    page = client.get(reverse("mes_territoires")).content.decode()
    assert "CC du Pays de Mortagne" in page and "CC du Pays des Achards" in page


def test_the_acceptance_page_still_describes_a_member_invitation(mortagne, dgs_epci, client):
    member = services.invitation_create(
        territoire=mortagne, collectivite=collectivite(mortagne, "Tiffauges"), email="sg@tiffauges.test", role="sg",
        by=dgs_epci,
    )  # fmt: skip
    facilitator = services.facilitator_invite(territoire=mortagne, email=NEWCOMER, by=dgs_epci)
    member_page = client.get(reverse("invitation_accept", args=[services.invitation_token(member)])).content.decode()
    assert "Claire Bernard vous invite à représenter Tiffauges" in member_page and "facilitateur" not in member_page
    page = client.get(reverse("invitation_accept", args=[services.invitation_token(facilitator)])).content.decode()
    assert "Accompagner CC du Pays de Mortagne" in page and "représenter" not in page


def test_the_members_page_shows_facilitators_to_administrators_only(
    mortagne, dgs_epci, dgs_commune, facilitateur, client_for
):
    url = reverse("communes:membres", args=[mortagne.slug])
    page = client_for(dgs_epci).get(url).content.decode()
    assert "Facilitateur·rices" in page and "Anne Lebrun" in page and facilitateur.email in page
    assert revoke_url(mortagne, facilitateur) in page and "Retirer l'accès" in page
    assert invite_url(mortagne) in page and "Inviter un·e facilitateur·rice" in page
    page = client_for(dgs_commune).get(url).content.decode()
    assert invite_url(mortagne) not in page and revoke_url(mortagne, facilitateur) not in page


@pytest.mark.parametrize("persona", ["dgs_commune", "facilitateur", "observateur"])
def test_only_administrators_invite_and_revoke_facilitators(persona, mortagne, dgs_epci, facilitateur, request, client):
    client.force_login(request.getfixturevalue(persona))
    assert client.post(invite_url(mortagne), {"facilitateur-email": NEWCOMER}).status_code == 403
    assert client.post(revoke_url(mortagne, facilitateur)).status_code == 403
    assert not Invitation.objects.exists() and is_facilitator(facilitateur, mortagne)


def test_an_agent_of_another_territory_gets_404(mortagne, achards, dgs_epci, facilitateur, outsider, client_for):
    client = client_for(outsider)
    assert client.post(invite_url(mortagne), {"facilitateur-email": NEWCOMER}).status_code == 404
    assert client.post(revoke_url(mortagne, facilitateur)).status_code == 404
    # An administrator of the Achards, under the Achards' slug, cannot reach Mortagne's facilitator either.
    assert client.post(revoke_url(achards, facilitateur)).status_code == 404
    assert not Invitation.objects.exists() and is_facilitator(facilitateur, mortagne)


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("anne.lebrun@cnfpt.test", "Cette personne accompagne déjà ce territoire en tant que facilitateur·rice."),
        ("ANNE.LEBRUN@cnfpt.test", "Cette personne accompagne déjà ce territoire en tant que facilitateur·rice."),
        ("sophie.guerin@mortagne-sur-sevre.test", "Cette personne est membre du territoire"),
        ("pas-une-adresse", "Saisissez une adresse e-mail valide."),
        ("", "Ce champ est obligatoire."),
    ],
)
def test_bad_input_is_refused_in_french_and_changes_nothing(
    email, message, mortagne, dgs_epci, dgs_commune, facilitateur, client_for, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(dgs_epci).post(invite_url(mortagne), {"facilitateur-email": email})
    assert response.status_code == 400
    page = response.content.decode().replace("&#x27;", "'")
    assert message in page and "rien n'a été enregistré" in page
    # The page answers at the form's address: its links still lead to the members page.
    assert f'href="{reverse("communes:membres", args=[mortagne.slug])}?anciens=1"' in page
    assert not Invitation.objects.exists() and not mail.outbox
    assert not JournalEntry.objects.filter(action="communes.facilitator.invited").exists()


def test_a_new_invitation_to_the_same_address_replaces_the_pending_one(mortagne, dgs_epci, client):
    first = services.facilitator_invite(territoire=mortagne, email=NEWCOMER, by=dgs_epci)
    second = services.facilitator_invite(territoire=mortagne, email=NEWCOMER.upper(), by=dgs_epci)
    first.refresh_from_db()
    assert first.status == "annulee" and second.is_usable
    assert JournalEntry.objects.filter(action="communes.facilitator.invited").first().data["replaces"] == [first.pk]
    assert client.get(reverse("invitation_accept", args=[services.invitation_token(first)])).status_code == 410


def test_a_pending_facilitator_invitation_is_cancelled_from_the_members_page(mortagne, dgs_epci, client_for):
    invitation = services.facilitator_invite(territoire=mortagne, email=NEWCOMER, by=dgs_epci)
    url = reverse("communes:invitation_revoke", args=[mortagne.slug, invitation.pk])
    response = client_for(dgs_epci).post(url, follow=True)
    assert f"Invitation de {NEWCOMER} annulée." in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.status == "annulee"


def test_revoking_removes_the_access_and_the_territory_is_404_for_them(
    mortagne, dgs_epci, facilitateur, client, client_for
):
    assert client_for(facilitateur).get(reverse("communes:territoire", args=[mortagne.slug])).status_code == 200
    response = client_for(dgs_epci).post(revoke_url(mortagne, facilitateur), follow=True)
    assert "Anne Lebrun n&#x27;accompagne plus le territoire" in response.content.decode()
    assert not is_facilitator(facilitateur, mortagne)
    entry = JournalEntry.objects.get(action="communes.facilitator.revoked")
    assert (entry.actor, entry.data["agent"]) == (dgs_epci, facilitateur.email)
    client.force_login(facilitateur)
    assert client.get(reverse("communes:territoire", args=[mortagne.slug])).status_code == 404


def test_revoking_someone_who_is_not_a_facilitator_is_a_404(mortagne, dgs_epci, dgs_commune, client_for):
    client = client_for(dgs_epci)
    assert client.post(revoke_url(mortagne, dgs_commune)).status_code == 404
    missing = reverse("communes:facilitateur_retirer", args=[mortagne.slug, 999999])
    assert client.post(missing).status_code == 404
    assert client.get(revoke_url(mortagne, dgs_commune)).status_code == 405
    assert not JournalEntry.objects.filter(action="communes.facilitator.revoked").exists()


def test_the_service_refuses_to_revoke_someone_who_is_not_a_facilitator(mortagne, dgs_commune):
    with pytest.raises(ValidationError, match="n'accompagne pas ce territoire"):
        services.facilitator_revoke(territoire=mortagne, agent=dgs_commune, by=None)


def test_someone_who_became_a_member_meanwhile_cannot_accept(mortagne, dgs_epci):
    invitation = services.facilitator_invite(territoire=mortagne, email="dgs@tiffauges.test", by=dgs_epci)
    agent = make_member(mortagne, "Tiffauges", "dgs@tiffauges.test", Membership.Role.DGS)
    with pytest.raises(ValidationError, match="Vous êtes membre de ce territoire"):
        services.invitation_accept(invitation=invitation, agent=agent)
    assert not is_facilitator(agent, mortagne)


def test_the_inviter_must_still_be_a_member_when_the_invitation_is_accepted(mortagne, dgs_epci, dgs_commune):
    services.territoire_admin_grant(territoire=mortagne, agent=dgs_commune, by=dgs_epci)
    invitation = services.facilitator_invite(territoire=mortagne, email=NEWCOMER, by=dgs_commune)
    Membership.objects.filter(agent=dgs_commune).update(ended_at=timezone.now())
    with pytest.raises(ValidationError, match="n'est plus membre du territoire"):
        services.invitation_accept(invitation=invitation, first_name="M", last_name="O", password=PASSWORD)
    assert not Agent.objects.filter(email=NEWCOMER).exists()


def test_the_database_keeps_the_fields_of_each_kind_of_invitation(mortagne, dgs_epci):
    invitation = services.facilitator_invite(territoire=mortagne, email=NEWCOMER, by=dgs_epci)
    tiffauges = collectivite(mortagne, "Tiffauges")
    with pytest.raises(IntegrityError), transaction.atomic():
        Invitation.objects.filter(pk=invitation.pk).update(collectivite=tiffauges)
    with pytest.raises(IntegrityError), transaction.atomic():
        Invitation.objects.filter(pk=invitation.pk).update(kind=Invitation.Kind.MEMBRE)
    with pytest.raises(IntegrityError), transaction.atomic():
        Invitation.objects.filter(pk=invitation.pk).update(kind=Invitation.Kind.MEMBRE, collectivite=tiffauges)


# API


def api_url(name, territoire, *args):
    return reverse(f"api:facilitateur-{name}", args=[territoire.slug, *args])


@pytest.mark.parametrize("persona", ["dgs_epci", "dgs_commune", "observateur"])
def test_members_list_the_facilitators_through_the_api(persona, mortagne, facilitateur, request, api_for):
    response = api_for(request.getfixturevalue(persona)).get(api_url("list", mortagne))
    assert response.status_code == 200
    assert response.json()["results"] == [
        {"id": facilitateur.pk, "full_name": "Anne Lebrun", "email": "anne.lebrun@cnfpt.test"}
    ]


def test_facilitators_and_outsiders_do_not_list_the_facilitators(mortagne, facilitateur, outsider, api_for):
    assert api_for(facilitateur).get(api_url("list", mortagne)).status_code == 403
    assert api_for(outsider).get(api_url("list", mortagne)).status_code == 404


def test_the_epci_dgs_invites_and_revokes_a_facilitator_through_the_api(
    mortagne, dgs_epci, facilitateur, api_for, django_capture_on_commit_callbacks
):
    api = api_for(dgs_epci)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(api_url("inviter", mortagne), {"email": NEWCOMER}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["kind"], body["email"], body["collectivite"], body["role"]) == ("facilitateur", NEWCOMER, None, "")
    assert body["status"] == "en_attente" and mail.outbox[0].to == [NEWCOMER]
    # The invitation is listed with the others, and cancelled like them.
    listed = api.get(reverse("api:invitation-list", args=[mortagne.slug])).json()["results"]
    assert [(i["email"], i["kind"]) for i in listed] == [(NEWCOMER, "facilitateur")]
    response = api.post(reverse("api:invitation-annuler", args=[mortagne.slug, body["id"]]))
    assert response.json()["status"] == "annulee"
    response = api.post(api_url("retirer", mortagne, facilitateur.pk))
    assert response.status_code == 204
    assert not is_facilitator(facilitateur, mortagne)
    assert api.get(api_url("list", mortagne)).json()["results"] == []
    assert api.post(api_url("retirer", mortagne, facilitateur.pk)).status_code == 404


def test_bad_api_input_gets_a_french_400_and_changes_nothing(mortagne, dgs_epci, dgs_commune, facilitateur, api_for):
    api = api_for(dgs_epci)
    response = api.post(api_url("inviter", mortagne), {"email": facilitateur.email}, format="json")
    assert response.status_code == 400
    assert response.json() == {"email": ["Cette personne accompagne déjà ce territoire en tant que facilitateur·rice."]}
    response = api.post(api_url("inviter", mortagne), {"email": dgs_commune.email}, format="json")
    assert response.status_code == 400 and "est membre du territoire" in response.json()["email"][0]
    response = api.post(api_url("inviter", mortagne), {"email": "nope"}, format="json")
    assert response.status_code == 400 and response.json() == {"email": ["Saisissez une adresse e-mail valide."]}
    assert api.post(api_url("retirer", mortagne, dgs_commune.pk)).status_code == 404
    assert not Invitation.objects.exists() and is_facilitator(facilitateur, mortagne)


def test_the_invitations_endpoint_still_requires_a_collectivite_for_a_member(mortagne, dgs_epci, api_for):
    url = reverse("api:invitation-list", args=[mortagne.slug])
    response = api_for(dgs_epci).post(
        url, {"email": "x@tiffauges.test", "collectivite": None, "role": "sg"}, format="json"
    )
    assert response.status_code == 400 and "collectivite" in response.json()
    assert not Invitation.objects.exists()


@pytest.mark.parametrize("persona", ["dgs_commune", "facilitateur"])
def test_non_administrators_cannot_invite_or_revoke_through_the_api(persona, mortagne, facilitateur, request, api_for):
    api = api_for(request.getfixturevalue(persona))
    assert api.post(api_url("inviter", mortagne), {"email": NEWCOMER}, format="json").status_code == 403
    assert api.post(api_url("retirer", mortagne, facilitateur.pk)).status_code == 403
    assert not Invitation.objects.exists() and is_facilitator(facilitateur, mortagne)


def test_an_outsider_gets_404_from_the_api_even_for_a_real_facilitator(
    mortagne, achards, facilitateur, outsider, api_for
):
    api = api_for(outsider)
    assert api.post(api_url("inviter", mortagne), {"email": NEWCOMER}, format="json").status_code == 404
    assert api.post(api_url("retirer", mortagne, facilitateur.pk)).status_code == 404
    assert api.post(api_url("retirer", achards, facilitateur.pk)).status_code == 404
    assert is_facilitator(facilitateur, mortagne)


def test_the_openapi_schema_documents_the_facilitator_endpoints():
    from drf_spectacular.generators import SchemaGenerator

    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    assert "get" in paths["/api/v1/t/{territoire_slug}/facilitateurs/"]
    assert "post" in paths["/api/v1/t/{territoire_slug}/facilitateurs/inviter/"]
    assert "post" in paths["/api/v1/t/{territoire_slug}/facilitateurs/{id}/retirer/"]
