"""Reading annual reviews: questionnaire results (only ever in groups of three or more), figures of a
year (frozen or live), and the facilitator's comparison of the territories they accompany."""

from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from statistics import mean

from django.core.cache import cache
from django.db.models import Count
from django.utils.translation import gettext as _
from guardian.shortcuts import get_objects_for_user

from codir.models import Partage, RevueAnnuelle
from codir.revue import indicators
from codir.revue.questionnaire import LIKERT, TEXTE, items_of
from communes.models import Agent, Membership, Territoire
from communes.population import CLASS_LABELS, EPCI_CLASS

MIN_GROUP = 3  # no result is ever shown for fewer answers than this
LIVE_FIGURES_SECONDS = 15 * 60
HEADLINES = [
    "reunions.tenues",
    "ponctualite.part_a_temps",
    "participation.taux_moyen",
    "parite.part_points_communes",
    "decisions.closes",
    "portefeuille.projets",
    "jalons.part_a_temps",
    "reseaux.densite",
    "reseaux.isolees",
]


@dataclass
class ItemResult:
    key: str
    text: str
    type: str
    n: int
    mean: float | None = None
    distribution: list[int] = field(default_factory=list)  # answers at 1…5
    verbatims: list[str] = field(default_factory=list)


@dataclass
class DimensionResult:
    key: str
    title: str
    kind: str
    n: int
    mean: float | None
    items: list[ItemResult]
    previous_mean: float | None = None


@dataclass
class ProfileResult:
    label: str
    n: int
    means: dict[str, float | None]


@dataclass
class Results:
    answers: int
    eligible: int
    shown: bool
    dimensions: list[DimensionResult] = field(default_factory=list)
    profiles: list[ProfileResult] = field(default_factory=list)
    previous_year: int | None = None

    @property
    def rate(self) -> float | None:
        return round(100 * self.answers / self.eligible, 1) if self.eligible else None

    def as_dict(self) -> dict:
        return asdict(self)


def answerers():
    """The memberships whose agent is called to answer the questionnaire: active, of an active agent, not an
    observer (the same rule as `services.eligible`). Every count, invitation and rate starts from it."""
    return Membership.objects.active().filter(agent__is_active=True).exclude(role=Membership.Role.OBSERVATEUR)


def eligible_count(territoire: Territoire) -> int:
    """Members who may answer the territory's questionnaire."""
    return answerers().filter(territoire=territoire).values("agent").distinct().count()


def _shown_likert_keys(questionnaire_data: dict, answer_sets: list[dict]) -> set[str]:
    """The Likert statements answered by three people or more: the only ones any mean is made of. A statement
    answered by one or two stays out of its dimension's mean too, or the mean less the other statements'
    answers (shown with their distribution) would give it back."""
    counts = Counter(key for answers in answer_sets for key in answers)
    return {
        item["key"]
        for _dimension, item in items_of(questionnaire_data)
        if item["type"] == LIKERT and counts[item["key"]] >= MIN_GROUP
    }


def _dimension_keys(dimension: dict, shown: set[str] | None) -> list[str]:
    return [
        item["key"] for item in dimension["items"] if item["type"] == LIKERT and (shown is None or item["key"] in shown)
    ]


def _dimension_means(
    questionnaire_data: dict, answer_sets: list[dict], shown: set[str] | None = None
) -> dict[str, float | None]:
    """Each dimension's mean pools every answer to its statements (their sum over their number), among three
    respondents or more. Not the mean of each person's own average: when people answer different statements,
    that one, set beside the statements' means, would give a person's average away."""
    means = {}
    for dimension in questionnaire_data.get("dimensions", []):
        keys = _dimension_keys(dimension, shown)
        respondents = [values for answers in answer_sets if (values := [answers[k] for k in keys if k in answers])]
        pooled = [value for values in respondents for value in values]
        means[dimension["key"]] = round(mean(pooled), 2) if len(respondents) >= MIN_GROUP else None
    return means


def _profiles(questionnaire_data: dict, answers: list[tuple[str, dict]]) -> list[ProfileResult]:
    """Means by profile, only when every group shown has three answers or more and no group of one or two
    is left out (otherwise the total minus the groups would give one person's answers away): by population
    class if possible, else EPCI against communes, else nothing."""
    groupings = [
        lambda profile: profile,
        lambda profile: EPCI_CLASS if profile == EPCI_CLASS else "communes",
    ]
    shown = _shown_likert_keys(questionnaire_data, [answer_set for _profile, answer_set in answers])
    for grouping in groupings:
        groups: dict[str, list[dict]] = defaultdict(list)
        for profile, answer_set in answers:
            groups[grouping(profile)].append(answer_set)
        if len(groups) > 1 and all(len(sets) >= MIN_GROUP for sets in groups.values()):
            order = [*CLASS_LABELS, "communes"]
            keys = sorted(groups, key=lambda k: order.index(k) if k in order else len(order))
            means = {key: _dimension_means(questionnaire_data, groups[key], shown) for key in keys}
            # The same rule dimension by dimension: if one or two people of a group answered it, no group shows
            # it (the overall mean less the other groups' would give theirs away).
            for dimension in questionnaire_data.get("dimensions", []):
                likert = _dimension_keys(dimension, shown)
                sizes = [sum(1 for sets in groups[key] if any(k in sets for k in likert)) for key in keys]
                if any(0 < size < MIN_GROUP for size in sizes):
                    for key in keys:
                        means[key][dimension["key"]] = None
            return [
                ProfileResult(label=str(CLASS_LABELS.get(key, _("Communes"))), n=len(groups[key]), means=means[key])
                for key in keys
            ]
    return []


def results_of(revue: RevueAnnuelle, *, with_previous: bool = True) -> Results:
    """The questionnaire's results: nothing but the count below three answers; by dimension and by item
    otherwise, free answers sorted alphabetically (never in the order given), last year's means beside."""
    if revue.is_closed and revue.results:
        return _results_from_dict(revue.results)
    rows = list(revue.reponses.values_list("profile", "answers"))
    results = Results(answers=len(rows), eligible=eligible_count(revue.territoire), shown=len(rows) >= MIN_GROUP)
    if not results.shown:
        return results
    answer_sets = [answers for _profile, answers in rows]
    shown = _shown_likert_keys(revue.questionnaire, answer_sets)
    means = _dimension_means(revue.questionnaire, answer_sets, shown)
    previous = previous_means(revue) if with_previous else {}
    for dimension in revue.questionnaire.get("dimensions", []):
        items = []
        for item in dimension["items"]:
            given = [answers[item["key"]] for answers in answer_sets if item["key"] in answers]
            result = ItemResult(key=item["key"], text=item["text"], type=item["type"], n=len(given))
            if len(given) >= MIN_GROUP:
                if item["type"] == LIKERT:
                    counts = Counter(given)
                    result.distribution = [counts.get(level, 0) for level in range(1, 6)]
                    result.mean = round(mean(given), 2)
                elif item["type"] == TEXTE:
                    result.verbatims = sorted(given, key=str.casefold)
            items.append(result)
        likert = _dimension_keys(dimension, shown)
        likert_n = sum(1 for answers in answer_sets if any(key in answers for key in likert))
        results.dimensions.append(
            DimensionResult(
                key=dimension["key"],
                title=dimension["title"],
                kind=dimension.get("kind", "etape"),
                n=likert_n,
                mean=means.get(dimension["key"]),
                items=items,
                previous_mean=previous.get(dimension["key"]),
            )
        )
    results.profiles = _profiles(revue.questionnaire, rows)
    results.previous_year = revue.year - 1 if previous else None
    return results


def _results_from_dict(data: dict) -> Results:
    dimensions = [
        DimensionResult(**{**d, "items": [ItemResult(**item) for item in d["items"]]})
        for d in data.get("dimensions", [])
    ]
    profiles = [ProfileResult(**p) for p in data.get("profiles", [])]
    return Results(
        answers=data["answers"],
        eligible=data["eligible"],
        shown=data["shown"],
        dimensions=dimensions,
        profiles=profiles,
        previous_year=data.get("previous_year"),
    )


def previous_means(revue: RevueAnnuelle) -> dict[str, float | None]:
    """Last year's dimension means of the same territory (frozen if that review closed)."""
    previous = RevueAnnuelle.objects.filter(territoire_id=revue.territoire_id, year=revue.year - 1).first()
    if previous is None:
        return {}
    results = results_of(previous, with_previous=False)
    return {d.key: d.mean for d in results.dimensions if d.mean is not None}


def figures_of(territoire: Territoire, year: int, *, cached: bool = False) -> list[dict]:
    """The year's figures: frozen in the closed review if there is one, computed otherwise (from a short
    cache for the facilitator's side-by-side pages, which compute many territories at once)."""
    revue = RevueAnnuelle.objects.filter(territoire=territoire, year=year, stage=RevueAnnuelle.Stage.CLOTUREE).first()
    if revue is not None and revue.indicators:
        return revue.indicators
    return _live_figures(territoire, year, cached=cached)


def _live_figures(territoire: Territoire, year: int, *, cached: bool) -> list[dict]:
    if not cached:
        return [figure.as_dict() for figure in indicators.indicators_for(territoire, year)]
    key = f"codir:revue:figures:{territoire.pk}:{year}"
    figures = cache.get(key)
    if figures is None:
        figures = [figure.as_dict() for figure in indicators.indicators_for(territoire, year)]
        cache.set(key, figures, LIVE_FIGURES_SECONDS)
    return figures


def scalar(figures: list[dict], key: str) -> dict | None:
    return next((f for f in figures if f["key"] == key and not f["detail"]), None)


def breakdown(figures: list[dict], key: str) -> list[dict]:
    return [f for f in figures if f["key"] == key and f["detail"]]


def facilitated_territoires(agent: Agent):
    """The territories the agent accompanies as a facilitator."""
    return get_objects_for_user(
        agent, "communes.facilitate_territoire", klass=Territoire, with_superuser=False, use_groups=False
    ).order_by("name")


@dataclass
class ComparedRow:
    key: str
    label: str
    unit: str
    family: str
    values: list[float | int | None]  # one per territory; None when not shared (or not computed)
    shared: list[bool]
    aggregate: float | None  # mean of the territories that do not share this family, if three or more


@dataclass
class Comparison:
    year: int
    territoires: list[Territoire]
    revues: dict[int, RevueAnnuelle | None]
    rows: list[ComparedRow]
    not_sharing: dict[str, int]  # family → how many territories keep it to themselves


def comparison(agent: Agent, year: int, *, keys: list[str] | None = None) -> Comparison:
    """The same scalar figures for every territory the agent accompanies, side by side — each only where
    the territory agreed to share that family; the others' values appear only as a mean over three
    territories or more, never alone."""
    territoires = list(facilitated_territoires(agent))
    shares = {p.territoire_id: set(p.families) for p in Partage.objects.filter(territoire__in=territoires)}
    revues = {
        r.territoire_id: r
        for r in RevueAnnuelle.objects.filter(territoire__in=territoires, year=year).annotate(answers=Count("reponses"))
    }
    # One query for every territory's members called to answer (see eligible_count).
    eligible = dict(
        answerers()
        .filter(territoire__in=territoires)
        .values("territoire")
        .annotate(n=Count("agent", distinct=True))
        .values_list("territoire", "n")
    )
    # Frozen figures come with the reviews; live ones from the short cache: no query per territory once warm.
    per_territoire = {}
    for territoire in territoires:
        revue = revues.get(territoire.pk)
        frozen = revue is not None and revue.is_closed and revue.indicators
        figures = list(revue.indicators) if frozen else _live_figures(territoire, year, cached=True)
        if revue is not None and revue.stage in (RevueAnnuelle.Stage.SEMINAIRE, RevueAnnuelle.Stage.CLOTUREE):
            called = eligible.get(territoire.pk, 0)
            rate = round(100 * revue.answers / called, 1) if called else None
            figures += [
                {"family": "questionnaire", "key": "questionnaire.reponses", "label": _("Réponses au questionnaire"),
                 "value": revue.answers, "unit": "", "detail": ""},
                {"family": "questionnaire", "key": "questionnaire.taux", "label": _("Taux de réponse au questionnaire"),
                 "value": rate, "unit": "%", "detail": ""},
            ]  # fmt: skip
        per_territoire[territoire.pk] = figures
    wanted = keys or [*HEADLINES, "questionnaire.taux"]
    rows = []
    for key in wanted:
        sample = next(
            (scalar(per_territoire[t.pk], key) for t in territoires if scalar(per_territoire[t.pk], key)), None
        )
        if sample is None:
            continue
        values, shared, hidden = [], [], []
        for territoire in territoires:
            figure = scalar(per_territoire[territoire.pk], key)
            value = figure["value"] if figure else None
            is_shared = sample["family"] in shares.get(territoire.pk, set())
            shared.append(is_shared)
            values.append(value if is_shared else None)
            if not is_shared and value is not None:
                hidden.append(value)
        aggregate = round(mean(hidden), 1) if len(hidden) >= MIN_GROUP else None
        rows.append(ComparedRow(key, sample["label"], sample["unit"], sample["family"], values, shared, aggregate))
    not_sharing = {
        family: sum(1 for t in territoires if family not in shares.get(t.pk, set()))
        for family in (*indicators.FAMILIES, "questionnaire")
    }
    return Comparison(
        year=year,
        territoires=territoires,
        revues={t.pk: revues.get(t.pk) for t in territoires},
        rows=rows,
        not_sharing=not_sharing,
    )
