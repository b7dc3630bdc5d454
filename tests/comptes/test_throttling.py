"""Login throttling: a lockout per account and address, a French 429, a cool-off that always ends, the journal."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from communes.models import JournalEntry
from comptes.throttling import client_ip
from tests.conftest import PASSWORD

LOGIN = reverse("login")
ATTACKER = "203.0.113.66"
ELSEWHERE = "198.51.100.7"


def attempt(client: Client, email: str, password: str, ip: str = ATTACKER, **extra):
    return client.post(LOGIN, {"username": email, "password": password}, REMOTE_ADDR=ip, **extra)


def fail_until_locked(client: Client, email: str, settings, ip: str = ATTACKER):
    responses = [attempt(client, email, "pas-le-bon-mot-de-passe", ip) for _ in range(settings.AXES_FAILURE_LIMIT)]
    return responses


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.django_db
def test_failures_up_to_the_limit_lock_the_account_out_from_that_address_with_a_french_429(dgs_commune, settings):
    client = Client()
    responses = fail_until_locked(client, dgs_commune.email, settings)
    assert [r.status_code for r in responses[:-1]] == [200] * (settings.AXES_FAILURE_LIMIT - 1)
    assert responses[-1].status_code == 429
    page = responses[-1].content.decode()
    assert "Connexion temporairement bloquée" in page
    assert f"pendant {settings.AXES_COOLOFF_TIME.seconds // 60} minutes" in page

    # Even the right password is refused now, and nothing logs in.
    locked = attempt(client, dgs_commune.email, PASSWORD)
    assert locked.status_code == 429
    assert not logged_in(client)


@pytest.mark.django_db
def test_the_count_ignores_the_case_of_the_address(dgs_commune, settings):
    client = Client()
    for i in range(settings.AXES_FAILURE_LIMIT):
        email = dgs_commune.email.upper() if i % 2 else dgs_commune.email
        response = attempt(client, email, "pas-le-bon-mot-de-passe")
    assert response.status_code == 429


@pytest.mark.django_db
def test_an_attacker_cannot_lock_the_real_user_out_from_elsewhere(dgs_commune, settings):
    fail_until_locked(Client(), dgs_commune.email, settings, ip=ATTACKER)
    real_user = Client()
    response = attempt(real_user, dgs_commune.email, PASSWORD, ip=ELSEWHERE)
    assert response.status_code == 302
    assert logged_in(real_user)


@pytest.mark.django_db
def test_the_lockout_ends_after_the_cool_off_even_if_the_attacker_keeps_trying(dgs_commune, settings):
    client = Client()
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        fail_until_locked(client, dgs_commune.email, settings)
        clock.shift(settings.AXES_COOLOFF_TIME - timedelta(minutes=1))
        # Trying during the lockout does not restart the cool-off.
        assert attempt(client, dgs_commune.email, "encore-faux").status_code == 429
        assert attempt(client, dgs_commune.email, PASSWORD).status_code == 429
        clock.shift(timedelta(minutes=1, seconds=1))
        response = attempt(client, dgs_commune.email, PASSWORD)
    assert response.status_code == 302
    assert logged_in(client)


@pytest.mark.django_db
def test_a_success_resets_the_count(dgs_commune, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt(client, dgs_commune.email, "faux")
    assert attempt(client, dgs_commune.email, PASSWORD).status_code == 302
    client.post(reverse("logout"))
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert attempt(client, dgs_commune.email, "faux").status_code == 200


@pytest.mark.django_db
def test_the_journal_says_who_logged_in_failed_and_was_locked_out(dgs_commune, settings):
    client = Client()
    fail_until_locked(client, dgs_commune.email, settings)
    attempt(client, dgs_commune.email, "encore-faux")  # during the lockout: not written again
    attempt(Client(), "inconnu@exemple.test", "faux")
    attempt(Client(), "mon-mot-de-passe-dans-le-mauvais-champ", "faux")
    attempt(Client(), dgs_commune.email, PASSWORD, ip=ELSEWHERE)

    failed = JournalEntry.objects.filter(action="comptes.login.failed")
    assert failed.filter(actor=dgs_commune, data__ip=ATTACKER).count() == settings.AXES_FAILURE_LIMIT - 1
    assert failed.filter(actor=None, data__username="inconnu@exemple.test").count() == 1
    # What was typed in the account field is kept only when it looks like an address.
    assert not any("mauvais-champ" in str(entry.data) for entry in failed)
    lockout = JournalEntry.objects.get(action="comptes.login.locked_out")
    assert lockout.actor == dgs_commune
    assert lockout.data["ip"] == ATTACKER
    success = JournalEntry.objects.get(action="comptes.login.succeeded")
    assert success.actor == dgs_commune
    assert success.data == {"method": "password", "ip": ELSEWHERE}
    assert success.territoire is None


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "", "10.0.0.1"),
        (0, "192.0.2.1", "10.0.0.1"),  # no proxy declared: the header is the client's to forge, ignored
        (1, "192.0.2.1", "192.0.2.1"),
        (1, "6.6.6.6, 192.0.2.1", "192.0.2.1"),  # the forged left part is ignored
        (2, "6.6.6.6, 192.0.2.1, 10.1.1.1", "192.0.2.1"),
        (2, "192.0.2.1", "10.0.0.1"),  # fewer hops than declared proxies: not trusted
    ],
)
def test_the_client_address_behind_declared_proxies(rf, settings, proxies, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    request = rf.get("/", REMOTE_ADDR="10.0.0.1", **headers)
    assert client_ip(request) == expected


@pytest.mark.django_db
def test_behind_a_proxy_each_client_is_counted_on_its_own_address(dgs_commune, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.1"
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = attempt(client, dgs_commune.email, "faux", ip=proxy, HTTP_X_FORWARDED_FOR=ATTACKER)
    assert response.status_code == 429
    colleague = Client()
    response = attempt(colleague, dgs_commune.email, PASSWORD, ip=proxy, HTTP_X_FORWARDED_FOR=ELSEWHERE)
    assert response.status_code == 302


@pytest.mark.django_db
def test_the_api_token_endpoint_is_throttled_too_and_answers_in_json(dgs_commune, settings):
    client = Client()
    token_url = reverse("api:token")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client.post(token_url, {"username": dgs_commune.email, "password": "faux"}, REMOTE_ADDR=ATTACKER)
    assert response.status_code == 429
    assert "Trop de tentatives" in response.json()["detail"]
    assert int(response["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()
    response = client.post(token_url, {"username": dgs_commune.email, "password": PASSWORD}, REMOTE_ADDR=ATTACKER)
    assert response.status_code == 429 and "token" not in response.json()
    response = client.post(token_url, {"username": dgs_commune.email, "password": PASSWORD}, REMOTE_ADDR=ELSEWHERE)
    assert response.status_code == 200 and response.json()["token"]


@pytest.mark.django_db
@pytest.mark.parametrize("spelling", ["sophıe.guerin@mortagne-sur-sevre.test", "ſophie.guerin@mortagne-sur-sevre.test"])
def test_a_lookalike_address_opens_no_account_and_so_cannot_dodge_the_lockout(dgs_commune, settings, spelling):
    # UPPER('ı') is 'I' on PostgreSQL: a case-insensitive match through UPPER() would open Sophie's account
    # under a spelling the lockout counts apart.
    assert dgs_commune.email == "sophie.guerin@mortagne-sur-sevre.test"
    client = Client()
    fail_until_locked(client, dgs_commune.email, settings)
    response = attempt(client, spelling, PASSWORD)
    # "ſ" becomes "s" through the form's NFKC normalisation: then it is Sophie's address, and locked out.
    assert response.status_code in (200, 429) and not logged_in(client)
    response = attempt(Client(), "  Sophie.Guerin@Mortagne-sur-Sevre.test ", PASSWORD, ip=ELSEWHERE)
    assert response.status_code == 302  # case and spaces still do not matter
