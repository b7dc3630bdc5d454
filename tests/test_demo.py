"""The demo territory the README's first command builds: every capability shows, and a second run changes nothing."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from charte.models import Version
from codir.models import PointOdj, Reunion
from communes.models import Agent, Territoire
from decisions.models import Proposition
from reseaux.models import (
    Echange,
    HealthChange,
    Indicateur,
    Jalon,
    Lien,
    MembreReseau,
    Phase,
    Priorisation,
    Projet,
    Referent,
    Reseau,
    Revue,
)

pytestmark = pytest.mark.django_db


def counts() -> dict[str, int]:
    models = [Territoire, Agent, Version, Reunion, PointOdj, Proposition, Projet, Phase, Jalon, Indicateur, Referent]
    models += [Revue, HealthChange, Lien, Priorisation, Reseau, MembreReseau, Echange]
    return {model.__name__: model.objects.count() for model in models}


def test_the_demo_shows_every_capability_and_is_idempotent(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("demo", password="Demo-test-2026", stdout=StringIO())
    first = counts()
    assert first["Territoire"] == 2 and first["Version"] >= 1 and first["Reunion"] >= 2
    mortagne = Territoire.objects.get(siren="248500662")
    projets = Projet.objects.for_territoire(mortagne)
    assert set(projets.values_list("pilotage", flat=True)) == {"epci", "commune", "copilotage", "alterne"}
    assert Jalon.objects.late(on=timezone.localdate()).exists()
    assert first["Phase"] and first["Indicateur"] and first["Referent"] and first["Revue"] and first["HealthChange"]
    assert Lien.objects.filter(kind="renforce").count() >= 2 and first["Priorisation"] == 1
    assert first["Reseau"] == 3 and MembreReseau.objects.filter(until__isnull=False).exists() and first["Echange"] == 2
    call_command("demo", password="Demo-test-2026", stdout=StringIO())
    assert counts() == first
