"""The outcome function, case by case, exhaustively on a small territory, and by its properties."""

import itertools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from decisions.outcome import Avis, Choice, Majority, Mode, Result, Rule, Voter, compute_outcome

P, C, A, O = Choice.POUR, Choice.CONTRE, Choice.ABSTENTION, Choice.OBJECTION  # noqa: E741 -- one letter per column

# A territory like the Pays de Mortagne, simplified: the EPCI, a ville-centre and four villages.
EPCI = Voter(0, True, 28000)
VILLE = Voter(1, False, 6000)
VILLAGES = [Voter(2, False, 600), Voter(3, False, 500), Voter(4, False, 400), Voter(5, False, 250)]
TERRITOIRE = [EPCI, VILLE, *VILLAGES]


def decide(rule, positions, electorate=TERRITOIRE):
    return compute_outcome(rule, electorate, dict(enumerate(positions)) if isinstance(positions, list) else positions)


@pytest.mark.parametrize(
    ("rule", "positions", "expected"),
    [
        # Consent: passes unless an objection stands; a "contre" does not block.
        (Rule(Mode.CONSENTEMENT), [P, P, P, C, A, None], Result.ADOPTEE),
        (Rule(Mode.CONSENTEMENT), [P, P, P, P, P, O], Result.OBJECTION),
        (Rule(Mode.CONSENTEMENT), [P, P, None, None, None, None], Result.SANS_QUORUM),
        (Rule(Mode.CONSENTEMENT, quorum_percent=0), [None] * 6, Result.ADOPTEE),
        # Quorum one half of 6 = 3 participants, abstentions included.
        (Rule(Mode.MAJORITE), [P, A, A, None, None, None], Result.ADOPTEE),
        (Rule(Mode.MAJORITE), [P, A, None, None, None, None], Result.SANS_QUORUM),
        # Simple majority: strictly more than half of the expressed votes.
        (Rule(Mode.MAJORITE), [P, P, C, C, None, None], Result.REJETEE),
        (Rule(Mode.MAJORITE), [P, P, P, C, C, None], Result.ADOPTEE),
        (Rule(Mode.MAJORITE), [P, C, A, A, A, A], Result.REJETEE),  # 1 pour, 1 contre: not more than half
        (Rule(Mode.MAJORITE), [P, P, C, O, None, None], Result.REJETEE),  # an objection counts as contre
        # Two thirds: at least.
        (Rule(Mode.MAJORITE, Majority.DEUX_TIERS), [P, P, C, None, None, None], Result.ADOPTEE),
        (Rule(Mode.MAJORITE, Majority.DEUX_TIERS), [P, P, P, C, C, None], Result.REJETEE),
        (Rule(Mode.MAJORITE, Majority.TROIS_QUARTS), [P, P, P, C, None, None], Result.ADOPTEE),
        (Rule(Mode.MAJORITE, Majority.TROIS_QUARTS), [P, P, P, C, C, P], Result.REJETEE),
        # Unanimity of expressed votes: abstentions do not break it, one contre does.
        (Rule(Mode.UNANIMITE), [P, P, A, A, P, P], Result.ADOPTEE),
        (Rule(Mode.UNANIMITE), [P, P, P, P, P, C], Result.REJETEE),
        (Rule(Mode.UNANIMITE), [A, A, A, A, None, None], Result.REJETEE),
        # Double majority: the four villages (1,750 inhabitants) cannot outvote the ville-centre (6,000)…
        (Rule(Mode.DOUBLE_MAJORITE), [None, C, P, P, P, P], Result.REJETEE),
        # …and the ville-centre alone cannot outvote the villages.
        (Rule(Mode.DOUBLE_MAJORITE), [None, P, C, C, C, P], Result.REJETEE),
        (Rule(Mode.DOUBLE_MAJORITE), [C, P, P, P, P, C], Result.ADOPTEE),  # the EPCI weighs no population
        # Colleges: the EPCI and the communes each need their majority.
        (Rule(Mode.MAJORITE, colleges=True), [C, P, P, P, P, P], Result.REJETEE),
        (Rule(Mode.MAJORITE, colleges=True), [P, P, P, P, C, None], Result.ADOPTEE),
        (Rule(Mode.MAJORITE, colleges=True), [None, P, P, P, P, P], Result.SANS_QUORUM),
        (Rule(Mode.MAJORITE, colleges=False), [None, P, P, P, P, P], Result.ADOPTEE),
    ],
)
def test_cases_from_the_field(rule, positions, expected):
    positions = {key: choice for key, choice in enumerate(positions) if choice is not None}
    assert decide(rule, positions).result == expected


def test_the_tally_counts_each_choice_and_ignores_collectivites_outside_the_electorate():
    outcome = decide(Rule(Mode.MAJORITE), {0: P, 1: P, 2: C, 3: A, 4: O, 99: P})
    assert (outcome.tally.pour, outcome.tally.contre, outcome.tally.abstention, outcome.tally.objection) == (2, 1, 1, 1)
    assert outcome.electorate == 6 and outcome.quorum_reached


def test_the_reasons_say_why_in_french():
    assert decide(Rule(), {0: P}).reasons == ("quorum non atteint",)
    outcome = decide(Rule(Mode.DOUBLE_MAJORITE), {1: C, 2: P, 3: P, 4: P, 5: P})
    assert outcome.reasons == ("majorité de la population non atteinte",)
    outcome = decide(Rule(Mode.MAJORITE, colleges=True), {0: C, 1: P, 2: P, 3: P})
    assert outcome.reasons == ("majorité des collectivités non atteinte (collège de l'EPCI)",)


@pytest.mark.parametrize(
    ("positions", "avis"),
    [
        ({0: P, 1: P, 2: P}, Avis.FAVORABLE),
        ({0: P, 1: P, 2: A}, Avis.FAVORABLE_AVEC_RESERVES),
        ({0: P, 1: P, 2: C}, Avis.FAVORABLE_AVEC_RESERVES),
        ({0: P, 1: C, 2: C}, Avis.DEFAVORABLE),
        ({0: P}, None),
    ],
)
def test_a_technical_opinion_reads_the_outcome(positions, avis):
    assert decide(Rule(Mode.MAJORITE), positions).avis() == avis


def test_a_blocked_consent_gives_an_unfavourable_opinion():
    assert decide(Rule(Mode.CONSENTEMENT), {0: P, 1: P, 2: O}).avis() == Avis.DEFAVORABLE


def test_the_quorum_must_lie_between_0_and_100():
    with pytest.raises(ValueError):
        Rule(quorum_percent=101)


ALL_RULES = [
    Rule(mode, majority, quorum, colleges)
    for mode in Mode
    for majority in Majority
    for quorum in (0, 34, 50, 100)
    for colleges in (False, True)
]
SMALL = [EPCI, VILLE, VILLAGES[0], VILLAGES[3]]
ALL_POSITIONS = [
    {voter.key: choice for voter, choice in zip(SMALL, combo, strict=True) if choice is not None}
    for combo in itertools.product([None, *Choice], repeat=len(SMALL))
]


def test_exhaustively_on_a_small_territory():
    """Every rule × every combination of positions (5⁴ = 625) on four collectivités."""
    checked = 0
    for rule in ALL_RULES:
        for positions in ALL_POSITIONS:
            outcome = compute_outcome(rule, SMALL, positions)
            participants = len(positions)
            # Without quorum nothing is decided; with it, the mode decides.
            below_quorum = participants * 100 < rule.quorum_percent * len(SMALL)
            if below_quorum:
                assert outcome.result == Result.SANS_QUORUM
            if outcome.result == Result.OBJECTION:
                assert rule.mode == Mode.CONSENTEMENT and O in positions.values()
            if rule.mode == Mode.CONSENTEMENT and outcome.quorum_reached:
                assert (outcome.result == Result.OBJECTION) == (O in positions.values())
            if rule.mode == Mode.UNANIMITE and outcome.adopted:
                assert set(positions.values()) <= {P, A} and P in positions.values()
            if rule.mode in (Mode.MAJORITE, Mode.DOUBLE_MAJORITE) and outcome.adopted:
                in_favour = sum(1 for c in positions.values() if c == P)
                against = sum(1 for c in positions.values() if c in (C, O))
                assert in_favour > against
            if rule.mode == Mode.DOUBLE_MAJORITE and outcome.adopted:
                assert compute_outcome(
                    Rule(Mode.MAJORITE, rule.majority, rule.quorum_percent, rule.colleges), SMALL, positions
                ).adopted
            if rule.mode == Mode.UNANIMITE and outcome.adopted:
                for majority in Majority:
                    assert compute_outcome(
                        Rule(Mode.MAJORITE, majority, rule.quorum_percent, rule.colleges), SMALL, positions
                    ).adopted
            assert outcome.tally.participants == participants
            checked += 1
    assert checked == len(ALL_RULES) * 625


# Property-based tests on territories of any shape.
voters = st.lists(st.tuples(st.booleans(), st.integers(min_value=0, max_value=500_000)), min_size=1, max_size=25).map(
    lambda specs: [Voter(0, True, specs[0][1])] + [Voter(i, False, pop) for i, (_, pop) in enumerate(specs[1:], 1)]
)
rules = st.builds(
    Rule,
    mode=st.sampled_from(list(Mode)),
    majority=st.sampled_from(list(Majority)),
    quorum_percent=st.integers(min_value=0, max_value=100),
    colleges=st.booleans(),
)


@st.composite
def decisions(draw, rule_strategy=rules):
    electorate = draw(voters)
    keys = [v.key for v in electorate]
    chosen = draw(st.lists(st.sampled_from(keys), unique=True)) if keys else []
    positions = {key: draw(st.sampled_from(list(Choice))) for key in chosen}
    return draw(rule_strategy), electorate, positions


@settings(max_examples=400, deadline=None)
@given(decisions())
def test_the_outcome_never_depends_on_the_order_of_positions_or_voters(decision):
    rule, electorate, positions = decision
    expected = compute_outcome(rule, electorate, positions)
    shuffled = list(positions.items())
    random.Random(len(shuffled)).shuffle(shuffled)
    voters_shuffled = list(electorate)
    random.Random(7).shuffle(voters_shuffled)
    assert compute_outcome(rule, voters_shuffled, dict(shuffled)) == expected


majority_rules = st.builds(
    Rule,
    mode=st.sampled_from([Mode.MAJORITE, Mode.DOUBLE_MAJORITE]),
    majority=st.sampled_from(list(Majority)),
    quorum_percent=st.integers(min_value=0, max_value=100),
    colleges=st.booleans(),
)


@settings(max_examples=400, deadline=None)
@given(decisions(majority_rules), st.data())
def test_adding_a_pour_never_turns_an_adopted_decision_into_a_rejected_one(decision, data):
    rule, electorate, positions = decision
    before = compute_outcome(rule, electorate, positions)
    silent = [v.key for v in electorate if v.key not in positions]
    changeable = [key for key, choice in positions.items() if choice != P]
    candidates = silent + changeable
    if not candidates:
        return
    key = data.draw(st.sampled_from(candidates))
    after = compute_outcome(rule, electorate, {**positions, key: P})
    if before.adopted:
        assert after.adopted
    assert not (before.adopted and after.result == Result.REJETEE)


@settings(max_examples=400, deadline=None)
@given(decisions(st.builds(Rule, mode=st.just(Mode.CONSENTEMENT), quorum_percent=st.integers(0, 100))), st.data())
def test_one_objection_always_blocks_consent(decision, data):
    rule, electorate, positions = decision
    key = data.draw(st.sampled_from([v.key for v in electorate]))
    outcome = compute_outcome(rule, electorate, {**positions, key: O})
    assert outcome.result in (Result.OBJECTION, Result.SANS_QUORUM)
    assert not outcome.adopted


@settings(max_examples=300, deadline=None)
@given(decisions())
def test_taking_part_never_loses_the_quorum(decision):
    rule, electorate, positions = decision
    if not compute_outcome(rule, electorate, positions).quorum_reached:
        return
    silent = [v.key for v in electorate if v.key not in positions]
    for key in silent:
        assert compute_outcome(rule, electorate, {**positions, key: A}).quorum_reached
