import time

import pytest
from django.core.management import CommandError, call_command

from communes.importer import find_epci, load_extract, territoires_import
from communes.models import Collectivite, JournalEntry, Territoire
from tests.conftest import MORTAGNE, _records


def test_the_extract_holds_every_epci_of_france_and_their_communes():
    records = load_extract()
    assert len(records) == 1255
    assert sum(len(r.communes) for r in records) == 34871
    assert len({c.siren for r in records for c in r.communes}) == 34871


def test_an_epci_is_found_by_siren_or_by_name_without_accents_or_case():
    assert [r.name for r in find_epci(_records(), MORTAGNE)] == ["CC du Pays de Mortagne"]
    assert [r.siren for r in find_epci(_records(), "cc du pays de mortagne")] == [MORTAGNE]
    assert {r.siren for r in find_epci(_records(), "mortagne")} == {"200036069", "200067643", MORTAGNE}
    assert [r.name for r in find_epci(_records(), "achards")] == ["CC du Pays des Achards"]
    assert find_epci(_records(), "999999999") == []


@pytest.mark.django_db
def test_importing_the_pays_de_mortagne_creates_the_epci_and_its_11_communes():
    call_command("import_territoire", MORTAGNE, stdout=(out := _Buffer()))
    territoire = Territoire.objects.get(siren=MORTAGNE)
    assert territoire.name == "CC du Pays de Mortagne"
    assert territoire.slug == "cc-du-pays-de-mortagne"
    assert territoire.nature == Territoire.Nature.CC
    communes = Collectivite.objects.filter(territoire=territoire, kind="commune")
    assert communes.count() == 11
    mallievre = communes.get(code_insee="85134")
    assert (mallievre.name, mallievre.siren, mallievre.population, mallievre.departement) == (
        "Mallièvre",
        "218501344",
        240,
        "85",
    )
    epci = Collectivite.objects.get(territoire=territoire, kind="epci")
    assert (epci.siren, epci.population) == (MORTAGNE, 28234)
    assert "1 créés" in out.text and "12 créées" in out.text
    assert JournalEntry.objects.filter(territoire=territoire, action="communes.territoire.imported").count() == 1


@pytest.mark.django_db
def test_a_second_import_changes_nothing():
    call_command("import_territoire", MORTAGNE, stdout=_Buffer())
    before = list(Collectivite.objects.order_by("pk").values())
    call_command("import_territoire", "CC du Pays de Mortagne", stdout=(out := _Buffer()))
    assert list(Collectivite.objects.order_by("pk").values()) == before
    assert "Aucun changement" in out.text
    assert JournalEntry.objects.filter(action="communes.territoire.imported").count() == 1


@pytest.mark.django_db
def test_a_commune_that_left_the_epci_is_marked_left_not_deleted_and_can_come_back():
    record = find_epci(_records(), MORTAGNE)[0]
    territoires_import([record])
    without_tiffauges = record.__class__(
        siren=record.siren,
        nature=record.nature,
        name=record.name,
        population=record.population,
        communes=tuple(c for c in record.communes if c.name != "Tiffauges"),
    )
    report = territoires_import([without_tiffauges])
    tiffauges = Collectivite.objects.get(name="Tiffauges")
    assert report.collectivites_left == 1
    assert tiffauges.left_at is not None
    assert Collectivite.objects.filter(territoire__siren=MORTAGNE).count() == 12

    report = territoires_import([record])
    tiffauges.refresh_from_db()
    assert tiffauges.left_at is None
    assert report.collectivites_updated == 1


@pytest.mark.django_db
def test_a_changed_population_or_name_is_updated_in_place():
    record = find_epci(_records(), MORTAGNE)[0]
    territoires_import([record])
    mallievre = Collectivite.objects.get(name="Mallièvre")
    Collectivite.objects.filter(pk=mallievre.pk).update(population=1, name="Malievre")
    report = territoires_import([record])
    mallievre.refresh_from_db()
    assert (mallievre.name, mallievre.population) == ("Mallièvre", 240)
    assert report.collectivites_updated == 1


@pytest.mark.django_db
def test_an_ambiguous_or_unknown_name_is_refused_with_the_candidates():
    with pytest.raises(CommandError, match="3 EPCI correspondent") as error:
        call_command("import_territoire", "mortagne", stdout=_Buffer())
    assert "248500662  CC du Pays de Mortagne" in str(error.value)
    with pytest.raises(CommandError, match="Aucun EPCI"):
        call_command("import_territoire", "Atlantide", stdout=_Buffer())
    with pytest.raises(CommandError):
        call_command("import_territoire", MORTAGNE, all=True, stdout=_Buffer())
    assert not Territoire.objects.exists()


@pytest.mark.django_db
def test_importing_all_of_france_twice_takes_under_a_minute_and_changes_nothing_the_second_time():
    started = time.monotonic()
    call_command("import_territoire", all=True, stdout=(first := _Buffer()))
    first_duration = time.monotonic() - started
    assert Territoire.objects.count() == 1255
    assert Collectivite.objects.filter(kind="epci").count() == 1255
    assert Collectivite.objects.filter(kind="commune").count() == 34871
    assert Territoire.objects.values("slug").distinct().count() == 1255
    assert "1255/1255 EPCI" in first.text  # progress shown

    started = time.monotonic()
    call_command("import_territoire", all=True, stdout=(second := _Buffer()))
    second_duration = time.monotonic() - started
    assert "Aucun changement" in second.text
    assert Collectivite.objects.count() == 1255 + 34871
    assert first_duration < 60 and second_duration < 60, (first_duration, second_duration)


class _Buffer:
    def __init__(self):
        self.text = ""

    def write(self, text):
        self.text += text

    def flush(self):
        pass

    def isatty(self):
        return False


@pytest.mark.django_db
def test_the_members_and_seats_of_a_commune_that_left_end_with_it(mortagne, dgs_commune):
    from communes.models import Membership, Seat

    record = find_epci(_records(), MORTAGNE)[0]
    without = record.__class__(
        siren=record.siren,
        nature=record.nature,
        name=record.name,
        population=record.population,
        communes=tuple(c for c in record.communes if c.name != "Mortagne-sur-Sèvre"),
    )
    territoires_import([without])
    assert not Membership.objects.active().filter(agent=dgs_commune).exists()
    assert not Seat.objects.active().filter(membership__agent=dgs_commune).exists()
    entry = JournalEntry.objects.filter(action="communes.territoire.imported").latest("created_at")
    assert entry.data["left_names"] == ["Mortagne-sur-Sèvre"]
    territoires_import([record])
    entry = JournalEntry.objects.filter(action="communes.territoire.imported").latest("created_at")
    assert entry.data["returned"] == ["Mortagne-sur-Sèvre"]
