"""Shared fixtures: real territories from the vendored extract and named personas.

Data is built through the services, so the tests exercise the real rules.
"""

import functools
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from communes import services
from communes.importer import find_epci, load_extract, territoires_import
from communes.models import Agent, Collectivite, Membership, Seat, Territoire
from comptes.second_factor import session_mark_verified
from decisions import services as decision_services

MORTAGNE = "248500662"  # CC du Pays de Mortagne, 11 communes
ACHARDS = "248500530"  # CC du Pays des Achards, 9 communes
PASSWORD = "Un-mot-de-passe-solide-2026"


@functools.cache
def _records():
    return load_extract()


def import_epci(siren: str) -> Territoire:
    report = territoires_import(find_epci(_records(), siren))
    return report.territoires[0]


@pytest.fixture(autouse=True)
def empty_cache():
    """Cached analyses must not leak from one test to the next (ids are reused after a rollback)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def immediate_tasks(settings):
    """Tasks run at once in tests; the database backend and its worker are exercised separately."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # The production hasher costs ~0.3 s a password by design; tests create many accounts.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def mortagne(db) -> Territoire:
    return import_epci(MORTAGNE)


@pytest.fixture
def achards(db) -> Territoire:
    return import_epci(ACHARDS)


def collectivite(territoire: Territoire, name: str) -> Collectivite:
    return Collectivite.objects.get(territoire=territoire, name=name)


def make_member(
    territoire: Territoire,
    collectivite_name: str,
    email: str,
    role: str,
    seat: str = "",
    first_name: str = "Prénom",
    last_name: str = "Nom",
) -> Agent:
    target = collectivite(territoire, collectivite_name)
    agent = services.agent_create(
        email=email, first_name=first_name, last_name=last_name, password=PASSWORD, collectivite=target
    )
    membership = services.membership_add(territoire=territoire, agent=agent, collectivite=target, role=role, by=None)
    if seat:
        services.seat_assign(collectivite=target, kind=seat, membership=membership, by=None)
    return agent


@pytest.fixture
def dgs_epci(mortagne) -> Agent:
    """The EPCI's DGS: titulaire of the EPCI's voice, administers the territory by right."""
    return make_member(
        mortagne,
        "CC du Pays de Mortagne",
        "claire.bernard@paysdemortagne.test",
        Membership.Role.DGS,
        Seat.Kind.TITULAIRE,
        "Claire",
        "Bernard",
    )


@pytest.fixture
def dgs_commune(mortagne) -> Agent:
    """The DGS of the ville-centre, Mortagne-sur-Sèvre."""
    return make_member(
        mortagne,
        "Mortagne-sur-Sèvre",
        "sophie.guerin@mortagne-sur-sevre.test",
        Membership.Role.DGS,
        Seat.Kind.TITULAIRE,
        "Sophie",
        "Guérin",
    )


@pytest.fixture
def sg_petite_commune(mortagne) -> Agent:
    """The SG of Mallièvre, 240 inhabitants."""
    return make_member(
        mortagne,
        "Mallièvre",
        "elodie.martineau@mallievre.test",
        Membership.Role.SG,
        Seat.Kind.TITULAIRE,
        "Élodie",
        "Martineau",
    )


@pytest.fixture
def referent(mortagne) -> Agent:
    return make_member(
        mortagne,
        "CC du Pays de Mortagne",
        "thomas.charrier@paysdemortagne.test",
        Membership.Role.REFERENT,
        first_name="Thomas",
        last_name="Charrier",
    )


@pytest.fixture
def observateur(mortagne) -> Agent:
    return make_member(
        mortagne,
        "CC du Pays de Mortagne",
        "bernard.pineau@paysdemortagne.test",
        Membership.Role.OBSERVATEUR,
        first_name="Bernard",
        last_name="Pineau",
    )


@pytest.fixture
def facilitateur(mortagne) -> Agent:
    """A CNFPT consultant who accompanies the Pays de Mortagne; member of no territory."""
    agent = services.agent_create(
        email="anne.lebrun@cnfpt.test", first_name="Anne", last_name="Lebrun", password=PASSWORD
    )
    services.facilitator_grant(territoire=mortagne, agent=agent, by=None)
    return agent


@pytest.fixture
def outsider(achards) -> Agent:
    """The DGS of another territory (Pays des Achards): must see nothing of Mortagne."""
    return make_member(
        achards,
        "CC du Pays des Achards",
        "helene.fradet@paysdesachards.test",
        Membership.Role.DGS,
        Seat.Kind.TITULAIRE,
        "Hélène",
        "Fradet",
    )


def force_complete_login(client: Client, agent: Agent, backend: str | None = None) -> None:
    """`force_login` stands for a complete login: password *and* second factor. The session is marked as having
    passed the second factor, so that agents who must have one (the EPCI's DGS, facilitators, staff) reach the
    pages under test instead of the code page; tests of the second factor itself log in through the forms."""
    _force_login_without_second_factor(client, agent, backend)
    session = client.session
    session_mark_verified(session, agent=agent, kind="test")
    session.save()


_force_login_without_second_factor = Client.force_login


@pytest.fixture(autouse=True)
def forced_logins_pass_the_second_factor(monkeypatch):
    """Every `client.force_login(agent)` in the tests (and APIClient's) is a complete login, see
    `force_complete_login`; `force_login_without_second_factor` keeps the bare one for the second factor's tests."""
    monkeypatch.setattr(Client, "force_login", force_complete_login)


def force_login_without_second_factor(client: Client, agent: Agent) -> None:
    """A session opened by password only, as after Django's admin login page."""
    _force_login_without_second_factor(client, agent)


def totp_code(device) -> str:
    """The code the agent's authenticator app shows now, or the next one when the current one was already used
    (django-otp accepts a code once, and one step ahead)."""
    from django_otp.oath import TOTP

    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    for offset in range(device.tolerance + 1):
        totp.drift = device.drift + offset
        if totp.t() > device.last_t:
            return f"{totp.token():06d}"
    raise AssertionError("no fresh TOTP code within the tolerance: wait for the next step")


@pytest.fixture
def client_for(client):
    """Log the test client in as the given agent (a complete login, second factor included) and return it."""

    def login(agent: Agent):
        force_complete_login(client, agent)
        return client

    return login


@pytest.fixture
def api_for():
    from rest_framework.test import APIClient

    def login(agent: Agent):
        api = APIClient()
        api.force_authenticate(agent)
        return api

    return login


@pytest.fixture
def open_proposition(mortagne, dgs_epci):
    """Open a proposition by the EPCI's DGS, closing in three days."""

    def create(**fields):
        fields.setdefault("title", "Mutualiser le service commun d'instruction des autorisations d'urbanisme")
        fields.setdefault("body", "Le service commun instruit **toutes** les autorisations à partir du 1er janvier.")
        proposition = decision_services.proposition_create(territoire=mortagne, author=dgs_epci, **fields)
        return decision_services.proposition_open(
            proposition=proposition, by=dgs_epci, closes_at=timezone.now() + timedelta(days=3)
        )

    return create


@pytest.fixture
def suppleant_commune(mortagne, dgs_commune):
    """The DGA of Mortagne-sur-Sèvre, its suppléant."""
    return make_member(
        mortagne, "Mortagne-sur-Sèvre", "dga@mortagne-sur-sevre.test", Membership.Role.DGA, Seat.Kind.SUPPLEANT
    )


@pytest.fixture
def voices(mortagne, dgs_epci, dgs_commune, sg_petite_commune):
    """Titulaires for four more communes, so that six of the twelve collectivités have a voice."""
    names = ["Chanverrie", "Saint-Laurent-sur-Sèvre", "La Gaubretière", "Tiffauges"]
    extra = [
        make_member(mortagne, name, f"dgs{i}@{i}.test", Membership.Role.DGS, Seat.Kind.TITULAIRE)
        for i, name in enumerate(names)
    ]
    return [dgs_epci, dgs_commune, sg_petite_commune, *extra]
