"""RGPD rights: an agent downloads all their personal data, and erasure replaces their identity everywhere
while the acts of their collectivité (decisions, positions, agenda items, versions, counts) stay intact."""

import json
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.apps import apps
from django.core.management import call_command
from django.db import models
from django.db.models.functions import Cast
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from codir import services as codir_services
from codir.feeds import calendar_token_renew
from codir.models import CalendarToken, PointOdj
from communes import services
from communes.journal import journal_record
from communes.models import Agent, Invitation, JournalEntry, Membership, Seat
from communes.personal_data import agent_erase, personal_data_export
from comptes.tokens import api_token_issue
from decisions import services as decision_services
from decisions.models import Position, Proposition
from tests.conftest import PASSWORD

EMAIL = "sophie.guerin@mortagne-sur-sevre.test"
NAME = "Sophie Guérin"


@pytest.fixture
def trail(mortagne, dgs_epci, dgs_commune, open_proposition):
    """Sophie Guérin's life in the territory: a position for her commune, an agenda item, a second factor, an
    API token, a calendar link, login traces, an invitation she sent, a text quoting her name."""
    proposition = open_proposition()
    decision_services.position_express(
        proposition=proposition, agent=dgs_commune, choice="objection", motive="Le calendrier est trop serré."
    )
    starts = timezone.now() + timedelta(days=10)
    reunion = codir_services.reunion_create(
        territoire=mortagne,
        by=dgs_epci,
        title="CoDir de décembre",
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
    )
    codir_services.point_add(reunion=reunion, by=dgs_commune, title="Mutualisation de la paie")
    codir_services.point_add(
        reunion=reunion, by=dgs_epci, title="Retour d'expérience", description=f"Présenté par {NAME} ({EMAIL})."
    )
    TOTPDevice.objects.create(user=dgs_commune, name="Téléphone", confirmed=True)
    api_token_issue(agent=dgs_commune, ip="192.0.2.10", second_factor="totp")
    calendar_token_renew(agent=dgs_commune)
    AccessAttempt.objects.create(username=EMAIL, ip_address="192.0.2.10", user_agent="Firefox", failures_since_start=2)
    journal_record(
        action="comptes.login.succeeded",
        actor=dgs_commune,
        territoire=None,
        data={"method": "password", "ip": "192.0.2.10"},
    )
    services.invitation_create(
        territoire=mortagne,
        email="nouvelle.dga@mortagne-sur-sevre.test",
        collectivite=dgs_commune.collectivite,
        role=Membership.Role.DGA,
        by=dgs_commune,
    )
    return proposition


def rows_mentioning(*needles: str) -> dict[str, int]:
    """Every row of every model whose text or JSON columns contain one of the needles (the Agent excepted)."""
    found = {}
    for model in apps.get_models():
        if model is Agent or model._meta.proxy:
            continue
        texts = [
            f.name
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField) and not f.primary_key
        ]
        jsons = [f.name for f in model._meta.concrete_fields if isinstance(f, models.JSONField)]
        condition = models.Q()
        for needle in needles:
            spellings = {needle, json.dumps(needle)[1:-1]}
            for name in texts:
                condition |= models.Q(**{f"{name}__icontains": needle})
            for name in jsons:
                for spelling in spellings:
                    condition |= models.Q(**{f"_j_{name}__icontains": spelling})
        if not condition:
            continue
        rows = model._base_manager.annotate(**{f"_j_{n}": Cast(n, models.TextField()) for n in jsons})
        if count := rows.filter(condition).count():
            found[model._meta.label] = count
    return found


def test_the_download_holds_everything_linked_to_the_agent_and_no_secret(trail, dgs_commune, client_for):
    response = client_for(dgs_commune).get(reverse("mes_donnees_telecharger"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="mes-donnees-codir-')
    data = json.loads(response.content)
    assert data["compte"]["email"] == EMAIL and data["compte"]["last_name"] == "Guérin"
    records = data["donnees"]
    assert [row["choice"] for row in records["decisions.position"]["lignes"]] == ["objection"]
    assert records["decisions.position"]["lignes"][0]["collectivite"]["libelle"] == "Mortagne-sur-Sèvre"
    assert [row["title"] for row in records["codir.pointodj"]["lignes"]] == ["Mutualisation de la paie"]
    assert {row["role"] for row in records["communes.membership"]["lignes"]} == {"dgs"}
    assert records["axes.accessattempt"]["lignes"][0]["ip_address"] == "192.0.2.10"
    assert records["communes.invitation"]["lignes"][0]["email"] == "nouvelle.dga@mortagne-sur-sevre.test"
    actions = {row["action"] for row in records["communes.journalentry"]["lignes"]}
    assert {"comptes.login.succeeded", "decisions.position.expressed"} <= actions
    # The tokens exist in the file, their values never do.
    raw = response.content.decode()
    for secret in (
        Token.objects.get(user=dgs_commune).key,
        CalendarToken.objects.get(agent=dgs_commune).token,
        TOTPDevice.objects.get(user=dgs_commune).key,
    ):
        assert secret not in raw
    assert {"authtoken.token", "codir.calendartoken", "otp_totp.totpdevice"} <= set(records)
    assert "key" not in records["otp_totp.totpdevice"]["lignes"][0]
    # Someone else's rows are not in it.
    assert "dgs.epci" not in json.dumps(records["decisions.position"])
    assert JournalEntry.objects.filter(action="comptes.personal_data.downloaded", actor=dgs_commune).count() == 1


def test_the_api_gives_the_same_export_to_its_owner_only(trail, dgs_commune, dgs_epci, api_for, client):
    mine = api_for(dgs_commune).get("/api/v1/moi/donnees/")
    assert mine.status_code == 200
    assert mine.json()["compte"]["email"] == EMAIL
    assert mine.json()["donnees"].keys() == personal_data_export(dgs_commune)["donnees"].keys()
    theirs = api_for(dgs_epci).get("/api/v1/moi/donnees/").json()
    assert theirs["compte"]["email"] == dgs_epci.email
    assert "decisions.position" not in theirs["donnees"]  # Sophie Guérin's position is not the EPCI DGS's data
    assert [row["title"] for row in theirs["donnees"]["decisions.proposition"]["lignes"]] == [trail.title]
    assert client.get("/api/v1/moi/donnees/").status_code in (401, 403)


def test_the_page_lists_what_is_kept_and_anonymous_visitors_log_in_first(trail, dgs_commune, client_for, client):
    assert client.get(reverse("mes_donnees")).status_code == 302
    page = client_for(dgs_commune).get(reverse("mes_donnees")).content.decode()
    assert "Mes données personnelles" in page and EMAIL in page
    assert reverse("mes_donnees_telecharger") in page and reverse("mes_donnees_effacer") in page


def test_erasure_replaces_the_identity_everywhere_and_keeps_the_acts(trail, mortagne, dgs_commune):
    assert rows_mentioning(EMAIL, NAME), "the trail must quote the agent before erasure, or the test proves nothing"
    position = Position.objects.get(spoken_by=dgs_commune)
    counts_before = {m._meta.label: m._base_manager.count() for m in apps.get_models() if not m._meta.proxy}
    outcome_before = Proposition.objects.get(pk=trail.pk).status

    report = agent_erase(agent=dgs_commune, by=None)

    assert rows_mentioning(EMAIL, NAME) == {}
    assert rows_mentioning("Guérin", "sophie.guerin") == {}
    agent = Agent.objects.get(pk=dgs_commune.pk)
    assert agent.erased_at and not agent.is_active and not agent.has_usable_password()
    assert (agent.first_name, agent.last_name, agent.phone, agent.job_title) == ("", "", "", "")
    assert agent.email == f"efface-{agent.pk}@efface.invalid"
    assert str(agent) == f"Personne effacée n° {agent.pk}"
    # The collectivité's voice stays, under no name; the acts and their counts are intact.
    position.refresh_from_db()
    assert (position.choice, position.collectivite.name, position.spoken_by_id) == (
        "objection",
        "Mortagne-sur-Sèvre",
        agent.pk,
    )
    assert position.motive == "Le calendrier est trop serré."
    assert Proposition.objects.get(pk=trail.pk).status == outcome_before
    assert PointOdj.objects.get(title="Mutualisation de la paie").added_by_id == agent.pk
    assert "Présenté par Personne effacée n° " in PointOdj.objects.get(title="Retour d'expérience").description
    # Credentials and login traces are gone; memberships ended and seats vacated, their history kept.
    assert not Token.objects.filter(user=agent).exists() and not TOTPDevice.objects.filter(user=agent).exists()
    assert not CalendarToken.objects.filter(agent=agent).exists()
    assert not AccessAttempt.objects.exists()
    assert not Membership.objects.active().filter(agent=agent).exists()
    assert Membership.objects.filter(agent=agent).count() == 1
    assert not Seat.objects.active().filter(membership__agent=agent).exists()
    assert not JournalEntry.objects.filter(actor=agent, data__has_key="ip").exists()
    assert Invitation.objects.filter(invited_by=agent).count() == 1
    counts_after = {m._meta.label: m._base_manager.count() for m in apps.get_models() if not m._meta.proxy}
    deleted = {"authtoken.Token", "otp_totp.TOTPDevice", "codir.CalendarToken", "axes.AccessAttempt"}
    for label, before in counts_before.items():
        if label in deleted:
            assert counts_after[label] < before, label
        elif label == "communes.JournalEntry":
            assert counts_after[label] > before  # the deactivation, the revocation and the erasure are journaled
        elif label == "guardian.UserObjectPermission":
            assert counts_after[label] <= before
        else:
            assert counts_after[label] == before, label
    erasure = JournalEntry.objects.get(action="communes.agent.erased")
    assert erasure.target_label == f"Personne effacée n° {agent.pk}"
    assert erasure.data["deleted"]["otp_totp.totpdevice"] == 1 and report.rewritten["communes.journalentry"] >= 1


def test_erasure_through_the_page_after_the_password_logs_out(trail, dgs_commune, client_for):
    dgs_commune.set_password(PASSWORD)
    dgs_commune.save()
    client = client_for(dgs_commune)
    url = reverse("mes_donnees_effacer")
    page = client.get(url)
    assert page.status_code == 200 and "Effacer définitivement mon compte" in page.content.decode()
    wrong = client.post(url, {"password": "pas-le-bon"})
    assert wrong.status_code == 400 and "Mot de passe incorrect" in wrong.content.decode()
    assert Agent.objects.get(pk=dgs_commune.pk).erased_at is None
    response = client.post(url, {"password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("login"))
    assert "Votre compte et vos données personnelles ont été effacés." in response.content.decode()
    assert Agent.objects.get(pk=dgs_commune.pk).erased_at is not None
    assert client.get(reverse("mes_donnees")).status_code == 302  # logged out
    login = client.post(reverse("login"), {"username": EMAIL, "password": PASSWORD})
    assert login.status_code == 200 and "_auth_user_id" not in client.session  # the form again, no session


def test_an_erased_agent_cannot_be_erased_twice_and_the_command_reports(trail, dgs_commune, capsys):
    call_command("erase_agent", EMAIL, "--no-input")
    output = capsys.readouterr().out
    assert "supprimé : otp_totp.totpdevice — 1 ligne(s)" in output and "est effacé·e" in output
    with pytest.raises(Exception, match="déjà été effacé"):
        agent_erase(agent=Agent.objects.get(pk=dgs_commune.pk), by=None)
    with pytest.raises(Exception, match="Aucun compte"):
        call_command("erase_agent", EMAIL, "--no-input")


def test_the_pages_of_the_territory_show_the_collectivite_not_the_erased_person(
    trail, mortagne, dgs_commune, dgs_epci, client_for
):
    agent_erase(agent=dgs_commune, by=None)
    page = client_for(dgs_epci).get(reverse("decisions:proposition", args=[mortagne.slug, trail.pk])).content.decode()
    assert "Mortagne-sur-Sèvre" in page
    assert "Guérin" not in page and EMAIL not in page


def test_the_page_and_the_download_make_as_many_queries_for_a_long_trail_as_for_a_short_one(
    trail, mortagne, dgs_epci, dgs_commune, client_for, django_assert_max_num_queries
):
    from tests.querycounts import count_queries

    client = client_for(dgs_commune)
    reunion = codir_services.reunion_create(
        territoire=mortagne,
        by=dgs_epci,
        title="CoDir de janvier",
        starts_at=timezone.now() + timedelta(days=40),
        ends_at=timezone.now() + timedelta(days=40, hours=2),
    )
    urls = [reverse("mes_donnees"), reverse("mes_donnees_telecharger")]
    for url in urls:
        count_queries(client, url)  # warm the content-type cache
    short = [count_queries(client, url) for url in urls]
    for number in range(6):
        codir_services.point_add(reunion=reunion, by=dgs_commune, title=f"Point n° {number}")
    with django_assert_max_num_queries(200):
        long = [count_queries(client, url) for url in urls]
    assert long == short


def test_erasure_rewrites_whole_words_only_and_the_html_made_from_them(
    trail, mortagne, dgs_epci, dgs_commune, django_capture_on_commit_callbacks
):
    from django.contrib.sessions.models import Session
    from django.core.cache import cache
    from django.test import Client

    from tests.conftest import force_complete_login

    reunion = codir_services.reunion_create(
        territoire=mortagne,
        by=dgs_epci,
        title="CoDir de février",
        starts_at=timezone.now() + timedelta(days=50),
        ends_at=timezone.now() + timedelta(days=50, hours=2),
    )
    namesake = "Anne-Sophie Guérin (anne-sophie.guerin@mortagne-sur-sevre.test)"
    codir_services.point_add(reunion=reunion, by=dgs_epci, title="Homonyme", description=namesake)
    codir_services.point_add(
        reunion=reunion, by=dgs_epci, title="Entretien", description=f"### Entretien avec {NAME}\n\nCompte rendu."
    )
    long_title = "Bilan de la mutualisation de la paie " + "x" * (200 - 37 - len(NAME) - 3) + f" — {NAME}"
    assert len(long_title) == 200
    codir_services.point_add(reunion=reunion, by=dgs_epci, title=long_title)
    force_complete_login(Client(), dgs_commune)  # a session of hers, stored
    cache.set("analyse", f"carte : {NAME}")

    with django_capture_on_commit_callbacks(execute=True):
        agent_erase(agent=dgs_commune, by=None)

    assert PointOdj.objects.get(title="Homonyme").description == namesake
    entretien = PointOdj.objects.get(title="Entretien")
    assert "guerin" not in entretien.description_html.lower() and "Personne effacée" in entretien.description_html
    # « Personne effacée n° N » is longer than the name it replaces: cut to the column, never a database error.
    long = PointOdj.objects.get(title__startswith="Bilan de la mutualisation").title
    assert len(long) == 200 and NAME not in long and long.endswith("— Personne effa")
    assert not [s for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(dgs_commune.pk)]
    assert cache.get("analyse") is None


def test_an_agent_known_by_a_single_name_leaves_no_trace_of_it_in_the_journal(mortagne, dgs_epci):
    from tests.conftest import make_member

    agent = make_member(mortagne, "Tiffauges", "dgs@tiffauges.test", Membership.Role.DGS, Seat.Kind.TITULAIRE)
    Agent.objects.filter(pk=agent.pk).update(first_name="", last_name="Dupontel")
    agent.refresh_from_db()
    journal_record(action="communes.agent.updated", actor=dgs_epci, territoire=mortagne, target=agent)
    agent_erase(agent=agent, by=dgs_epci)
    assert not JournalEntry.objects.filter(target_label__icontains="Dupontel").exists()
    assert JournalEntry.objects.filter(target_label=f"Personne effacée n° {agent.pk}").count() >= 3


def test_the_last_administrator_is_told_to_name_a_successor_and_nothing_is_erased(mortagne, dgs_epci, client_for):
    dgs_epci.set_password(PASSWORD)
    dgs_epci.save()
    client = client_for(dgs_epci)
    response = client.post(reverse("mes_donnees_effacer"), {"password": PASSWORD})
    assert response.status_code == 400
    assert "dernier administrateur" in response.content.decode()
    dgs_epci.refresh_from_db()
    assert dgs_epci.erased_at is None and dgs_epci.is_active and dgs_epci.last_name
