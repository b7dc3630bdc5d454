"""API fuzzing: schemathesis generates requests from the OpenAPI schema the application serves, and sends them
in process (WSGI, no server) with each persona's token, against a seeded territory.

Every answer must be no server error, carry a status code the schema documents and a body that matches the
schema; each persona must actually get through to most of what it may read (a fuzzer that only ever hits 404
proves nothing). Then explicit tests: text fields refuse NUL characters and over-long input with a 400 in
French, in the API and in the forms that edit the same texts. The file runs on SQLite and on PostgreSQL,
which refuses NUL in text and jsonb and over-long values in bounded columns with an error, a 500 if the
input was not validated first.
"""

import time
from collections import Counter, defaultdict
from dataclasses import dataclass

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from charte import services as charte_services
from charte.forms import AmendementForm, SectionForm
from charte.models import Section
from codir.forms import InstanceForm, MinutesForm
from codir.revue import services as revue_services
from codir.revue.forms import EngagementForm
from communes.forms import FacilitatorInvitationForm
from communes.limits import MARKDOWN_MAX_LENGTH, TEXT_MAX_LENGTH
from communes.models import Agent, Territoire
from comptes.second_factor.policy import second_factor_status
from comptes.tokens import api_token_issue
from decisions.forms import ActionForm, PropositionForm, WithdrawForm
from reseaux.forms import ProjetFieldsForm, RevueForm
from reseaux.forms_networks import EchangeForm
from tests.isolation_objects import build_objects

PERSONAS = [
    "dgs_epci",
    "dgs_commune",
    "sg_petite_commune",
    "referent",
    "observateur",
    "facilitateur",
    "outsider",
    "anonymous",
]

# The least share of the GET operations that must answer 2xx to the persona at least once: what its role may
# read, measured on this seed with these settings, rounded down with a margin for new endpoints. A drop means
# the fuzzer stopped reaching the views (ids no longer resolve, a token refused…): the 5xx and schema checks
# would then prove nothing.
MIN_GET_SUCCESS = {
    "dgs_epci": 0.95,
    "dgs_commune": 0.85,
    "sg_petite_commune": 0.85,
    "referent": 0.85,
    "observateur": 0.85,
    "facilitateur": 0.85,
    "outsider": 0.05,  # only what is not a territory's: their own territories, calendar link, own data
    "anonymous": 0.0,
}

# Bounded so that the whole file stays under three minutes on one CPU. Each example is one request: reads
# get a few more, for the query parameters (filters, pages, dates) they take; the bodies of writes are
# random, so most of them are refused with a 400 anyway; one example per operation is enough to check that
# an anonymous request is a documented 401, and a few of invalid data that it is a documented 4xx.
EXAMPLES = {"GET": 5, "write": 3, "anonymous": 1, "invalid": 3}
FUZZ_SETTINGS = {
    "deadline": None,  # a request's time depends on the machine, not on the example
    # The same examples on every run and every machine, and none replayed from a local database: a failure
    # found in CI is reproduced as it is, and a passing run stays a passing run.
    "derandomize": True,
    "database": None,
    # No shrinking: a failure is reported with the request that caused it (a curl command), and minimising it
    # would replay requests for minutes.
    "phases": [Phase.explicit, Phase.generate],
    # Cases are drawn from a large schema: slow and large draws are the nature of it, not a mistake.
    "suppress_health_check": list(HealthCheck),
}
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def api_schema(django_db_blocker):
    """The schema as clients download it (drf-spectacular's view), from Django's own WSGI application in
    process; loaded once for the module. Cases sent from it go to the same application."""
    with django_db_blocker.unblock():
        return schemathesis.openapi.from_wsgi(f"{reverse('api_schema')}?format=json", get_wsgi_application())


@pytest.fixture
def test_connection_kept():
    """Django's WSGI handler closes "old" database connections when a request starts and ends, which would end
    the test's transaction: Django's test client unhooks the same two signals while it sends a request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@dataclass
class Seed:
    territoire: Territoire
    path_ids: dict  # path fragment -> the real ids of its parameters


@pytest.fixture
def seed(mortagne, achards, dgs_epci, dgs_commune, facilitateur, settings, tmp_path) -> Seed:
    """One object of each kind in the Pays de Mortagne, made through the services, so that every path with an
    id resolves; the Pays des Achards exists for the outsider."""
    settings.MEDIA_ROOT = tmp_path
    o = build_objects(mortagne, dgs_epci, dgs_commune)
    campagne = revue_services.campagne_create(
        facilitator=facilitateur, year=o.revue_annuelle.year + 1, title="Campagne", territoires=[mortagne]
    )
    path_ids = {
        "/facilitation/campagnes/{id}/": {"id": campagne.pk},
        "/actions/{id}/": {"id": o.action.pk},
        "/axes/{id}/": {"id": o.axe.pk},
        "/charte/amendements/{id}/": {"id": o.amendement.pk},
        "/charte/sections/{id}/": {"id": o.section.pk},
        "/charte/versions/{number}/": {"number": o.version.number},
        "/collectivites/{id}/": {"id": o.collectivite.pk},
        "/contributions/{id}/": {"id": o.contribution.pk},
        "/echanges/{id}/": {"id": o.echange.pk},
        "/facilitateurs/{id}/": {"id": facilitateur.pk},
        "/indicateurs/{id}/": {"id": o.indicateur.pk},
        "/instances/{id}/": {"id": o.instance.pk},
        "/invitations/{id}/": {"id": o.invitation.pk},
        "/jalons/{id}/": {"id": o.jalon.pk},
        "/journal/{id}/": {"id": o.journal_entry.pk},
        "/liens/{id}/": {"id": o.lien.pk},
        "/membres/{id}/": {"id": o.membership.pk},
        "/phases/{id}/": {"id": o.phase.pk},
        "/pilotes/{id}/": {"id": o.pilote.pk},
        "/projets/{id}/": {"id": o.projet.pk},
        "/propositions/{id}/": {"id": o.proposition.pk},
        "/referents/{id}/": {"id": o.referent.pk},
        "/reseaux/{id}/": {"id": o.reseau.pk},
        "/reseaux-evenements/{id}/": {"id": o.evenement.pk},
        "/reseaux-membres/{id}/": {"id": o.membre_reseau.pk},
        "/reseaux-ressources/{id}/": {"id": o.ressource.pk},
        "/reunions/{id}/": {"id": o.reunion.pk},
        "/revues-annuelles/{year}/": {"year": o.revue_annuelle.year, "engagement_id": o.engagement.pk},
        "/revues/{id}/": {"id": o.revue.pk},
        "/sieges/{id}/": {"id": o.seat.pk},
        "/territoires/{slug}/": {"slug": mortagne.slug},
    }
    return Seed(territoire=mortagne, path_ids=path_ids)


def path_parameters(seed: Seed, path: str) -> dict:
    """Real ids for the operation's path: random ones would only ever reach the router's 404. Parameters of a
    path the seed does not know (a new endpoint) are left to schemathesis."""
    parameters = {"territoire_slug": seed.territoire.slug} if "{territoire_slug}" in path else {}
    for fragment, ids in seed.path_ids.items():
        if fragment in path:
            parameters.update(ids)
    return parameters


def token_for(agent: Agent) -> str:
    """A token as `POST /api/v1/jeton/` gives it; an agent who must have a second factor gets one first, as the
    token is refused otherwise."""
    second_factor = None
    if second_factor_status(agent).required:
        TOTPDevice.objects.create(user=agent, name="Application", confirmed=True)
        second_factor = "totp"
    return api_token_issue(agent=agent, ip="127.0.0.1", second_factor=second_factor).key


def fuzz(operation, strategy, max_examples: int, statuses: dict):
    """Hypothesis test for one operation: each example is sent, counted, checked, then rolled back, so that
    every example meets the seed as it was (a withdrawn proposition or a vacated seat would turn the next
    examples into 400s, and what one example wrote would not depend on the order of the operations)."""

    @given(case=strategy)
    @settings(max_examples=max_examples, **FUZZ_SETTINGS)
    def run(case):
        with transaction.atomic():
            response = case.call()
            statuses[operation.label][response.status_code] += 1
            case.validate_response(response, checks=CHECKS)
            transaction.set_rollback(True)

    return run


@dataclass
class FuzzRun:
    operations: list
    statuses: dict  # operation label -> Counter of status codes
    failures: list[str]
    seconds: float

    def succeeded(self, operation) -> bool:
        return any(200 <= code < 300 for code in self.statuses[operation.label])

    def summary(self, name: str) -> str:
        reads = [operation for operation in self.operations if operation.method == "get"]
        requests = sum(sum(counts.values()) for counts in self.statuses.values())
        return (
            f"{name}: {len(self.operations)} operations, {requests} requests, "
            f"{sum(map(self.succeeded, self.operations))} operations with a 2xx "
            f"(GET: {sum(map(self.succeeded, reads))}/{len(reads)}), {self.seconds:.1f} s"
        )


def fuzz_every_operation(api_schema, seed: Seed, headers: dict, examples, mode=schemathesis.GenerationMode.POSITIVE):
    # Reads first, for a readable report; each example is rolled back, so the order changes nothing else.
    operations = sorted(
        (result.ok() for result in api_schema.get_all_operations()), key=lambda op: (op.method != "get", op.path)
    )
    if mode == schemathesis.GenerationMode.NEGATIVE:
        # Only what takes a query or a body: the ids of the path stay valid, so there is nothing else to break.
        operations = [operation for operation in operations if operation.query or operation.body]
    run = FuzzRun(operations, defaultdict(Counter), [], 0.0)
    started = time.monotonic()
    for operation in operations:
        strategy = operation.as_strategy(mode, path_parameters=path_parameters(seed, operation.path), headers=headers)
        try:
            fuzz(operation, strategy, examples(operation), run.statuses)()
        except Unsatisfiable:
            pass  # no invalid value exists for what the operation takes (a lone optional boolean…)
        except (Exception, BaseExceptionGroup) as error:  # schemathesis' FailureGroup is a BaseExceptionGroup
            run.failures.append(f"{operation.label}: {error}")
    run.seconds = time.monotonic() - started
    return run


@pytest.mark.parametrize("persona", PERSONAS)
def test_fuzzing_every_operation_as_each_persona(persona, request, seed, api_schema, test_connection_kept, capsys):
    headers = {}
    if persona != "anonymous":
        headers["Authorization"] = f"Token {token_for(request.getfixturevalue(persona))}"

    def examples(operation) -> int:
        return EXAMPLES["anonymous" if persona == "anonymous" else "GET" if operation.method == "get" else "write"]

    run = fuzz_every_operation(api_schema, seed, headers, examples)
    with capsys.disabled():
        print(f"\n{run.summary(persona)}")
    assert not run.failures, "\n\n".join(run.failures)
    reads = [operation for operation in run.operations if operation.method == "get"]
    assert sum(map(run.succeeded, reads)) >= MIN_GET_SUCCESS[persona] * len(reads), sorted(
        f"{operation.label} {dict(run.statuses[operation.label])}"
        for operation in reads
        if not run.succeeded(operation)
    )
    if persona in ("outsider", "anonymous"):
        # Nobody reads or writes a territory they do not belong to.
        scoped = [operation for operation in run.operations if "{territoire_slug}" in operation.path]
        assert [operation.label for operation in scoped if run.succeeded(operation)] == []


def test_fuzzing_every_operation_with_invalid_data(seed, dgs_epci, api_schema, test_connection_kept, capsys):
    """Data that breaks the schema (wrong types, missing or extra fields, out-of-range values) is a documented
    4xx, never a 500. As the EPCI's DGS, whose rights let the most requests reach validation and the services."""
    headers = {"Authorization": f"Token {token_for(dgs_epci)}"}
    run = fuzz_every_operation(
        api_schema, seed, headers, lambda operation: EXAMPLES["invalid"], schemathesis.GenerationMode.NEGATIVE
    )
    with capsys.disabled():
        print(f"\n{run.summary('dgs_epci, invalid data')}")
    assert not run.failures, "\n\n".join(run.failures)


# --- Explicit tests: NUL characters and over-long texts -----------------------------------------------------

NUL_MESSAGE = "Le caractère nul n’est pas autorisé."


def too_long_message(limit: int) -> str:
    return f"Assurez-vous que ce champ comporte au plus {limit}\xa0caractères."


@dataclass
class TextInput:
    """A text field of an API endpoint: a valid body, the field, and its bound."""

    persona: str
    method: str
    url: str  # formatted with the seed's ids
    body: dict
    field: str
    max_length: int
    valid_status: int = 201


def seed_ids(seed: Seed) -> dict:
    return {
        "slug": seed.territoire.slug,
        "proposition": seed.path_ids["/propositions/{id}/"]["id"],
        "section": seed.path_ids["/charte/sections/{id}/"]["id"],
        "reunion": seed.path_ids["/reunions/{id}/"]["id"],
        "year": seed.path_ids["/revues-annuelles/{year}/"]["year"],
        "projet": seed.path_ids["/projets/{id}/"]["id"],
    }


# One or two text fields of each application, Markdown and plain text; the JSON value of a rule too.
TEXT_INPUTS = {
    "communes-facilitator-email": TextInput(
        "dgs_epci", "post", "/api/v1/t/{slug}/facilitateurs/inviter/", {"email": "x"}, "email", 254
    ),
    "decisions-proposition-body": TextInput(
        "dgs_epci", "post", "/api/v1/t/{slug}/propositions/", {"title": "Mutualiser"}, "body", MARKDOWN_MAX_LENGTH
    ),
    "decisions-withdraw-reason": TextInput(
        "dgs_epci", "post", "/api/v1/t/{slug}/propositions/{proposition}/retirer/", {}, "reason", TEXT_MAX_LENGTH, 200
    ),
    "charte-section-body": TextInput(
        "dgs_epci",
        "patch",
        "/api/v1/t/{slug}/charte/sections/{section}/",
        {"title": "Réunions", "revision": 1},
        "body",
        MARKDOWN_MAX_LENGTH,
        200,
    ),
    "charte-amendement-motive": TextInput(
        "dgs_commune",
        "post",
        "/api/v1/t/{slug}/charte/amendements/",
        {
            "kind": "regle",
            "rule_name": "delai_prevenance_heures",
            "rule_value": 96,
            "closes_at": "2099-01-01T10:00:00+01:00",
        },
        "motive",
        TEXT_MAX_LENGTH,
    ),
    "codir-instance-agenda": TextInput(
        "dgs_epci",
        "post",
        "/api/v1/t/{slug}/instances/",
        {"kind": "conseil", "starts_at": "2099-01-01T18:00:00+01:00"},
        "agenda",
        MARKDOWN_MAX_LENGTH,
    ),
    "codir-point-description": TextInput(
        "dgs_epci",
        "post",
        "/api/v1/t/{slug}/reunions/{reunion}/points/",
        {"title": "Budget"},
        "description",
        MARKDOWN_MAX_LENGTH,
    ),
    "revue-bilan": TextInput(
        "facilitateur", "post", "/api/v1/t/{slug}/revues-annuelles/{year}/bilan/", {}, "bilan", MARKDOWN_MAX_LENGTH, 200
    ),
    "revue-engagement-description": TextInput(
        "facilitateur",
        "post",
        "/api/v1/t/{slug}/revues-annuelles/{year}/engagements/",
        {"title": "Se voir", "owner_collectivite": None},
        "description",
        TEXT_MAX_LENGTH,
    ),
    "reseaux-projet-description": TextInput(
        "dgs_commune", "patch", "/api/v1/t/{slug}/projets/{projet}/", {}, "description", MARKDOWN_MAX_LENGTH, 200
    ),
    "reseaux-revue-progress": TextInput(
        "dgs_commune",
        "post",
        "/api/v1/t/{slug}/revues/",
        {"projet": None, "held_on": None, "health": "vert"},
        "progress",
        TEXT_MAX_LENGTH,
    ),
}


def text_value(field: str, length: int) -> str:
    if field == "email":  # a valid address of that length: labels of at most 63 characters
        local = "a" * 64
        labels = []
        remaining = length - len(local) - 1 - len(".fr")
        while remaining > 0:
            label = min(63, remaining - 1 if remaining > 64 else remaining)
            labels.append("d" * label)
            remaining -= label + 1
        return f"{local}@{'.'.join(labels)}.fr"
    return "M" * length


def fill(body: dict, seed: Seed, dgs_commune) -> dict:
    """Ids the body takes from the seed (unknown before it is built)."""
    body = dict(body)
    if "owner_collectivite" in body:
        body["owner_collectivite"] = dgs_commune.memberships.get().collectivite_id
    if "projet" in body:
        body["projet"] = seed.path_ids["/projets/{id}/"]["id"]
    if "held_on" in body:
        body["held_on"] = timezone.localdate().isoformat()
    if "revision" in body:
        body["revision"] = Section.objects.get(pk=seed.path_ids["/charte/sections/{id}/"]["id"]).revision
    return body


@pytest.mark.parametrize("name", TEXT_INPUTS)
def test_text_fields_refuse_nul_and_over_long_input_with_a_400_in_french(name, request, seed, api_for, dgs_commune):
    case = TEXT_INPUTS[name]
    api = api_for(request.getfixturevalue(case.persona))
    url = case.url.format(**seed_ids(seed))
    body = fill(case.body, seed, dgs_commune)

    def send(value: str):
        with transaction.atomic():  # each attempt meets the seed as it was
            response = getattr(api, case.method)(url, {**body, case.field: value}, format="json")
            transaction.set_rollback(True)
        return response

    with_nul = send(f"{text_value(case.field, 20)[:10]}\x00{text_value(case.field, 20)[10:]}")
    assert with_nul.status_code == 400, with_nul.content
    if case.field != "email":  # an address with a NUL is first of all not an address
        assert with_nul.json()[case.field] == [NUL_MESSAGE]
    too_long = send(text_value(case.field, case.max_length + 1))
    assert too_long.status_code == 400, too_long.content[:500]
    assert too_long.json()[case.field] == [too_long_message(case.max_length)]
    at_the_limit = send(text_value(case.field, case.max_length))
    assert at_the_limit.status_code == case.valid_status, at_the_limit.content[:500]


def test_a_rule_value_refuses_nul_characters_anywhere_in_its_json(seed, api_for, dgs_commune):
    url = f"/api/v1/t/{seed.territoire.slug}/charte/amendements/"
    body = {"kind": "regle", "rule_name": "mode_decision", "motive": "M", "closes_at": "2099-01-01T10:00:00+01:00"}
    for value in ["consente\x00ment", {"a\x00": 1}, [["\x00"]]]:
        response = api_for(dgs_commune).post(url, {**body, "rule_value": value}, format="json")
        assert response.status_code == 400, response.content
        assert response.json()["rule_value"] == [NUL_MESSAGE]


def test_query_parameters_with_a_nul_character_are_a_400(seed, api_for, dgs_epci):
    # The register's search goes to the database as it is: PostgreSQL refuses a NUL in it (a 500).
    url = f"/api/v1/t/{seed.territoire.slug}/propositions/"
    response = api_for(dgs_epci).get(url, {"etat": "close", "q": "mutua\x00lisation"})
    assert response.status_code == 400
    assert response.json() == {"detail": [NUL_MESSAGE]}
    assert api_for(dgs_epci).get(url, {"etat": "close", "q": "mutualisation"}).status_code == 200


def test_moments_before_1911_or_far_ahead_are_refused(seed, api_for, dgs_epci):
    """Paris time before 1911 has an offset with seconds (+00:09:21), which no ISO 8601 client reads back."""
    url = f"/api/v1/t/{seed.territoire.slug}/instances/"
    for moment in ["1046-10-02T07:34:03Z", "2300-01-01T10:00:00+01:00"]:
        response = api_for(dgs_epci).post(url, {"kind": "conseil", "starts_at": moment}, format="json")
        assert response.status_code == 400
        assert response.json() == {"starts_at": ["Choisissez une date entre 2000 et 2199."]}


# Forms that edit the same texts as the API: (form for the data, data besides the text, field, bound).
FORM_CASES = {
    "proposition": (
        lambda data, t, v: PropositionForm(data=data), {"title": "T", "kind": "decision"}, "body", MARKDOWN_MAX_LENGTH
    ),
    "action": (lambda data, t, v: ActionForm(data=data, territoire=t), {"title": "T"}, "description", TEXT_MAX_LENGTH),
    "withdraw": (lambda data, t, v: WithdrawForm(data=data), {}, "reason", TEXT_MAX_LENGTH),
    "section": (lambda data, t, v: SectionForm(data=data), {"title": "T", "revision": 1}, "body", MARKDOWN_MAX_LENGTH),
    "amendement": (
        lambda data, t, v: AmendementForm(data=data, version=v, kind="section"), {"kind": "section"}, "motive",
        TEXT_MAX_LENGTH,
    ),
    "instance": (lambda data, t, v: InstanceForm(data=data), {"kind": "conseil"}, "agenda", MARKDOWN_MAX_LENGTH),
    "minutes": (lambda data, t, v: MinutesForm(data=data), {}, "text", MARKDOWN_MAX_LENGTH),
    "engagement": (
        lambda data, t, v: EngagementForm(data=data, territoire=t), {}, "engagement-description", TEXT_MAX_LENGTH
    ),
    "projet": (lambda data, t, v: ProjetFieldsForm(data=data, territoire=t), {}, "objectives", MARKDOWN_MAX_LENGTH),
    "revue": (lambda data, t, v: RevueForm(data=data, territoire=t), {}, "progress", TEXT_MAX_LENGTH),
    "echange": (lambda data, t, v: EchangeForm(data=data, territoire=t), {}, "learnt", TEXT_MAX_LENGTH),
    "facilitator": (lambda data, t, v: FacilitatorInvitationForm(data=data), {}, "facilitateur-email", 254),
}  # fmt: skip


@pytest.mark.parametrize("name", FORM_CASES)
def test_forms_bound_the_same_texts_and_refuse_nul(name, mortagne, dgs_epci):
    make, data, key, limit = FORM_CASES[name]
    field = key.rsplit("-", 1)[-1]  # the key carries the form's prefix
    version = charte_services.charte_start(territoire=mortagne, by=dgs_epci) if name == "amendement" else None

    def errors(value: str) -> list[str]:
        return make({**data, key: value}, mortagne, version).errors.get(field, [])

    assert errors(text_value(field, limit)) == []
    (too_long,) = errors(text_value(field, limit + 1))
    assert too_long.startswith(f"Assurez-vous que cette valeur comporte au plus {limit}")
    if field != "email":
        assert errors("Une\x00valeur") == [NUL_MESSAGE]
