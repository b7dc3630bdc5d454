"""Import territories from the vendored official extract (EPCI and their member communes).

Idempotent: a second run over the same data changes nothing. A commune no longer listed in
its EPCI is marked as left (`left_at`), never deleted, and comes back if it is listed again.
"""

import gzip
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from communes.models import Agent, Collectivite, JournalEntry, Membership, Seat, Territoire
from communes.signals import territoires_imported

EXTRACT_PATH = Path(__file__).resolve().parent / "data" / "epci-communes.tsv.gz"
BATCH_SIZE = 100


@dataclass(frozen=True)
class CommuneRecord:
    code_insee: str
    siren: str
    name: str
    population: int
    departement: str


@dataclass(frozen=True)
class EpciRecord:
    siren: str
    nature: str
    name: str
    population: int
    communes: tuple[CommuneRecord, ...]


@dataclass
class ImportReport:
    territoires_created: int = 0
    territoires_updated: int = 0
    collectivites_created: int = 0
    collectivites_updated: int = 0
    collectivites_left: int = 0
    territoires: list[Territoire] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(
            (
                self.territoires_created,
                self.territoires_updated,
                self.collectivites_created,
                self.collectivites_updated,
                self.collectivites_left,
            )
        )


def load_extract(path: Path = EXTRACT_PATH) -> list[EpciRecord]:
    """Read the vendored extract into records, in file order."""
    records: list[EpciRecord] = []
    current: tuple[str, str, str, int] | None = None
    communes: list[CommuneRecord] = []
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            if line.startswith("#") or not line.strip():
                continue
            kind, *values = line.rstrip("\n").split("\t")
            if kind == "E":
                if current:
                    records.append(EpciRecord(*current, communes=tuple(communes)))
                current = (values[0], values[1], values[2], int(values[3]))
                communes = []
            elif kind == "C":
                communes.append(CommuneRecord(values[0], values[1], values[2], int(values[3]), values[4]))
    if current:
        records.append(EpciRecord(*current, communes=tuple(communes)))
    return records


def _fold(text: str) -> str:
    """Lower case without accents, so "pays de mortagne" finds "CC du Pays de Mortagne"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def find_epci(records: Iterable[EpciRecord], query: str) -> list[EpciRecord]:
    """EPCI whose SIREN equals the query, or whose name contains it (accents and case ignored)."""
    query = query.strip()
    records = list(records)
    if query.isdigit():
        return [record for record in records if record.siren == query]
    folded = _fold(query)
    exact = [record for record in records if _fold(record.name) == folded]
    return exact or [record for record in records if folded in _fold(record.name)]


def _unique_slugs(records: list[EpciRecord]) -> dict[str, str]:
    """A slug per new EPCI; the SIREN is appended where two EPCI would share a name."""
    wanted = {record.siren: slugify(record.name)[:70] for record in records}
    taken = set(Territoire.objects.filter(slug__in=wanted.values()).values_list("slug", flat=True))
    seen: set[str] = set()
    slugs = {}
    for siren, slug in wanted.items():
        if slug in taken or slug in seen:
            slug = f"{slug}-{siren}"
        seen.add(slug)
        slugs[siren] = slug
    return slugs


def _import_batch(records: list[EpciRecord], report: ImportReport, by: Agent | None) -> None:
    today = timezone.localdate()
    territoires = {t.siren: t for t in Territoire.objects.filter(siren__in=[r.siren for r in records])}
    new_records = [r for r in records if r.siren not in territoires]
    slugs = _unique_slugs(new_records)
    created = Territoire.objects.bulk_create(
        [Territoire(siren=r.siren, name=r.name, nature=r.nature, slug=slugs[r.siren]) for r in new_records]
    )
    if any(t.pk is None for t in created):  # Backends that do not return primary keys on bulk insert.
        created = list(Territoire.objects.filter(siren__in=[r.siren for r in new_records]))
    created_sirens = {t.siren for t in created}
    territoires.update({t.siren: t for t in created})
    report.territoires_created += len(created)

    to_update = []
    for record in records:
        territoire = territoires[record.siren]
        if (territoire.name, territoire.nature) != (record.name, record.nature):
            territoire.name, territoire.nature = record.name, record.nature
            territoire.updated_at = timezone.now()  # bulk_update does not apply auto_now
            to_update.append(territoire)
    if to_update:
        Territoire.objects.bulk_update(to_update, ["name", "nature", "updated_at"])
    report.territoires_updated += len(to_update)

    existing: dict[tuple[int, str], Collectivite] = {
        (c.territoire_id, c.siren): c for c in Collectivite.objects.filter(territoire__in=list(territoires.values()))
    }
    new_collectivites: list[Collectivite] = []
    changed_collectivites: list[Collectivite] = []
    changes_by_territoire: dict[int, dict] = {}
    left_ids: list[int] = []

    def upsert(territoire: Territoire, wanted: Collectivite, counts: dict[str, int]) -> None:
        current = existing.get((territoire.pk, wanted.siren))
        if current is None:
            new_collectivites.append(wanted)
            counts["created"] += 1
            return
        fields = ("kind", "name", "code_insee", "population", "departement", "left_at")
        if current.left_at is not None:
            counts["returned"].append(current.name)
        if any(getattr(current, f) != getattr(wanted, f) for f in fields):
            for f in fields:
                setattr(current, f, getattr(wanted, f))
            changed_collectivites.append(current)
            counts["updated"] += 1

    for record in records:
        territoire = territoires[record.siren]
        counts = {"created": 0, "updated": 0, "left": 0, "left_names": [], "returned": []}
        upsert(
            territoire,
            Collectivite(
                territoire=territoire,
                kind=Collectivite.Kind.EPCI,
                name=record.name,
                siren=record.siren,
                population=record.population,
            ),
            counts,
        )
        listed = {record.siren}
        for commune in record.communes:
            listed.add(commune.siren)
            upsert(
                territoire,
                Collectivite(
                    territoire=territoire,
                    kind=Collectivite.Kind.COMMUNE,
                    name=commune.name,
                    code_insee=commune.code_insee,
                    siren=commune.siren,
                    population=commune.population,
                    departement=commune.departement,
                ),
                counts,
            )
        for (territoire_id, siren), collectivite in existing.items():
            if territoire_id == territoire.pk and siren not in listed and collectivite.left_at is None:
                collectivite.left_at = today
                changed_collectivites.append(collectivite)
                left_ids.append(collectivite.pk)
                counts["left"] += 1
                counts["left_names"].append(collectivite.name)
        if any(counts.values()) or territoire.siren in created_sirens:
            changes_by_territoire[territoire.pk] = counts

    Collectivite.objects.bulk_create(new_collectivites, batch_size=1000)
    Collectivite.objects.bulk_update(
        changed_collectivites,
        ["kind", "name", "code_insee", "population", "departement", "left_at"],
        batch_size=500,
    )
    ended = []
    now = timezone.now()
    if left_ids:
        # A commune that left no longer has a voice here: its members' seats and memberships
        # end with it (rows kept, dated), and the journal line names it.
        leaving = Membership.objects.active().filter(collectivite_id__in=left_ids)
        ended = list(leaving.values_list("territoire_id", "agent_id"))
        Seat.objects.active().filter(collectivite_id__in=left_ids).update(ended_at=now)
        leaving.update(ended_at=now)
    if changes_by_territoire:
        # Bulk updates send no save signal: tell the rooms above (networks, the map) once, after commit.
        changed = set(changes_by_territoire)
        transaction.on_commit(
            lambda: territoires_imported.send(sender=Collectivite, territoire_ids=changed, ended=ended, at=now)
        )
    report.collectivites_created += len(new_collectivites)
    report.collectivites_left += sum(c["left"] for c in changes_by_territoire.values())
    report.collectivites_updated += sum(c["updated"] for c in changes_by_territoire.values())
    # One journal line per territory that changed, in the batch's transaction.
    JournalEntry.objects.bulk_create(
        [
            JournalEntry(
                territoire_id=territoire_id,
                actor=by,
                action="communes.territoire.imported",
                target_label=next(t.name for t in territoires.values() if t.pk == territoire_id),
                data={"source": "decoupage-administratif 6.0.0", **counts},
            )
            for territoire_id, counts in changes_by_territoire.items()
        ]
    )
    report.territoires.extend(territoires[r.siren] for r in records)


def territoires_import(
    records: list[EpciRecord],
    *,
    by: Agent | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Create or update the territories of these EPCI with their communes.

    Works in batches of BATCH_SIZE EPCI, one transaction each, so an interrupted national
    import keeps what it finished and a rerun completes it. `progress(done, total)` is called
    after each batch.
    """
    report = ImportReport()
    total = len(records)
    for start in range(0, total, BATCH_SIZE):
        batch = records[start : start + BATCH_SIZE]
        with transaction.atomic():
            _import_batch(batch, report, by)
        if progress:
            progress(min(start + BATCH_SIZE, total), total)
    return report
