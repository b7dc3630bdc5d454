"""ProConnect login, driven through the test client against a local OpenID provider (tests/comptes/oidc_provider.py):
who gets in, with which SIRET, what is refused and written to the journal, and the logout round trip."""

import json
import logging
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from communes import services
from communes.models import Agent, Collectivite, Invitation, JournalEntry, Membership
from comptes.auth_method import PROCONNECT
from comptes.auth_method import SESSION_KEY as AUTH_METHOD_KEY
from comptes.proconnect.session import ID_TOKEN_KEY, IDENTITY_KEY
from comptes.second_factor import services as sf_services
from tests.comptes import oidc_provider
from tests.comptes.oidc_provider import OTHER_KEY, FakeProConnect, identity
from tests.conftest import PASSWORD, collectivite, totp_code
from tests.test_settings import load_settings

LOGIN = reverse("login")
PROCONNECT_LOGIN = reverse("proconnect_login")
CALLBACK = reverse("proconnect_callback")
LOGOUT = reverse("logout")
LOGOUT_CALLBACK = reverse("proconnect_logout_callback")
HOME = reverse("mes_territoires")
SECURITY = reverse("account_security")
VERIFY = reverse("second_factor_verify")
ENROLL = reverse("second_factor_enroll")
BACKEND = "comptes.proconnect.ProConnectBackend"
# What ProConnect's identity provider declares after a password and an authenticator app.
WITH_TOTP = ["pwd", "totp", "mfa"]


@pytest.fixture
def provider(settings, monkeypatch) -> FakeProConnect:
    """ProConnect switched on and answered by the local provider."""
    fake = FakeProConnect()
    settings.PROCONNECT_ENABLED = True
    settings.PROCONNECT_CLIENT_ID = oidc_provider.CLIENT_ID
    settings.PROCONNECT_CLIENT_SECRET = oidc_provider.CLIENT_SECRET
    settings.PROCONNECT_DISCOVERY_URL = oidc_provider.DISCOVERY_URL
    monkeypatch.setattr(requests, "get", fake.get)
    monkeypatch.setattr(requests, "post", fake.post)
    return fake


def siret_of(territoire, name: str, establishment: str = "00012") -> str:
    return collectivite(territoire, name).siren + establishment


def start(client: Client, next_url: str = "") -> dict:
    """Click the button: our login view sends the browser to the provider; return the authorize query."""
    response = client.get(PROCONNECT_LOGIN, {"next": next_url} if next_url else {})
    assert response.status_code == 302
    return {"url": response["Location"], **{k: v[0] for k, v in parse_qs(urlsplit(response["Location"]).query).items()}}


def proconnect_login(client: Client, provider: FakeProConnect, userinfo: dict, next_url: str = "", **id_token_claims):
    """The whole round trip: our login view, the provider's authorize page, our callback."""
    request = start(client, next_url)
    code = provider.authorize(request["url"], userinfo, **id_token_claims)
    return client.get(CALLBACK, {"code": code, "state": request["state"]})


def logged_in_as(client: Client) -> Agent | None:
    user_id = client.session.get(SESSION_KEY)
    return Agent.objects.get(pk=user_id) if user_id else None


def refusals() -> list[JournalEntry]:
    return list(JournalEntry.objects.filter(action="comptes.proconnect.refused").order_by("id"))


# --- the button and the switch ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_when_off_the_pages_answer_404_and_the_login_page_has_no_button(client, settings):
    assert not settings.PROCONNECT_ENABLED
    for url in (PROCONNECT_LOGIN, CALLBACK + "?code=x&state=y", LOGOUT_CALLBACK + "?state=z"):
        assert client.get(url).status_code == 404
    page = client.get(LOGIN).content.decode()
    assert "ProConnect" not in page


def test_a_client_id_without_its_secret_or_discovery_document_stops_the_start():
    result = load_settings(SECRET_KEY="une-cle-de-production-assez-longue", PROCONNECT_CLIENT_ID="abc")
    assert result.returncode != 0
    assert "PROCONNECT_CLIENT_SECRET et PROCONNECT_DISCOVERY_URL sont obligatoires" in result.stderr

    result = load_settings(
        SECRET_KEY="une-cle-de-production-assez-longue",
        PROCONNECT_CLIENT_ID="abc",
        PROCONNECT_CLIENT_SECRET="s",
        PROCONNECT_DISCOVERY_URL="http://proconnect.test/.well-known/openid-configuration",
    )
    assert "PROCONNECT_DISCOVERY_URL doit commencer par https://" in result.stderr


@pytest.mark.django_db
def test_the_login_page_offers_proconnect_and_keeps_the_next_page(client, provider):
    page = client.get(LOGIN, {"next": "/territoires/?onglet=1"}).content.decode()
    assert "S'identifier avec ProConnect" in page
    assert 'href="https://www.proconnect.gouv.fr/"' in page
    assert f'href="{PROCONNECT_LOGIN}?next=/territoires/%3Fonglet%3D1"' in page


@pytest.mark.django_db
def test_the_button_sends_to_the_provider_with_state_nonce_and_scopes_from_the_discovery_document(client, provider):
    request = start(client)
    assert request["url"].startswith("https://proconnect.test/api/v2/authorize?")
    assert request["scope"] == "openid email given_name usual_name siret uid idp_id"
    assert request["redirect_uri"] == "http://testserver/comptes/proconnect/retour/"
    assert request["client_id"] == oidc_provider.CLIENT_ID
    assert len(request["state"]) >= 32 and len(request["nonce"]) >= 32
    # ProConnect answers an error to any parameter it does not list: no acr_values, no PKCE.
    assert "acr_values" not in request and "code_challenge" not in request
    # The id_token must say how the identity provider authenticated the person: our second factor depends on it.
    assert json.loads(request["claims"]) == {"id_token": {"amr": {"essential": True}}}
    assert request["state"] in client.session["oidc_states"]
    assert "prompt" not in request


@pytest.mark.django_db
def test_starting_again_after_a_refusal_asks_the_identity_provider_again(client, provider):
    response = client.get(PROCONNECT_LOGIN, {"reconnexion": "1"})
    assert parse_qs(urlsplit(response["Location"]).query)["prompt"] == ["login"]


@pytest.mark.django_db
def test_the_discovery_document_is_fetched_once_and_kept(client, provider, dgs_commune, mortagne):
    userinfo = identity(dgs_commune.email, siret_of(mortagne, "Mortagne-sur-Sèvre"))
    proconnect_login(Client(), provider, userinfo)
    proconnect_login(Client(), provider, userinfo)
    assert provider.discovery_fetches() == 1


@pytest.mark.django_db
def test_an_unreachable_provider_gives_a_french_page_not_an_error(client, provider):
    provider.down = True
    response = client.get(PROCONNECT_LOGIN)
    assert response.status_code == 503
    assert "ProConnect ne répond pas" in response.content.decode()


# --- who gets in -------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_active_agent_logs_in_whatever_the_case_of_the_address(client, provider, dgs_commune, mortagne):
    siret = siret_of(mortagne, "Mortagne-sur-Sèvre")
    response = proconnect_login(client, provider, identity(dgs_commune.email.upper(), siret), next_url="/calendrier/")

    assert response.status_code == 302
    assert response["Location"] == "/calendrier/"
    assert logged_in_as(client) == dgs_commune
    session = client.session
    assert session["_auth_user_backend"] == BACKEND
    assert session[AUTH_METHOD_KEY] == PROCONNECT
    assert session[IDENTITY_KEY] == {
        "siret": siret,
        "idp_id": "fia1v2",
        "uid": "4242",
        "structure": "Mortagne-sur-Sèvre",
        "amr": ["pwd"],  # how the identity provider authenticated her: one factor
    }
    assert session[ID_TOKEN_KEY].count(".") == 2
    assert refusals() == []
    assert not AccessAttempt.objects.exists()
    # The login journal (comptes/journal.py) writes the success line, saying how the session was opened.
    assert JournalEntry.objects.filter(
        action="comptes.login.succeeded", actor=dgs_commune, data__method=PROCONNECT
    ).exists()


@pytest.mark.django_db
def test_the_security_section_shows_the_siret_of_a_proconnect_session_only(client, provider, dgs_commune, mortagne):
    proconnect_login(client, provider, identity(dgs_commune.email, siret_of(mortagne, "Mortagne-sur-Sèvre")))
    page = client.get(reverse("mes_territoires")).content.decode()
    siren = collectivite(mortagne, "Mortagne-sur-Sèvre").siren
    spaced = f"{siren[:3]} {siren[3:6]} {siren[6:]} 00012"
    assert f"Connecté·e avec ProConnect — SIRET {spaced} (Mortagne-sur-Sèvre)" in page

    password_client = Client()
    password_client.post(LOGIN, {"username": dgs_commune.email, "password": PASSWORD})
    password_page = password_client.get(reverse("mes_territoires"))
    assert password_page.status_code == 200
    assert "Sécurité de mon compte" in password_page.content.decode()
    assert "Connecté·e avec ProConnect" not in password_page.content.decode()


@pytest.mark.django_db
def test_a_pending_invitation_creates_the_account_and_the_membership(client, provider, mortagne, dgs_epci):
    tiffauges = collectivite(mortagne, "Tiffauges")
    invitation = services.invitation_create(
        territoire=mortagne,
        collectivite=tiffauges,
        email="paul.durand@tiffauges.test",
        role=Membership.Role.DGS,
        seat_kind="titulaire",
        by=dgs_epci,
    )
    userinfo = identity("Paul.Durand@Tiffauges.test", tiffauges.siren + "00017", given_name="Paul", usual_name="Durand")
    response = proconnect_login(client, provider, userinfo)

    assert response.status_code == 302
    agent = Agent.objects.get(email="paul.durand@tiffauges.test")
    assert logged_in_as(client) == agent
    assert (agent.first_name, agent.last_name, agent.collectivite) == ("Paul", "Durand", tiffauges)
    assert not agent.has_usable_password()
    membership = Membership.objects.active().get(agent=agent)
    assert (membership.territoire, membership.collectivite, membership.role) == (mortagne, tiffauges, "dgs")
    invitation.refresh_from_db()
    assert invitation.accepted_by == agent
    assert refusals() == []


@pytest.mark.django_db
def test_a_facilitator_invitation_creates_the_account_with_any_siret(client, provider, mortagne, dgs_epci):
    services.facilitator_invite(territoire=mortagne, email="julie.roy@cnfpt.test", by=dgs_epci)
    response = proconnect_login(client, provider, identity("julie.roy@cnfpt.test", "18003501500016"))

    assert response.status_code == 302
    agent = Agent.objects.get(email="julie.roy@cnfpt.test")
    assert logged_in_as(client) == agent
    assert agent.collectivite is None
    assert agent.has_perm("communes.facilitate_territoire", mortagne)
    assert not Membership.objects.filter(agent=agent).exists()


@pytest.mark.django_db
def test_an_invitation_that_can_no_longer_be_accepted_is_refused_and_leaves_no_account(
    client, provider, mortagne, dgs_epci
):
    tiffauges = collectivite(mortagne, "Tiffauges")
    services.invitation_create(
        territoire=mortagne, collectivite=tiffauges, email="paul@tiffauges.test", role="dgs", by=dgs_epci
    )
    # The commune left the EPCI since (an import of the official list marks it so).
    Collectivite.objects.filter(pk=tiffauges.pk).update(left_at=timezone.localdate())

    response = proconnect_login(client, provider, identity("paul@tiffauges.test", tiffauges.siren + "00017"))

    assert response.status_code == 403
    assert "Tiffauges a quitté le territoire." in response.content.decode()
    assert logged_in_as(client) is None
    assert not Agent.objects.filter(email="paul@tiffauges.test").exists()
    [line] = refusals()
    assert line.data["reason"] == "invitation_invalid"
    assert line.territoire == mortagne


@pytest.mark.django_db
def test_an_unknown_address_is_refused_with_a_journal_line_and_no_account(client, provider, mortagne):
    response = proconnect_login(client, provider, identity("inconnu@ailleurs.test", "21850152100018"))

    assert response.status_code == 403
    page = response.content.decode()
    assert "Aucun compte ni invitation ne correspond à l&#x27;adresse inconnu@ailleurs.test" in page
    assert "demandez au DGS de votre EPCI de vous inviter" in page
    assert f'href="{LOGIN}"' in page
    assert f'href="{PROCONNECT_LOGIN}?reconnexion=1"' in page  # to choose another identity at ProConnect
    assert logged_in_as(client) is None
    assert not Agent.objects.filter(email__iexact="inconnu@ailleurs.test").exists()
    [line] = refusals()
    assert line.data == {"reason": "unknown_email", "email": "inconnu@ailleurs.test", "siret": "21850152100018"}
    assert line.actor is None and line.territoire is None
    # A refusal is not a wrong password: nothing counts towards a lockout, no failed-login line.
    assert not AccessAttempt.objects.exists()
    assert not JournalEntry.objects.filter(action="comptes.login.failed").exists()


@pytest.mark.django_db
def test_a_deactivated_agent_is_refused(client, provider, dgs_commune, mortagne):
    Agent.objects.filter(pk=dgs_commune.pk).update(is_active=False)
    response = proconnect_login(client, provider, identity(dgs_commune.email, siret_of(mortagne, "Mortagne-sur-Sèvre")))

    assert response.status_code == 403
    assert "est désactivé" in response.content.decode()
    assert logged_in_as(client) is None
    [line] = refusals()
    assert (line.data["reason"], line.actor, line.territoire) == ("inactive", dgs_commune, mortagne)


@pytest.mark.django_db
def test_a_proconnect_session_ends_when_the_agent_is_deactivated(client, provider, dgs_commune, mortagne):
    proconnect_login(client, provider, identity(dgs_commune.email, siret_of(mortagne, "Mortagne-sur-Sèvre")))
    assert client.get(reverse("mes_territoires")).status_code == 200
    Agent.objects.filter(pk=dgs_commune.pk).update(is_active=False)
    assert client.get(reverse("mes_territoires")).status_code == 302


# --- the SIRET ---------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_siret_of_another_structure_is_refused_and_journaled(client, provider, dgs_commune, mortagne, achards):
    elsewhere = siret_of(achards, "CC du Pays des Achards", "00020")
    response = proconnect_login(client, provider, identity(dgs_commune.email, elsewhere))

    assert response.status_code == 403
    page = response.content.decode()
    assert f"SIRET {elsewhere[:3]} {elsewhere[3:6]} {elsewhere[6:9]} 00020" in page
    assert f"Mortagne-sur-Sèvre (SIREN {collectivite(mortagne, 'Mortagne-sur-Sèvre').siren})" in page
    assert "CC du Pays de Mortagne" in page  # the EPCI would do as well
    assert logged_in_as(client) is None
    [line] = refusals()
    assert line.data == {"reason": "siret_mismatch", "email": dgs_commune.email, "siret": elsewhere}
    assert (line.actor, line.territoire) == (dgs_commune, mortagne)


@pytest.mark.django_db
def test_the_epci_siret_is_accepted_for_a_commune_dgs(client, provider, dgs_commune, mortagne):
    response = proconnect_login(
        client, provider, identity(dgs_commune.email, siret_of(mortagne, "CC du Pays de Mortagne"))
    )

    assert response.status_code == 302
    assert logged_in_as(client) == dgs_commune
    assert client.session[IDENTITY_KEY]["structure"] == "CC du Pays de Mortagne"


@pytest.mark.django_db
def test_the_siret_of_an_invited_commune_is_checked(client, provider, mortagne, dgs_epci):
    tiffauges = collectivite(mortagne, "Tiffauges")
    services.invitation_create(
        territoire=mortagne, collectivite=tiffauges, email="paul@tiffauges.test", role="dgs", by=dgs_epci
    )
    other = siret_of(mortagne, "Mallièvre")
    response = proconnect_login(client, provider, identity("paul@tiffauges.test", other))

    assert response.status_code == 403
    assert not Agent.objects.filter(email="paul@tiffauges.test").exists()
    assert Invitation.objects.pending().filter(email="paul@tiffauges.test").exists()
    [line] = refusals()
    assert (line.data["reason"], line.data["siret"], line.territoire) == ("siret_mismatch", other, mortagne)


def invited_to_tiffauges_and_to_an_achards_commune_no_longer_acceptable(mortagne, achards, dgs_epci, outsider):
    """Paul is invited by Mortagne for Tiffauges, and by the Achards for one of its communes; the sender of the
    Achards invitation has left that territory since, so that invitation can no longer be accepted."""
    tiffauges = collectivite(mortagne, "Tiffauges")
    services.invitation_create(
        territoire=mortagne, collectivite=tiffauges, email="paul@tiffauges.test", role="dgs", by=dgs_epci
    )
    achards_commune = Collectivite.objects.filter(territoire=achards, kind=Collectivite.Kind.COMMUNE).first()
    services.invitation_create(
        territoire=achards, collectivite=achards_commune, email="paul@tiffauges.test", role="dgs", by=outsider
    )
    Membership.objects.filter(agent=outsider).update(ended_at=timezone.now())
    return tiffauges, achards_commune


@pytest.mark.django_db
def test_the_siret_of_an_invitation_that_could_not_be_accepted_is_refused_and_leaves_no_account(
    client, provider, mortagne, achards, dgs_epci, outsider
):
    tiffauges, achards_commune = invited_to_tiffauges_and_to_an_achards_commune_no_longer_acceptable(
        mortagne, achards, dgs_epci, outsider
    )
    response = proconnect_login(client, provider, identity("paul@tiffauges.test", achards_commune.siren + "00017"))

    assert response.status_code == 403
    assert logged_in_as(client) is None
    assert not Agent.objects.filter(email="paul@tiffauges.test").exists()
    # Everything was rolled back: the Tiffauges invitation still waits for Paul.
    assert Invitation.objects.pending().filter(collectivite=tiffauges, email="paul@tiffauges.test").exists()
    assert not JournalEntry.objects.filter(action="communes.invitation.accepted").exists()
    [line] = refusals()
    assert (line.data["reason"], line.territoire) == ("siret_mismatch", mortagne)


@pytest.mark.django_db
def test_the_employer_of_an_invited_person_is_a_collectivite_they_joined(
    client, provider, mortagne, achards, dgs_epci, outsider
):
    tiffauges, _achards_commune = invited_to_tiffauges_and_to_an_achards_commune_no_longer_acceptable(
        mortagne, achards, dgs_epci, outsider
    )
    response = proconnect_login(client, provider, identity("paul@tiffauges.test", tiffauges.siren + "00017"))

    assert response.status_code == 302
    agent = Agent.objects.get(email="paul@tiffauges.test")
    assert agent.collectivite == tiffauges
    assert [m.collectivite for m in Membership.objects.filter(agent=agent)] == [tiffauges]
    assert client.session[IDENTITY_KEY]["structure"] == "Tiffauges"


@pytest.mark.django_db
def test_with_no_collectivite_known_any_siret_is_accepted_and_recorded(client, provider, facilitateur):
    cnfpt = "18003501500016"
    provider.amr = WITH_TOTP  # a facilitator must have a second factor: this one passed it at ProConnect
    response = proconnect_login(client, provider, identity(facilitateur.email, cnfpt))

    assert response.status_code == 302
    assert logged_in_as(client) == facilitateur
    assert client.session[IDENTITY_KEY] == {
        "siret": cnfpt,
        "idp_id": "fia1v2",
        "uid": "4242",
        "structure": "",
        "amr": WITH_TOTP,
    }
    page = client.get(reverse("mes_territoires")).content.decode()
    assert "Connecté·e avec ProConnect — SIRET 180 035 015 00016" in page


# --- the second factor: spared only when the identity provider declared one ---------------------------------------


def staff_with_an_authenticator_app() -> Agent:
    admin = services.agent_create(email="admin@codir.test", first_name="Alex", last_name="Dupré", password=PASSWORD)
    Agent.objects.filter(pk=admin.pk).update(is_staff=True, is_superuser=True)
    device = sf_services.totp_enrollment_start(agent=admin)
    assert sf_services.totp_enrollment_confirm(agent=admin, device_id=device.pk, code=totp_code(device)).ok
    return admin


@pytest.mark.parametrize("amr", [["mail"], ["pwd"], None], ids=["magic link", "password", "nothing declared"])
@pytest.mark.django_db
def test_a_single_factor_proconnect_login_of_an_agent_with_an_authenticator_app_asks_for_its_code(
    client, provider, amr
):
    admin = staff_with_an_authenticator_app()
    provider.amr = amr
    response = proconnect_login(client, provider, identity(admin.email, "11111111100011"))
    assert response.status_code == 302
    assert logged_in_as(client) == admin

    page = client.get("/admin/")
    assert page.status_code == 302 and page["Location"].startswith(VERIFY)
    assert client.get(reverse("api:territoire-list")).status_code == 403
    security = client.get(SECURITY)
    assert security.status_code == 302 and security["Location"].startswith(VERIFY)

    device = sf_services.confirmed_totp_device(admin)
    assert client.post(VERIFY, {"code": totp_code(device), "next": "/admin/"})["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_a_single_factor_proconnect_login_of_an_agent_who_must_have_a_factor_sends_them_to_enrol(
    client, provider, dgs_epci, mortagne
):
    proconnect_login(client, provider, identity(dgs_epci.email, siret_of(mortagne, "CC du Pays de Mortagne")))

    response = client.get(HOME)
    assert response.status_code == 302 and response["Location"].startswith(ENROLL)


@pytest.mark.parametrize("amr", [WITH_TOTP, ["pop"], ["mfa"]], ids=["authenticator app", "passkey or card", "mfa"])
@pytest.mark.django_db
def test_a_second_factor_passed_at_the_identity_provider_spares_ours(client, provider, dgs_epci, mortagne, amr):
    provider.amr = amr
    proconnect_login(client, provider, identity(dgs_epci.email, siret_of(mortagne, "CC du Pays de Mortagne")))

    assert client.session[IDENTITY_KEY]["amr"] == amr
    assert client.get(HOME).status_code == 200
    security = client.get(SECURITY).content.decode()
    assert "votre fournisseur d'identité a vérifié un second facteur" in security


@pytest.mark.django_db
def test_an_agent_with_an_authenticator_app_is_not_asked_for_its_code_after_a_proconnect_second_factor(
    client, provider
):
    admin = staff_with_an_authenticator_app()
    provider.amr = WITH_TOTP
    proconnect_login(client, provider, identity(admin.email, "11111111100011"))

    assert client.get("/admin/").status_code == 200
    assert client.get(VERIFY, {"next": "/admin/"})["Location"] == "/admin/"


# --- what the provider may get wrong, and what an attacker may try --------------------------------------------------


@pytest.mark.django_db
def test_a_state_that_is_not_ours_is_refused(client, provider, dgs_commune, mortagne):
    request = start(client)
    code = provider.authorize(request["url"], identity(dgs_commune.email, siret_of(mortagne, "Mortagne-sur-Sèvre")))
    response = client.get(CALLBACK, {"code": code, "state": "x" * 48})

    assert response.status_code == 400
    assert "a expiré, a déjà servi" in response.content.decode()
    assert logged_in_as(client) is None
    assert ("POST", provider.endpoints["token_endpoint"]) not in provider.requests


@pytest.mark.django_db
def test_a_state_works_once(client, provider, dgs_commune, mortagne):
    request = start(client)
    userinfo = identity(dgs_commune.email, siret_of(mortagne, "Mortagne-sur-Sèvre"))
    code = provider.authorize(request["url"], userinfo)
    client.get(CALLBACK, {"code": code, "state": request["state"]})
    client.post(LOGOUT)

    replayed = client.get(CALLBACK, {"code": code, "state": request["state"]})
    assert replayed.status_code == 400
    assert logged_in_as(client) is None


@pytest.mark.parametrize(
    "id_token_claims",
    [
        pytest.param({"nonce": "n" * 48}, id="another nonce"),
        pytest.param({"exp": int(time.time()) - 3600, "iat": int(time.time()) - 3700}, id="expired"),
        pytest.param({"sign_with": OTHER_KEY}, id="signed by another key"),
        pytest.param({"aud": "another-client"}, id="for another client"),
        pytest.param({"aud": [oidc_provider.CLIENT_ID, "another-client"]}, id="also for another client"),
        pytest.param({"azp": "another-client"}, id="authorized for another client"),
        pytest.param({"iss": "https://evil.test"}, id="from another issuer"),
    ],
)
@pytest.mark.django_db
def test_an_id_token_that_does_not_verify_is_refused(client, provider, dgs_commune, mortagne, id_token_claims):
    userinfo = identity(dgs_commune.email, siret_of(mortagne, "Mortagne-sur-Sèvre"))
    response = proconnect_login(client, provider, userinfo, **id_token_claims)

    assert response.status_code == 502
    assert "n&#x27;a pas pu être vérifiée" in response.content.decode()
    assert logged_in_as(client) is None
    assert not AccessAttempt.objects.exists()


@pytest.mark.django_db
def test_an_audience_list_of_our_client_alone_is_accepted(client, provider, dgs_commune, mortagne):
    userinfo = identity(dgs_commune.email, siret_of(mortagne, "Mortagne-sur-Sèvre"))
    response = proconnect_login(client, provider, userinfo, aud=[oidc_provider.CLIENT_ID], azp=oidc_provider.CLIENT_ID)

    assert response.status_code == 302
    assert logged_in_as(client) == dgs_commune


@pytest.mark.parametrize(
    "email",
    ["ſophie.guerin@mortagne-sur-sevre.test", "sophıe.guerin@mortagne-sur-sevre.test", "SOPHİE.GUERIN@MORTAGNE.TEST"],
    ids=["long s", "dotless i", "dotted capital I"],
)
@pytest.mark.django_db
def test_a_lookalike_address_opens_nobody_s_session(client, provider, dgs_commune, mortagne, email):
    # PostgreSQL's case-insensitive comparison (UPPER) makes « ſ » an « S » and « ı » an « I ».
    response = proconnect_login(client, provider, identity(email, siret_of(mortagne, "Mortagne-sur-Sèvre")))

    assert response.status_code == 403
    assert "seules les adresses sans accent ni caractère spécial sont reconnues" in response.content.decode()
    assert logged_in_as(client) is None
    [line] = refusals()
    assert line.data == {"reason": "email_invalid", "email": email, "siret": siret_of(mortagne, "Mortagne-sur-Sèvre")}


@pytest.mark.django_db
def test_a_lookalike_address_accepts_nobody_s_invitation(client, provider, mortagne, dgs_epci):
    tiffauges = collectivite(mortagne, "Tiffauges")
    services.invitation_create(
        territoire=mortagne, collectivite=tiffauges, email="paul.durand@tiffauges.test", role="dgs", by=dgs_epci
    )
    response = proconnect_login(client, provider, identity("paul.durand@tıffauges.test", tiffauges.siren + "00017"))

    assert response.status_code == 403
    assert not Agent.objects.filter(email__contains="paul").exists()
    assert Invitation.objects.pending().filter(email="paul.durand@tiffauges.test").exists()
    [line] = refusals()
    assert line.data["reason"] == "email_invalid"


@pytest.mark.django_db
def test_an_address_that_is_not_one_is_refused_and_journaled_without_control_characters(client, provider, mortagne):
    response = proconnect_login(client, provider, identity("sophie@mortagne.test\x00", "21850152100018"))

    assert response.status_code == 403
    [line] = refusals()
    assert line.data["reason"] == "email_invalid" and line.data["email"] == "sophie@mortagne.test?"


@pytest.mark.django_db
def test_the_address_is_compared_with_the_stored_one_lower_cased(client, provider, dgs_commune, mortagne):
    # Stored as typed by an older import; compared exactly once both are lower-cased.
    Agent.objects.filter(pk=dgs_commune.pk).update(email="Sophie.Guerin@Mortagne-sur-Sevre.test")
    siret = siret_of(mortagne, "Mortagne-sur-Sèvre")
    assert (
        proconnect_login(client, provider, identity("sophie.guerin@mortagne-sur-sevre.test", siret)).status_code == 302
    )
    assert logged_in_as(client) == dgs_commune
    # No pattern: « _ » and « % » are characters like any other.
    assert (
        proconnect_login(Client(), provider, identity("sophie_guerin@mortagne-sur-sevre.test", siret)).status_code
        == 403
    )


@pytest.mark.django_db
def test_an_unsigned_userinfo_or_one_about_someone_else_is_refused(client, provider, dgs_commune, mortagne):
    userinfo = identity(dgs_commune.email, siret_of(mortagne, "Mortagne-sur-Sèvre"))
    provider.userinfo_as_json = True
    assert proconnect_login(client, provider, userinfo).status_code == 502

    provider.userinfo_as_json = False
    assert proconnect_login(client, provider, {**userinfo, "sub": "someone-else"}).status_code == 502
    assert logged_in_as(client) is None


@pytest.mark.django_db
def test_an_error_from_the_provider_gives_a_french_page(client, provider):
    request = start(client)
    response = client.get(CALLBACK, {"error": "access_denied", "state": request["state"]})

    assert response.status_code == 400
    page = response.content.decode()
    assert "ProConnect n&#x27;a pas pu vous identifier" in page
    assert "Vous avez annulé la connexion avec ProConnect" in page
    assert "Code renvoyé par ProConnect : access_denied" in page
    assert request["state"] not in client.session.get("oidc_states", {})


@pytest.mark.django_db
def test_an_error_from_the_provider_shows_fixed_words_never_its_text(client, provider, caplog):
    request = start(client)
    forged = "Votre compte est bloqué, appelez le 08 99 99 99 99\nFAUSSE LIGNE"
    with caplog.at_level(logging.INFO, logger="comptes.proconnect"):
        response = client.get(
            CALLBACK, {"error": forged, "error_description": "<b>Appelez-nous</b>", "state": request["state"]}
        )

    assert response.status_code == 400
    page = response.content.decode()
    message = page.split('<div class="notice notice--error">', 1)[1].split("</div>", 1)[0]
    assert message == (
        "<p>La connexion a été interrompue ou refusée du côté de ProConnect. Vous pouvez recommencer, ou vous "
        "connecter avec votre adresse électronique et votre mot de passe si vous en avez un.</p>"
    )
    assert "Code renvoyé" not in page
    [record] = [r for r in caplog.records if "answered" in r.getMessage()]
    assert "\n" not in record.getMessage() and "FAUSSE?LIGNE" in record.getMessage()


@pytest.mark.parametrize("with_our_state", [True, False])
@pytest.mark.django_db
def test_an_error_callback_never_logs_out_the_current_session(client, provider, dgs_commune, with_our_state):
    client.post(LOGIN, {"username": dgs_commune.email, "password": PASSWORD})
    state = start(client)["state"] if with_our_state else "x" * 48

    response = client.get(CALLBACK, {"error": "access_denied", "state": state})

    assert response.status_code == 400
    assert logged_in_as(client) == dgs_commune
    if not with_our_state:  # anyone's link: nothing of theirs is said, the login has simply not started here
        assert "a expiré, a déjà servi" in response.content.decode()


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"code": ""}, id="empty code"),
        pytest.param({}, id="no code"),
        pytest.param({"code": "abc", "state": ""}, id="empty state"),
    ],
)
@pytest.mark.django_db
def test_a_callback_without_a_code_or_a_state_is_stale_and_never_counts_as_a_failed_login(
    client, provider, dgs_commune, mortagne, settings, params
):
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        request = start(client)
        response = client.get(CALLBACK, {"state": request["state"], **params})
        assert response.status_code == 400
        assert "a expiré, a déjà servi" in response.content.decode()

    assert ("POST", provider.endpoints["token_endpoint"]) not in provider.requests
    assert not AccessAttempt.objects.exists()
    assert not JournalEntry.objects.filter(action="comptes.login.failed").exists()
    # From the same address, a real login still works.
    userinfo = identity(dgs_commune.email, siret_of(mortagne, "Mortagne-sur-Sèvre"))
    assert proconnect_login(Client(), provider, userinfo).status_code == 302


@pytest.mark.django_db
def test_a_callback_that_authenticates_nobody_ends_on_our_page_not_in_a_failed_login(
    client, provider, dgs_commune, mortagne, monkeypatch
):
    # Whatever the library's reason to find nobody, Django must not hear of a failed login (axes would count it).
    monkeypatch.setattr("mozilla_django_oidc.auth.OIDCAuthenticationBackend.authenticate", lambda *a, **k: None)
    response = proconnect_login(client, provider, identity(dgs_commune.email, siret_of(mortagne, "Mortagne-sur-Sèvre")))

    assert response.status_code == 502
    assert not AccessAttempt.objects.exists()
    assert not JournalEntry.objects.filter(action="comptes.login.failed").exists()


@pytest.mark.parametrize(
    "body",
    [b"[]", b'"x"', b"null", b"{}", b'{"id_token": 12, "access_token": "a"}', b"pas du JSON"],
    ids=["a list", "a string", "null", "an empty object", "an id_token that is no text", "not JSON"],
)
@pytest.mark.django_db
def test_an_odd_answer_of_the_token_endpoint_gives_the_unverified_page(client, provider, body):
    provider.token_body = body
    request = start(client)
    response = client.get(CALLBACK, {"code": "abc", "state": request["state"]})

    assert response.status_code == 502
    assert "n&#x27;a pas pu être vérifiée" in response.content.decode()
    assert logged_in_as(client) is None


@pytest.mark.django_db
def test_a_network_failure_during_the_callback_gives_a_french_page(client, provider, dgs_commune, mortagne):
    request = start(client)
    code = provider.authorize(request["url"], identity(dgs_commune.email, siret_of(mortagne, "Mortagne-sur-Sèvre")))
    provider.down = True
    response = client.get(CALLBACK, {"code": code, "state": request["state"]})

    assert response.status_code == 502
    assert logged_in_as(client) is None


@pytest.mark.django_db
def test_a_password_login_never_reaches_the_provider_even_with_a_code_in_the_url(client, provider, dgs_commune):
    response = client.post(f"{LOGIN}?code=abc&state=def", {"username": dgs_commune.email, "password": "mauvais"})
    assert response.status_code == 200
    assert provider.requests == []


# --- logout ------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_logout_of_a_proconnect_session_ends_it_here_then_at_proconnect(client, provider, dgs_commune, mortagne):
    proconnect_login(client, provider, identity(dgs_commune.email, siret_of(mortagne, "Mortagne-sur-Sèvre")))
    id_token = client.session[ID_TOKEN_KEY]

    response = client.post(LOGOUT)

    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == provider.endpoints["end_session_endpoint"]
    query = {k: v[0] for k, v in parse_qs(target.query).items()}
    assert query["id_token_hint"] == id_token
    assert query["post_logout_redirect_uri"] == "http://testserver" + LOGOUT_CALLBACK
    assert len(query["state"]) >= 32
    assert logged_in_as(client) is None  # our session ended before the round trip
    assert ID_TOKEN_KEY not in client.session

    back = client.get(LOGOUT_CALLBACK, {"state": query["state"]}, follow=True)
    assert back.redirect_chain[-1][0] == LOGIN
    assert "Vous êtes déconnecté·e de CoDir de territoire et de ProConnect." in back.content.decode()


@pytest.mark.django_db
def test_the_next_page_given_at_logout_is_kept_through_the_round_trip(client, provider, dgs_commune, mortagne):
    proconnect_login(client, provider, identity(dgs_commune.email, siret_of(mortagne, "Mortagne-sur-Sèvre")))
    response = client.post(LOGOUT, {"next": f"{LOGIN}?next=/comptes/invitation/abc/"})
    state = parse_qs(urlsplit(response["Location"]).query)["state"][0]

    back = client.get(LOGOUT_CALLBACK, {"state": state})
    assert back["Location"] == f"{LOGIN}?next=/comptes/invitation/abc/"


@pytest.mark.django_db
def test_the_logout_return_with_another_state_only_leads_to_the_login_page(client, provider):
    response = client.get(LOGOUT_CALLBACK, {"state": "y" * 48}, follow=True)
    assert response.redirect_chain[-1][0] == LOGIN
    assert "déconnecté·e de CoDir de territoire et de ProConnect" not in response.content.decode()


@pytest.mark.django_db
def test_logout_of_a_password_session_is_unchanged(client, provider, dgs_commune):
    client.post(LOGIN, {"username": dgs_commune.email, "password": PASSWORD})
    assert logged_in_as(client) == dgs_commune

    response = client.post(LOGOUT)

    assert response.status_code == 302
    assert response["Location"] == LOGIN
    assert logged_in_as(client) is None
    assert provider.requests == []
