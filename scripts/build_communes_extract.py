"""Build the compact extract of @etalab/decoupage-administratif vendored in communes/data/.

Usage: python scripts/build_communes_extract.py ../shared/data/decoupage-administratif-6.0.0

Writes communes/data/epci-communes.tsv.gz: one `E` line per EPCI (SIREN, nature, name,
population municipale) followed by one `C` line per member commune (INSEE code, SIREN, name,
population municipale, département). Deterministic output: the same input gives the same bytes.
"""

import gzip
import json
import sys
from pathlib import Path

OUTPUT = Path(__file__).resolve().parent.parent / "communes" / "data" / "epci-communes.tsv.gz"


def main(source: Path) -> None:
    epcis = json.loads((source / "epci.json").read_text())
    departement_of = {
        commune["code"]: commune.get("departement", "")
        for commune in json.loads((source / "communes.json").read_text())
        if commune.get("type") == "commune-actuelle"
    }
    lines = [
        "# @etalab/decoupage-administratif 6.0.0 (data: INSEE / Etalab, open data; code: MIT). "
        "E siren nature nom population_municipale | C code_insee siren nom population_municipale departement"
    ]
    communes = 0
    for epci in sorted(epcis, key=lambda e: e["code"]):
        lines.append("\t".join(["E", epci["code"], epci["type"], epci["nom"], str(epci["populationMunicipale"])]))
        for member in sorted(epci["membres"], key=lambda m: m["code"]):
            lines.append(
                "\t".join(
                    [
                        "C",
                        member["code"],
                        member["siren"],
                        member["nom"],
                        str(member["populationMunicipale"]),
                        departement_of.get(member["code"], ""),
                    ]
                )
            )
            communes += 1
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    with open(OUTPUT, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as out:
        out.write(("\n".join(lines) + "\n").encode())
    print(f"{len(epcis)} EPCI, {communes} communes -> {OUTPUT} ({OUTPUT.stat().st_size} octets)")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
