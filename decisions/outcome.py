"""The outcome of a decision round: one pure function of the rule and the positions.

No database, no clock: the same rule, electorate and positions always give the same outcome,
whatever the order the positions came in. Everything that decides a CoDir's decisions is here.

Conventions, as in French deliberative practice:
- *exprimés* (expressed votes) are `pour` and `contre`; abstentions count for the quorum but
  not in the majority's base; outside consent mode an objection counts as a `contre`;
- the quorum is the share of the electorate (the territory's collectivités) that took part,
  abstentions and objections included;
- *unanimité* is that of the expressed votes: no `contre` nor objection, at least one `pour`;
- *double majorité*: the majority of the collectivités **and** of the population of those that
  expressed. The EPCI weighs nothing in the population criterion: it represents the whole
  territory, so counting its population would hand it that criterion alone;
- with *collèges*, the EPCI and the communes each need the majority (or the unanimity) within
  their college, and each college must take part for the quorum to be reached.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction


class Choice(StrEnum):
    POUR = "pour"
    CONTRE = "contre"
    ABSTENTION = "abstention"
    OBJECTION = "objection"


class Mode(StrEnum):
    CONSENTEMENT = "consentement"
    MAJORITE = "majorite"
    UNANIMITE = "unanimite"
    DOUBLE_MAJORITE = "double_majorite"


class Majority(StrEnum):
    SIMPLE = "simple"  # more than half
    DEUX_TIERS = "deux_tiers"  # at least two thirds
    TROIS_QUARTS = "trois_quarts"  # at least three quarters


class Result(StrEnum):
    ADOPTEE = "adoptee"
    REJETEE = "rejetee"
    SANS_QUORUM = "sans_quorum"
    OBJECTION = "objection"


class Avis(StrEnum):
    FAVORABLE = "favorable"
    FAVORABLE_AVEC_RESERVES = "favorable_avec_reserves"
    DEFAVORABLE = "defavorable"


@dataclass(frozen=True)
class Rule:
    mode: Mode = Mode.CONSENTEMENT
    majority: Majority = Majority.SIMPLE
    quorum_percent: int = 50  # share of the electorate that must take part, 0 to 100
    colleges: bool = False

    def __post_init__(self):
        if not 0 <= self.quorum_percent <= 100:
            raise ValueError("quorum_percent must be between 0 and 100")


@dataclass(frozen=True)
class Voter:
    """One collectivité of the electorate."""

    key: int
    is_epci: bool
    population: int


@dataclass(frozen=True)
class Tally:
    pour: int = 0
    contre: int = 0
    abstention: int = 0
    objection: int = 0

    @property
    def participants(self) -> int:
        return self.pour + self.contre + self.abstention + self.objection


@dataclass(frozen=True)
class Outcome:
    result: Result
    tally: Tally
    electorate: int
    quorum_reached: bool
    reasons: tuple[str, ...] = field(default_factory=tuple)

    @property
    def adopted(self) -> bool:
        return self.result == Result.ADOPTEE

    def avis(self) -> Avis | None:
        """The technical opinion this outcome gives; None without quorum (no opinion given)."""
        if self.result == Result.SANS_QUORUM:
            return None
        if self.result != Result.ADOPTEE:
            return Avis.DEFAVORABLE
        if self.tally.contre or self.tally.abstention:
            return Avis.FAVORABLE_AVEC_RESERVES
        return Avis.FAVORABLE


_THRESHOLDS = {
    Majority.SIMPLE: (Fraction(1, 2), True),  # strictly more than
    Majority.DEUX_TIERS: (Fraction(2, 3), False),  # at least
    Majority.TROIS_QUARTS: (Fraction(3, 4), False),
}


def _meets(part: int, whole: int, majority: Majority) -> bool:
    if whole == 0:
        return False
    threshold, strict = _THRESHOLDS[majority]
    share = Fraction(part, whole)
    return share > threshold if strict else share >= threshold


def _tally(choices: Iterable[Choice]) -> Tally:
    counts = {choice: 0 for choice in Choice}
    for choice in choices:
        counts[Choice(choice)] += 1
    return Tally(
        pour=counts[Choice.POUR],
        contre=counts[Choice.CONTRE],
        abstention=counts[Choice.ABSTENTION],
        objection=counts[Choice.OBJECTION],
    )


def _majority_within(voters: list[Voter], positions: Mapping[int, Choice], rule: Rule) -> tuple[bool, str]:
    """Whether the majority rule is met among these voters; a reason when it is not."""
    expressed = [v for v in voters if positions.get(v.key) in (Choice.POUR, Choice.CONTRE, Choice.OBJECTION)]
    in_favour = [v for v in expressed if positions[v.key] == Choice.POUR]
    if not _meets(len(in_favour), len(expressed), rule.majority):
        return False, "majorité des collectivités non atteinte"
    if rule.mode == Mode.DOUBLE_MAJORITE:
        population_expressed = sum(v.population for v in expressed if not v.is_epci)
        population_for = sum(v.population for v in in_favour if not v.is_epci)
        # A college made of the EPCI alone has no population criterion to meet.
        if population_expressed and not _meets(population_for, population_expressed, rule.majority):
            return False, "majorité de la population non atteinte"
    return True, ""


def compute_outcome(rule: Rule, electorate: Iterable[Voter], positions: Mapping[int, Choice | str]) -> Outcome:
    """Decide a round: `positions` maps a voter's key to its choice; others did not take part.

    Positions of keys outside the electorate are ignored (a collectivité that left).
    """
    voters = sorted(electorate, key=lambda v: v.key)
    keys = {v.key for v in voters}
    current = {key: Choice(choice) for key, choice in positions.items() if key in keys}
    tally = _tally(current.values())
    quorum_reached = bool(voters) and tally.participants * 100 >= rule.quorum_percent * len(voters)
    if rule.colleges:
        colleges = [[v for v in voters if v.is_epci], [v for v in voters if not v.is_epci]]
        colleges = [college for college in colleges if college]
        if any(not any(v.key in current for v in college) for college in colleges):
            quorum_reached = False

    def outcome(result: Result, *reasons: str) -> Outcome:
        return Outcome(result, tally, len(voters), quorum_reached, tuple(r for r in reasons if r))

    if not quorum_reached:
        return outcome(Result.SANS_QUORUM, "quorum non atteint")

    if rule.mode == Mode.CONSENTEMENT:
        if tally.objection:
            return outcome(Result.OBJECTION, "au moins une objection motivée demeure")
        return outcome(Result.ADOPTEE)

    groups = [[v for v in voters if v.is_epci], [v for v in voters if not v.is_epci]] if rule.colleges else [voters]
    for group in groups:
        if not group:
            continue
        if rule.mode == Mode.UNANIMITE:
            choices = {current.get(v.key) for v in group}
            met = Choice.POUR in choices and not choices & {Choice.CONTRE, Choice.OBJECTION}
            reason = "unanimité des suffrages exprimés non atteinte"
        else:
            met, reason = _majority_within(group, current, rule)
        if not met:
            if rule.colleges:
                college = "collège de l'EPCI" if group[0].is_epci else "collège des communes"
                reason = f"{reason} ({college})"
            return outcome(Result.REJETEE, reason)
    return outcome(Result.ADOPTEE)
