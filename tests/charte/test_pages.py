import html
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags

from charte import services
from charte.models import Amendement, Charte, Ratification, Section, Signature, Version
from decisions.models import Proposition
from tests.charte.conftest import adopt

pytestmark = pytest.mark.django_db


def url(name, territoire, *args):
    return reverse(f"charte:{name}", args=[territoire.slug, *args])


def text(response):
    return html.unescape(response.content.decode())


def plain(response):
    return " ".join(html.unescape(strip_tags(response.content.decode())).split())


def closes_at():
    return (timezone.localtime() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")


def test_the_epci_dgs_starts_from_the_starter_charter_others_cannot(mortagne, dgs_epci, dgs_commune, client):
    client.force_login(dgs_commune)
    assert "Le territoire n'a pas encore de charte" in text(client.get(url("charte", mortagne)))
    assert client.post(url("start", mortagne)).status_code == 403
    client.force_login(dgs_epci)
    response = client.post(url("start", mortagne), follow=True)
    assert "La charte type est prête" in text(response) and "Brouillon de la version 1" in text(response)
    assert Charte.objects.get().versions.get().sections.count() == 10


def test_a_stale_save_keeps_my_text_and_shows_theirs(mortagne, dgs_epci, dgs_commune, client):
    draft = services.charte_start(territoire=mortagne, by=dgs_epci)
    section = draft.sections.get(key="reunions")
    client.force_login(dgs_commune)
    form = text(client.get(url("section", mortagne, section.pk)))
    assert 'name="revision" value="1"' in form
    services.section_save(
        section=section, by=dgs_epci, title=section.title, body="Texte de Claire", based_on_revision=1
    )
    response = client.post(
        url("section", mortagne, section.pk), {"title": section.title, "body": "Texte de Sophie", "revision": 1}
    )
    page = text(response)
    assert response.status_code == 409
    assert "Claire Bernard a modifié cette section" in page and "Texte de Claire" in page and "Texte de Sophie" in page
    assert 'name="revision" value="2"' in page  # the next save is based on the text that won
    response = client.post(
        url("section", mortagne, section.pk), {"title": section.title, "body": "Texte de Sophie", "revision": 2}
    )
    assert response.status_code == 302 and Section.objects.get(pk=section.pk).body == "Texte de Sophie"


def test_rules_of_the_draft_are_validated_in_french(mortagne, dgs_epci, dgs_commune, client):
    draft = services.charte_start(territoire=mortagne, by=dgs_epci)
    client.force_login(dgs_commune)
    data = {
        name: getattr(draft.regles, name)
        for name in [
            "codir_avant_instance_jours",
            "mode_decision",
            "majorite",
            "quorum_pourcent",
            "delai_compte_rendu_jours",
        ]
    }
    response = client.post(url("regles", mortagne), {**data, "delai_prevenance_heures": 12})
    assert response.status_code == 400 and "supérieure ou égale à 24" in text(response)
    response = client.post(
        url("regles", mortagne), {**data, "delai_prevenance_heures": 96, "animation_tournante": "on"}
    )
    assert response.status_code == 302 and Version.objects.get().regles.delai_prevenance_heures == 96


def test_the_draft_is_submitted_to_a_decision(mortagne, dgs_epci, client):
    services.charte_start(territoire=mortagne, by=dgs_epci)
    client.force_login(dgs_epci)
    response = client.post(url("submit", mortagne), {"closes_at": closes_at()})
    proposition = Proposition.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "decisions:proposition", args=[mortagne.slug, proposition.pk]
    )
    assert Version.objects.get().status == "en_adoption"


def test_an_amendment_is_proposed_from_the_page_and_shows_a_word_diff(charte_in_force, mortagne, dgs_commune, client):
    client.force_login(dgs_commune)
    page = text(client.get(url("amendement_create", mortagne) + "?nature=section&section=reunions"))
    assert 'value="reunions" selected' in page
    response = client.post(
        url("amendement_create", mortagne),
        {"kind": "section", "section_key": "reunions", "text": "", "motive": "", "closes_at": closes_at()},
    )
    assert response.status_code == 400 and "Ce champ est obligatoire." in text(response)
    current = charte_in_force.versions.get(status="adoptee").sections.get(key="reunions").body
    new_text = current.replace("avant chaque bureau communautaire", "le jeudi précédant chaque bureau communautaire")
    response = client.post(
        url("amendement_create", mortagne),
        {
            "kind": "section",
            "section_key": "reunions",
            "text": new_text,
            "motive": "Le mardi ne convient pas.",
            "closes_at": closes_at(),
        },
        follow=True,
    )
    page = text(response)
    assert "Amendement soumis au CoDir." in page
    assert '<ins><span class="visually-hidden">[ajouté : </span>le jeudi précédant' in page
    assert Amendement.objects.get().proposition.is_open


def test_a_rule_amendment_form_checks_the_value(charte_in_force, mortagne, dgs_commune, client):
    client.force_login(dgs_commune)
    data = {
        "kind": "regle",
        "rule_name": "delai_prevenance_heures",
        "motive": "Plus de temps.",
        "closes_at": closes_at(),
    }
    response = client.post(url("amendement_create", mortagne), {**data, "rule_value": "douze"})
    assert response.status_code == 400 and "nombre entier" in text(response)
    response = client.post(url("amendement_create", mortagne), {**data, "rule_value": "72"}, follow=True)
    assert "Délai de prévenance (heures) : 48 → 72" in plain(response)


def test_a_conflicting_amendment_is_taken_up_again_by_its_author_only(
    charte_in_force, mortagne, dgs_commune, sg_petite_commune, voices, client
):
    in_three_days = timezone.now() + timedelta(days=3)
    first = services.amendement_propose(
        charte=charte_in_force,
        by=dgs_commune,
        kind="section",
        section_key="reunions",
        text="A",
        motive="a",
        closes_at=in_three_days,
    )
    second = services.amendement_propose(
        charte=charte_in_force,
        by=sg_petite_commune,
        kind="section",
        section_key="reunions",
        text="B",
        motive="b",
        closes_at=in_three_days,
    )
    adopt(first.proposition, voices, dgs_commune)
    adopt(second.proposition, voices, sg_petite_commune)
    client.force_login(dgs_commune)
    assert client.get(url("amendement_rebase", mortagne, second.pk)).status_code == 403
    client.force_login(sg_petite_commune)
    page = text(client.get(url("amendement", mortagne, second.pk)))
    assert "doit être repris sur le texte désormais en vigueur" in page and "Reprendre l'amendement" in page
    page = text(client.get(url("amendement_rebase", mortagne, second.pk)))
    assert "Texte en vigueur" in page and "Votre texte" in page
    response = client.post(
        url("amendement_rebase", mortagne, second.pk), {"text": "A puis B", "closes_at": closes_at()}
    )
    assert response.status_code == 302 and Amendement.objects.get(pk=second.pk).status == "en_decision"


def test_signing_and_ratifying_from_the_version_page(charte_in_force, mortagne, dgs_commune, client):
    client.force_login(dgs_commune)
    response = client.post(url("sign", mortagne, 1), follow=True)
    assert "Version 1 signée pour Mortagne-sur-Sèvre." in text(response)
    response = client.post(url("sign", mortagne, 1), follow=True)
    assert "a déjà signé" in text(response) and Signature.objects.count() == 1
    pdf = SimpleUploadedFile("deliberation.pdf", b"%PDF-1.4\n...", content_type="application/pdf")
    response = client.post(
        url("ratify", mortagne, 1),
        {"deliberation_date": timezone.localdate().isoformat(), "deliberation_number": "2026-118", "document": pdf},
        follow=True,
    )
    page = text(response)
    assert "Ratification enregistrée." in page and "délibération n° 2026-118" in page
    assert Ratification.objects.get().document.name.endswith(".pdf")
    not_pdf = SimpleUploadedFile("virus.pdf", b"MZ...", content_type="application/pdf")
    Ratification.objects.all().delete()
    response = client.post(
        url("ratify", mortagne, 1),
        {"deliberation_date": timezone.localdate().isoformat(), "deliberation_number": "2026-119", "document": not_pdf},
    )
    assert (
        response.status_code == 400
        and "« virus.pdf » n'est pas un fichier PDF" in text(response)
        and not Ratification.objects.exists()
    )


def test_history_diff_and_markdown_export(charte_in_force, mortagne, dgs_commune, voices, client):
    amendement = services.amendement_propose(
        charte=charte_in_force,
        by=dgs_commune,
        kind="regle",
        rule_name="delai_prevenance_heures",
        rule_value=72,
        motive="m",
        closes_at=timezone.now() + timedelta(days=3),
    )
    adopt(amendement.proposition, voices, dgs_commune)
    client.force_login(dgs_commune)
    page = text(client.get(url("versions", mortagne)))
    assert "Version 2" in page and "Remplacée" in page and "v1 → v2" in page
    page = plain(client.get(url("diff", mortagne, 1, 2)))
    assert "Délai de prévenance (heures) : 48 → 72" in page and "Aucune règle ne change" not in page
    export = client.get(url("version_markdown", mortagne, 2))
    assert export["Content-Type"].startswith("text/markdown")
    body = export.content.decode()
    assert body.startswith("# Charte de fonctionnement du CoDir de territoire — version 2")
    assert "## 4. Réunions" in body and "- **Délai de prévenance (heures)** : 72" in body


@pytest.mark.parametrize("persona", ["observateur", "facilitateur"])
def test_observers_and_facilitators_read_but_do_not_write(persona, charte_in_force, mortagne, request, client):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(url("charte", mortagne)).status_code == 200
    assert client.get(url("version", mortagne, 1)).status_code == 200
    assert client.get(url("amendement_create", mortagne)).status_code == 403
    assert client.post(url("draft_start", mortagne)).status_code == 403
    assert client.post(url("sign", mortagne, 1), follow=True).status_code == 200
    assert not Signature.objects.exists()


def test_a_written_script_is_shown_as_text_not_run(mortagne, dgs_epci, client):
    draft = services.charte_start(territoire=mortagne, by=dgs_epci)
    section = draft.sections.get(key="reunions")
    services.section_save(
        section=section,
        by=dgs_epci,
        title="<script>alert(1)</script>",
        body="<img src=x onerror=alert(1)> **ok**",
        based_on_revision=1,
    )
    client.force_login(dgs_epci)
    version_page = client.get(url("version", mortagne, 1)).content.decode()
    assert "<script>alert(1)" not in version_page and "onerror" not in version_page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in version_page and "<strong>ok</strong>" in version_page


def test_any_two_versions_can_be_compared(charte_in_force, mortagne, dgs_commune, voices, client):
    amendement = services.amendement_propose(
        charte=charte_in_force,
        by=dgs_commune,
        kind="nouvelle_section",
        title="Vis ma vie",
        text="Deux journées.",
        motive="m",
        closes_at=timezone.now() + timedelta(days=3),
    )
    adopt(amendement.proposition, voices, dgs_commune)
    client.force_login(dgs_commune)
    response = client.get(url("versions", mortagne), {"de": "2", "a": "1"})
    assert response.status_code == 302 and response["Location"] == url("diff", mortagne, 2, 1)
    assert "supprimée" in plain(client.get(response["Location"]))
    assert client.get(url("versions", mortagne), {"de": "9", "a": "x"}).status_code == 200


def test_rerender_markdown_refreshes_stored_html(charte_in_force, capsys):
    from django.core.management import call_command

    Section.objects.update(body_html="<p>ancien rendu</p>")
    call_command("rerender_markdown")
    assert not Section.objects.filter(body_html="<p>ancien rendu</p>").exists()
    assert "sections (body) : 10 texte(s) recalculé(s) sur 10." in capsys.readouterr().out


def test_rerender_markdown_knows_every_rendered_field():
    from django.apps import apps

    from codir.management.commands.rerender_markdown import RENDERED

    rendered = {(model, target) for model, _source, target in RENDERED}
    stored = {
        (model, field.name)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if field.name.endswith("_html")
    }
    assert stored == rendered


def test_no_amendment_before_a_version_is_in_force_a_message_not_an_error(mortagne, dgs_epci, client):
    services.charte_start(territoire=mortagne, by=dgs_epci)
    client.force_login(dgs_epci)
    url = reverse("charte:amendement_create", args=[mortagne.slug])
    for response in (client.get(url, follow=True), client.post(url, {"kind": "section", "motive": "M"}, follow=True)):
        assert response.status_code == 200
        assert "Aucune version de la charte n'est encore en vigueur" in plain(response)
    assert not Amendement.objects.exists()
