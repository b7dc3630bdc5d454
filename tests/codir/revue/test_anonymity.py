"""The questionnaire is anonymous by construction, and its results never give one person's answers away."""

import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models

from codir.models import Partage, Participation, Reponse, RevueAnnuelle
from codir.revue import services
from codir.revue.selectors import MIN_GROUP, results_of
from communes import services as communes_services
from communes.models import Agent, JournalEntry, Membership
from tests.conftest import collectivite, make_member

YEAR = 2026  # the frozen clock of tests/codir says 1 December 2026


@pytest.fixture
def revue(mortagne, facilitateur) -> RevueAnnuelle:
    revue = services.revue_create(territoire=mortagne, year=YEAR, by=facilitateur)
    return services.revue_open_questionnaire(revue=revue, by=facilitateur)


@pytest.fixture
def epci_agents(mortagne, dgs_epci, referent):
    """Three agents of the EPCI (the DGS, a référent, a DGA)."""
    dga = make_member(mortagne, "CC du Pays de Mortagne", "dga@paysdemortagne.test", Membership.Role.DGA)
    return [dgs_epci, referent, dga]


@pytest.fixture
def mid_communes(mortagne):
    """Two communes of 1,000 to 3,499 inhabitants."""
    return [
        make_member(mortagne, "La Gaubretière", "sg@la-gaubretiere.test", Membership.Role.SG),
        make_member(mortagne, "Tiffauges", "sg@tiffauges.test", Membership.Role.SG),
    ]


@pytest.fixture
def big_communes(mortagne, dgs_commune):
    """Three communes of 3,500 to 9,999 inhabitants."""
    return [
        dgs_commune,
        make_member(mortagne, "Chanverrie", "dgs@chanverrie.test", Membership.Role.DGS),
        make_member(mortagne, "Saint-Laurent-sur-Sèvre", "dgs@saint-laurent.test", Membership.Role.DGS),
    ]


def answer(revue, agent, **answers) -> None:
    services.reponse_submit(revue=revue, agent=agent, answers=answers)


def dimension(results, key):
    return next(d for d in results.dimensions if d.key == key)


def item(results, key):
    return next(i for d in results.dimensions for i in d.items if i.key == key)


# --- What is stored


def test_an_answer_row_has_no_person_and_no_date():
    fields = {f.name: f for f in Reponse._meta.get_fields()}
    assert set(fields) == {"id", "revue", "profile", "answers"}
    assert not any(isinstance(f, models.DateField | models.TimeField) for f in fields.values())
    assert not any(f.is_relation and f.related_model is Agent for f in fields.values())
    assert isinstance(fields["id"], models.UUIDField) and fields["id"].default is uuid.uuid4
    # Who answered is kept apart, to the day only (an instant could be matched with the answers' physical order).
    answered_on = Participation._meta.get_field("answered_on")
    assert isinstance(answered_on, models.DateField) and not isinstance(answered_on, models.DateTimeField)
    assert {f.name for f in Participation._meta.get_fields()} == {"id", "revue", "agent", "answered_on"}


@pytest.mark.django_db
def test_a_submission_stores_the_answers_and_the_fact_of_answering_apart(revue, dgs_epci, sg_petite_commune):
    answer(revue, dgs_epci, se_connaitre_1=4, se_connaitre_libre="  Un annuaire.  ")
    answer(revue, sg_petite_commune, se_connaitre_1="2")
    assert sorted(Participation.objects.filter(revue=revue).values_list("agent__email", flat=True)) == sorted(
        [dgs_epci.email, sg_petite_commune.email]
    )
    rows = sorted(Reponse.objects.filter(revue=revue).values_list("profile", "answers"))
    assert rows == [
        ("epci", {"se_connaitre_1": 4, "se_connaitre_libre": "Un annuaire."}),
        ("moins_1000", {"se_connaitre_1": 2}),
    ]


@pytest.mark.django_db
def test_answers_are_listed_by_their_random_key_not_in_the_order_given(
    revue, monkeypatch, epci_agents, mid_communes, big_communes
):
    # Keys that decrease with each answer: listed by key, the answers come out in the reverse order of giving.
    keys = iter(uuid.UUID(int=n) for n in range(10**6, 0, -1))
    monkeypatch.setattr(Reponse._meta.pk, "_get_default", lambda: next(keys))  # what Field.get_default() calls
    agents = [*epci_agents, *mid_communes, *big_communes]
    for level, agent in enumerate(agents):
        answer(revue, agent, se_connaitre_libre=f"réponse {level}")
    given = [f"réponse {level}" for level in range(len(agents))]
    listed = [
        answers["se_connaitre_libre"]
        for answers in Reponse.objects.filter(revue=revue).values_list("answers", flat=True)
    ]
    assert listed == given[::-1]
    assert Reponse._meta.ordering == ["revue_id", "id"]


@pytest.mark.django_db
def test_the_journal_has_no_line_per_answer(revue, dgs_epci, facilitateur):
    """Even without a name, each answer's exact time beside the participations would tie answers to people:
    the journal counts the answers once, when they close."""
    answer(revue, dgs_epci, se_connaitre_1=4)
    assert not JournalEntry.objects.filter(action="codir.revue.answered").exists()
    assert not JournalEntry.objects.filter(actor=dgs_epci, action__startswith="codir.revue").exists()
    services.revue_start_seminar(revue=revue, by=facilitateur)
    assert JournalEntry.objects.get(action="codir.revue.seminar_started").data == {"answers": 1}


# --- Who answers, once


@pytest.mark.django_db
def test_an_agent_answers_once(revue, dgs_epci):
    answer(revue, dgs_epci, se_connaitre_1=4)
    with pytest.raises(ValidationError, match="déjà répondu"):
        answer(revue, dgs_epci, se_connaitre_1=1)
    assert Reponse.objects.filter(revue=revue).count() == 1
    assert Participation.objects.filter(revue=revue).count() == 1


@pytest.mark.django_db
def test_the_facilitator_observers_and_outsiders_do_not_answer(revue, facilitateur, observateur, outsider):
    for agent in (facilitateur, observateur, outsider):
        with pytest.raises(PermissionDenied):
            answer(revue, agent, se_connaitre_1=3)
    assert not Reponse.objects.exists() and not Participation.objects.exists()


@pytest.mark.django_db
def test_a_member_who_left_does_not_answer(revue, dgs_commune):
    membership = Membership.objects.get(agent=dgs_commune)
    communes_services.membership_deactivate(membership=membership, by=None)
    with pytest.raises(PermissionDenied):
        answer(revue, dgs_commune, se_connaitre_1=3)


@pytest.mark.django_db
def test_answers_are_refused_outside_the_questionnaire_stage(mortagne, facilitateur, dgs_epci):
    revue = services.revue_create(territoire=mortagne, year=YEAR, by=facilitateur)
    with pytest.raises(ValidationError, match="pas ouvert"):
        answer(revue, dgs_epci, se_connaitre_1=3)
    services.revue_open_questionnaire(revue=revue, by=facilitateur)
    services.revue_start_seminar(revue=revue, by=facilitateur)
    with pytest.raises(ValidationError, match="pas ouvert"):
        answer(revue, dgs_epci, se_connaitre_1=3)
    assert not Participation.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "answers",
    [
        {},
        {"se_connaitre_1": ""},
        {"se_connaitre_1": 0},
        {"se_connaitre_1": 6},
        {"se_connaitre_1": "beaucoup"},
        {"se_connaitre_1": 3.5},
        {"se_connaitre_1": True},
        {"inconnue": 3},
        {"se_connaitre_libre": "x" * 2001},
    ],
)
def test_bad_answers_are_refused_and_nothing_is_stored(revue, dgs_epci, answers):
    with pytest.raises(ValidationError):
        answer(revue, dgs_epci, **answers)
    assert not Participation.objects.exists() and not Reponse.objects.exists()


# --- What the results show


@pytest.mark.django_db
def test_nothing_is_shown_under_three_answers(revue, dgs_epci, dgs_commune, sg_petite_commune):
    answer(revue, dgs_epci, se_connaitre_1=5, se_connaitre_libre="Un")
    answer(revue, dgs_commune, se_connaitre_1=1, se_connaitre_libre="Deux")
    results = results_of(revue)
    assert (results.answers, results.shown, results.dimensions, results.profiles) == (2, False, [], [])
    answer(revue, sg_petite_commune, se_connaitre_1=3, se_connaitre_libre="Trois")
    results = results_of(revue)
    assert results.shown and results.answers == MIN_GROUP == 3
    assert dimension(results, "se_connaitre").mean == 3.0


@pytest.mark.django_db
def test_an_item_with_fewer_than_three_answers_shows_only_its_count(revue, dgs_epci, dgs_commune, sg_petite_commune):
    answer(revue, dgs_epci, se_connaitre_1=5, se_connaitre_2=5, se_connaitre_libre="Alpha")
    answer(revue, dgs_commune, se_connaitre_1=4, se_connaitre_2=1, se_connaitre_libre="Bêta")
    answer(revue, sg_petite_commune, se_connaitre_1=3)
    results = results_of(revue)
    first, second, free = (
        item(results, "se_connaitre_1"),
        item(results, "se_connaitre_2"),
        item(results, "se_connaitre_libre"),
    )
    assert (first.n, first.mean, first.distribution) == (3, 4.0, [0, 0, 1, 1, 1])
    assert (second.n, second.mean, second.distribution) == (2, None, [])
    assert (free.n, free.verbatims) == (2, [])


@pytest.mark.django_db
def test_an_answer_hidden_at_the_item_level_cannot_be_read_back_from_the_dimension_mean(
    revue, dgs_epci, dgs_commune, sg_petite_commune
):
    """Three people agree at 4 on the first statement, only one answers the second: whatever that one answer
    is, nothing shown changes (otherwise 3 × dimension mean − the first item's answers would give it)."""
    answer(revue, dgs_epci, se_connaitre_1=4)
    answer(revue, dgs_commune, se_connaitre_1=4)
    answer(revue, sg_petite_commune, se_connaitre_1=4, se_connaitre_2=1)
    low = results_of(revue).as_dict()
    Reponse.objects.filter(revue=revue, answers__has_key="se_connaitre_2").update(
        answers={"se_connaitre_1": 4, "se_connaitre_2": 5}
    )
    high = results_of(revue).as_dict()
    assert low == high
    assert dimension(results_of(revue), "se_connaitre").mean == 4.0


@pytest.mark.django_db
def test_free_answers_are_shown_from_three_sorted_never_in_the_order_given(
    revue, dgs_epci, dgs_commune, sg_petite_commune, referent
):
    for agent, text in [(dgs_epci, "Zèbre"), (dgs_commune, "abeille"), (sg_petite_commune, "Mouette"),
                        (referent, "écureuil")]:  # fmt: skip
        answer(revue, agent, se_connaitre_libre=text)
    results = results_of(revue)
    verbatims = item(results, "se_connaitre_libre").verbatims
    assert verbatims == sorted(["Zèbre", "abeille", "Mouette", "écureuil"], key=str.casefold)
    assert verbatims[:2] == ["abeille", "Mouette"]  # never the order given (Zèbre came first)


@pytest.mark.django_db
def test_profiles_fall_back_to_epci_against_communes_when_a_class_is_too_small(
    revue, epci_agents, mid_communes, big_communes
):
    """3 EPCI + 2 communes of 1,000–3,499 + 3 of 3,500–9,999: the classes would show a group of two (or, left
    out, give it away by difference): EPCI (3) against communes (5) instead."""
    for agent in epci_agents:
        answer(revue, agent, se_connaitre_1=5)
    for agent in [*mid_communes, *big_communes]:
        answer(revue, agent, se_connaitre_1=2)
    results = results_of(revue)
    assert [(p.label, p.n) for p in results.profiles] == [("EPCI", 3), ("Communes", 5)]
    assert [p.means["se_connaitre"] for p in results.profiles] == [5.0, 2.0]
    assert all(len(p.means) == len(results.dimensions) for p in results.profiles)


@pytest.mark.django_db
def test_profiles_by_class_when_every_class_has_three(revue, epci_agents, big_communes):
    for agent in epci_agents:
        answer(revue, agent, se_connaitre_1=5)
    for agent in big_communes:
        answer(revue, agent, se_connaitre_1=3)
    results = results_of(revue)
    assert [(p.label, p.n) for p in results.profiles] == [
        ("EPCI", 3),
        ("Communes de 3 500 à 9 999 habitants", 3),
    ]


@pytest.mark.django_db
def test_no_profiles_with_three_epci_and_one_commune(revue, epci_agents, sg_petite_commune):
    for agent in [*epci_agents, sg_petite_commune]:
        answer(revue, agent, se_connaitre_1=4)
    results = results_of(revue)
    assert results.shown and results.profiles == []


@pytest.mark.django_db
def test_no_profile_mean_when_a_group_of_one_or_two_answered_that_dimension(
    revue, epci_agents, mid_communes, big_communes
):
    """EPCI (3) and communes (5) are shown, but only two EPCI agents answered « Légitimer »: with the overall mean
    and the communes' one, theirs would follow by difference. So no group shows that dimension."""
    for n, agent in enumerate(epci_agents):
        answers = {"se_connaitre_1": 4}
        if n < 2:
            answers["legitimer_1"] = 1
        answer(revue, agent, **answers)
    for agent in [*mid_communes, *big_communes]:
        answer(revue, agent, se_connaitre_1=2, legitimer_1=5)
    results = results_of(revue)
    assert [(p.label, p.n) for p in results.profiles] == [("EPCI", 3), ("Communes", 5)]
    overall = dimension(results, "legitimer").mean
    assert overall is not None  # seven answers in all
    assert [p.means["legitimer"] for p in results.profiles] == [None, None]
    assert [p.means["se_connaitre"] for p in results.profiles] == [4.0, 2.0]


@pytest.mark.django_db
def test_the_rate_counts_members_who_may_answer(revue, dgs_epci, dgs_commune, sg_petite_commune, observateur):
    answer(revue, dgs_epci, se_connaitre_1=4)
    results = results_of(revue)
    assert (results.answers, results.eligible, results.rate) == (1, 3, 33.3)  # the observer may not answer


# --- The facilitator runs the review and nothing else


@pytest.mark.django_db
def test_a_revoked_facilitator_can_no_longer_run_anything(mortagne, facilitateur, revue, dgs_epci):
    services.revue_start_seminar(revue=revue, by=facilitateur)
    engagement = services.engagement_add(
        revue=revue, by=facilitateur, title="Tenir le délai", owner_collectivite=collectivite(mortagne, "Mallièvre")
    )
    communes_services.facilitator_revoke(territoire=mortagne, agent=facilitateur, by=dgs_epci)
    facilitateur = Agent.objects.get(pk=facilitateur.pk)  # a fresh object: no permission cache
    questionnaire = revue.questionnaire
    attempts = [
        lambda: services.revue_create(territoire=mortagne, year=YEAR - 1, by=facilitateur),
        lambda: services.campagne_create(facilitator=facilitateur, year=YEAR + 1, title="", territoires=[mortagne]),
        lambda: services.revue_questionnaire_set(revue=revue, by=facilitateur, questionnaire_data=questionnaire),
        lambda: services.revue_open_questionnaire(revue=revue, by=facilitateur),
        lambda: services.revue_start_seminar(revue=revue, by=facilitateur),
        lambda: services.seminaire_save(revue=revue, by=facilitateur, bilan="Bilan", perspectives=""),
        lambda: services.engagement_add(
            revue=revue, by=facilitateur, title="Autre", owner_collectivite=collectivite(mortagne, "Tiffauges")
        ),
        lambda: services.engagement_withdraw(engagement=engagement, by=facilitateur),
        lambda: services.revue_close(revue=revue, by=facilitateur),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied):
            attempt()
    revue.refresh_from_db()
    assert revue.stage == RevueAnnuelle.Stage.SEMINAIRE and revue.bilan == ""
    assert RevueAnnuelle.objects.count() == 1


@pytest.mark.django_db
def test_a_deactivated_facilitator_can_no_longer_run_anything(mortagne, facilitateur, revue):
    communes_services.agent_deactivate(agent=facilitateur, by=None)
    facilitateur = Agent.objects.get(pk=facilitateur.pk)
    with pytest.raises(PermissionDenied):
        services.revue_start_seminar(revue=revue, by=facilitateur)


@pytest.mark.django_db
def test_members_and_outsiders_do_not_run_the_review(revue, dgs_epci, outsider, facilitateur, achards):
    for agent in (dgs_epci, outsider):
        with pytest.raises(PermissionDenied):
            services.revue_start_seminar(revue=revue, by=agent)
    # Facilitating one territory gives nothing in another.
    with pytest.raises(PermissionDenied):
        services.revue_create(territoire=achards, year=YEAR, by=facilitateur)


@pytest.mark.django_db
def test_the_facilitator_does_not_choose_what_the_territory_shares(
    mortagne, facilitateur, outsider, observateur, dgs_epci
):
    """The comparison is the facilitator's: letting them decide what it shows would make the choice theirs."""
    for agent in (facilitateur, outsider, observateur):
        with pytest.raises(PermissionDenied):
            services.partage_set(territoire=mortagne, by=agent, families=["reunions"])
    assert not Partage.objects.exists()
    partage = services.partage_set(territoire=mortagne, by=dgs_epci, families=["reunions"])
    assert partage.families == ["reunions"]


@pytest.mark.django_db
def test_a_dimension_mean_pools_the_answers_so_it_cannot_give_one_persons_average_away(
    revue, epci_agents, big_communes
):
    """One person answers two statements, four others one each. With the mean of each person's own average,
    dimension × 5 − 3 × item₁ − 3 × item₂ gave that person's average back; the pooled mean is only what the
    statements' distributions already say."""
    first, *others = [*epci_agents, *big_communes][:5]
    answer(revue, first, se_connaitre_1=1, se_connaitre_2=1)
    for agent, key in zip(
        others, ["se_connaitre_1", "se_connaitre_1", "se_connaitre_2", "se_connaitre_2"], strict=True
    ):
        answer(revue, agent, **{key: 5})
    services.revue_start_seminar(revue=revue, by=revue.facilitator)
    results = results_of(revue)
    one, two = item(results, "se_connaitre_1"), item(results, "se_connaitre_2")
    assert (one.n, two.n) == (3, 3)
    pooled = (
        sum(level * count for level, count in enumerate(one.distribution, start=1))
        + sum(level * count for level, count in enumerate(two.distribution, start=1))
    ) / 6
    assert dimension(results, "se_connaitre").mean == round(pooled, 2) == 3.67
    # The former formula now gives nonsense, not the first person's average (1).
    assert round(dimension(results, "se_connaitre").mean * 5 - 3 * one.mean - 3 * two.mean, 2) != 1


@pytest.mark.django_db
def test_a_facilitator_who_is_also_a_member_neither_answers_nor_chooses_the_sharing(revue, mortagne, facilitateur):
    """Whoever runs the review does not weigh in its results, nor decides what their own comparison shows."""
    communes_services.membership_add(
        territoire=mortagne,
        agent=facilitateur,
        collectivite=collectivite(mortagne, "Tiffauges"),
        role=Membership.Role.SG,
        by=None,
    )
    with pytest.raises(PermissionDenied):
        answer(revue, facilitateur, se_connaitre_1=4)
    with pytest.raises(PermissionDenied):
        services.partage_set(territoire=mortagne, by=facilitateur, families=["reunions"])
    assert not Reponse.objects.exists() and not Partage.objects.exists()
