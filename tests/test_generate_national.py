"""The national generator: the real territories it picks, the invariants its bulk inserts keep, determinism."""

import hashlib
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count
from django.urls import reverse

from charte.models import Version
from codir.models import Envoi, PointOdj, Reunion
from communes.importer import load_extract
from communes.models import Agent, Collectivite, Membership, Seat, Territoire
from decisions.models import Position, Proposition

GENERATED_APPS = ("communes", "charte", "codir", "decisions", "reseaux", "guardian")


def _generate() -> dict:
    call_command("generate_national", "--territoires", "3", "--scale", "0.2", "--seed", "7", stdout=StringIO())
    counts = {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label in GENERATED_APPS
    }
    titles = "\n".join(sorted(Reunion.objects.values_list("title", flat=True)))
    counts["titles"] = hashlib.sha256(titles.encode()).hexdigest()
    return counts


@pytest.fixture
def generated(db) -> dict:
    return _generate()


def test_picks_the_smallest_the_largest_and_one_more(generated):
    records = sorted(load_extract(), key=lambda r: (len(r.communes), r.siren))
    sirens = set(Territoire.objects.values_list("siren", flat=True))
    assert len(sirens) == 3
    assert {records[0].siren, records[-1].siren} <= sirens


def test_invariants_hold(generated):
    for collectivite in Collectivite.objects.all():
        assert Seat.objects.active().filter(collectivite=collectivite, kind=Seat.Kind.TITULAIRE).count() == 1
    emails = [e.lower() for e in Agent.objects.values_list("email", flat=True)]
    assert len(emails) == len(set(emails))
    assert not Agent.objects.filter(password__regex=r"^[^!]").exists()  # nobody can log in with a password
    for territoire in Territoire.objects.all():
        reunions = Reunion.objects.for_territoire(territoire)
        assert len({r.starts_at.year for r in reunions}) == 2
        assert reunions.count() == 20
        assert not reunions.annotate(n=Count("points")).filter(n=0).exists()
        assert Envoi.objects.filter(version__reunion__territoire=territoire, sent_at__isnull=False).exists()
        assert not Envoi.objects.filter(version__reunion__territoire=territoire, sent_at__isnull=True).exists()
        envoi = Envoi.objects.filter(version__reunion__territoire=territoire).select_related("version").first()
        assert envoi.sent_at == envoi.version.due_at  # written past the ORM, read back as the ORM writes them
        closed = Proposition.objects.for_territoire(territoire).filter(status=Proposition.Status.CLOSE)
        assert closed.exists()
        positions = Position.objects.filter(round__proposition__territoire=territoire)
        assert positions.exists()
        assert not positions.exclude(collectivite__territoire=territoire).exists()
        versions = Version.objects.for_territoire(territoire)
        assert 2 <= versions.count() <= 3
        assert versions.filter(status=Version.Status.ADOPTEE).count() == 1
        assert PointOdj.objects.for_territoire(territoire).filter(proposition__isnull=False).exists()


def test_pages_answer_for_a_generated_dgs(generated, client):
    for territoire in Territoire.objects.all():
        dgs = Membership.objects.get(territoire=territoire, role=Membership.Role.DGS, collectivite__kind="epci").agent
        client.force_login(dgs)
        home = client.get(reverse("communes:territoire", args=[territoire.slug]))
        assert home.status_code == 200
        calendar = client.get(reverse("codir:calendar", args=[territoire.slug]))
        assert calendar.status_code == 200


def test_same_seed_same_data(db):
    with transaction.atomic():
        first = _generate()
        transaction.set_rollback(True)  # back to an empty database for the second run
    assert not Territoire.objects.exists()
    second = _generate()
    assert first == second
    assert first["communes.Agent"] > 0
