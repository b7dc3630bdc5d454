from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from charte import services
from charte.models import Amendement, Section
from tests.charte.conftest import adopt

pytestmark = pytest.mark.django_db


def test_versions_and_rules_in_force_through_the_api(charte_in_force, mortagne, dgs_commune, voices, api_for):
    api = api_for(dgs_commune)
    versions = api.get(reverse("api:charte-version-list", args=[mortagne.slug])).json()
    assert [(v["number"], v["status"]) for v in versions["results"]] == [(1, "adoptee")]
    detail = api.get(reverse("api:charte-version-detail", args=[mortagne.slug, 1])).json()
    assert len(detail["sections"]) == 10 and detail["regles"]["delai_prevenance_heures"] == 48
    rules = reverse("api:charte-regles", args=[mortagne.slug])
    response = api.post(
        reverse("api:charte-amendement-list", args=[mortagne.slug]),
        {"kind": "regle", "rule_name": "delai_prevenance_heures", "rule_value": 72, "motive": "Plus de temps.",
         "closes_at": (timezone.now() + timedelta(days=3)).isoformat()},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.json()
    before = timezone.now()
    adopt(Amendement.objects.get().proposition, voices, dgs_commune)
    assert api.get(rules).json()["delai_prevenance_heures"] == 72
    assert api.get(rules, {"a": before.isoformat()}).json()["delai_prevenance_heures"] == 48
    assert api.get(rules, {"a": "hier"}).status_code == 400


def test_a_stale_section_save_through_the_api_gets_409_with_the_current_text(mortagne, dgs_epci, dgs_commune, api_for):
    draft = services.charte_start(territoire=mortagne, by=dgs_epci)
    section = draft.sections.get(key="reunions")
    url = reverse("api:charte-section-detail", args=[mortagne.slug, section.pk])
    first = api_for(dgs_epci).patch(
        url, {"title": section.title, "body": "Texte de Claire", "revision": 1}, format="json"
    )
    assert first.status_code == 200 and first.json()["revision"] == 2
    second = api_for(dgs_commune).patch(
        url, {"title": section.title, "body": "Texte de Sophie", "revision": 1}, format="json"
    )
    assert second.status_code == 409 and second.json()["current"]["body"] == "Texte de Claire"
    assert Section.objects.get(pk=section.pk).body == "Texte de Claire"


def test_signing_and_ratifying_through_the_api(charte_in_force, mortagne, dgs_commune, observateur, api_for):
    api = api_for(dgs_commune)
    signed = api.post(reverse("api:charte-version-signer", args=[mortagne.slug, 1]))
    assert signed.status_code == 201 and signed.json()["collectivite"]["name"] == "Mortagne-sur-Sèvre"
    assert api.post(reverse("api:charte-version-signer", args=[mortagne.slug, 1])).status_code == 400
    pdf = SimpleUploadedFile("d.pdf", b"%PDF-1.4 x", content_type="application/pdf")
    ratified = api.post(
        reverse("api:charte-version-ratifier", args=[mortagne.slug, 1]),
        {"deliberation_date": timezone.localdate().isoformat(), "deliberation_number": "2026-118", "document": pdf},
        format="multipart",
    )
    assert ratified.status_code == 201, ratified.json()
    assert api_for(observateur).post(reverse("api:charte-version-signer", args=[mortagne.slug, 1])).status_code == 400
    assert (
        api_for(observateur)
        .post(
            reverse("api:charte-amendement-list", args=[mortagne.slug]),
            {"kind": "section", "motive": "x"},
            format="json",
        )
        .status_code
        == 403
    )


def test_bad_amendment_input_gets_french_400s(charte_in_force, mortagne, dgs_commune, api_for):
    url = reverse("api:charte-amendement-list", args=[mortagne.slug])
    api = api_for(dgs_commune)
    closes_at = (timezone.now() + timedelta(days=3)).isoformat()
    response = api.post(
        url,
        {
            "kind": "regle",
            "rule_name": "delai_prevenance_heures",
            "rule_value": 12,
            "motive": "m",
            "closes_at": closes_at,
        },
        format="json",
    )
    assert response.status_code == 400 and "supérieure ou égale à 24" in response.json()["rule_value"][0]
    response = api.post(
        url,
        {"kind": "section", "section_key": "nulle-part", "text": "x", "motive": "m", "closes_at": closes_at},
        format="json",
    )
    assert response.status_code == 400 and "n'existe pas" in response.json()["section_key"][0]
    assert not Amendement.objects.exists()
