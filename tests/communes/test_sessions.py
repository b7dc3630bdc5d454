"""Sessions end after 2 h idle, 12 h after login, when the agent logs out everywhere, or is deactivated."""

import time

import pytest
from django.test import Client
from django.urls import reverse

from communes.models import JournalEntry
from communes.sessions import OPENED, REFRESH_SECONDS, SEEN

HOME = "mes_territoires"


def logged_in(agent) -> Client:
    client = Client()
    client.force_login(agent)
    return client


def shift(client: Client, **seconds_ago: float) -> None:
    """Pretend the session was opened / last used that many seconds ago."""
    session = client.session
    keys = {"opened": OPENED, "seen": SEEN}
    for name, ago in seconds_ago.items():
        session[keys[name]] = time.time() - ago
    session.save()


def is_logged_out(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_a_session_in_use_stays_open_and_its_clock_moves_at_most_once_a_minute(dgs_epci, settings):
    client = logged_in(dgs_epci)
    assert client.get(reverse(HOME)).status_code == 200
    seen = client.session[SEEN]
    client.get(reverse(HOME))
    assert client.session[SEEN] == seen  # no session write on every request
    shift(client, seen=REFRESH_SECONDS + 1)
    assert client.get(reverse(HOME)).status_code == 200
    assert client.session[SEEN] > seen


@pytest.mark.django_db
def test_a_session_idle_for_longer_than_the_limit_ends(dgs_epci, settings):
    client = logged_in(dgs_epci)
    shift(client, seen=settings.SESSION_IDLE_SECONDS + 5)
    response = client.get(reverse(HOME))
    assert is_logged_out(response)
    page = client.get(response["Location"]).content.decode()
    assert "Votre session a pris fin : reconnectez-vous pour continuer." in page


@pytest.mark.django_db
def test_a_session_ends_after_the_absolute_limit_even_when_in_use(dgs_epci, settings):
    client = logged_in(dgs_epci)
    shift(client, opened=settings.SESSION_ABSOLUTE_SECONDS + 5, seen=10)
    assert is_logged_out(client.get(reverse(HOME)))


@pytest.mark.django_db
def test_the_limits_are_settings(dgs_epci, settings):
    settings.SESSION_IDLE_SECONDS = 60 * 60 * 24
    client = logged_in(dgs_epci)
    shift(client, seen=3 * 3600)
    assert client.get(reverse(HOME)).status_code == 200


@pytest.mark.django_db
def test_logging_out_everywhere_ends_every_session_of_the_agent_only(dgs_epci, dgs_commune):
    laptop, phone, colleague = logged_in(dgs_epci), logged_in(dgs_epci), logged_in(dgs_commune)
    page = laptop.get(reverse(HOME)).content.decode()
    assert "Me déconnecter partout" in page
    time.sleep(0.01)  # the sessions were opened strictly before the revocation
    response = laptop.post(reverse("logout_everywhere"), follow=True)
    assert "Toutes vos sessions sont fermées, sur tous vos appareils." in response.content.decode()
    assert is_logged_out(laptop.get(reverse(HOME)))
    assert is_logged_out(phone.get(reverse(HOME)))
    assert colleague.get(reverse(HOME)).status_code == 200
    entry = JournalEntry.objects.get(action="communes.sessions.revoked")
    assert entry.actor == dgs_epci
    # A new login after that works.
    assert logged_in(dgs_epci).get(reverse(HOME)).status_code == 200


@pytest.mark.django_db
def test_logging_out_everywhere_is_a_post_for_logged_in_agents(dgs_epci, client):
    assert client.post(reverse("logout_everywhere")).status_code == 302  # to the login page
    assert not JournalEntry.objects.filter(action="communes.sessions.revoked").exists()
    assert logged_in(dgs_epci).get(reverse("logout_everywhere")).status_code == 405


@pytest.mark.django_db
def test_a_deactivated_agents_sessions_end_at_once(dgs_epci):
    client = logged_in(dgs_epci)
    assert client.get(reverse(HOME)).status_code == 200
    dgs_epci.is_active = False
    dgs_epci.save(update_fields=["is_active"])
    assert is_logged_out(client.get(reverse(HOME)))
