"""The services of the annual review: its stages, campaigns, questionnaire, séminaire, closure, sharing and the
facilitator's comparison."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from codir.models import Campagne, Engagement, Partage, Reponse, Reunion, RevueAnnuelle
from codir.revue import questionnaire, services
from codir.revue.indicators import indicators_for
from codir.revue.selectors import comparison, figures_of, results_of, scalar
from communes import services as communes_services
from communes.models import JournalEntry, Membership
from decisions.models import Action, Proposition
from tests.conftest import collectivite, import_epci, make_member

PARIS = ZoneInfo("Europe/Paris")
YEAR = 2026  # the frozen clock of tests/codir says 1 December 2026, 9:00
TODAY = date(2026, 12, 1)
# Three small EPCIs for the comparison (three communes each).
TERRE_DE_CAMARGUE, JALLE_EAU_BOURDE, AIGUEBLANCHE = "243000650", "243301165", "247300015"


def paris(year, month, day, hour=9) -> datetime:
    return datetime(year, month, day, hour, tzinfo=PARIS)


def past_meeting(territoire, starts_at) -> Reunion:
    return Reunion.objects.create(
        territoire=territoire,
        title="CoDir",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        created_at=starts_at - timedelta(days=30),
    )


@pytest.fixture
def revue(mortagne, facilitateur) -> RevueAnnuelle:
    return services.revue_create(territoire=mortagne, year=YEAR, by=facilitateur)


def to_stage(revue, facilitateur, stage) -> RevueAnnuelle:
    """Walk a review in préparation up to `stage`."""
    order = [s.value for s in RevueAnnuelle.Stage]
    steps = [
        lambda r: services.revue_open_questionnaire(revue=r, by=facilitateur),
        lambda r: services.revue_start_seminar(revue=r, by=facilitateur),
        lambda r: services.revue_close(
            revue=services.seminaire_save(revue=r, by=facilitateur, bilan="Bilan", perspectives=""), by=facilitateur
        ),
    ]
    for step in steps[: order.index(stage)]:
        revue = step(revue)
    return revue


# --- Stages


ACTIONS = {
    "questionnaire_set": (
        "preparation",
        lambda r, f: services.revue_questionnaire_set(
            revue=r, by=f, questionnaire_data=questionnaire.default_questionnaire()
        ),
    ),
    "open_questionnaire": ("preparation", lambda r, f: services.revue_open_questionnaire(revue=r, by=f)),
    "start_seminar": ("questionnaire", lambda r, f: services.revue_start_seminar(revue=r, by=f)),
    "seminaire_save": (
        "seminaire",
        lambda r, f: services.seminaire_save(revue=r, by=f, bilan="Bilan", perspectives="Suite"),
    ),
    "engagement_add": (
        "seminaire",
        lambda r, f: services.engagement_add(
            revue=r, by=f, title="Engagement", owner_collectivite=collectivite(r.territoire, "Mallièvre")
        ),
    ),
    "close": ("seminaire", lambda r, f: services.revue_close(revue=r, by=f)),
}


@pytest.mark.django_db
@pytest.mark.parametrize("action", list(ACTIONS))
@pytest.mark.parametrize("stage", [s.value for s in RevueAnnuelle.Stage])
def test_each_step_is_taken_from_its_own_stage_only(revue, facilitateur, action, stage):
    expected, run = ACTIONS[action]
    revue = to_stage(revue, facilitateur, stage)
    if stage != expected:
        with pytest.raises(ValidationError) as refused:
            run(revue, facilitateur)
        label = str(RevueAnnuelle.Stage(stage).label)
        assert f"La revue est à l'étape « {label} »" in refused.value.messages[0]
        assert RevueAnnuelle.objects.get(pk=revue.pk).stage == stage
    else:
        if action == "close":
            services.seminaire_save(revue=revue, by=facilitateur, bilan="Bilan", perspectives="")
        run(revue, facilitateur)


@pytest.mark.django_db
def test_stages_follow_each_other_and_the_journal_names_the_facilitator(revue, facilitateur):
    assert revue.stage == RevueAnnuelle.Stage.PREPARATION
    revue = services.revue_open_questionnaire(revue=revue, by=facilitateur)
    assert revue.stage == RevueAnnuelle.Stage.QUESTIONNAIRE and revue.questionnaire_opened_at is not None
    revue = services.revue_start_seminar(revue=revue, by=facilitateur, seminar_on=date(2026, 12, 10), place=" Mairie ")
    assert (revue.stage, revue.seminar_on, revue.seminar_place) == ("seminaire", date(2026, 12, 10), "Mairie")
    with pytest.raises(ValidationError, match="bilan"):
        services.revue_close(revue=revue, by=facilitateur)  # no bilan yet
    revue = services.seminaire_save(revue=revue, by=facilitateur, bilan="Un **bon** an.", perspectives="")
    assert "<strong>bon</strong>" in revue.bilan_html
    revue = services.revue_close(revue=revue, by=facilitateur)
    assert revue.stage == RevueAnnuelle.Stage.CLOTUREE and revue.closed_at is not None
    actions = list(
        JournalEntry.objects.filter(action__startswith="codir.revue").order_by("pk").values_list("action", "actor")
    )
    assert actions == [
        ("codir.revue.created", facilitateur.pk),
        ("codir.revue.questionnaire_opened", facilitateur.pk),
        ("codir.revue.seminar_started", facilitateur.pk),
        ("codir.revue.seminar_written", facilitateur.pk),
        ("codir.revue.closed", facilitateur.pk),
    ]


@pytest.mark.django_db
def test_opening_the_questionnaire_mails_the_members_who_may_answer(
    revue, facilitateur, dgs_epci, observateur, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.revue_open_questionnaire(revue=revue, by=facilitateur)
    recipients = {address for mail in mailoutbox for address in mail.to}
    assert dgs_epci.email in recipients and observateur.email not in recipients
    assert facilitateur.email not in recipients


@pytest.mark.django_db
def test_one_review_per_territory_and_year_within_five_years(mortagne, facilitateur, revue):
    with pytest.raises(ValidationError, match="existe déjà"):
        services.revue_create(territoire=mortagne, year=YEAR, by=facilitateur)
    for year in (YEAR - 6, YEAR + 2):
        with pytest.raises(ValidationError, match="Choisissez une année"):
            services.revue_create(territoire=mortagne, year=year, by=facilitateur)
    assert services.revue_create(territoire=mortagne, year=YEAR - 5, by=facilitateur).year == YEAR - 5
    assert RevueAnnuelle.objects.count() == 2


# --- Campaigns


@pytest.fixture
def two_territories(mortagne, achards, facilitateur):
    communes_services.facilitator_grant(territoire=achards, agent=facilitateur, by=None)
    return mortagne, achards


@pytest.mark.django_db
def test_a_campaign_opens_every_review_or_none(two_territories, facilitateur):
    mortagne, achards = two_territories
    services.revue_create(territoire=achards, year=YEAR, by=facilitateur)
    with pytest.raises(ValidationError, match="CC du Pays des Achards"):
        services.campagne_create(facilitator=facilitateur, year=YEAR, title="", territoires=[mortagne, achards])
    assert not Campagne.objects.exists()
    assert not RevueAnnuelle.objects.filter(territoire=mortagne).exists()


@pytest.mark.django_db
def test_a_campaign_over_a_territory_not_accompanied_creates_nothing(mortagne, achards, facilitateur):
    with pytest.raises(PermissionDenied):
        services.campagne_create(facilitator=facilitateur, year=YEAR, title="", territoires=[mortagne, achards])
    assert not Campagne.objects.exists() and not RevueAnnuelle.objects.exists()


@pytest.mark.django_db
def test_a_campaign_needs_a_territory_and_a_year_in_range(two_territories, facilitateur):
    with pytest.raises(ValidationError):
        services.campagne_create(facilitator=facilitateur, year=YEAR, title="", territoires=[])
    with pytest.raises(ValidationError):
        services.campagne_create(facilitator=facilitateur, year=2015, title="", territoires=list(two_territories))
    mortagne = two_territories[0]
    with pytest.raises(ValidationError):  # the same territory twice: its second review is refused, so is all
        services.campagne_create(facilitator=facilitateur, year=YEAR, title="", territoires=[mortagne, mortagne])
    assert not Campagne.objects.exists() and not RevueAnnuelle.objects.exists()


@pytest.mark.django_db
def test_a_campaign_gets_a_title_and_one_review_per_territory(two_territories, facilitateur):
    campagne = services.campagne_create(
        facilitator=facilitateur, year=YEAR, title="  ", territoires=list(two_territories)
    )
    assert campagne.title == f"Revues annuelles {YEAR}"
    assert sorted(campagne.revues.values_list("territoire__name", "stage")) == [
        ("CC du Pays de Mortagne", "preparation"),
        ("CC du Pays des Achards", "preparation"),
    ]
    assert all(r.questionnaire == campagne.questionnaire for r in campagne.revues.all())


def _reworded(data: dict) -> dict:
    adapted = questionnaire.adapted(
        data, texts={"se_connaitre_1": "Je connais mes collègues."}, removed={"rythme_2"}, added={}
    )
    assert adapted != data
    return adapted


@pytest.mark.django_db
def test_reviews_in_preparation_follow_the_campaign_opened_ones_keep_theirs(two_territories, facilitateur, achards):
    mortagne, achards = two_territories
    campagne = services.campagne_create(facilitator=facilitateur, year=YEAR, title="", territoires=[mortagne, achards])
    opened = services.revue_open_questionnaire(revue=campagne.revues.get(territoire=mortagne), by=facilitateur)
    original = opened.questionnaire
    new = _reworded(campagne.questionnaire)
    services.campagne_questionnaire_set(campagne=campagne, by=facilitateur, questionnaire_data=new)
    assert Campagne.objects.get(pk=campagne.pk).questionnaire == new
    assert RevueAnnuelle.objects.get(pk=opened.pk).questionnaire == original
    assert RevueAnnuelle.objects.get(territoire=achards, year=YEAR).questionnaire == new


@pytest.mark.django_db
def test_only_the_campaign_s_facilitator_adapts_it_and_only_with_a_valid_questionnaire(
    two_territories, facilitateur, dgs_epci
):
    campagne = services.campagne_create(
        facilitator=facilitateur, year=YEAR, title="", territoires=list(two_territories)
    )
    before = campagne.questionnaire
    with pytest.raises(PermissionDenied):
        services.campagne_questionnaire_set(campagne=campagne, by=dgs_epci, questionnaire_data=_reworded(before))
    with pytest.raises(ValidationError):
        services.campagne_questionnaire_set(campagne=campagne, by=facilitateur, questionnaire_data={"dimensions": []})
    assert Campagne.objects.get(pk=campagne.pk).questionnaire == before
    assert all(r.questionnaire == before for r in RevueAnnuelle.objects.all())


@pytest.mark.django_db
def test_one_review_s_questionnaire_is_adapted_in_preparation(revue, facilitateur):
    new = _reworded(revue.questionnaire)
    revue = services.revue_questionnaire_set(revue=revue, by=facilitateur, questionnaire_data=new)
    assert RevueAnnuelle.objects.get(pk=revue.pk).questionnaire == new


def _one(items, key="d", title="Dimension") -> dict:
    return {"dimensions": [{"key": key, "title": title, "items": items}]}


LIKERT_ITEM = {"key": "q1", "text": "Une affirmation.", "type": "likert"}


@pytest.mark.parametrize(
    "data, message",
    [
        ("pas un questionnaire", "liste de dimensions"),
        ({"dimensions": "non"}, "liste de dimensions"),
        ({"dimensions": []}, "au moins une question à échelle"),
        (_one([{"key": "q1", "text": "Libre ?", "type": "texte"}]), "au moins une question à échelle"),
        (_one([LIKERT_ITEM, {**LIKERT_ITEM, "text": "Autre"}]), "clé unique"),
        (_one([{**LIKERT_ITEM, "key": "d"}]), "clé unique"),  # an item named like its dimension
        (_one([LIKERT_ITEM, {**LIKERT_ITEM, "key": " Q1 "}]), "clé unique"),  # the same key once slugified
        (_one([{**LIKERT_ITEM, "text": "x" * 501}]), "500 caractères"),
        (_one([{**LIKERT_ITEM, "text": "  "}]), "500 caractères"),
        (_one([{**LIKERT_ITEM, "type": "choix"}]), "échelle d'accord, soit une réponse libre"),
        (_one([LIKERT_ITEM], title=""), "titre"),
        (_one(["q1"]), "clé, un texte et un type"),
        (_one([{**LIKERT_ITEM, "key": f"q{n}"} for n in range(questionnaire.MAX_ITEMS + 1)]), "dépasser"),
        (
            {
                "dimensions": [
                    {"key": "d", "title": "A", "items": [LIKERT_ITEM]},
                    {"key": "d", "title": "B", "items": []},
                ]
            },
            "clé unique",
        ),
    ],
)
def test_validate_questionnaire_refuses_bad_shapes(data, message):
    with pytest.raises(ValidationError, match=message):
        questionnaire.validate_questionnaire(data)


def test_validate_questionnaire_returns_a_clean_copy():
    data = {
        "dimensions": [
            {"key": "Se connaître", "title": " Se connaître ", "kind": "autre", "items": [
                {"key": "Q-1", "text": " Je connais. ", "type": "likert", "extra": "ignoré"},
            ]},
            {"key": "vide", "title": "Vide", "items": []},
        ]
    }  # fmt: skip
    assert questionnaire.validate_questionnaire(data) == {
        "dimensions": [
            {
                "key": "se_connaitre",
                "title": "Se connaître",
                "kind": "etape",
                "items": [{"key": "q_1", "text": "Je connais.", "type": "likert"}],
            }
        ]
    }
    assert questionnaire.validate_questionnaire(questionnaire.default_questionnaire())


# --- Séminaire and commitments


@pytest.fixture
def seminaire(revue, facilitateur) -> RevueAnnuelle:
    return to_stage(revue, facilitateur, "seminaire")


@pytest.mark.django_db
def test_a_commitment_is_carried_by_a_collectivite_of_the_territory_for_the_future(
    seminaire, facilitateur, mortagne, achards
):
    def add(**fields):
        fields.setdefault("title", "Tenir le délai de 48 h")
        fields.setdefault("owner_collectivite", collectivite(mortagne, "Mallièvre"))
        return services.engagement_add(revue=seminaire, by=facilitateur, **fields)

    with pytest.raises(ValidationError, match="n'appartient pas au territoire"):
        add(owner_collectivite=collectivite(achards, "CC du Pays des Achards"))
    gone = collectivite(mortagne, "Treize-Vents")
    gone.left_at = date(2026, 6, 1)
    gone.save(update_fields=["left_at"])
    with pytest.raises(ValidationError, match="n'appartient pas au territoire"):
        add(owner_collectivite=gone)
    for day in (TODAY - timedelta(days=1), TODAY):
        with pytest.raises(ValidationError, match="dans le futur"):
            add(due_date=day)
    with pytest.raises(ValidationError, match="une phrase"):
        add(title="   ")
    with pytest.raises(ValidationError):
        add(title="x" * 201)
    assert not Engagement.objects.exists()
    first = add(due_date=TODAY + timedelta(days=1))
    second = add(title="Un second", due_date=None)
    assert (first.position, second.position) == (1, 2)


@pytest.mark.django_db
def test_a_withdrawn_commitment_is_kept_and_withdrawing_twice_changes_nothing(seminaire, facilitateur, mortagne):
    engagement = services.engagement_add(
        revue=seminaire, by=facilitateur, title="Un engagement", owner_collectivite=collectivite(mortagne, "Tiffauges")
    )
    engagement = services.engagement_withdraw(engagement=engagement, by=facilitateur)
    withdrawn_at = engagement.withdrawn_at
    assert withdrawn_at is not None
    assert services.engagement_withdraw(engagement=engagement, by=facilitateur).withdrawn_at == withdrawn_at
    assert JournalEntry.objects.filter(action="codir.revue.engagement_withdrawn").count() == 1


@pytest.mark.django_db
def test_closing_enters_one_seminar_decision_with_an_action_per_commitment_kept(seminaire, facilitateur, mortagne):
    services.seminaire_save(revue=seminaire, by=facilitateur, bilan="Bilan", perspectives="Aller plus loin.")
    kept = [
        services.engagement_add(
            revue=seminaire,
            by=facilitateur,
            title=title,
            owner_collectivite=collectivite(mortagne, name),
            due_date=due,
        )
        for title, name, due in [
            ("Joindre les documents 48 h avant", "CC du Pays de Mortagne", date(2027, 3, 31)),
            ("Un pilotage par une petite commune", "Mallièvre", None),
        ]
    ]
    withdrawn = services.engagement_add(
        revue=seminaire, by=facilitateur, title="Abandonné", owner_collectivite=collectivite(mortagne, "Tiffauges")
    )
    services.engagement_withdraw(engagement=withdrawn, by=facilitateur)
    closing = paris(2026, 12, 1, 8)
    revue = services.revue_close(revue=seminaire, by=facilitateur, now=closing)
    decision = revue.proposition
    assert Proposition.objects.filter(kind=Proposition.Kind.SEMINAIRE).get() == decision
    assert (decision.status, decision.result, decision.closed_at) == ("close", "adoptee", closing)
    assert "Aller plus loin." in decision.body and "Mallièvre" in decision.body and "Abandonné" not in decision.body
    actions = list(Action.objects.filter(proposition=decision).order_by("pk"))
    assert [(a.title, a.owner_collectivite.name, a.due_date) for a in actions] == [
        ("Joindre les documents 48 h avant", "CC du Pays de Mortagne", date(2027, 3, 31)),
        ("Un pilotage par une petite commune", "Mallièvre", None),
    ]
    assert [Engagement.objects.get(pk=e.pk).action for e in kept] == actions
    assert Engagement.objects.get(pk=withdrawn.pk).action is None


@pytest.mark.django_db
def test_closing_without_commitment_enters_no_decision(seminaire, facilitateur):
    services.seminaire_save(revue=seminaire, by=facilitateur, bilan="Bilan", perspectives="")
    revue = services.revue_close(revue=seminaire, by=facilitateur)
    assert revue.proposition is None
    assert not Proposition.objects.exists() and not Action.objects.exists()


@pytest.mark.django_db
def test_closing_freezes_the_indicators_the_results_and_the_map(
    revue, facilitateur, mortagne, dgs_epci, dgs_commune, sg_petite_commune
):
    past_meeting(mortagne, paris(2026, 3, 10))
    revue = services.revue_open_questionnaire(revue=revue, by=facilitateur)
    for level, agent in enumerate([dgs_epci, dgs_commune, sg_petite_commune], start=2):
        services.reponse_submit(revue=revue, agent=agent, answers={"se_connaitre_1": level})
    revue = services.revue_start_seminar(revue=revue, by=facilitateur)
    services.seminaire_save(revue=revue, by=facilitateur, bilan="Bilan", perspectives="")
    revue = services.revue_close(revue=revue, by=facilitateur)
    frozen = revue.indicators
    assert scalar(frozen, "reunions.tenues")["value"] == 1
    assert revue.results["answers"] == 3 and revue.network_svg.startswith("<svg")

    past_meeting(mortagne, paris(2026, 11, 20))  # recorded after the closure
    Reponse.objects.filter(revue=revue).update(answers={"se_connaitre_1": 5})
    revue = RevueAnnuelle.objects.get(pk=revue.pk)
    assert revue.indicators == frozen
    assert figures_of(mortagne, YEAR) == frozen
    assert scalar([f.as_dict() for f in indicators_for(mortagne, YEAR)], "reunions.tenues")["value"] == 2
    assert results_of(revue).dimensions[0].mean == 3.0  # as closed, not the 5s written since


@pytest.mark.django_db
def test_a_past_year_closes_on_the_whole_year(mortagne, facilitateur):
    past_meeting(mortagne, paris(2025, 12, 30))
    revue = services.revue_create(territoire=mortagne, year=2025, by=facilitateur)
    revue = to_stage(revue, facilitateur, "cloturee")
    assert scalar(revue.indicators, "reunions.tenues")["value"] == 1
    assert revue.closed_at is not None


# --- Sharing and the comparison


@pytest.mark.django_db
def test_sharing_refuses_unknown_families_and_journals_each_change(mortagne, dgs_epci):
    with pytest.raises(ValidationError, match="inconnue : salaires"):
        services.partage_set(territoire=mortagne, by=dgs_epci, families=["reunions", "salaires"])
    assert not Partage.objects.exists()
    partage = services.partage_set(territoire=mortagne, by=dgs_epci, families=["questionnaire", "reunions"])
    assert partage.families == ["reunions", "questionnaire"]  # in the families' order
    services.partage_set(territoire=mortagne, by=dgs_epci, families=["parite"])
    assert Partage.objects.get().families == ["parite"]
    entries = JournalEntry.objects.filter(action="codir.revue.sharing_changed").order_by("pk")
    assert [(e.actor_id, e.data) for e in entries] == [
        (dgs_epci.pk, {"before": [], "after": ["reunions", "questionnaire"]}),
        (dgs_epci.pk, {"before": ["reunions", "questionnaire"], "after": ["parite"]}),
    ]


@pytest.fixture
def four_territories(mortagne, facilitateur, dgs_epci):
    """Mortagne and three small EPCIs accompanied by the same facilitator, with 1, 2, 4 and 6 meetings in 2025."""
    others = [import_epci(siren) for siren in (TERRE_DE_CAMARGUE, JALLE_EAU_BOURDE, AIGUEBLANCHE)]
    for territoire in others:
        communes_services.facilitator_grant(territoire=territoire, agent=facilitateur, by=None)
    for territoire, count in zip([mortagne, *others], [1, 2, 4, 6], strict=True):
        for n in range(count):
            past_meeting(territoire, paris(2025, n + 1, 10))
    return [mortagne, *others]


def _row(result, key):
    return next(row for row in result.rows if row.key == key)


def _by_territoire(result, row) -> dict:
    return {
        t.name: (value, shared) for t, value, shared in zip(result.territoires, row.values, row.shared, strict=True)
    }


@pytest.mark.django_db
def test_the_comparison_shows_what_is_shared_and_others_only_as_a_mean_of_three(
    four_territories, facilitateur, dgs_epci
):
    mortagne, camargue, jalle, aigueblanche = four_territories
    services.partage_set(territoire=mortagne, by=dgs_epci, families=["reunions"])
    result = comparison(facilitateur, 2025)
    assert {t.pk for t in result.territoires} == {t.pk for t in four_territories}
    row = _row(result, "reunions.tenues")
    assert _by_territoire(result, row) == {
        mortagne.name: (1, True),
        camargue.name: (None, False),
        jalle.name: (None, False),
        aigueblanche.name: (None, False),
    }
    assert row.aggregate == 4.0  # (2 + 4 + 6) / 3, never one of them alone
    assert result.not_sharing["reunions"] == 3 and result.not_sharing["parite"] == 4
    # A second territory shares: two are left, too few for a mean.
    epci = camargue.collectivites.get(kind="epci").name
    dgs_camargue = make_member(camargue, epci, "dgs@camargue.test", Membership.Role.DGS)
    services.partage_set(territoire=camargue, by=dgs_camargue, families=["reunions"])
    row = _row(comparison(facilitateur, 2025), "reunions.tenues")
    assert row.aggregate is None
    assert _by_territoire(comparison(facilitateur, 2025), row)[camargue.name] == (2, True)


@pytest.mark.django_db
def test_the_comparison_covers_only_the_territories_still_accompanied(four_territories, facilitateur, dgs_epci):
    mortagne = four_territories[0]
    communes_services.facilitator_revoke(territoire=mortagne, agent=facilitateur, by=dgs_epci)
    result = comparison(facilitateur, 2025, keys=["reunions.tenues"])
    assert mortagne not in result.territoires and len(result.territoires) == 3
    assert [row.key for row in result.rows] == ["reunions.tenues"]
    assert _row(result, "reunions.tenues").aggregate == 4.0


@pytest.mark.django_db
def test_the_questionnaire_rate_appears_from_the_seminar_and_only_if_shared(
    mortagne, facilitateur, dgs_epci, dgs_commune, sg_petite_commune
):
    revue = services.revue_create(territoire=mortagne, year=2025, by=facilitateur)
    revue = services.revue_open_questionnaire(revue=revue, by=facilitateur)
    services.reponse_submit(revue=revue, agent=dgs_epci, answers={"se_connaitre_1": 4})
    assert not [row for row in comparison(facilitateur, 2025).rows if row.key == "questionnaire.taux"]
    services.revue_start_seminar(revue=revue, by=facilitateur)
    row = _row(comparison(facilitateur, 2025), "questionnaire.taux")
    assert (row.values, row.shared, row.aggregate) == ([None], [False], None)
    services.partage_set(territoire=mortagne, by=dgs_epci, families=["questionnaire"])
    row = _row(comparison(facilitateur, 2025), "questionnaire.taux")
    assert row.values == [33.3]  # one answer of three members who may answer
