"""The indicators of a year, checked against a year of activity whose every figure is known in advance.

Past activity is written as history (rows with explicit dates): the services only accept the future, and
the clock of these tests is frozen on 1 December 2026 (tests/codir/conftest.py).
"""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from charte.models import Amendement, Charte, Ratification, Signature, Version
from codir.dispatch import LATE_TOLERANCE
from codir.models import AgendaVersion, PointOdj, Presence, Reunion
from codir.revue.indicators import indicators_for, year_bounds
from communes.models import Membership, Seat
from communes.population import CLASS_LABELS
from decisions.models import Action, ModeChoices, Position, Proposition, ResultChoices, Round
from reseaux.models import Jalon, Pilote, Projet, Revue
from reseaux.services import membre_add, reseau_create
from tests.conftest import collectivite, make_member

PARIS = ZoneInfo("Europe/Paris")
NOTICE = timedelta(hours=48)
YEAR = 2025

EPCI = "CC du Pays de Mortagne"
# Mortagne's classes: the EPCI; 3 communes of 3,500–9,999 (Mortagne-sur-Sèvre, Chanverrie, Saint-Laurent-sur-Sèvre);
# 7 of 1,000–3,499; Mallièvre alone under 1,000.
BIG = str(CLASS_LABELS["3500_9999"])
MID = str(CLASS_LABELS["1000_3499"])
SMALL = str(CLASS_LABELS["moins_1000"])
EPCI_LABEL = str(CLASS_LABELS["epci"])


def paris(year, month, day, hour=9, minute=0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


def value(figures, key: str, detail: str = ""):
    """The one figure of that key (and detail); fails if there are none or several."""
    found = [f for f in figures if f.key == key and f.detail == detail]
    assert len(found) == 1, f"{key} / {detail!r}: {found}"
    return found[0].value


def details(figures, key: str) -> dict:
    return {f.detail: f.value for f in figures if f.key == key and f.detail}


def meeting(territoire, by, starts_at, *, sent_after_due=None, cancelled=False) -> Reunion:
    """A meeting of the past; its agenda first went out `sent_after_due` after its deadline (None: never)."""
    reunion = Reunion.objects.create(
        territoire=territoire,
        title="CoDir préparatoire",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        created_by=by,
        created_at=starts_at - timedelta(days=30),
        cancelled_at=starts_at - timedelta(days=3) if cancelled else None,
    )
    if sent_after_due is not None:
        due = starts_at - NOTICE
        reunion.dispatched_at = due + sent_after_due
        reunion.save(update_fields=["dispatched_at"])
        AgendaVersion.objects.create(
            reunion=reunion,
            number=1,
            kind=AgendaVersion.Kind.INITIAL,
            sequence=0,
            due_at=due,
            created_at=reunion.dispatched_at,
        )
    return reunion


def item(reunion, by, presenter, *, late=False, withdrawn=False, position=None) -> PointOdj:
    return PointOdj.objects.create(
        reunion=reunion,
        position=position or reunion.points.count() + 1,
        title="Point",
        presenter=presenter,
        late=late,
        withdrawn_at=reunion.starts_at - timedelta(days=1) if withdrawn else None,
        added_by=by,
        added_at=reunion.starts_at - timedelta(days=5),
    )


def presence(reunion, by, who, status=Presence.Status.PRESENT) -> Presence:
    return Presence.objects.create(
        reunion=reunion, collectivite=who, status=status, recorded_by=by, recorded_at=reunion.ends_at
    )


def proposition(territoire, by, *, mode, result="", closed_at=None, opens_at=None, title="Proposition"):
    opens_at = opens_at or (closed_at - timedelta(days=10) if closed_at else paris(YEAR, 6, 1))
    return Proposition.objects.create(
        territoire=territoire,
        title=title,
        body="Texte",
        body_html="<p>Texte</p>",
        author=by,
        status=Proposition.Status.CLOSE if closed_at else Proposition.Status.OUVERTE,
        mode=mode,
        quorum_percent=50,
        opens_at=opens_at,
        closes_at=closed_at or opens_at + timedelta(days=30),
        closed_at=closed_at,
        result=result,
        created_at=opens_at,
    )


def position(round_, who, by, choice, at, *, replaced_at=None) -> Position:
    return Position.objects.create(
        round=round_,
        collectivite=who,
        choice=choice,
        motive="Motif de l'objection" if choice == "objection" else "",
        spoken_by=by,
        seat_kind=Seat.Kind.TITULAIRE,
        created_at=at,
        replaced_at=replaced_at,
    )


def round_of(prop, number, opened_at) -> Round:
    """A closed round (a proposition has one open round at most)."""
    return Round.objects.create(
        proposition=prop,
        number=number,
        body="Texte",
        body_html="<p>Texte</p>",
        opened_at=opened_at,
        closed_at=opened_at + timedelta(days=5),
    )


@pytest.fixture
def year_of_activity(mortagne, achards, dgs_epci):
    """2025 in the Pays de Mortagne, with a few rows of 2024, 2026 and of the Pays des Achards that must not count."""
    c = {name: collectivite(mortagne, name) for name in [
        EPCI, "Mortagne-sur-Sèvre", "Chanverrie", "Saint-Laurent-sur-Sèvre", "La Gaubretière",
        "Les Landes-Genusson", "Saint-Malô-du-Bois", "Tiffauges", "Saint-Aubin-des-Ormeaux", "Treize-Vents",
        "Saint-Martin-des-Tilleuls", "Mallièvre",
    ]}  # fmt: skip
    # Treize-Vents left the territory on 1 July 2025; Saint-Martin-des-Tilleuls on 1 January 2025 (the whole year out).
    c["Treize-Vents"].left_at = date(YEAR, 7, 1)
    c["Treize-Vents"].save(update_fields=["left_at"])
    c["Saint-Martin-des-Tilleuls"].left_at = date(YEAR, 1, 1)
    c["Saint-Martin-des-Tilleuls"].save(update_fields=["left_at"])
    by = dgs_epci

    # --- Meetings: ten held, one cancelled (July). Agendas: 6 sent two hours ahead of the deadline, 1 exactly at the
    # tolerance (on time), 2 sent twelve hours late (April, September), 1 never sent (December).
    months = [1, 2, 3, 4, 5, 6, 9, 10, 11, 12]
    sending = {
        1: -timedelta(hours=2),
        2: -timedelta(hours=2),
        3: LATE_TOLERANCE,
        4: timedelta(hours=12),
        5: -timedelta(hours=2),
        6: -timedelta(hours=2),
        9: timedelta(hours=12),
        10: -timedelta(hours=2),
        11: -timedelta(hours=2),
        12: None,
    }
    held = {month: meeting(mortagne, by, paris(YEAR, month, 14), sent_after_due=sending[month]) for month in months}
    cancelled = meeting(mortagne, by, paris(YEAR, 7, 14), sent_after_due=-timedelta(hours=2), cancelled=True)
    # Other years and another territory never count.
    before = meeting(mortagne, by, paris(YEAR - 1, 12, 16), sent_after_due=timedelta(hours=30))
    after = meeting(mortagne, by, paris(YEAR + 1, 1, 13), sent_after_due=timedelta(hours=30))
    elsewhere = meeting(achards, by, paris(YEAR, 5, 20), sent_after_due=timedelta(hours=30))

    # --- Attendance, recorded for every held meeting but December's.
    recorded = [1, 2, 3, 4, 5, 6, 9, 10, 11]
    for month in recorded:
        reunion = held[month]
        for name in [EPCI, "Mortagne-sur-Sèvre", "Les Landes-Genusson", "Saint-Malô-du-Bois", "Tiffauges",
                     "Saint-Aubin-des-Ormeaux"]:  # fmt: skip
            presence(reunion, by, c[name])
        # Chanverrie: present at 6, excused at 3.
        presence(reunion, by, c["Chanverrie"], Presence.Status.PRESENT if month <= 6 else Presence.Status.EXCUSE)
        # Saint-Laurent: represented at 3, present at 3, absent at 3 (represented counts as attending).
        status = {1: "represente", 2: "represente", 3: "represente", 4: "present", 5: "present", 6: "present"}
        presence(reunion, by, c["Saint-Laurent-sur-Sèvre"], status.get(month, Presence.Status.ABSENT))
        # Mallièvre: present at 3 of 9.
        presence(reunion, by, c["Mallièvre"], "present" if month in (1, 5, 10) else Presence.Status.EXCUSE)
        # Treize-Vents: present at 3 of the 6 meetings before it left.
        if month <= 6:
            presence(reunion, by, c["Treize-Vents"], "present" if month % 2 else Presence.Status.ABSENT)
        # La Gaubretière: never recorded at all (absent).
    for name in [EPCI, "La Gaubretière", "Mallièvre"]:  # all present, but the meeting was cancelled / another year
        presence(cancelled, by, c[name])
        presence(before, by, c[name], Presence.Status.ABSENT)
        presence(after, by, c[name], Presence.Status.ABSENT)

    # --- Items: the EPCI presents one at each held meeting; communes six.
    for month in months:
        item(held[month], by, c[EPCI])
    item(held[1], by, c["Mortagne-sur-Sèvre"])
    item(held[2], by, c["Mortagne-sur-Sèvre"], late=True)
    item(held[3], by, c["Chanverrie"])
    item(held[4], by, c["Tiffauges"])
    item(held[5], by, c["Tiffauges"], late=True)
    item(held[6], by, c["Mallièvre"])
    item(held[9], by, c["Mallièvre"], late=True, withdrawn=True)  # withdrawn: never counts
    item(held[10], by, None)  # no presenter: not counted in parity
    item(cancelled, by, c["Tiffauges"], late=True)
    item(before, by, c["Mallièvre"], late=True)
    item(elsewhere, by, collectivite(achards, "CC du Pays des Achards"))

    # --- Decisions.
    consent, majority = ModeChoices.CONSENTEMENT, ModeChoices.MAJORITE
    adopted_after_objection = proposition(
        mortagne, by, mode=consent, result=ResultChoices.ADOPTEE, closed_at=paris(YEAR, 3, 20), title="P1"
    )
    first = round_of(adopted_after_objection, 1, paris(YEAR, 3, 1))
    position(first, c["Chanverrie"], by, "objection", paris(YEAR, 3, 2))
    position(first, c[EPCI], by, "pour", paris(YEAR, 3, 2))
    second = round_of(adopted_after_objection, 2, paris(YEAR, 3, 10))
    position(second, c["Chanverrie"], by, "objection", paris(YEAR, 3, 11), replaced_at=paris(YEAR, 3, 12))
    position(second, c["Chanverrie"], by, "pour", paris(YEAR, 3, 12))  # objection worked on, then lifted
    position(second, c[EPCI], by, "pour", paris(YEAR, 3, 11))
    blocked = proposition(
        mortagne, by, mode=consent, result=ResultChoices.OBJECTION, closed_at=paris(YEAR, 5, 20), title="P2"
    )
    position(round_of(blocked, 1, paris(YEAR, 5, 1)), c["Tiffauges"], by, "objection", paris(YEAR, 5, 2))
    voted = proposition(mortagne, by, mode=majority, result=ResultChoices.ADOPTEE, closed_at=paris(YEAR, 9, 30))
    voted_round = round_of(voted, 1, paris(YEAR, 9, 20))
    position(voted_round, c["Mallièvre"], by, "contre", paris(YEAR, 9, 21))
    # Outside consent an objection counts as a « contre »: the majority adopted the text over it.
    position(voted_round, c["Saint-Laurent-sur-Sèvre"], by, "objection", paris(YEAR, 9, 22))
    proposition(mortagne, by, mode=majority, result=ResultChoices.REJETEE, closed_at=paris(YEAR, 11, 30))
    last_year = proposition(
        mortagne, by, mode=majority, result=ResultChoices.REJETEE, closed_at=paris(YEAR - 1, 12, 30)
    )
    position(round_of(last_year, 1, paris(YEAR - 1, 12, 1)), c["Mallièvre"], by, "objection", paris(YEAR - 1, 12, 2))
    proposition(mortagne, by, mode=consent, opens_at=paris(YEAR, 12, 20))  # still open: not a decision yet
    proposition(achards, by, mode=consent, result=ResultChoices.ADOPTEE, closed_at=paris(YEAR, 4, 1))
    for status, created in [
        ("faite", paris(YEAR, 3, 21)),
        ("a_faire", paris(YEAR, 9, 30)),
        ("faite", paris(YEAR - 1, 6, 1)),
    ]:
        Action.objects.create(
            territoire=mortagne, proposition=voted, title="Action", owner_collectivite=c[EPCI],
            status=status, created_by=by, created_at=created,
        )  # fmt: skip

    # --- Charter: v1 adopted in 2024, v2 and v3 in 2025.
    charte = Charte.objects.create(territoire=mortagne, created_at=paris(YEAR - 1, 1, 1))
    v1 = Version.objects.create(charte=charte, number=1, status="remplacee", adopted_at=paris(YEAR - 1, 6, 1))
    v2 = Version.objects.create(charte=charte, number=2, status="remplacee", adopted_at=paris(YEAR, 3, 1))
    v3 = Version.objects.create(charte=charte, number=3, status="adoptee", adopted_at=paris(YEAR, 10, 1))
    for status, created in [("adopte", paris(YEAR, 2, 1)), ("adopte", paris(YEAR, 9, 1)),
                            ("non_adopte", paris(YEAR, 11, 1)), ("adopte", paris(YEAR - 1, 5, 1))]:  # fmt: skip
        Amendement.objects.create(
            charte=charte, kind="section", status=status, base_version=v1, motive="Motif", author=by, created_at=created
        )
    for version, name, signed in [(v1, EPCI, paris(YEAR - 1, 6, 2)), (v2, EPCI, paris(YEAR, 3, 2)),
                                  (v2, "Chanverrie", paris(YEAR, 3, 5)), (v3, EPCI, paris(YEAR, 10, 2))]:  # fmt: skip
        Signature.objects.create(version=version, collectivite=c[name], signed_by=by, signed_at=signed)
    for version, name, day in [(v1, "Mallièvre", date(YEAR - 1, 12, 31)), (v2, "Mallièvre", date(YEAR, 5, 10)),
                               (v3, "Mallièvre", date(YEAR, 12, 31)), (v3, "Tiffauges", date(YEAR + 1, 1, 1))]:  # fmt: skip
        Ratification.objects.create(
            version=version, collectivite=c[name], deliberation_date=day, deliberation_number="D", recorded_by=by
        )

    # --- Portfolio.
    def projet(title, status, pilotage, created, territoire=mortagne):
        return Projet.objects.create(
            territoire=territoire, title=title, status=status, pilotage=pilotage, created_by=by, created_at=created
        )

    a = projet("A", Projet.Status.EN_COURS, Projet.Pilotage.EPCI, paris(YEAR - 1, 1, 10))
    b = projet("B", Projet.Status.EN_COURS, Projet.Pilotage.COMMUNE, paris(YEAR, 2, 10))
    alt = projet("C", Projet.Status.TERMINE, Projet.Pilotage.ALTERNE, paris(YEAR - 1, 1, 10))
    later = projet("D", Projet.Status.IDEE, Projet.Pilotage.COPILOTAGE, paris(YEAR + 1, 2, 1))
    projet("E", Projet.Status.EN_COURS, Projet.Pilotage.EPCI, paris(YEAR, 2, 1), territoire=achards)
    Pilote.objects.create(projet=a, collectivite=c[EPCI], starts_on=date(YEAR - 1, 1, 10))
    Pilote.objects.create(projet=b, collectivite=c["Mallièvre"], starts_on=date(YEAR, 3, 1))
    # Alternating: Tiffauges led until 1 January 2025 (its last day was 31 December 2024), then Chanverrie.
    Pilote.objects.create(
        projet=alt, collectivite=c["Tiffauges"], starts_on=date(YEAR - 1, 1, 10), ends_on=date(YEAR, 1, 1)
    )
    Pilote.objects.create(projet=alt, collectivite=c["Chanverrie"], starts_on=date(YEAR, 1, 1))
    Pilote.objects.create(projet=later, collectivite=c["Mortagne-sur-Sèvre"], starts_on=date(YEAR + 1, 2, 1))
    for due, done in [(date(YEAR, 3, 1), date(YEAR, 2, 20)), (date(YEAR, 6, 1), date(YEAR, 6, 1)),
                      (date(YEAR, 9, 1), date(YEAR, 10, 1)), (date(YEAR, 11, 1), None),
                      (date(YEAR - 1, 12, 31), None), (date(YEAR + 1, 1, 15), None)]:  # fmt: skip
        Jalon.objects.create(projet=a, title="Jalon", due_on=due, done_on=done)
    for held_on, was_held in [(date(YEAR, 4, 1), True), (date(YEAR, 10, 1), True), (date(YEAR, 11, 1), False),
                              (date(YEAR - 1, 10, 1), True)]:  # fmt: skip
        Revue.objects.create(
            projet=a, held_on=held_on, held=was_held, progress="Avancement", health="vert", recorded_by=by
        )
    return c


@pytest.mark.django_db
def test_punctuality_counts_late_and_missing_agendas_against_the_meetings_held(mortagne, year_of_activity):
    figures = indicators_for(mortagne, YEAR)
    assert value(figures, "reunions.tenues") == 10
    assert value(figures, "reunions.annulees") == 1
    assert value(figures, "ponctualite.a_temps") == 7  # the send at exactly the tolerance is on time
    assert value(figures, "ponctualite.en_retard") == 2
    assert value(figures, "ponctualite.non_envoyes") == 1
    assert value(figures, "ponctualite.part_a_temps") == 70.0
    # Six agendas 50 h ahead, one 47 h 55 min, two 36 h: (300 + 47.9167 + 72) / 9.
    assert value(figures, "ponctualite.avance_moyenne") == 46.7
    # Late items: February and May; September's was withdrawn, the cancelled and 2024 meetings do not count.
    assert value(figures, "ponctualite.points_hors_delai") == 2


@pytest.mark.django_db
def test_the_issue_example_ten_meetings_two_late_is_eighty_percent(mortagne, dgs_epci):
    for month in range(1, 11):
        late = month in (3, 7)
        meeting(mortagne, dgs_epci, paris(YEAR, month, 14), sent_after_due=timedelta(hours=3 if late else -1))
    figures = indicators_for(mortagne, YEAR)
    assert value(figures, "ponctualite.part_a_temps") == 80.0
    assert value(figures, "ponctualite.en_retard") == 2
    assert value(figures, "ponctualite.avance_moyenne") == round((8 * 49 + 2 * 45) / 10, 1)


@pytest.mark.django_db
def test_a_send_just_past_the_tolerance_is_late(mortagne, dgs_epci):
    meeting(mortagne, dgs_epci, paris(YEAR, 5, 14), sent_after_due=LATE_TOLERANCE + timedelta(seconds=1))
    meeting(mortagne, dgs_epci, paris(YEAR, 6, 14), sent_after_due=LATE_TOLERANCE)
    figures = indicators_for(mortagne, YEAR)
    assert (value(figures, "ponctualite.a_temps"), value(figures, "ponctualite.en_retard")) == (1, 1)


@pytest.mark.django_db
def test_attendance_per_collectivite_and_per_population_class(mortagne, year_of_activity):
    figures = indicators_for(mortagne, YEAR)
    rates = details(figures, "participation.taux")
    assert rates == {
        EPCI: 100.0,
        "Mortagne-sur-Sèvre": 100.0,
        "Chanverrie": 66.7,
        "Saint-Laurent-sur-Sèvre": 66.7,  # represented counts as present
        "La Gaubretière": 0.0,  # never recorded: absent
        "Les Landes-Genusson": 100.0,
        "Saint-Malô-du-Bois": 100.0,
        "Tiffauges": 100.0,
        "Saint-Aubin-des-Ormeaux": 100.0,
        "Treize-Vents": 50.0,  # 3 of the 6 meetings held before it left, not 3 of 9
        "Mallièvre": 33.3,
        # Saint-Martin-des-Tilleuls left on 1 January: not in the territory a single day of the year.
    }
    assert value(figures, "participation.reunions_sans_presences") == 1
    assert value(figures, "participation.taux_moyen") == round(sum(rates.values()) / 11, 1) == 74.2
    assert details(figures, "participation.taux_classe") == {
        EPCI_LABEL: 100.0,
        BIG: round(100 * 21 / 27, 1),  # 9 + 6 + 6 of 27
        MID: round(100 * 39 / 51, 1),  # 0 + 9 + 9 + 9 + 9 + 3 of 5 × 9 + 6
        SMALL: 33.3,
    }


@pytest.mark.django_db
def test_parity_of_items_pilotages_and_positions(mortagne, year_of_activity):
    figures = indicators_for(mortagne, YEAR)
    assert value(figures, "parite.points_epci") == 10
    assert value(figures, "parite.points_communes") == 6
    assert value(figures, "parite.part_points_communes") == 37.5
    assert details(figures, "parite.points_classe") == {EPCI_LABEL: 10, BIG: 3, MID: 2, SMALL: 1}
    # Pilots over 2025: the EPCI (A), Mallièvre (B), Chanverrie (C from 1 January); Tiffauges' period ended
    # on 1 January (exclusive), the pilot of D starts in 2026.
    assert value(figures, "parite.pilotages_epci") == 1
    assert value(figures, "parite.pilotages_communes") == 2
    # One voice per collectivité and round: Chanverrie's replaced objection does not count twice.
    assert details(figures, "parite.positions_classe") == {EPCI_LABEL: 2, BIG: 3, MID: 1, SMALL: 1}


@pytest.mark.django_db
def test_decisions_by_mode_and_result_and_objections_raised_and_lifted(mortagne, year_of_activity):
    figures = indicators_for(mortagne, YEAR)
    assert value(figures, "decisions.closes") == 4
    assert details(figures, "decisions.par_mode") == {
        ModeChoices.CONSENTEMENT.label: 2,
        ModeChoices.MAJORITE.label: 2,
    }
    assert details(figures, "decisions.par_resultat") == {
        ResultChoices.ADOPTEE.label: 2,
        ResultChoices.REJETEE.label: 1,
        ResultChoices.OBJECTION.label: 1,
    }
    # Chanverrie on P1 (twice, counted once; lifted, P1 finally adopted), Tiffauges on P2 (blocked) and
    # Saint-Laurent on the majority vote (adopted over it: not lifted); 2024's not.
    assert value(figures, "decisions.objections") == 3
    assert value(figures, "decisions.objections_levees") == 1
    assert value(figures, "decisions.actions") == 2
    assert value(figures, "decisions.actions_faites") == 1


@pytest.mark.django_db
def test_charter_counts_only_what_happened_within_the_year(mortagne, year_of_activity):
    figures = indicators_for(mortagne, YEAR)
    assert value(figures, "charte.versions") == 2
    assert value(figures, "charte.amendements") == 3
    assert value(figures, "charte.amendements_adoptes") == 2
    assert value(figures, "charte.signatures") == 3
    # 10 May and 31 December 2025; not 31 December 2024, not 1 January 2026.
    assert value(figures, "charte.ratifications") == 2


@pytest.mark.django_db
def test_portfolio_projects_milestones_and_reviews(mortagne, year_of_activity):
    figures = indicators_for(mortagne, YEAR)
    assert value(figures, "portefeuille.projets") == 3
    assert details(figures, "portefeuille.par_etat") == {
        Projet.Status.EN_COURS.label: 2,
        Projet.Status.TERMINE.label: 1,
    }
    assert details(figures, "portefeuille.par_pilotage") == {
        Projet.Pilotage.EPCI.label: 1,
        Projet.Pilotage.COMMUNE.label: 1,
        Projet.Pilotage.ALTERNE.label: 1,
    }
    assert value(figures, "jalons.echus") == 4
    assert value(figures, "jalons.a_temps") == 2  # reached before, and on, the due date
    assert value(figures, "jalons.part_a_temps") == 50.0
    assert value(figures, "portefeuille.revues_tenues") == 2


@pytest.mark.django_db
def test_every_figure_belongs_to_a_known_family_and_is_json_ready(mortagne, year_of_activity):
    import json

    from codir.revue.indicators import FAMILIES

    figures = indicators_for(mortagne, YEAR)
    assert {f.family for f in figures} == set(FAMILIES)
    json.dumps([f.as_dict() for f in figures])


@pytest.mark.django_db
def test_the_current_year_is_cut_at_now(mortagne, dgs_epci):
    """The frozen clock says 1 December 2026, 9:00: what is planned after that does not count yet."""
    epci = collectivite(mortagne, EPCI)
    past = meeting(mortagne, dgs_epci, paris(2026, 11, 14), sent_after_due=-timedelta(hours=1))
    future = meeting(mortagne, dgs_epci, paris(2026, 12, 14), sent_after_due=None)
    presence(past, dgs_epci, epci)
    item(past, dgs_epci, epci)
    item(future, dgs_epci, collectivite(mortagne, "Mallièvre"))
    projet = Projet.objects.create(
        territoire=mortagne, title="A", pilotage="epci", created_by=dgs_epci, created_at=paris(2026, 1, 5)
    )
    Jalon.objects.create(projet=projet, title="Passé", due_on=date(2026, 10, 1), done_on=date(2026, 9, 1))
    Jalon.objects.create(projet=projet, title="À venir", due_on=date(2026, 12, 20))
    Revue.objects.create(projet=projet, held_on=date(2026, 12, 10), progress="x", health="vert", recorded_by=dgs_epci)
    figures = indicators_for(mortagne, 2026)
    assert value(figures, "reunions.tenues") == 1
    assert value(figures, "ponctualite.non_envoyes") == 0  # December's agenda is not due yet
    assert value(figures, "ponctualite.part_a_temps") == 100.0
    assert value(figures, "parite.points_communes") == 0
    assert value(figures, "jalons.echus") == 1
    assert value(figures, "portefeuille.revues_tenues") == 0
    # The same year seen from the end of June: nothing from November yet.
    june = indicators_for(mortagne, 2026, now=paris(2026, 6, 30, 12))
    assert value(june, "reunions.tenues") == 0
    assert value(june, "jalons.echus") == 0


@pytest.mark.django_db
def test_the_year_is_paris_time(mortagne, dgs_epci):
    """A meeting at 00:30 on 1 January in Paris is still 31 December in UTC: it belongs to the new year."""
    meeting(mortagne, dgs_epci, paris(YEAR + 1, 1, 1, 0, 30), sent_after_due=timedelta(0))
    meeting(mortagne, dgs_epci, paris(YEAR, 12, 31, 23, 30), sent_after_due=timedelta(0))
    start, end = year_bounds(YEAR)
    assert start == paris(YEAR, 1, 1, 0) and end == paris(YEAR + 1, 1, 1, 0)
    assert value(indicators_for(mortagne, YEAR), "reunions.tenues") == 1
    assert value(indicators_for(mortagne, YEAR + 1), "reunions.tenues") == 1


@pytest.mark.django_db
def test_an_empty_year_has_zeros_and_no_shares(mortagne):
    figures = indicators_for(mortagne, 2023)
    assert value(figures, "reunions.tenues") == 0
    assert value(figures, "ponctualite.part_a_temps") is None
    assert value(figures, "ponctualite.avance_moyenne") is None
    assert value(figures, "participation.taux_moyen") is None
    assert value(figures, "parite.part_points_communes") is None
    assert value(figures, "jalons.part_a_temps") is None


@pytest.fixture
def networks(mortagne, dgs_epci, dgs_commune, sg_petite_commune, referent, observateur):
    """Two networks: « Finances » since March 2024 (the EPCI and Mortagne-sur-Sèvre, Mallièvre joining in
    February 2025), « Ressources humaines » since April 2025 (Chanverrie and Tiffauges). Everybody has been a
    member of the territory since January 2024; the EPCI's référent and the observer belong to no network."""
    chanverrie = make_member(mortagne, "Chanverrie", "dgs@chanverrie.test", Membership.Role.DGS)
    tiffauges = make_member(mortagne, "Tiffauges", "sg@tiffauges.test", Membership.Role.SG)
    Membership.objects.filter(territoire=mortagne).update(started_at=paris(2024, 1, 1))
    finances = reseau_create(
        territoire=mortagne, by=dgs_epci, name="Finances", kind="fonction", created_on=date(2024, 3, 1)
    )
    membre_add(reseau=finances, by=dgs_epci, agent=dgs_commune, since=date(2024, 3, 1))
    membre_add(reseau=finances, by=dgs_epci, agent=sg_petite_commune, since=date(2025, 2, 1))
    rh = reseau_create(
        territoire=mortagne, by=chanverrie, name="Ressources humaines", kind="metier", created_on=date(2025, 4, 1)
    )
    membre_add(reseau=rh, by=chanverrie, agent=tiffauges, since=date(2025, 4, 1))
    return finances, rh


@pytest.mark.django_db
def test_networks_now_and_a_year_before(mortagne, networks):
    figures = indicators_for(mortagne, YEAR)
    by_key = {f.key: f for f in figures if not f.detail}
    assert (by_key["reseaux.reseaux"].value, by_key["reseaux.reseaux"].previous) == (2, 1)
    # Agents who belong to a network: 5 on 31 December 2025, 2 a year before (not the référent without a network,
    # nor the observer).
    assert (by_key["reseaux.agents"].value, by_key["reseaux.agents"].previous) == (5, 2)
    # 12 collectivités, 66 pairs: Finances links 3 pairs and RH 1 in 2025; 1 pair in 2024.
    assert by_key["reseaux.densite"].value == round(100 * round(4 / 66, 4), 1)
    assert by_key["reseaux.densite"].previous == round(100 * round(1 / 66, 4), 1)
    assert (by_key["reseaux.isolees"].value, by_key["reseaux.isolees"].previous) == (7, 10)
    # Each network, and each lone agent that is their collectivité's only tie to it.
    assert (by_key["reseaux.points_fragiles"].value, by_key["reseaux.points_fragiles"].previous) == (7, 3)
    isolated = {f.detail for f in figures if f.key == "reseaux.isolee"}
    assert isolated == {
        "La Gaubretière", "Les Landes-Genusson", "Saint-Malô-du-Bois", "Saint-Aubin-des-Ormeaux", "Treize-Vents",
        "Saint-Martin-des-Tilleuls", "Saint-Laurent-sur-Sèvre",
    }  # fmt: skip


@pytest.mark.django_db
def test_the_number_of_queries_does_not_depend_on_activity(mortagne, year_of_activity):
    """2024 holds one meeting, 2025 the whole year: the same queries (an empty year skips the few that Django
    answers without asking, `pk IN ()`)."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as quiet:
        indicators_for(mortagne, YEAR - 1)
    cache.clear()  # the map of 31 December 2024 was just computed (and cached) as the year before of 2025
    with CaptureQueriesContext(connection) as busy:
        indicators_for(mortagne, YEAR)
    assert len(busy.captured_queries) == len(quiet.captured_queries)
