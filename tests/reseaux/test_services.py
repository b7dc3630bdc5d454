"""The portfolio's writers: projects, health, pilotage, contributions, référents and the follow-up."""

from datetime import date, timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import InMemoryUploadedFile, SimpleUploadedFile

from communes.models import JournalEntry, Membership
from reseaux import selectors, services
from reseaux.models import (
    Axe,
    Contribution,
    DocumentProjet,
    HealthChange,
    Indicateur,
    Jalon,
    Phase,
    Pilote,
    Projet,
    Referent,
)
from tests.conftest import make_member
from tests.reseaux.builders import EPCI, can_edit, coll, epci_projet, last_journal, today

pytestmark = pytest.mark.django_db


@pytest.fixture
def projet(mortagne, dgs_epci):
    return epci_projet(mortagne, dgs_epci)


# --- projet_update -------------------------------------------------------------------------------


def test_projet_update_refuses_fields_that_have_their_own_service(projet, dgs_epci):
    for field, value in (("pilotage", "commune"), ("health", "rouge"), ("territoire", None), ("created_by", None)):
        with pytest.raises(ValidationError, match="Champs non modifiables"):
            services.projet_update(projet=projet, by=dgs_epci, **{field: value})
    projet.refresh_from_db()
    assert (projet.pilotage, projet.health) == ("epci", "vert")
    assert not JournalEntry.objects.filter(action="reseaux.projet.updated").exists()


def test_projet_update_renders_the_markdown_fields_and_sanitises_them(projet, dgs_epci):
    updated = services.projet_update(
        projet=projet,
        by=dgs_epci,
        description="# Contexte\r\n\r\nUn **service** commun.<script>alert(1)</script>",
        objectives="- instruire\n- conseiller",
        expected_effects="Délais *réduits*",
        resources="[Convention](javascript:alert(1))",
    )
    stored = Projet.objects.get(pk=projet.pk)
    assert stored.description == "# Contexte\n\nUn **service** commun.<script>alert(1)</script>"  # source as typed
    assert stored.description_html.startswith('<h3 id="md-contexte">Contexte</h3>')
    assert "<strong>service</strong>" in stored.description_html and "<script" not in stored.description_html
    assert stored.objectives_html == "<ul>\n<li>instruire</li>\n<li>conseiller</li>\n</ul>"
    assert stored.expected_effects_html == "<p>Délais <em>réduits</em></p>"
    assert "javascript" not in stored.resources_html
    assert updated.description_html == stored.description_html


def test_projet_update_journals_the_names_of_the_changed_fields_only(mortagne, projet, dgs_epci):
    axe = Axe.objects.create(territoire=mortagne, name="Mutualisation")
    services.projet_update(
        projet=projet,
        by=dgs_epci,
        title="  Service commun d'urbanisme  ",
        status=Projet.Status.EN_COURS,
        axe=axe,
        review_every_months=projet.review_every_months,  # unchanged
    )
    entry = last_journal("reseaux.projet.updated")
    assert entry.data == {"champs": ["axe", "status", "title"]} and entry.actor == dgs_epci
    stored = Projet.objects.get(pk=projet.pk)
    assert (stored.title, stored.status, stored.axe) == ("Service commun d'urbanisme", "en_cours", axe)
    # The same values again (the title with spaces, the text with browser line breaks) change nothing.
    services.projet_update(projet=projet, by=dgs_epci, description="Ligne 1\nLigne 2")
    services.projet_update(
        projet=projet, by=dgs_epci, title=" Service commun d'urbanisme ", description="Ligne 1\r\nLigne 2"
    )
    assert [e.data["champs"] for e in JournalEntry.objects.filter(action="reseaux.projet.updated").order_by("pk")] == [
        ["axe", "status", "title"],
        ["description"],
    ]


def test_projet_update_refuses_an_axe_of_another_territory_and_incoherent_dates(mortagne, achards, projet, dgs_epci):
    foreign = Axe.objects.create(territoire=achards, name="Mobilités")
    with pytest.raises(ValidationError, match="pas celui du territoire"):
        services.projet_update(projet=projet, by=dgs_epci, axe=foreign)
    with pytest.raises(ValidationError):
        services.projet_update(projet=projet, by=dgs_epci, starts_on=date(2026, 6, 1), ends_on=date(2026, 1, 1))
    with pytest.raises(ValidationError):
        services.projet_update(projet=projet, by=dgs_epci, status="inconnu")
    with pytest.raises(ValidationError):
        services.projet_update(projet=projet, by=dgs_epci, title="   ")
    stored = Projet.objects.get(pk=projet.pk)
    assert (stored.axe, stored.starts_on, stored.status, stored.title) == (None, None, "en_preparation", projet.title)


# --- health_set ----------------------------------------------------------------------------------


def test_health_set_keeps_the_history_with_the_previous_value_and_the_reason(projet, dgs_epci):
    services.health_set(projet=projet, by=dgs_epci, health="orange", reason="  Marché infructueux.  ")
    services.health_set(projet=projet, by=dgs_epci, health="rouge", reason="Pas de candidat au second appel.")
    stored = Projet.objects.get(pk=projet.pk)
    assert (stored.health, stored.health_reason) == ("rouge", "Pas de candidat au second appel.")
    history = list(HealthChange.objects.filter(projet=projet).order_by("pk"))
    assert [(h.previous, h.health, h.reason, h.revue) for h in history] == [
        ("vert", "orange", "Marché infructueux.", None),
        ("orange", "rouge", "Pas de candidat au second appel.", None),
    ]
    assert last_journal("reseaux.projet.health").data == {
        "health": "rouge",
        "reason": "Pas de candidat au second appel.",
    }
    # The same health with the same reason is no change.
    services.health_set(projet=projet, by=dgs_epci, health="rouge", reason="Pas de candidat au second appel.")
    assert HealthChange.objects.filter(projet=projet).count() == 2


def test_health_set_needs_a_reason_and_a_known_health(projet, dgs_epci):
    with pytest.raises(ValidationError, match="pourquoi"):
        services.health_set(projet=projet, by=dgs_epci, health="orange", reason="   ")
    with pytest.raises(ValidationError, match="Santé inconnue"):
        services.health_set(projet=projet, by=dgs_epci, health="noir", reason="x")
    assert Projet.objects.get(pk=projet.pk).health == "vert" and not HealthChange.objects.exists()


# --- pilotage_change -----------------------------------------------------------------------------


def periods(projet):
    return [
        (p.collectivite.name, p.starts_on, p.ends_on)
        for p in Pilote.objects.filter(projet=projet).select_related("collectivite").order_by("starts_on", "pk")
    ]


def test_pilotage_change_from_today_ends_the_running_period_and_permissions_follow(mortagne, dgs_epci, dgs_commune):
    start = today() - timedelta(days=100)
    projet = epci_projet(mortagne, dgs_epci, start=start)
    assert can_edit(dgs_epci, projet) and not can_edit(dgs_commune, projet)
    services.pilotage_change(
        projet=projet,
        by=dgs_epci,
        pilotage=Projet.Pilotage.COMMUNE,
        rotation=[(coll(mortagne, "Mortagne-sur-Sèvre"), today())],
    )
    assert periods(projet) == [(EPCI, start, today()), ("Mortagne-sur-Sèvre", today(), None)]
    assert Projet.objects.get(pk=projet.pk).pilotage == "commune"
    assert can_edit(dgs_commune, projet) and not can_edit(dgs_epci, projet)
    entry = last_journal("reseaux.pilotage.changed")
    assert entry.data["before"] == [[EPCI, start.isoformat()]]
    assert entry.data["after"] == [["Mortagne-sur-Sèvre", today().isoformat()]]


def test_pilotage_change_from_a_later_day_replaces_the_planned_periods_and_keeps_the_past(
    mortagne, dgs_commune, sg_petite_commune
):
    mortagne_sur_sevre, mallievre, tiffauges = (
        coll(mortagne, name) for name in ("Mortagne-sur-Sèvre", "Mallièvre", "Tiffauges")
    )
    first = today() - timedelta(days=60)
    projet = services.projet_create(
        territoire=mortagne,
        by=dgs_commune,
        title="Plan de formation",
        pilotage=Projet.Pilotage.ALTERNE,
        rotation=[(mortagne_sur_sevre, first), (mallievre, today() + timedelta(days=30))],
    )
    tiffauges_dgs = make_member(mortagne, "Tiffauges", "dgs@tiffauges.test", Membership.Role.DGS)
    change_on = today() + timedelta(days=10)
    services.pilotage_change(
        projet=projet,
        by=dgs_commune,
        pilotage=Projet.Pilotage.COPILOTAGE,
        rotation=[(mortagne_sur_sevre, change_on), (tiffauges, change_on)],
        from_day=change_on,
    )
    # The running period ends on the day of the change; Mallièvre's turn, never started, is gone.
    assert periods(projet) == [
        ("Mortagne-sur-Sèvre", first, change_on),
        ("Mortagne-sur-Sèvre", change_on, None),
        ("Tiffauges", change_on, None),
    ]
    # Until then Mortagne-sur-Sèvre pilots alone.
    assert can_edit(dgs_commune, projet)
    assert not can_edit(tiffauges_dgs, projet) and not can_edit(sg_petite_commune, projet)
    # From that day the co-pilots edit, and Mortagne-sur-Sèvre, still a pilot, keeps the permission.
    services.pilotage_sweep(on=change_on)
    assert can_edit(dgs_commune, projet) and can_edit(tiffauges_dgs, projet)


def test_pilotage_change_cannot_rewrite_the_past(mortagne, dgs_epci, dgs_commune):
    start = today() - timedelta(days=100)
    projet = epci_projet(mortagne, dgs_epci, start=start)
    mortagne_sur_sevre = coll(mortagne, "Mortagne-sur-Sèvre")
    yesterday = today() - timedelta(days=1)
    with pytest.raises(ValidationError):
        services.pilotage_change(
            projet=projet,
            by=dgs_epci,
            pilotage="commune",
            rotation=[(mortagne_sur_sevre, yesterday)],
            from_day=yesterday,
        )
    with pytest.raises(ValidationError, match="au plus tôt"):
        services.pilotage_change(
            projet=projet, by=dgs_epci, pilotage="commune", rotation=[(mortagne_sur_sevre, yesterday)]
        )
    with pytest.raises(ValidationError, match="une seule commune"):
        services.pilotage_change(
            projet=projet,
            by=dgs_epci,
            pilotage="commune",
            rotation=[(mortagne_sur_sevre, today()), (coll(mortagne, "Mallièvre"), today())],
        )
    with pytest.raises(ValidationError):
        services.pilotage_change(
            projet=projet, by=dgs_epci, pilotage="copilotage", rotation=[(mortagne_sur_sevre, None)]
        )
    assert periods(projet) == [(EPCI, start, None)] and Projet.objects.get(pk=projet.pk).pilotage == "epci"
    assert can_edit(dgs_epci, projet) and not can_edit(dgs_commune, projet)


def test_a_pilot_chosen_from_a_later_day_gets_the_permission_that_day(mortagne, dgs_epci, dgs_commune):
    """Not only in alternating pilotage: any period starting later is picked up by the daily sweep."""
    projet = epci_projet(mortagne, dgs_epci, start=today() - timedelta(days=10))
    later = today() + timedelta(days=5)
    services.pilotage_change(
        projet=projet,
        by=dgs_epci,
        pilotage="commune",
        rotation=[(coll(mortagne, "Mortagne-sur-Sèvre"), later)],
        from_day=later,
    )
    assert can_edit(dgs_epci, projet) and not can_edit(dgs_commune, projet)
    services.portfolio_sweep(on=later)
    assert can_edit(dgs_commune, projet) and not can_edit(dgs_epci, projet)


# --- contributions -------------------------------------------------------------------------------


def test_contribution_set_is_an_upsert_and_the_journal_keeps_the_former_values(mortagne, projet, dgs_epci):
    mallievre = coll(mortagne, "Mallièvre")
    services.contribution_set(
        projet=projet, by=dgs_epci, collectivite=mallievre, amount=Decimal("1500"), staff_days=Decimal("2.5")
    )
    contribution = services.contribution_set(
        projet=projet, by=dgs_epci, collectivite=mallievre, amount=Decimal("2000.50"), staff_days=Decimal("0")
    )
    assert Contribution.objects.filter(projet=projet).count() == 1
    contribution.refresh_from_db()
    assert (contribution.amount, contribution.staff_days) == (Decimal("2000.50"), Decimal("0.0"))
    first, second = JournalEntry.objects.filter(action="reseaux.contribution.set").order_by("pk")
    assert first.data["before"] is None
    assert second.data["before"] == {"amount": "1500.00", "staff_days": "2.5"}
    assert (second.data["amount"], second.data["collectivite"]) == ("2000.50", "Mallièvre")


def test_contribution_set_refuses_negative_values_and_other_territories(mortagne, achards, projet, dgs_epci):
    mallievre = coll(mortagne, "Mallièvre")
    with pytest.raises(ValidationError, match="positifs"):
        services.contribution_set(
            projet=projet, by=dgs_epci, collectivite=mallievre, amount=Decimal("-1"), staff_days=Decimal("1")
        )
    with pytest.raises(ValidationError, match="positifs"):
        services.contribution_set(
            projet=projet, by=dgs_epci, collectivite=mallievre, amount=Decimal("1"), staff_days=Decimal("-0.5")
        )
    foreign = achards.collectivites.filter(kind="commune").first()
    with pytest.raises(ValidationError, match="n'appartient pas"):
        services.contribution_set(
            projet=projet, by=dgs_epci, collectivite=foreign, amount=Decimal("1"), staff_days=Decimal("1")
        )
    assert not Contribution.objects.exists()


def test_contribution_remove_deletes_the_row_and_journals_what_it_brought(mortagne, projet, dgs_epci):
    contribution = services.contribution_set(
        projet=projet,
        by=dgs_epci,
        collectivite=coll(mortagne, "Tiffauges"),
        amount=Decimal("800"),
        staff_days=Decimal("3"),
    )
    services.contribution_remove(contribution=contribution, by=dgs_epci)
    assert not Contribution.objects.exists()
    entry = last_journal("reseaux.contribution.removed")
    assert entry.data == {"collectivite": "Tiffauges", "amount": "800.00", "staff_days": "3.0"}
    assert entry.target_id == str(projet.pk)


# --- référents -----------------------------------------------------------------------------------


def test_referent_add_only_members_once_and_end_keeps_the_history(projet, dgs_epci, referent, outsider):
    with pytest.raises(ValidationError, match="pas membre"):
        services.referent_add(projet=projet, by=dgs_epci, agent=outsider)
    first = services.referent_add(projet=projet, by=dgs_epci, agent=referent)
    assert (first.since, first.until) == (today(), None)
    with pytest.raises(ValidationError, match="suit déjà"):
        services.referent_add(projet=projet, by=dgs_epci, agent=referent)
    services.referent_end(referent=first, by=dgs_epci)
    with pytest.raises(ValidationError, match="ne suit déjà plus"):
        services.referent_end(referent=first, by=dgs_epci)
    again = services.referent_add(projet=projet, by=dgs_epci, agent=referent)
    assert [(r.pk, r.until) for r in Referent.objects.filter(projet=projet).order_by("pk")] == [
        (first.pk, today()),
        (again.pk, None),
    ]
    assert last_journal("reseaux.referent.ended").data == {"agent": "Thomas Charrier"}


def test_a_former_member_cannot_become_referent(mortagne, projet, dgs_epci, referent):
    membership = Membership.objects.get(agent=referent, territoire=mortagne)
    from communes import services as communes_services

    communes_services.membership_deactivate(membership=membership, by=dgs_epci)
    with pytest.raises(ValidationError, match="pas membre"):
        services.referent_add(projet=projet, by=dgs_epci, agent=referent)


# --- phases --------------------------------------------------------------------------------------


def test_phase_set_is_one_row_per_kind_and_checks_its_dates(projet, dgs_epci):
    services.phase_set(
        projet=projet,
        by=dgs_epci,
        kind="co_diagnostic",
        starts_on=date(2026, 1, 5),
        ends_on=date(2026, 3, 31),
        status="en_cours",
    )
    services.phase_set(
        projet=projet,
        by=dgs_epci,
        kind="co_diagnostic",
        starts_on=date(2026, 1, 5),
        ends_on=date(2026, 4, 30),
        status="terminee",
    )
    services.phase_set(
        projet=projet,
        by=dgs_epci,
        kind="co_elaboration",
        starts_on=date(2026, 5, 1),
        ends_on=date(2026, 5, 1),
        status="a_venir",
    )
    assert [(p.kind, p.ends_on, p.status) for p in Phase.objects.filter(projet=projet)] == [
        ("co_diagnostic", date(2026, 4, 30), "terminee"),
        ("co_elaboration", date(2026, 5, 1), "a_venir"),
    ]
    second = JournalEntry.objects.filter(action="reseaux.phase.set").order_by("pk")[1]
    assert second.data["before"] == ["2026-01-05", "2026-03-31", "en_cours"]
    with pytest.raises(ValidationError, match="finit après"):
        services.phase_set(
            projet=projet,
            by=dgs_epci,
            kind="co_production",
            starts_on=date(2026, 6, 2),
            ends_on=date(2026, 6, 1),
            status="a_venir",
        )
    with pytest.raises(ValidationError, match="Phase inconnue"):
        services.phase_set(
            projet=projet,
            by=dgs_epci,
            kind="co_rien",
            starts_on=date(2026, 6, 1),
            ends_on=date(2026, 6, 2),
            status="a_venir",
        )
    with pytest.raises(ValidationError, match="État de phase"):
        services.phase_set(
            projet=projet,
            by=dgs_epci,
            kind="co_production",
            starts_on=date(2026, 6, 1),
            ends_on=date(2026, 6, 2),
            status="fini",
        )
    assert Phase.objects.filter(projet=projet).count() == 2


# --- jalons --------------------------------------------------------------------------------------


def test_jalons_are_added_moved_reached_and_reopened(projet, dgs_epci):
    jalon = services.jalon_add(
        projet=projet, by=dgs_epci, title=" Convention signée ", due_on=today() - timedelta(days=3)
    )
    assert jalon.title == "Convention signée"
    assert jalon.is_late(today()) and not jalon.is_late(today() - timedelta(days=3))
    assert list(Jalon.objects.late(today())) == [jalon] and not Jalon.objects.late(today() - timedelta(days=3)).exists()
    services.jalon_update(
        jalon=jalon, by=dgs_epci, title="Convention signée par tous", due_on=today() + timedelta(days=7)
    )
    assert last_journal("reseaux.jalon.updated").data["before"] == {
        "jalon": "Convention signée",
        "due_on": (today() - timedelta(days=3)).isoformat(),
    }
    assert not Jalon.objects.late(today()).exists()
    with pytest.raises(ValidationError, match="dans le futur"):
        services.jalon_reach(jalon=jalon, by=dgs_epci, done_on=today() + timedelta(days=1))
    assert Jalon.objects.get(pk=jalon.pk).done_on is None
    services.jalon_reach(jalon=jalon, by=dgs_epci, done_on=today())
    stored = Jalon.objects.get(pk=jalon.pk)
    assert stored.done_on == today() and not stored.reached_late
    # Reached, it is never late, even once its date has passed.
    assert not stored.is_late(today() + timedelta(days=30))
    assert not Jalon.objects.late(today() + timedelta(days=30)).exists()
    services.jalon_reach(jalon=stored, by=dgs_epci, done_on=None)
    assert Jalon.objects.late(today() + timedelta(days=30)).get() == jalon
    assert [e.action for e in JournalEntry.objects.filter(action__startswith="reseaux.jalon.").order_by("pk")] == [
        "reseaux.jalon.added",
        "reseaux.jalon.updated",
        "reseaux.jalon.reached",
        "reseaux.jalon.reopened",
    ]


def test_a_jalon_reached_after_its_date_was_reached_late(projet, dgs_epci):
    jalon = services.jalon_add(projet=projet, by=dgs_epci, title="Recrutement", due_on=today() - timedelta(days=10))
    services.jalon_reach(jalon=jalon, by=dgs_epci, done_on=today() - timedelta(days=2))
    assert Jalon.objects.get(pk=jalon.pk).reached_late
    with pytest.raises(ValidationError):
        services.jalon_add(projet=projet, by=dgs_epci, title="  ", due_on=today())


# --- indicateurs ---------------------------------------------------------------------------------


def test_indicateur_set_defines_then_measures_and_remove_journals_the_last_values(mortagne, projet, dgs_epci):
    indicateur = services.indicateur_set(
        projet=projet, by=dgs_epci, name=" Dossiers instruits ", unit="dossiers", target=Decimal("400")
    )
    assert (indicateur.name, indicateur.measured, indicateur.measured_on) == ("Dossiers instruits", None, None)
    services.indicateur_set(
        projet=projet, by=dgs_epci, name="Dossiers instruits", unit="dossiers", target=Decimal("400"),
        measured=Decimal("120"), indicateur=indicateur,
    )  # fmt: skip
    stored = Indicateur.objects.get()
    assert (stored.measured, stored.measured_on) == (Decimal("120"), today())  # measured today by default
    assert last_journal("reseaux.indicateur.set").data["before"] == {"measured": "None", "target": "400.00"}
    other = epci_projet(mortagne, dgs_epci, title="Autre projet")
    with pytest.raises(ValidationError, match="pas celui du projet"):
        services.indicateur_set(projet=other, by=dgs_epci, name="Détourné", indicateur=stored)
    assert Indicateur.objects.get().projet == projet
    services.indicateur_remove(indicateur=stored, by=dgs_epci)
    assert not Indicateur.objects.exists()
    assert last_journal("reseaux.indicateur.removed").data == {
        "indicateur": "Dossiers instruits",
        "target": "400.00",
        "measured": "120.00",
    }


# --- documents -----------------------------------------------------------------------------------


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_document_add_stores_the_file_and_withdraw_keeps_it(projet, dgs_epci, media, mortagne):
    document = services.document_add(
        projet=projet, by=dgs_epci, upload=SimpleUploadedFile("note-de-cadrage.pdf", b"%PDF-1.4 cadrage")
    )
    assert (document.name, document.size, document.withdrawn_at) == ("note-de-cadrage.pdf", 16, None)
    assert document.file.name.startswith("reseaux/projets/") and default_storage.exists(document.file.name)
    assert [d.pk for d in selectors.projet_of(mortagne, projet.pk).documents.all()] == [document.pk]
    services.document_withdraw(document=document, by=dgs_epci)
    stored = DocumentProjet.objects.get(pk=document.pk)  # kept, not deleted
    assert stored.withdrawn_at is not None and default_storage.exists(stored.file.name)
    assert list(selectors.projet_of(mortagne, projet.pk).documents.all()) == []
    with pytest.raises(ValidationError, match="déjà retiré"):
        services.document_withdraw(document=stored, by=dgs_epci)
    assert [e.action for e in JournalEntry.objects.filter(action__startswith="reseaux.document.").order_by("pk")] == [
        "reseaux.document.added",
        "reseaux.document.withdrawn",
    ]


def test_document_add_refuses_big_files_and_unknown_formats(projet, dgs_epci, media, settings):
    limit = settings.MAX_UPLOAD_SIZE
    too_big = InMemoryUploadedFile(BytesIO(b"%PDF-1.4"), "file", "bilan.pdf", "application/pdf", limit + 1, None)
    with pytest.raises(ValidationError, match="dépasse 20 Mo"):
        services.document_add(projet=projet, by=dgs_epci, upload=too_big)
    with pytest.raises(ValidationError) as error:
        services.document_add(projet=projet, by=dgs_epci, upload=SimpleUploadedFile("outil.exe", b"MZ"))
    assert "file" in error.value.message_dict
    assert not DocumentProjet.objects.exists() and not list(media.rglob("*.*"))
    at_limit = InMemoryUploadedFile(BytesIO(b"%PDF-1.4"), "file", "bilan.pdf", "application/pdf", limit, None)
    assert services.document_add(projet=projet, by=dgs_epci, upload=at_limit).size == limit
