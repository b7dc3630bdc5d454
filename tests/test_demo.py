"""The demo territory the README's first command builds: every capability shows, and a second run changes nothing."""

from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from charte.models import Version
from codir.models import AgendaVersion, Envoi, PointOdj, Reunion
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
    models = [Territoire, Agent, Version, Reunion, PointOdj, Envoi, Proposition, Projet, Phase, Jalon, Indicateur]
    models += [Referent]
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
    # Every agenda sent has its recipient log (last year's meetings too); June's left late, most were read.
    assert not AgendaVersion.objects.filter(envois__isnull=True).exclude(reunion__dispatched_at=None).exists()
    assert Envoi.objects.filter(late_by__isnull=False).exists() and Envoi.objects.filter(read_at__isnull=False).exists()
    # A former DGA erased at his request: his item stays, under no name.
    bilan = PointOdj.objects.get(title="Commande publique mutualisée : bilan 2026")
    assert bilan.added_by.erased_at and str(bilan.added_by) == f"Personne effacée n° {bilan.added_by_id}"
    assert "Thomas Renaud" not in bilan.description and "Personne effacée" in bilan.description_html
    call_command("demo", password="Demo-test-2026", stdout=StringIO())
    assert counts() == first


def test_the_demo_accounts_that_must_have_a_second_factor_have_the_published_one(settings, tmp_path):
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from comptes.demo import DEMO_TOTP_SECRET, demo_devices
    from comptes.second_factor.policy import second_factor_required

    settings.MEDIA_ROOT = tmp_path
    settings.DEBUG = True  # as scripts/demo.sh runs it (the test runner turns DEBUG off)
    output = StringIO()
    call_command("demo", password="Demo-test-2026", stdout=output)
    assert DEMO_TOTP_SECRET in output.getvalue()
    enrolled = {device.user.email for device in demo_devices()}
    assert {"dgs.epci@paysdemortagne.test", "facilitatrice@cnfpt.test", "admin@codir.test"} <= enrolled
    assert "dgs@mortagne-sur-sevre.test" not in enrolled  # optional for a commune's DGS: left to them
    assert all(second_factor_required(device.user) for device in demo_devices())
    call_command("demo", password="Demo-test-2026", stdout=StringIO())
    assert TOTPDevice.objects.count() == len(enrolled)

    printed = StringIO()
    with time_machine.travel(timezone.now(), tick=False):  # the same 30-second window for both
        call_command("code_demo", stdout=printed)
        device = demo_devices()[0]
        code = f"{TOTP(device.bin_key, device.step, device.t0, device.digits).token():06d}"
    assert f"Code du moment : {code}" in printed.getvalue()
    assert "dgs.epci@paysdemortagne.test" in printed.getvalue()


def test_without_debug_the_demo_gives_nobody_the_published_second_factor(settings, tmp_path):
    from comptes.demo import demo_devices

    settings.MEDIA_ROOT = tmp_path
    settings.DEBUG = False
    call_command("demo", password="Un-autre-mot-de-passe-2026", stdout=StringIO())
    assert Agent.objects.filter(email="admin@codir.test", is_superuser=True).exists()
    assert demo_devices() == []
