from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from communes.models import Collectivite, JournalEntry, Seat
from decisions import services
from decisions.models import Action, Position, Proposition, Round
from decisions.rules import FALLBACK_RULE, register_default_rule_provider

pytestmark = pytest.mark.django_db


def current_positions(proposition):
    return {
        p.collectivite.name: (p.choice, p.seat_kind)
        for p in Position.objects.current().filter(round__proposition=proposition, round__closed_at__isnull=True)
    }


def test_a_new_proposition_is_a_draft_decided_by_consent_with_quorum_one_half_until_a_charter_exists(
    mortagne, dgs_epci
):
    proposition = services.proposition_create(
        territoire=mortagne, author=dgs_epci, title="Charte graphique commune", body="# Objet\n\nUn <b>logo</b>."
    )
    assert proposition.status == "brouillon"
    assert (proposition.mode, proposition.quorum_percent, proposition.colleges) == ("consentement", 50, False)
    assert proposition.body_html.startswith('<h3 id="md-objet">Objet</h3>') and "<b>" not in proposition.body_html
    assert dgs_epci.has_perm("decisions.change_proposition", proposition)


def test_the_default_rule_comes_from_a_registered_provider(mortagne, dgs_epci, monkeypatch):
    from decisions import rules
    from decisions.outcome import Majority, Mode, Rule

    monkeypatch.setattr(rules, "_providers", [])
    register_default_rule_provider(lambda territoire, at: Rule(Mode.MAJORITE, Majority.DEUX_TIERS, 60, True))
    proposition = services.proposition_create(territoire=mortagne, author=dgs_epci, title="T", body="B")
    assert (proposition.mode, proposition.majority, proposition.quorum_percent, proposition.colleges) == (
        "majorite",
        "deux_tiers",
        60,
        True,
    )
    monkeypatch.setattr(rules, "_providers", [lambda territoire, at: None])
    assert rules.default_rule(mortagne) == FALLBACK_RULE


def test_opening_needs_a_deadline_at_least_an_hour_away(mortagne, dgs_epci):
    proposition = services.proposition_create(territoire=mortagne, author=dgs_epci, title="T", body="B")
    with pytest.raises(ValidationError, match="au moins une heure"):
        services.proposition_open(proposition=proposition, by=dgs_epci, closes_at=timezone.now() + timedelta(minutes=5))
    assert Proposition.objects.get(pk=proposition.pk).status == "brouillon"


def test_opening_tells_every_member(open_proposition, voices, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        proposition = open_proposition()
    assert proposition.status == "ouverte" and proposition.rounds.count() == 1
    assert sorted(m.to[0] for m in mail.outbox) == sorted(agent.email for agent in voices)
    assert "Nouvelle proposition" in mail.outbox[0].subject
    assert f"/t/{proposition.territoire.slug}/decisions/{proposition.pk}/" in mail.outbox[0].body


def test_only_a_titulaire_or_suppleant_speaks_for_a_collectivite(open_proposition, referent, observateur, facilitateur):
    proposition = open_proposition()
    for agent in (referent, observateur, facilitateur):
        with pytest.raises(ValidationError, match="Seul·e le ou la titulaire"):
            services.position_express(proposition=proposition, agent=agent, choice="pour")
    assert not Position.objects.exists()


def test_the_suppleant_speaks_only_while_the_titulaire_has_not(open_proposition, dgs_commune, suppleant_commune):
    proposition = open_proposition()
    services.position_express(proposition=proposition, agent=suppleant_commune, choice="pour")
    assert current_positions(proposition) == {"Mortagne-sur-Sèvre": ("pour", "suppleant")}
    # The titulaire takes the voice back…
    services.position_express(proposition=proposition, agent=dgs_commune, choice="abstention")
    assert current_positions(proposition) == {"Mortagne-sur-Sèvre": ("abstention", "titulaire")}
    # …and the suppléant cannot override them.
    with pytest.raises(ValidationError, match="ne le remplace pas"):
        services.position_express(proposition=proposition, agent=suppleant_commune, choice="contre")
    # Both earlier positions are kept, replaced.
    assert Position.objects.filter(collectivite__name="Mortagne-sur-Sèvre").count() == 2


def test_a_new_position_replaces_the_previous_one_and_history_is_kept(open_proposition, dgs_commune):
    proposition = open_proposition()
    services.position_express(proposition=proposition, agent=dgs_commune, choice="contre")
    services.position_express(proposition=proposition, agent=dgs_commune, choice="pour")
    history = list(Position.objects.filter(collectivite__name="Mortagne-sur-Sèvre").order_by("created_at"))
    assert [(p.choice, p.replaced_at is None) for p in history] == [("contre", False), ("pour", True)]


def test_the_database_refuses_a_second_voice_for_a_collectivite(open_proposition, dgs_commune, suppleant_commune):
    proposition = open_proposition()
    first = services.position_express(proposition=proposition, agent=dgs_commune, choice="pour")
    with pytest.raises(IntegrityError), transaction.atomic():
        Position.objects.create(
            round=first.round,
            collectivite=first.collectivite,
            choice="contre",
            spoken_by=suppleant_commune,
            seat_kind=Seat.Kind.SUPPLEANT,
        )


def test_an_objection_needs_a_motive_in_the_service_and_the_database(open_proposition, dgs_commune):
    proposition = open_proposition()
    with pytest.raises(ValidationError, match="motivée"):
        services.position_express(proposition=proposition, agent=dgs_commune, choice="objection", motive="  ")
    round_ = proposition.rounds.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Position.objects.create(
            round=round_,
            collectivite=Collectivite.objects.get(name="Mortagne-sur-Sèvre"),
            choice="objection",
            spoken_by=dgs_commune,
            seat_kind="titulaire",
        )


def test_no_position_after_the_deadline(open_proposition, dgs_commune):
    proposition = open_proposition()
    with pytest.raises(ValidationError, match="close depuis"):
        services.position_express(
            proposition=proposition, agent=dgs_commune, choice="pour", at=proposition.closes_at + timedelta(seconds=1)
        )


def test_an_objection_is_answered_by_an_amended_text_in_a_new_round(
    open_proposition, dgs_epci, dgs_commune, sg_petite_commune, voices, django_capture_on_commit_callbacks
):
    proposition = open_proposition()
    for agent in voices:
        if agent != sg_petite_commune:
            services.position_express(proposition=proposition, agent=agent, choice="pour")
    objection = services.position_express(
        proposition=proposition,
        agent=sg_petite_commune,
        choice="objection",
        motive="Mallièvre n'a pas d'agent pour saisir les dossiers en ligne.",
    )
    with pytest.raises(ValidationError, match="Répondez à chaque objection"):
        services.proposition_amend(
            proposition=proposition, by=dgs_epci, body="Nouveau texte", responses={}, closes_at=proposition.closes_at
        )
    with django_capture_on_commit_callbacks(execute=True):
        new_round = services.proposition_amend(
            proposition=proposition,
            by=dgs_epci,
            body="Le service commun instruit les autorisations ; il saisit lui-même les dossiers papier.",
            responses={objection.pk: "Le service saisira les dossiers papier des communes sans agent."},
            closes_at=timezone.now() + timedelta(days=2),
        )
    first = proposition.rounds.get(number=1)
    assert (first.closing, first.result, first.tally["objection"]) == ("amendement", "objection", 1)
    assert first.body.startswith("Le service commun instruit **toutes**")
    objection.refresh_from_db()
    assert objection.response.startswith("Le service saisira")
    assert new_round.number == 2 and current_positions(proposition) == {}
    assert any("Texte amendé" in m.subject for m in mail.outbox)
    # The new round passes.
    for agent in voices:
        services.position_express(proposition=proposition, agent=agent, choice="pour")
    closed = services.proposition_close(proposition=proposition, by=dgs_epci)
    assert (closed.status, closed.result) == ("close", "adoptee")
    assert [r.number for r in closed.rounds.all()] == [1, 2]


def test_the_text_is_amended_only_in_answer_to_an_objection(open_proposition, dgs_epci, dgs_commune):
    proposition = open_proposition()
    services.position_express(proposition=proposition, agent=dgs_commune, choice="contre")
    with pytest.raises(ValidationError, match="Aucune objection"):
        services.proposition_amend(
            proposition=proposition, by=dgs_epci, body="X", responses={}, closes_at=proposition.closes_at
        )


def test_closing_records_the_outcome_the_tally_and_the_technical_opinion(
    open_proposition, dgs_epci, voices, django_capture_on_commit_callbacks
):
    proposition = open_proposition(kind="avis_technique", mode="majorite")
    for agent, choice in zip(voices, ["pour", "pour", "contre", "pour", "abstention", "pour", "pour"], strict=True):
        services.position_express(proposition=proposition, agent=agent, choice=choice)
    with django_capture_on_commit_callbacks(execute=True):
        closed = services.proposition_close(proposition=proposition, by=dgs_epci)
    assert (closed.result, closed.avis) == ("adoptee", "favorable_avec_reserves")
    tally = closed.rounds.get().tally
    assert (tally["pour"], tally["contre"], tally["abstention"], tally["electorate"]) == (5, 1, 1, 12)
    assert any("Adoptée" in m.subject for m in mail.outbox)
    assert JournalEntry.objects.filter(action="decisions.proposition.closed", data__result="adoptee").exists()
    with pytest.raises(ValidationError, match="n'est pas ouverte"):
        services.proposition_close(proposition=closed, by=dgs_epci)


def test_without_quorum_nothing_is_decided(open_proposition, dgs_epci, dgs_commune):
    proposition = open_proposition()
    services.position_express(proposition=proposition, agent=dgs_commune, choice="pour")
    assert services.proposition_close(proposition=proposition, by=dgs_epci).result == "sans_quorum"


def test_withdrawing_keeps_the_record(open_proposition, dgs_epci, dgs_commune):
    proposition = open_proposition()
    services.position_express(proposition=proposition, agent=dgs_commune, choice="pour")
    with pytest.raises(ValidationError, match="pourquoi"):
        services.proposition_withdraw(proposition=proposition, by=dgs_epci, reason=" ")
    withdrawn = services.proposition_withdraw(
        proposition=proposition, by=dgs_epci, reason="Sujet reporté au budget 2027."
    )
    assert withdrawn.status == "retiree" and Round.objects.get(proposition=proposition).closing == "retrait"
    assert Position.objects.filter(round__proposition=proposition).count() == 1


def test_the_sweep_closes_what_is_due_and_reminds_the_silent_once(
    open_proposition, dgs_epci, dgs_commune, sg_petite_commune, django_capture_on_commit_callbacks
):
    proposition = open_proposition()
    services.position_express(proposition=proposition, agent=dgs_commune, choice="pour")
    two_days = timezone.now() + timedelta(days=2, hours=1)
    with django_capture_on_commit_callbacks(execute=True):
        report = services.decisions_sweep(now=two_days)
    assert report.reminders == 1
    reminded = sorted(m.to[0] for m in mail.outbox if "24 heures" in m.subject)
    assert reminded == sorted([dgs_epci.email, sg_petite_commune.email])  # Mortagne-sur-Sèvre has expressed
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.decisions_sweep(now=two_days).reminders == 0
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        report = services.decisions_sweep(now=proposition.closes_at + timedelta(minutes=1))
    proposition.refresh_from_db()
    assert report.closed == 1 and proposition.status == "close" and proposition.closed_at == proposition.closes_at


def test_follow_up_actions_are_reminded_when_due_then_weekly(
    open_proposition, dgs_epci, dgs_commune, voices, django_capture_on_commit_callbacks
):
    proposition = open_proposition()
    with pytest.raises(ValidationError, match="décision close"):
        services.action_create(proposition=proposition, by=dgs_epci, title="X", owner_agent=dgs_commune)
    for agent in voices:
        services.position_express(proposition=proposition, agent=agent, choice="pour")
    services.proposition_close(proposition=proposition, by=dgs_epci)
    with pytest.raises(ValidationError, match="qui porte"):
        services.action_create(proposition=proposition, by=dgs_epci, title="X")
    due = timezone.localdate() + timedelta(days=10)
    action = services.action_create(
        proposition=proposition,
        by=dgs_epci,
        title="Rédiger la convention de service commun",
        owner_collectivite=Collectivite.objects.get(name="Mortagne-sur-Sèvre"),
        due_date=due,
    )
    at_due = timezone.make_aware(timezone.datetime.combine(due, timezone.datetime.min.time())) + timedelta(hours=9)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.decisions_sweep(now=at_due - timedelta(days=1)).action_reminders == 0
        assert services.decisions_sweep(now=at_due).action_reminders == 1
        assert services.decisions_sweep(now=at_due + timedelta(days=3)).action_reminders == 0
        assert services.decisions_sweep(now=at_due + timedelta(days=8)).action_reminders == 1
    assert [m.to for m in mail.outbox if "échéance" in m.subject] == [[dgs_commune.email]] * 2
    services.action_set_status(action=action, by=dgs_commune, status=Action.Status.FAITE)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.decisions_sweep(now=at_due + timedelta(days=30)).action_reminders == 0


def test_a_sweep_skips_what_another_closed_meanwhile(open_proposition, dgs_epci, monkeypatch):
    proposition = open_proposition()
    real_close = services.proposition_close

    def closed_by_someone_else_first(*, proposition, by, at=None):
        real_close(proposition=proposition, by=dgs_epci)
        return real_close(proposition=proposition, by=by, at=at)

    monkeypatch.setattr(services, "proposition_close", closed_by_someone_else_first)
    report = services.decisions_sweep(now=proposition.closes_at + timedelta(minutes=1))
    assert report.closed == 0
    assert Proposition.objects.get(pk=proposition.pk).status == "close"


def test_the_tick_command_runs_the_sweep_and_says_what_it_did(open_proposition, dgs_epci):
    import io

    from django.core.management import call_command

    proposition = open_proposition()
    Proposition.objects.filter(pk=proposition.pk).update(closes_at=timezone.now() - timedelta(minutes=5))
    out = io.StringIO()
    call_command("tick", stdout=out)
    assert "Décisions : 1 close(s)" in out.getvalue()
    assert Proposition.objects.get(pk=proposition.pk).result == "sans_quorum"


def test_a_draft_can_be_withdrawn_before_it_opens(mortagne, dgs_epci):
    draft = services.proposition_create(territoire=mortagne, author=dgs_epci, title="Brouillon", body="Texte")
    services.proposition_withdraw(proposition=draft, by=dgs_epci, reason="Doublon d'une autre proposition")
    draft.refresh_from_db()
    assert draft.status == "retiree" and draft.opens_at is None and draft.withdrawal_reason
