"""The indicators of a territory's year, computed from what the application holds.

Each indicator is a `Figure`: a family (what a territory may choose to share), a stable key, a French
label, a value, a unit and, for breakdowns, a detail (a collectivité, a class, a mode…). The same list
feeds the report, its charts, the CSV, the API, the facilitator's comparison and the snapshot frozen
when a review closes. The number of queries does not depend on the territory's size or activity.
"""

from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from statistics import mean

from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from charte.models import Amendement, Ratification, Signature, Version
from codir.dispatch import LATE_TOLERANCE
from codir.models import PointOdj, Presence, Reunion
from communes.models import Collectivite, Territoire
from communes.population import CLASS_LABELS, EPCI_CLASS, population_class
from decisions.models import Action, ModeChoices, Position, Proposition, ResultChoices, Round
from reseaux import cartography
from reseaux.models import Jalon, Pilote, Projet, Revue

FAMILIES = {
    "reunions": "Réunions, participation et ponctualité",
    "parite": "Parité EPCI / communes",
    "decisions": "Décisions",
    "charte": "Charte",
    "portefeuille": "Portefeuille de projets",
    "reseaux": "Réseaux professionnels",
}


@dataclass
class Figure:
    family: str
    key: str
    label: str
    value: float | int | None
    unit: str = ""
    detail: str = ""
    previous: float | int | None = None  # the same figure a year before, when computed with it

    def as_dict(self) -> dict:
        return asdict(self)


def family_label(key: str) -> str:
    return _(FAMILIES.get(key, key))


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """The year in Paris time, as aware datetimes [start, end)."""
    zone = timezone.get_default_timezone()
    return (
        timezone.make_aware(datetime.combine(date(year, 1, 1), time.min), zone),
        timezone.make_aware(datetime.combine(date(year + 1, 1, 1), time.min), zone),
    )


def _last_day(until: datetime):
    """The last day (Paris time) the period [start, until) touches: dates are compared with it, inclusive."""
    return timezone.localdate(until - timedelta(microseconds=1))


def _share(part: int | float, whole: int | float) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def indicators_for(territoire: Territoire, year: int, *, now: datetime | None = None) -> list[Figure]:
    """Every indicator of the territory for `year` (up to `now` for the current year)."""
    now = now or timezone.now()
    start, end = year_bounds(year)
    until = min(end, now)
    # Those in the territory at least one day of the year: `left_at` is the first day out.
    collectivites = list(
        Collectivite.objects.for_territoire(territoire)
        .filter(Q(left_at__isnull=True) | Q(left_at__gt=start.date()))
        .order_by("-kind", "name")  # the EPCI first, then the communes
    )
    figures: list[Figure] = []
    figures += _meetings(territoire, start, until, collectivites)
    figures += _parity(territoire, start, until, collectivites)
    figures += _decisions(territoire, start, until)
    figures += _charter(territoire, start, until)
    figures += _portfolio(territoire, start, until)
    figures += _networks(territoire, start, until)
    return figures


def _meetings(territoire, start, until, collectivites) -> list[Figure]:
    family = "reunions"
    reunions = list(
        Reunion.objects.for_territoire(territoire)
        .filter(starts_at__gte=start, starts_at__lt=until)
        .values("pk", "starts_at", "cancelled_at", "dispatched_at")
    )
    held = [r for r in reunions if r["cancelled_at"] is None]
    held_ids = [r["pk"] for r in held]
    figures = [
        Figure(family, "reunions.tenues", _("Réunions du CoDir tenues"), len(held)),
        Figure(family, "reunions.annulees", _("Réunions annulées"), len(reunions) - len(held)),
    ]

    # Punctuality: the first sending of each held meeting's agenda against its deadline.
    due = dict(
        Reunion.objects.filter(pk__in=held_ids, agenda_versions__number=1).values_list("pk", "agenda_versions__due_at")
    )
    on_time = late = missing = 0
    advances = []
    for reunion in held:
        sent = reunion["dispatched_at"]
        deadline = due.get(reunion["pk"])
        if sent is None or deadline is None:
            missing += 1
            continue
        advances.append((reunion["starts_at"] - sent).total_seconds() / 3600)
        if sent <= deadline + LATE_TOLERANCE:
            on_time += 1
        else:
            late += 1
    late_items = PointOdj.objects.filter(reunion_id__in=held_ids, withdrawn_at__isnull=True, late=True).count()
    figures += [
        Figure(family, "ponctualite.part_a_temps", _("Ordres du jour envoyés dans le délai"), _share(on_time, len(held)), "%"),
        Figure(family, "ponctualite.a_temps", _("Ordres du jour envoyés à temps"), on_time),
        Figure(family, "ponctualite.en_retard", _("Ordres du jour envoyés en retard"), late),
        Figure(family, "ponctualite.non_envoyes", _("Réunions tenues sans ordre du jour envoyé"), missing),
        Figure(
            family,
            "ponctualite.avance_moyenne",
            _("Avance moyenne de l'envoi sur la réunion"),
            round(mean(advances), 1) if advances else None,
            "h",
        ),
        Figure(family, "ponctualite.points_hors_delai", _("Points ajoutés hors délai"), late_items),
    ]  # fmt: skip

    # Attendance: present or represented, over the meetings whose attendance was recorded while the
    # collectivité was in the territory.
    presences = list(
        Presence.objects.filter(reunion_id__in=held_ids).values_list("reunion_id", "collectivite_id", "status")
    )
    recorded = {reunion_id for reunion_id, _c, _s in presences}
    starts = {r["pk"]: timezone.localdate(r["starts_at"]) for r in held}
    attended = {
        (reunion_id, collectivite_id)
        for reunion_id, collectivite_id, status in presences
        if status in (Presence.Status.PRESENT, Presence.Status.REPRESENTE)
    }
    by_class: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    rates = []
    for collectivite in collectivites:
        expected = [
            reunion_id
            for reunion_id in recorded
            if collectivite.left_at is None or starts[reunion_id] < collectivite.left_at
        ]
        came = sum((reunion_id, collectivite.pk) in attended for reunion_id in expected)
        rate = _share(came, len(expected))
        klass = population_class(collectivite)
        by_class[klass][0] += came
        by_class[klass][1] += len(expected)
        if rate is not None:
            rates.append(rate)
        figures.append(
            Figure(family, "participation.taux", _("Participation par collectivité"), rate, "%", collectivite.name)
        )
    figures.append(
        Figure(
            family,
            "participation.taux_moyen",
            _("Participation moyenne des collectivités"),
            round(mean(rates), 1) if rates else None,
            "%",
        )
    )
    figures.append(
        Figure(
            family,
            "participation.reunions_sans_presences",
            _("Réunions sans présences relevées"),
            len(held) - len(recorded),
        )
    )
    for klass in _classes_in_order(by_class):
        came, expected = by_class[klass]
        figures.append(
            Figure(family, "participation.taux_classe", _("Participation par strate"), _share(came, expected), "%", str(CLASS_LABELS[klass]))
        )  # fmt: skip
    return figures


def _classes_in_order(keys) -> list[str]:
    order = list(CLASS_LABELS)
    return sorted(keys, key=order.index)


def _parity(territoire, start, until, collectivites) -> list[Figure]:
    family = "parite"
    classes = {c.pk: population_class(c) for c in collectivites}
    presenters = Counter(
        PointOdj.objects.for_territoire(territoire)
        .filter(
            reunion__starts_at__gte=start,
            reunion__starts_at__lt=until,
            reunion__cancelled_at__isnull=True,
            withdrawn_at__isnull=True,
            presenter__isnull=False,
        )
        .values_list("presenter_id", flat=True)
    )
    items = Counter()
    for collectivite_id, count in presenters.items():
        items[classes.get(collectivite_id, _other_class(collectivite_id))] += count
    epci_items = items.get(EPCI_CLASS, 0)
    commune_items = sum(count for klass, count in items.items() if klass in CLASS_LABELS and klass != EPCI_CLASS)
    figures = [
        Figure(family, "parite.points_epci", _("Points présentés par l'EPCI"), epci_items),
        Figure(family, "parite.points_communes", _("Points présentés par les communes"), commune_items),
        Figure(family, "parite.part_points_communes", _("Part des points présentés par les communes"), _share(commune_items, epci_items + commune_items), "%"),
    ]  # fmt: skip
    for klass in _classes_in_order(k for k in items if k in CLASS_LABELS):
        figures.append(
            Figure(family, "parite.points_classe", _("Points présentés par strate"), items[klass], "", str(CLASS_LABELS[klass]))
        )  # fmt: skip

    # Pilotage: pilot periods running at some point of the year (a period's `ends_on` is its first day off).
    pilots = Counter(
        classes.get(collectivite_id, _other_class(collectivite_id))
        for collectivite_id in Pilote.objects.filter(projet__territoire=territoire, starts_on__lte=_last_day(until))
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gt=start.date()))
        .values_list("collectivite_id", flat=True)
    )
    epci_pilots = pilots.get(EPCI_CLASS, 0)
    commune_pilots = sum(count for klass, count in pilots.items() if klass in CLASS_LABELS and klass != EPCI_CLASS)
    figures += [
        Figure(family, "parite.pilotages_epci", _("Pilotages de projet tenus par l'EPCI"), epci_pilots),
        Figure(family, "parite.pilotages_communes", _("Pilotages de projet tenus par des communes"), commune_pilots),
    ]
    # One voice per collectivité and round: a position replaced by a later one is not counted again.
    positions = Counter(
        classes.get(collectivite_id, _other_class(collectivite_id))
        for collectivite_id in Position.objects.current()
        .filter(round__proposition__territoire=territoire, created_at__gte=start, created_at__lt=until)
        .values_list("collectivite_id", flat=True)
    )
    for klass in _classes_in_order(k for k in positions if k in CLASS_LABELS):
        figures.append(
            Figure(family, "parite.positions_classe", _("Positions exprimées par strate"), positions[klass], "", str(CLASS_LABELS[klass]))
        )  # fmt: skip
    return figures


def _other_class(_collectivite_id: int) -> str:
    # A collectivité that left before the year started: counted with nobody.
    return "sortie"


def _decisions(territoire, start, until) -> list[Figure]:
    family = "decisions"
    closed = list(
        Proposition.objects.for_territoire(territoire)
        .filter(status=Proposition.Status.CLOSE, closed_at__gte=start, closed_at__lt=until)
        # The séminaire's commitments are entered as taken in session: no decision made through the application.
        .exclude(kind=Proposition.Kind.SEMINAIRE)
        .values_list("mode", "result")
    )
    figures = [Figure(family, "decisions.closes", _("Décisions closes"), len(closed))]
    modes = Counter(mode for mode, _result in closed)
    results = Counter(result for _mode, result in closed)
    mode_labels, result_labels = dict(ModeChoices.choices), dict(ResultChoices.choices)
    for mode in ModeChoices.values:
        if modes[mode]:
            figures.append(
                Figure(family, "decisions.par_mode", _("Décisions par mode"), modes[mode], "", str(mode_labels[mode]))
            )
    for result in ResultChoices.values:
        if results[result]:
            figures.append(Figure(family, "decisions.par_resultat", _("Décisions par résultat"), results[result], "", str(result_labels[result])))  # fmt: skip
    objections = set(
        Position.objects.filter(
            round__proposition__territoire=territoire,
            choice="objection",
            created_at__gte=start,
            created_at__lt=until,
        ).values_list("round__proposition_id", "collectivite_id", "round__proposition__status", "round__proposition__result", "round__proposition__closed_at")
    )  # fmt: skip
    raised = {(proposition, collectivite) for proposition, collectivite, _s, _r, _c in objections}
    # Objections still standing in the last round of an adopted proposition: outside consent an objection
    # counts as a « contre », and a majority may adopt the text over it — that is not an objection lifted.
    last_round = Round.objects.filter(proposition=OuterRef("round__proposition")).order_by("-number").values("number")
    standing = set(
        Position.objects.current()
        .filter(
            round__proposition__territoire=territoire,
            round__proposition__status=Proposition.Status.CLOSE,
            round__proposition__result=ResultChoices.ADOPTEE,
            round__proposition__closed_at__gte=start,
            round__number=Subquery(last_round[:1]),
            choice="objection",
        )
        .values_list("round__proposition_id", "collectivite_id")
    )
    # An objection is resolved when the proposition it opposed was finally adopted without it: by consent,
    # that means the text was reworked until no reasoned objection stood.
    resolved = {
        (proposition, collectivite)
        for proposition, collectivite, status, result, closed_at in objections
        if status == Proposition.Status.CLOSE
        and result == ResultChoices.ADOPTEE
        and closed_at < until  # lifted within the year, not after it
        and (proposition, collectivite) not in standing
    }
    figures += [
        Figure(family, "decisions.objections", _("Objections motivées soulevées"), len(raised)),
        Figure(family, "decisions.objections_levees", _("Objections levées par un texte retravaillé"), len(resolved)),
    ]
    actions = Counter(
        Action.objects.for_territoire(territoire)
        .filter(created_at__gte=start, created_at__lt=until)
        .values_list("status", flat=True)
    )
    figures += [
        Figure(family, "decisions.actions", _("Actions de suivi décidées"), sum(actions.values())),
        Figure(
            family,
            "decisions.actions_faites",
            _("Actions de suivi faites (au jour du calcul)"),
            actions.get(Action.Status.FAITE, 0),
        ),
    ]
    return figures


def _charter(territoire, start, until) -> list[Figure]:
    family = "charte"
    versions = Version.objects.for_territoire(territoire).filter(adopted_at__gte=start, adopted_at__lt=until).count()
    amendments = Counter(
        Amendement.objects.filter(charte__territoire=territoire, created_at__gte=start, created_at__lt=until)
        .values_list("status", flat=True)
    )  # fmt: skip
    signatures = Signature.objects.filter(
        version__charte__territoire=territoire, signed_at__gte=start, signed_at__lt=until
    ).count()
    ratifications = Ratification.objects.filter(
        version__charte__territoire=territoire,
        deliberation_date__gte=start.date(),
        deliberation_date__lte=_last_day(until),
    ).count()
    return [
        Figure(family, "charte.versions", _("Versions de la charte adoptées"), versions),
        Figure(family, "charte.amendements", _("Amendements proposés"), sum(amendments.values())),
        Figure(family, "charte.amendements_adoptes", _("Amendements adoptés"), amendments.get(Amendement.Status.ADOPTE, 0)),
        Figure(family, "charte.signatures", _("Signatures de la charte"), signatures),
        Figure(family, "charte.ratifications", _("Ratifications par délibération"), ratifications),
    ]  # fmt: skip


def _portfolio(territoire, start, until) -> list[Figure]:
    family = "portefeuille"
    projets = list(
        Projet.objects.for_territoire(territoire).filter(created_at__lt=until).values_list("status", "pilotage")
    )
    figures = [Figure(family, "portefeuille.projets", _("Projets au portefeuille"), len(projets))]
    statuses = Counter(status for status, _p in projets)
    modes = Counter(mode for _s, mode in projets)
    for status, label in Projet.Status.choices:
        if statuses[status]:
            figures.append(
                Figure(
                    family,
                    "portefeuille.par_etat",
                    _("Projets par état (au jour du calcul)"),
                    statuses[status],
                    "",
                    str(label),
                )
            )
    for mode, label in Projet.Pilotage.choices:
        if modes[mode]:
            figures.append(Figure(family, "portefeuille.par_pilotage", _("Projets par mode de pilotage"), modes[mode], "", str(label)))  # fmt: skip
    today = _last_day(until)
    jalons = list(
        Jalon.objects.filter(projet__territoire=territoire, due_on__gte=start.date(), due_on__lte=today).values_list(
            "due_on", "done_on"
        )
    )
    on_time = sum(1 for due_on, done_on in jalons if done_on is not None and done_on <= due_on)
    figures += [
        Figure(family, "jalons.echus", _("Jalons arrivés à échéance"), len(jalons)),
        Figure(family, "jalons.a_temps", _("Jalons atteints à temps"), on_time),
        Figure(family, "jalons.part_a_temps", _("Part des jalons atteints à temps"), _share(on_time, len(jalons)), "%"),
        Figure(
            family,
            "portefeuille.revues_tenues",
            _("Revues de projet tenues"),
            Revue.objects.filter(
                projet__territoire=territoire, held=True, held_on__gte=start.date(), held_on__lte=today
            ).count(),
        ),
    ]
    return figures


def _networks(territoire, start, until) -> list[Figure]:
    family = "reseaux"
    at = _last_day(until)
    before = at.replace(year=at.year - 1) if not (at.month == 2 and at.day == 29) else at - timedelta(days=366)
    now, then = cartography.analysis_of(territoire, at), cartography.analysis_of(territoire, before)

    def count(analysis, kind: str) -> int:
        return sum(1 for data in analysis.nodes.values() if data.get("kind") == kind)

    def in_networks(analysis) -> int:
        """Agents tied to a network (every member of the territory is an agent node of the graph)."""
        kinds = {key: data.get("kind") for key, data in analysis.nodes.items()}
        agents = set()
        for edge in analysis.edges:
            ends = {kinds.get(edge["a"]): edge["a"], kinds.get(edge["b"]): edge["b"]}
            if "agent" in ends and "reseau" in ends:
                agents.add(ends["agent"])
        return len(agents)

    def label(analysis, key: str) -> str:
        return analysis.nodes.get(key, {}).get("label", key)

    figures = [
        Figure(family, "reseaux.reseaux", _("Réseaux actifs"), count(now, "reseau"), "", "", count(then, "reseau")),
        Figure(family, "reseaux.agents", _("Agents membres d'un réseau"), in_networks(now), "", "", in_networks(then)),
        Figure(family, "reseaux.densite", _("Densité : part des paires de collectivités reliées"), round(100 * now.density, 1), "%", "", round(100 * then.density, 1)),
        Figure(family, "reseaux.isolees", _("Collectivités isolées"), len(now.isolated), "", "", len(then.isolated)),
        Figure(family, "reseaux.points_fragiles", _("Liens qui tiennent à une seule personne ou un seul réseau"), len(now.cut_points), "", "", len(then.cut_points)),
    ]  # fmt: skip
    for key in sorted(now.isolated, key=lambda k: label(now, k)):
        figures.append(Figure(family, "reseaux.isolee", _("Collectivité isolée"), 1, "", label(now, key)))
    for key, score in now.brokers[:5]:
        figures.append(Figure(family, "reseaux.passeur", _("Passeurs entre collectivités (intermédiarité)"), round(score, 3), "", label(now, key)))  # fmt: skip
    return figures
