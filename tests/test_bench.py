"""The national benchmark command runs end to end on a small database: every page answers, the table and the
JSON come out (the figures themselves are measured on the national database, not asserted here)."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from codir.bench import PAGES
from codir.models import RevueAnnuelle
from communes.models import Agent


@pytest.mark.django_db
def test_the_benchmark_measures_every_page_on_the_smallest_and_the_largest_territory(
    mortagne, achards, dgs_epci, dgs_commune, outsider, open_proposition, tmp_path, capsys
):
    from codir.models import Envoi, Reunion

    open_proposition()
    output = tmp_path / "results.json"
    call_command("bench", "--repeat", "1", "--agendas", "6", "--json", str(output))
    printed = capsys.readouterr().out
    results = json.loads(output.read_text(encoding="utf-8"))
    assert {page["size"] for page in results["pages"]} == {"petit", "grand"}
    assert all(page["status"] == 200 for page in results["pages"]), [p for p in results["pages"] if p["status"] != 200]
    grand = {page["page"] for page in results["pages"] if page["size"] == "grand"}
    assert {"accueil du territoire", "décision", "registre des décisions", "API : propositions"} <= grand
    assert "rapport de la revue annuelle" in grand  # opened for the measure, then rolled back
    assert not RevueAnnuelle.objects.exists()
    facilitator = {p["size"]: p for p in results["pages"] if p["page"] == "accueil du facilitateur"}
    assert facilitator.keys() == {"petit", "grand"} and facilitator["grand"]["territoire"].startswith("2 territoire")
    assert results["timings"]["page de la carte, plus grand territoire, en cache (ms)"] > 0
    assert grand <= {label for label, _name, _kwargs in PAGES} | {"accueil du facilitateur"}
    assert all(page["queries"] > 0 and page["ceiling_ms"] > 0 and page["ratio"] > 0 for page in results["pages"])
    assert "CC du Pays de Mortagne" in {p["territoire"].split(" (")[0] for p in results["pages"]}
    assert "requêtes qui varient avec la taille" in printed and str(output) in printed
    # The sweep sent each due agenda to every member of its territory, once, then was rolled back.
    timings = results["timings"]
    assert timings["ordres du jour dus"] == timings["ordres du jour envoyés"] == 6
    assert timings["courriels envoyés"] == timings["lignes d'envoi"] > 0 and timings["courriels en double"] == 0
    assert timings["volume des courriels (ko)"] > 0 and timings["par courriel (ms)"] > 0
    assert not Reunion.objects.filter(title__startswith="CoDir de mesure").exists() and not Envoi.objects.exists()
    assert not Agent.objects.filter(email__endswith="@bench.invalid").exists()


@pytest.mark.django_db
def test_the_benchmark_refuses_development_settings(settings, tmp_path):
    settings.DEBUG = True
    with pytest.raises(CommandError, match="DEBUG=false"):
        call_command("bench", "--repeat", "1", "--json", str(tmp_path / "r.json"))


@pytest.mark.django_db
def test_the_benchmark_says_when_there_is_nothing_to_measure(tmp_path):
    with pytest.raises(CommandError, match="Aucun territoire n'a de membres"):
        call_command("bench", "--repeat", "1", "--json", str(tmp_path / "r.json"))
