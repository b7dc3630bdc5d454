"""Second factor for password logins: who must have one, the two-step login, enrollment, recovery codes,
the middleware that gates sessions owing one, the API token, the journal, and no query per request."""

import re
from base64 import b32decode
from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from communes import services
from communes.models import Agent, JournalEntry, Membership
from comptes.auth_method import PROCONNECT
from comptes.auth_method import SESSION_KEY as AUTH_METHOD
from comptes.proconnect.session import IDENTITY_KEY as PROCONNECT_IDENTITY
from comptes.second_factor import policy
from comptes.second_factor import services as sf_services
from comptes.second_factor import session as sf_session
from comptes.second_factor.session import PENDING, VERDICT, VERIFIED
from tests.conftest import PASSWORD, force_login_without_second_factor, totp_code

pytestmark = pytest.mark.django_db

LOGIN = reverse("login")
VERIFY = reverse("second_factor_verify")
ENROLL = reverse("second_factor_enroll")
SECURITY = reverse("account_security")
HOME = reverse("mes_territoires")
IP = "192.0.2.10"


@pytest.fixture
def superuser(db) -> Agent:
    return Agent.objects.create_superuser("admin@codir.test", PASSWORD)


@pytest.fixture
def no_throttle(settings):
    """Wrong codes in a row without django-otp's back-off in between (tested on its own)."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


def enrolled(agent: Agent) -> TOTPDevice:
    """Give the agent an authenticator app the way the security page does: start, then a first code."""
    device = sf_services.totp_enrollment_start(agent=agent)
    assert sf_services.totp_enrollment_confirm(agent=agent, device_id=device.pk, code=totp_code(device)).ok
    device.refresh_from_db()
    return device


def password_step(client: Client, agent: Agent, next_url: str = ""):
    data = {"username": agent.email, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post(LOGIN, data, REMOTE_ADDR=IP)


def code_step(client: Client, code: str, next_url: str = ""):
    return client.post(VERIFY, {"code": code, "next": next_url}, REMOTE_ADDR=IP)


def recovery_step(client: Client, code: str):
    return client.post(VERIFY, {"recovery_code": code}, REMOTE_ADDR=IP)


def logged_in(client: Client) -> bool:
    return SESSION_KEY in client.session


def journal(action: str, agent: Agent) -> list[JournalEntry]:
    return list(JournalEntry.objects.filter(action=action, actor=agent).order_by("id"))


# --- who must have a second factor ---------------------------------------------------------------------------


def test_the_epci_dgs_must_have_a_second_factor_and_a_commune_dgs_may(dgs_epci, dgs_commune, sg_petite_commune):
    assert policy.second_factor_status(dgs_epci).reasons == (policy.EPCI_DGS,)
    assert not policy.second_factor_required(dgs_commune)
    assert not policy.second_factor_required(sg_petite_commune)


def test_an_epci_dgs_whose_membership_ended_is_no_longer_required(mortagne, dgs_epci, dgs_commune):
    services.territoire_admin_grant(territoire=mortagne, agent=dgs_commune, by=dgs_epci)
    membership = Membership.objects.get(agent=dgs_epci)
    services.membership_deactivate(membership=membership, by=dgs_commune)
    assert not policy.second_factor_required(dgs_epci)


def test_facilitators_territory_admins_and_staff_must_have_one(
    mortagne, dgs_epci, facilitateur, dgs_commune, superuser
):
    assert policy.second_factor_status(facilitateur).reasons == (policy.FACILITATOR,)
    services.territoire_admin_grant(territoire=mortagne, agent=dgs_commune, by=dgs_epci)
    assert policy.second_factor_status(dgs_commune).reasons == (policy.ADMIN,)
    assert policy.STAFF in policy.second_factor_status(superuser).reasons
    staff = services.agent_create(email="staff@codir.test", first_name="S", last_name="T", password=PASSWORD)
    staff.is_staff = True
    staff.save()
    assert policy.second_factor_status(staff).reasons == (policy.STAFF,)


def test_the_status_costs_one_query(dgs_epci, django_assert_num_queries):
    enrolled(dgs_epci)
    with django_assert_num_queries(1):
        status = policy.second_factor_status(dgs_epci)
    assert status.enabled and status.required
    assert status.reason_labels == ["vous êtes DGS de l'EPCI d'un territoire"]


# --- the two-step login --------------------------------------------------------------------------------------


def test_an_agent_with_an_app_types_a_code_after_the_password(dgs_commune):
    device = enrolled(dgs_commune)
    client = Client()
    target = reverse("calendar_link")
    response = password_step(client, dgs_commune, next_url=target)
    assert response.status_code == 302 and response["Location"].startswith(VERIFY)
    assert not logged_in(client)  # nothing is open before the code
    assert client.session[PENDING]["agent"] == dgs_commune.pk

    page = client.get(response["Location"]).content.decode()
    assert 'autocomplete="one-time-code"' in page and 'inputmode="numeric"' in page
    assert f'name="next" value="{target}"' in page

    response = code_step(client, totp_code(device), next_url=target)
    assert response.status_code == 302 and response["Location"] == target
    assert logged_in(client) and int(client.session[SESSION_KEY]) == dgs_commune.pk
    assert client.session[VERIFIED]["kind"] == "totp"
    assert PENDING not in client.session
    assert client.get(target).status_code == 200
    login_line = journal("comptes.login.succeeded", dgs_commune)[-1]
    assert login_line.data["second_factor"] == "totp"


def test_a_wrong_code_is_refused_in_french_and_journaled(dgs_commune):
    enrolled(dgs_commune)
    client = Client()
    password_step(client, dgs_commune)
    response = code_step(client, "000000")
    assert response.status_code == 400
    assert "Code incorrect" in response.content.decode()
    assert not logged_in(client)
    [failure] = journal("comptes.second_factor.failed", dgs_commune)
    assert failure.territoire is None and failure.data["ip"] == IP and failure.data["kind"] == "totp"


def test_django_otp_back_off_makes_the_person_wait_even_with_the_right_code(dgs_commune):
    device = enrolled(dgs_commune)
    client = Client()
    with time_machine.travel(timezone.now(), tick=False) as clock:
        password_step(client, dgs_commune)
        code_step(client, "000000")
        response = code_step(client, totp_code(device))
        assert response.status_code == 429
        assert "patientez 1 seconde" in response.content.decode()
        assert not logged_in(client)
        clock.shift(timedelta(seconds=2))
        response = code_step(client, totp_code(device))
    assert response.status_code == 302 and logged_in(client)


def test_after_five_wrong_codes_the_pending_login_is_dropped(dgs_commune, no_throttle, settings):
    device = enrolled(dgs_commune)
    client = Client()
    password_step(client, dgs_commune)
    for _ in range(settings.SECOND_FACTOR_MAX_FAILURES - 1):
        assert code_step(client, "000000").status_code == 400
    response = code_step(client, "000000")
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert PENDING not in client.session
    # Back to the password: even the right code no longer opens anything.
    response = code_step(client, totp_code(device))
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert not logged_in(client)
    assert len(journal("comptes.second_factor.failed", dgs_commune)) == settings.SECOND_FACTOR_MAX_FAILURES


def test_the_pending_login_expires(dgs_commune, settings):
    device = enrolled(dgs_commune)
    client = Client()
    with time_machine.travel(timezone.now(), tick=False) as clock:
        password_step(client, dgs_commune)
        clock.shift(timedelta(seconds=settings.SECOND_FACTOR_PENDING_SECONDS + 1))
        response = code_step(client, totp_code(device))
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert not logged_in(client)
    page = client.get(response["Location"]).content.decode()
    assert "Votre connexion a expiré" in page


def test_the_code_page_without_a_pending_login_sends_back_to_the_password(client):
    response = client.get(VERIFY)
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


def test_a_recovery_code_works_once(dgs_commune):
    enrolled(dgs_commune)
    codes = sf_services.recovery_codes_generate(agent=dgs_commune)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert all(re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", code) for code in codes)
    # Only keyed hashes are stored, never the codes.
    stored = set(StaticToken.objects.filter(device__user=dgs_commune).values_list("token", flat=True))
    assert len(stored) == 10 and not stored & {code.replace("-", "") for code in codes} and not stored & set(codes)

    client = Client()
    password_step(client, dgs_commune)
    response = recovery_step(client, codes[0].upper().replace("-", " "))  # as copied from paper
    assert response.status_code == 302 and response["Location"] == SECURITY
    assert logged_in(client) and client.session[VERIFIED]["kind"] == "recovery"
    assert "il vous en reste 9" in client.get(SECURITY).content.decode()
    [used] = journal("comptes.second_factor.recovery_code_used", dgs_commune)
    assert used.data == {"ip": IP, "via": "login", "remaining": 9}
    assert journal("comptes.login.succeeded", dgs_commune)[-1].data["second_factor"] == "recovery"

    again = Client()
    password_step(again, dgs_commune)
    response = recovery_step(again, codes[0])
    assert response.status_code == 400 and not logged_in(again)
    assert journal("comptes.second_factor.failed", dgs_commune)[-1].data["kind"] == "recovery"


def test_an_agent_without_an_app_and_not_required_logs_in_with_the_password_alone(dgs_commune):
    client = Client()
    response = password_step(client, dgs_commune)
    assert response.status_code == 302 and response["Location"] == HOME
    assert client.get(HOME).status_code == 200


# --- an agent who must have one and has none ----------------------------------------------------------------


def test_a_required_agent_without_an_app_must_enrol_before_anything_else(mortagne, dgs_epci):
    client = Client()
    response = password_step(client, dgs_epci)
    assert response.status_code == 302 and logged_in(client)  # logged in, then gated
    for url in (HOME, reverse("communes:territoire", args=[mortagne.slug]), SECURITY):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == f"{ENROLL}?next={url.replace('/', '%2F')}"
    api = client.get(reverse("api:territoire-list"))
    assert api.status_code == 403 and "Double authentification requise" in api.json()["detail"]
    htmx = client.get(HOME, HTTP_HX_REQUEST="true")
    assert htmx.status_code == 204 and htmx["HX-Redirect"].startswith(ENROLL)

    page = client.get(ENROLL).content.decode()
    assert "obligatoire pour votre compte" in page
    assert '<svg role="img"' in page and "<title>QR code à scanner</title>" in page
    device = TOTPDevice.objects.get(user=dgs_epci)
    assert not device.confirmed
    assert "otpauth://totp/Codir%20de%20territoire%3Aclaire.bernard%40paysdemortagne.test?" in page
    assert "issuer=Codir%20de%20territoire" in page
    assert re.search(r"<code[^>]*>([A-Z2-7]{4} ){7}[A-Z2-7]{4}</code>", page)
    # The same secret until confirmed: reloading does not change the QR code.
    client.get(ENROLL)
    assert TOTPDevice.objects.filter(user=dgs_epci).count() == 1

    # Leaving is always possible.
    assert client.post(reverse("logout")).status_code == 302
    assert not logged_in(client)


def test_enrollment_is_confirmed_by_a_valid_code_and_shows_the_recovery_codes_once(dgs_epci):
    client = Client()
    password_step(client, dgs_epci)
    client.get(ENROLL)
    device = TOTPDevice.objects.get(user=dgs_epci)

    response = client.post(ENROLL, {"code": "123456" if totp_code(device) != "123456" else "654321"})
    assert response.status_code == 400 and "Code incorrect" in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    assert client.get(HOME).status_code == 302

    device.throttle_reset()
    response = client.post(ENROLL, {"code": totp_code(device), "next": HOME})
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    codes = re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", response.content.decode())
    assert len(codes) == 10
    device.refresh_from_db()
    assert device.confirmed and client.session[VERIFIED]["kind"] == "totp"
    assert client.get(HOME).status_code == 200
    assert len(journal("comptes.second_factor.enabled", dgs_epci)) == 1
    assert len(journal("comptes.second_factor.recovery_codes_generated", dgs_epci)) == 1
    # Enrolling again is not offered while the app is there.
    assert client.get(ENROLL)["Location"] == SECURITY


def test_a_role_granted_during_a_session_is_seen_within_the_recheck_delay(mortagne, dgs_commune, settings):
    client = Client()
    with time_machine.travel(timezone.now(), tick=False) as clock:
        password_step(client, dgs_commune)
        assert client.get(HOME).status_code == 200
        services.facilitator_grant(territoire=mortagne, agent=dgs_commune, by=None)
        assert client.get(HOME).status_code == 200  # the verdict in the session is still fresh
        clock.shift(timedelta(seconds=settings.SECOND_FACTOR_RECHECK_SECONDS + 1))
        response = client.get(HOME)
    assert response.status_code == 302 and response["Location"].startswith(ENROLL)


# --- sessions opened elsewhere -------------------------------------------------------------------------------


def test_the_admin_login_page_is_gated_too(superuser):
    client = Client()
    response = client.post(reverse("admin:login"), {"username": superuser.email, "password": PASSWORD})
    assert response.status_code == 302 and logged_in(client)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and response["Location"].startswith(ENROLL)

    # With an app: the code page, then the administration.
    device = enrolled(superuser)
    client = Client()
    client.post(reverse("admin:login"), {"username": superuser.email, "password": PASSWORD})
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and response["Location"].startswith(VERIFY)
    response = client.post(VERIFY, {"code": totp_code(device), "next": reverse("admin:index")})
    assert response.status_code == 302 and response["Location"] == reverse("admin:index")
    assert client.get(reverse("admin:index")).status_code == 200


def test_an_open_session_failing_five_codes_is_closed(superuser, no_throttle, settings):
    enrolled(superuser)
    client = Client()
    force_login_without_second_factor(client, superuser)
    for _ in range(settings.SECOND_FACTOR_MAX_FAILURES):
        response = client.post(VERIFY, {"code": "000000"})
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert not logged_in(client)


def proconnect_session(client: Client, agent: Agent, amr: list[str]) -> None:
    """A session opened by ProConnect, whose identity provider declared these authentication methods."""
    force_login_without_second_factor(client, agent)
    session = client.session
    session[AUTH_METHOD] = PROCONNECT
    session[PROCONNECT_IDENTITY] = {"siret": "", "idp_id": "fia1v2", "uid": "1", "structure": "", "amr": amr}
    session.save()


@pytest.mark.parametrize("amr", [["pwd", "totp", "mfa"], ["pop"]])
def test_a_proconnect_session_with_a_second_factor_at_the_identity_provider_is_not_asked(mortagne, dgs_epci, amr):
    client = Client()
    proconnect_session(client, dgs_epci, amr)
    assert client.get(HOME).status_code == 200
    assert client.get(reverse("api:territoire-list")).status_code == 200


@pytest.mark.parametrize("amr", [["pwd"], ["mail"], []])
def test_a_single_factor_proconnect_session_is_gated_like_a_password_one(mortagne, dgs_epci, amr):
    client = Client()
    proconnect_session(client, dgs_epci, amr)
    response = client.get(HOME)
    assert response.status_code == 302 and response["Location"].startswith(ENROLL)
    assert client.get(reverse("api:territoire-list")).status_code == 403


# --- the security page --------------------------------------------------------------------------------------


def test_the_security_page_says_why_the_factor_is_mandatory_and_lists_the_account_events(dgs_epci, client_for):
    enrolled(dgs_epci)
    client = client_for(dgs_epci)
    page = client.get(SECURITY).content.decode()
    assert "Obligatoire" in page and "vous êtes DGS de l&#x27;EPCI d&#x27;un territoire" in page
    assert "Double authentification activée" in page  # its journal line
    assert reverse("second_factor_disable") not in page
    # Mes territoires: one line and a link, from the session.
    home = client.get(HOME).content.decode()
    assert "Double authentification : activée." in home and f'href="{SECURITY}"' in home


def test_the_history_shows_the_agent_own_account_events_only(dgs_commune, dgs_epci, client_for):
    client = Client()
    client.post(LOGIN, {"username": dgs_commune.email, "password": "pas-le-bon"}, REMOTE_ADDR=IP)
    password_step(client, dgs_commune)
    password_step(Client(), dgs_epci)
    page = client.get(SECURITY).content.decode()
    assert "Échec de connexion (mot de passe)" in page and "Connexion" in page and IP in page
    assert page.count("<tr>") == 1 + 2  # header, the failure and the login; not the other agent's


def test_disabling_is_refused_when_mandatory(dgs_epci, client_for):
    enrolled(dgs_epci)
    client = client_for(dgs_epci)
    response = client.post(reverse("second_factor_disable"), {"password": PASSWORD}, follow=True)
    assert "obligatoire pour votre compte" in response.content.decode()
    assert TOTPDevice.objects.filter(user=dgs_epci, confirmed=True).exists()
    assert journal("comptes.second_factor.disabled", dgs_epci) == []


def test_an_optional_agent_turns_it_off_with_the_password(dgs_commune, client_for):
    enrolled(dgs_commune)
    sf_services.recovery_codes_generate(agent=dgs_commune)
    client = client_for(dgs_commune)
    assert reverse("second_factor_disable") in client.get(SECURITY).content.decode()
    response = client.post(reverse("second_factor_disable"), {"password": "pas-le-bon"})
    assert response.status_code == 400 and "Mot de passe incorrect" in response.content.decode()
    response = client.post(reverse("second_factor_disable"), {"password": PASSWORD})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=dgs_commune).exists()
    assert not StaticToken.objects.filter(device__user=dgs_commune).exists()
    assert len(journal("comptes.second_factor.disabled", dgs_commune)) == 1
    # The next login asks the password only.
    fresh = Client()
    assert password_step(fresh, dgs_commune)["Location"] == HOME


def test_regenerating_recovery_codes_voids_the_previous_ones(dgs_commune, client_for, no_throttle):
    enrolled(dgs_commune)
    old = sf_services.recovery_codes_generate(agent=dgs_commune)
    client = client_for(dgs_commune)
    response = client.post(reverse("second_factor_recovery_codes"), {"password": PASSWORD})
    new = re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", response.content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    assert not sf_services.code_verify(agent=dgs_commune, code=old[0], ip=IP, via="login").ok
    assert sf_services.code_verify(agent=dgs_commune, code=new[0], ip=IP, via="login").ok


def test_a_lost_phone_is_replaced_after_the_password_and_the_old_app_stops_working(dgs_epci, client_for):
    old_device = enrolled(dgs_epci)
    sf_services.recovery_codes_generate(agent=dgs_epci)
    client = client_for(dgs_epci)
    response = client.post(reverse("second_factor_replace"), {"password": PASSWORD})
    assert response["Location"] == ENROLL
    page = client.get(ENROLL).content.decode()
    assert "Remplacer mon application" in page
    new_device = TOTPDevice.objects.get(user=dgs_epci, confirmed=False)
    assert new_device.key != old_device.key
    assert TOTPDevice.objects.filter(pk=old_device.pk, confirmed=True).exists()  # valid until the new one is

    response = client.post(ENROLL, {"code": totp_code(new_device)})
    assert response.status_code == 302 and response["Location"] == SECURITY  # recovery codes kept
    assert list(TOTPDevice.objects.filter(user=dgs_epci).values_list("pk", "confirmed")) == [(new_device.pk, True)]
    assert len(journal("comptes.second_factor.device_replaced", dgs_epci)) == 1
    assert StaticToken.objects.filter(device__user=dgs_epci).count() == 10


# --- the API token ------------------------------------------------------------------------------------------


def test_the_api_token_asks_for_the_code_of_an_agent_with_an_app(dgs_commune):
    device = enrolled(dgs_commune)
    api = APIClient()
    url = reverse("api:token")
    credentials = {"username": dgs_commune.email, "password": PASSWORD}
    missing = api.post(url, credentials)
    assert missing.status_code == 400 and "indiquez un code" in missing.json()["code"][0]
    wrong = api.post(url, {**credentials, "code": "000000"})
    assert wrong.status_code == 400 and wrong.json()["code"] == ["Code incorrect."]
    assert journal("comptes.second_factor.failed", dgs_commune)[-1].data["via"] == "api"
    device.throttle_reset()
    response = api.post(url, {**credentials, "code": totp_code(device)}, format="json")
    assert response.status_code == 200 and len(response.json()["token"]) == 40
    bad_password = api.post(url, {**credentials, "password": "faux", "code": totp_code(device)})
    assert bad_password.status_code == 400 and "incorrect" in bad_password.json()["non_field_errors"][0]


def test_the_api_token_is_refused_to_a_required_agent_without_an_app(dgs_epci):
    response = APIClient().post(reverse("api:token"), {"username": dgs_epci.email, "password": PASSWORD})
    assert response.status_code == 403
    assert "activez-la d'abord sur le site" in response.json()["detail"]


def test_wrong_passwords_on_the_token_endpoint_count_for_the_lockout(dgs_commune, settings):
    api = APIClient()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = api.post(reverse("api:token"), {"username": dgs_commune.email, "password": "faux"})
    assert response.status_code == 429
    response = api.post(reverse("api:token"), {"username": dgs_commune.email, "password": PASSWORD})
    assert response.status_code == 429


# --- the API token's lifetime ---------------------------------------------------------------------------------

TOKEN_URL = reverse("api:token")


def api_token(agent: Agent, device: TOTPDevice | None = None) -> str:
    """A token asked for with the password, and the app's code when there is a device."""
    data = {"username": agent.email, "password": PASSWORD}
    if device is not None:
        data["code"] = totp_code(device)
    response = APIClient().post(TOKEN_URL, data, format="json", REMOTE_ADDR=IP)
    assert response.status_code == 200, response.json()
    return response.json()["token"]


def territories_with(token: str):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return api.get(reverse("api:territoire-list"))


def test_each_token_request_replaces_the_previous_token_and_is_journaled(dgs_commune, client_for):
    first = api_token(dgs_commune)
    second = api_token(dgs_commune)
    assert first != second
    assert territories_with(first).status_code == 401
    assert territories_with(second).status_code == 200
    issued = journal("comptes.api_token.issued", dgs_commune)
    assert [line.data for line in issued] == [{"ip": IP, "second_factor": "none"}] * 2
    device = enrolled(dgs_commune)
    api_token(dgs_commune, device)
    assert journal("comptes.api_token.issued", dgs_commune)[-1].data["second_factor"] == "totp"
    page = client_for(dgs_commune).get(SECURITY).content.decode()
    assert "Nouveau jeton d&#x27;API" in page and "sans double authentification" in page


def test_a_token_expires_after_api_token_days(dgs_commune, settings):
    settings.API_TOKEN_DAYS = 30
    with time_machine.travel(timezone.now(), tick=False) as clock:
        token = api_token(dgs_commune)
        clock.shift(timedelta(days=30) - timedelta(minutes=1))
        assert territories_with(token).status_code == 200
        clock.shift(timedelta(minutes=2))
        response = territories_with(token)
    assert response.status_code == 401
    assert response.json()["detail"] == "Jeton expiré : demandez-en un nouveau."


def enable_the_second_factor(agent: Agent, client: Client) -> None:
    enrolled(agent)


def replace_the_app(agent: Agent, client: Client) -> None:
    enrolled(agent)  # a new device confirmed: the previous one is replaced


def disable_the_second_factor(agent: Agent, client: Client) -> None:
    assert client.post(reverse("second_factor_disable"), {"password": PASSWORD}).status_code == 302


def log_out_everywhere(agent: Agent, client: Client) -> None:
    assert client.post(reverse("logout_everywhere")).status_code == 302


def reset_the_password(agent: Agent, client: Client) -> None:
    uid = urlsafe_base64_encode(force_bytes(agent.pk))
    link = client.get(reverse("password_reset_confirm", args=[uid, default_token_generator.make_token(agent)]))
    new = "Un-tout-nouveau-mot-de-passe-2026"
    assert client.post(link["Location"], {"new_password1": new, "new_password2": new}).status_code == 302


def change_the_password_elsewhere(agent: Agent, client: Client) -> None:
    # The administration, `manage.py changepassword`, a script: no view of ours is involved.
    agent.set_password("Un-tout-nouveau-mot-de-passe-2026")
    agent.save()


@pytest.mark.parametrize(
    "with_app, event",
    [
        (False, enable_the_second_factor),
        (True, replace_the_app),
        (True, disable_the_second_factor),
        (False, log_out_everywhere),
        (False, reset_the_password),
        (False, change_the_password_elsewhere),
    ],
    ids=lambda value: value.__name__ if callable(value) else None,
)
def test_a_token_stops_working_when_the_rules_it_was_given_under_change(dgs_commune, client_for, with_app, event):
    device = enrolled(dgs_commune) if with_app else None
    token = api_token(dgs_commune, device)
    assert territories_with(token).status_code == 200
    event(dgs_commune, client_for(dgs_commune))
    dgs_commune.refresh_from_db()
    response = territories_with(token)
    assert response.status_code == 401, response.json()
    assert not Token.objects.filter(key=token).exists()


def test_a_token_given_before_a_role_that_requires_the_factor_stops_working(mortagne, dgs_epci, dgs_commune):
    token = api_token(dgs_commune)
    services.territoire_admin_grant(territoire=mortagne, agent=dgs_commune, by=dgs_epci)
    response = territories_with(token)
    assert response.status_code == 401 and "désormais obligatoire" in response.json()["detail"]


def test_a_token_made_outside_the_token_endpoint_is_refused(dgs_commune):
    # DRF's administration page or `drf_create_token` would skip the second factor.
    token = Token.objects.create(user=dgs_commune)
    response = territories_with(token.key)
    assert response.status_code == 401 and response.json()["detail"] == "Jeton révoqué : demandez-en un nouveau."


@pytest.mark.parametrize(
    "data",
    [
        {"username": "a" * 300 + "@codir.test", "password": "x"},
        {"username": "a\x00@codir.test", "password": "x"},
        {"username": "a@codir.test", "password": "x" * 5000},
        {"username": "a@codir.test", "password": "x", "code": "1" * 100},
    ],
    ids=["overlong-username", "nul-in-username", "overlong-password", "overlong-code"],
)
def test_odd_credentials_at_the_token_endpoint_are_a_400(db, data):
    response = APIClient().post(TOKEN_URL, data, format="json", REMOTE_ADDR=IP)
    assert response.status_code == 400
    assert not AccessAttempt.objects.exists()  # refused before django-axes writes the username


def test_the_api_documentation_still_describes_the_token_header(tmp_path):
    call_command("spectacular", "--file", str(tmp_path / "schema.yml"))
    schema = (tmp_path / "schema.yml").read_text()
    assert "tokenAuth:" in schema and "- tokenAuth: []" in schema


# --- an enrollment belongs to the session that started it ----------------------------------------------------


def secret_shown(page: str) -> str:
    """The secret the enrollment page shows to type by hand (the QR code carries the same)."""
    return re.search(r'<code aria-label="[^"]*">([A-Z2-7 ]+)</code>', page).group(1).replace(" ", "")


def code_for_secret(secret: str) -> str:
    """The code an authenticator app that scanned this secret shows now."""
    totp = TOTP(b32decode(secret + "=" * (-len(secret) % 8)), step=30, t0=0, digits=6)
    return f"{totp.token():06d}"


def enrollment_page_opened(agent: Agent) -> tuple[Client, str]:
    """Log in with the password (the agent has no app yet) and open the enrollment page; the secret it shows."""
    client = Client()
    password_step(client, agent)
    return client, secret_shown(client.get(ENROLL).content.decode())


@pytest.mark.parametrize("agent_fixture", ["dgs_epci", "dgs_commune"], ids=["mandatory", "optional"])
def test_someone_who_had_the_password_cannot_plant_the_secret_the_agent_will_scan(request, agent_fixture):
    agent = request.getfixturevalue(agent_fixture)
    intruder, planted = enrollment_page_opened(agent)
    intruder.post(reverse("logout"))

    agent_browser, shown = enrollment_page_opened(agent)
    assert shown != planted
    assert agent_browser.post(ENROLL, {"code": code_for_secret(shown)}).status_code == 200  # the recovery codes

    # The secret the intruder saw opens nothing.
    again = Client()
    password_step(again, agent)
    assert code_step(again, code_for_secret(planted)).status_code == 400
    assert not logged_in(again)


def test_reloading_the_enrollment_page_keeps_the_secret_of_the_session(dgs_epci):
    client, secret = enrollment_page_opened(dgs_epci)
    assert secret_shown(client.get(ENROLL).content.decode()) == secret
    # A wrong code shows the page again, with the same secret.
    wrong = "123456" if code_for_secret(secret) != "123456" else "654321"
    assert secret_shown(client.post(ENROLL, {"code": wrong}).content.decode()) == secret
    assert TOTPDevice.objects.filter(user=dgs_epci).count() == 1


def test_an_enrollment_left_for_half_an_hour_starts_again_with_a_new_secret(dgs_commune):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client, secret = enrollment_page_opened(dgs_commune)
        clock.shift(sf_services.ENROLLMENT_MAX_AGE + timedelta(seconds=1))
        response = client.post(ENROLL, {"code": code_for_secret(secret)}, follow=True)
        assert "Aucune activation n&#x27;est en cours" in response.content.decode()
        assert not TOTPDevice.objects.filter(user=dgs_commune, confirmed=True).exists()
        assert secret_shown(client.get(ENROLL).content.decode()) != secret
    assert TOTPDevice.objects.filter(user=dgs_commune).count() == 1  # the stale one is gone


def test_enrollment_confirms_only_the_device_of_its_own_session(dgs_commune):
    mine = sf_services.totp_enrollment_start(agent=dgs_commune)
    # Another session starts its own enrollment: the first device is dropped, whoever had seen it.
    theirs = sf_services.totp_enrollment_start(agent=dgs_commune)
    assert theirs.pk != mine.pk and not TOTPDevice.objects.filter(pk=mine.pk).exists()
    for device_id in (None, mine.pk):
        with pytest.raises(ValidationError):
            sf_services.totp_enrollment_confirm(agent=dgs_commune, device_id=device_id, code=totp_code(theirs))
    assert sf_services.totp_enrollment_confirm(agent=dgs_commune, device_id=theirs.pk, code=totp_code(theirs)).ok


# --- the password step -----------------------------------------------------------------------------------------


def test_a_right_password_without_the_code_leaves_a_line_in_the_agent_history(dgs_commune, client_for):
    enrolled(dgs_commune)
    response = Client().post(LOGIN, {"username": dgs_commune.email, "password": PASSWORD}, REMOTE_ADDR="203.0.113.5")
    assert response["Location"].startswith(VERIFY)
    [line] = journal("comptes.login.password_ok_code_pending", dgs_commune)
    assert line.data == {"ip": "203.0.113.5"} and line.territoire is None
    page = client_for(dgs_commune).get(SECURITY).content.decode()
    assert "Mot de passe correct, code de vérification pas encore saisi" in page and "203.0.113.5" in page


def test_the_session_key_changes_when_the_password_is_right(dgs_commune):
    enrolled(dgs_commune)
    client = Client()
    client.post(LOGIN, {"username": "personne@codir.test", "password": "faux"}, REMOTE_ADDR=IP)
    before = client.session.session_key
    password_step(client, dgs_commune)
    assert client.session[PENDING]["agent"] == dgs_commune.pk
    assert client.session.session_key != before


def test_a_session_key_planted_in_the_browser_does_not_carry_the_pending_login(dgs_commune, settings):
    enrolled(dgs_commune)
    planter = Client()
    planter.get(LOGIN)
    planter.session.save()
    planted_key = planter.session.session_key
    victim = Client()
    victim.cookies[settings.SESSION_COOKIE_NAME] = planted_key
    password_step(victim, dgs_commune)
    assert PENDING in victim.session
    planter.cookies[settings.SESSION_COOKIE_NAME] = planted_key
    response = planter.get(VERIFY)
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


@pytest.mark.parametrize(
    "data",
    [
        {"username": "a\x00@codir.test", "password": "x"},
        {"username": "a@codir.test", "password": "x\x00"},
        {"username": "a" * 10_000 + "@codir.test", "password": "x"},
    ],
    ids=["nul-in-username", "nul-in-password", "10000-characters"],
)
def test_odd_usernames_on_the_login_page_are_a_form_error(db, data):
    response = Client(raise_request_exception=True).post(LOGIN, data, REMOTE_ADDR=IP)
    assert response.status_code == 200 and 'aria-invalid="true"' in response.content.decode()
    # Refused by the form, before django-axes writes the username into its 255-character column.
    assert not AccessAttempt.objects.exists()


# --- « me déconnecter partout » -------------------------------------------------------------------------------


def test_a_session_without_its_second_factor_cannot_log_out_everywhere(superuser):
    device = enrolled(superuser)
    verified = Client()
    password_step(verified, superuser)
    code_step(verified, totp_code(device))
    intruder = Client()  # the password, not the code: through the administration's login page
    intruder.post(reverse("admin:login"), {"username": superuser.email, "password": PASSWORD})
    assert logged_in(intruder)
    response = intruder.post(reverse("logout_everywhere"))
    assert response.status_code == 302 and response["Location"].startswith(VERIFY)
    assert verified.get(HOME).status_code == 200
    assert journal("communes.sessions.revoked", superuser) == []


# --- the password asked again before a sensitive change -------------------------------------------------------

CONFIRMATION_PAGES = ["second_factor_disable", "second_factor_replace", "second_factor_recovery_codes"]


@pytest.mark.parametrize("url_name", CONFIRMATION_PAGES)
def test_wrong_passwords_on_a_confirmation_page_count_for_the_lockout(url_name, dgs_commune, client_for, settings):
    enrolled(dgs_commune)
    client = client_for(dgs_commune)
    url = reverse(url_name)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post(url, {"password": "pas-le-bon"}, REMOTE_ADDR=IP).status_code == 400
    assert client.post(url, {"password": "pas-le-bon"}, REMOTE_ADDR=IP).status_code == 429
    # Locked out like a login: the right password no longer gets through, here or on the login page.
    assert client.post(url, {"password": PASSWORD}, REMOTE_ADDR=IP).status_code == 429
    assert password_step(Client(), dgs_commune).status_code == 429
    assert journal("comptes.login.locked_out", dgs_commune)[0].data["ip"] == IP


@pytest.mark.parametrize("url_name", CONFIRMATION_PAGES)
def test_wrong_passwords_on_a_confirmation_page_are_journaled(url_name, dgs_commune, client_for):
    enrolled(dgs_commune)
    client = client_for(dgs_commune)
    for _ in range(3):
        response = client.post(reverse(url_name), {"password": "pas-le-bon"}, REMOTE_ADDR=IP)
        assert response.status_code == 400 and "Mot de passe incorrect" in response.content.decode()
    failures = journal("comptes.login.failed", dgs_commune)
    assert len(failures) == 3 and all(failure.data == {"ip": IP} for failure in failures)


def test_a_stolen_session_cannot_guess_the_password_to_install_its_own_app(dgs_epci, client_for, settings):
    enrolled(dgs_epci)
    thief = client_for(dgs_epci)
    for guess in range(settings.AXES_FAILURE_LIMIT):
        thief.post(reverse("second_factor_replace"), {"password": f"essai-{guess}"}, REMOTE_ADDR=IP)
    response = thief.post(reverse("second_factor_replace"), {"password": PASSWORD}, REMOTE_ADDR=IP)
    assert response.status_code == 429
    assert thief.get(ENROLL)["Location"] == SECURITY  # no replacement under way
    assert TOTPDevice.objects.filter(user=dgs_epci).count() == 1


def test_new_recovery_codes_need_the_password(dgs_commune, client_for):
    enrolled(dgs_commune)
    old = sf_services.recovery_codes_generate(agent=dgs_commune)
    client = client_for(dgs_commune)
    page = client.get(reverse("second_factor_recovery_codes")).content.decode()
    assert 'name="password"' in page and "<code>" not in page
    response = client.post(reverse("second_factor_recovery_codes"))
    assert response.status_code == 400 and "<code>" not in response.content.decode()
    response = client.post(reverse("second_factor_recovery_codes"), {"password": "pas-le-bon"})
    assert response.status_code == 400 and "<code>" not in response.content.decode()
    assert sf_services.code_verify(agent=dgs_commune, code=old[0], ip=IP, via="login").ok  # still the old ones
    assert len(journal("comptes.second_factor.recovery_codes_generated", dgs_commune)) == 1


# --- no query per request -----------------------------------------------------------------------------------


def count(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context)


def test_the_gate_costs_no_query_once_passed_or_not_owed(dgs_epci, dgs_commune, settings):
    device = enrolled(dgs_epci)
    verified = Client()
    password_step(verified, dgs_epci)
    code_step(verified, totp_code(device))
    not_owed = Client()  # an optional agent without an app: the verdict is in the session since the login
    password_step(not_owed, dgs_commune)
    assert VERDICT in not_owed.session and VERIFIED not in not_owed.session
    url = reverse("calendar_link")
    count(verified, url), count(not_owed, url)  # warm the per-process caches
    with_gate = (count(verified, url), count(not_owed, url))
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if "second_factor" not in m]
    without_gate = (count(verified, url), count(not_owed, url))
    assert with_gate == without_gate


# --- accounts created through ProConnect (no password) -------------------------------------------------------


def test_an_account_without_a_password_confirms_with_a_code_of_its_app(mortagne, dgs_epci, no_throttle):
    dgs_epci.set_unusable_password()
    dgs_epci.save()
    device = enrolled(dgs_epci)
    client = Client()
    proconnect_session(client, dgs_epci, ["pwd"])  # a single factor at the provider: ours was asked
    session = client.session
    sf_session.session_mark_verified(session, agent=dgs_epci, kind="totp")
    session.save()
    new_codes = reverse("second_factor_recovery_codes")
    page = client.get(new_codes).content.decode()
    assert "Un code de votre application d&#x27;authentification, ou un code de secours" in page
    response = client.post(new_codes, {"password": "000000" if totp_code(device) != "000000" else "111111"})
    assert response.status_code == 400 and "Code incorrect" in response.content.decode()
    response = client.post(new_codes, {"password": totp_code(device)})
    assert response.status_code == 200 and "Vos codes de secours" in response.content.decode()


def test_the_status_line_says_proconnect_only_when_its_provider_checked_a_second_factor(mortagne, dgs_epci):
    enrolled(dgs_epci)
    for amr, by_provider in ((["pwd", "totp"], True), (["pwd"], False)):
        client = Client()
        proconnect_session(client, dgs_epci, amr)
        if not by_provider:
            session = client.session
            sf_session.session_mark_verified(session, agent=dgs_epci, kind="totp")
            session.save()
        page = client.get(HOME).content.decode()
        assert ("assurée par ProConnect pour cette session" in page) is by_provider
