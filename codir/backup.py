"""Backup and restore of a whole instance: every row of the database in a portable form, and every uploaded file.

`manage.py backup` and `manage.py restore` are thin wrappers around `create_backup` and `restore_backup`.

The archive is a gzip-compressed tar file:

- ``manifest.json`` first, so that a restore refuses early (wrong migrations, database not empty) without
  reading the rest: the archive's format, creation time, application version and git commit, the migration
  state of the database (latest applied migration of each app), and for every model its row count and data
  file, for every uploaded file its size and SHA-256;
- ``data/NNN-app_label.model.jsonl``: the rows of one model, one JSON object a line (Django's ``jsonl``
  serialization), in the order they are loaded;
- ``media/…``: the files under MEDIA_ROOT, with their paths relative to it.

Rows keep their primary keys, so the archive restores the same ids on SQLite and on PostgreSQL. Content types and
permissions are not in the archive: `migrate` creates them, with ids of its own, in every database. Rows that point
to them (django-guardian object permissions, the journal's targets, agents' permissions, the admin's log) carry
their natural keys instead — ``["communes", "territoire"]``, ``["facilitate_territoire", "communes",
"territoire"]`` — and find them again by name.
"""

import datetime
import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path, PurePosixPath
from typing import Any

import django
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.cache import cache
from django.core.management.color import no_style
from django.core.serializers.json import DjangoJSONEncoder
from django.core.serializers.jsonl import Serializer as JsonlSerializer
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone
from django.utils.translation import gettext as _

FORMAT = "codir-de-territoire/sauvegarde"
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
DATA_DIR = "data"
MEDIA_DIR = "media"
# Rows fetched per round trip while dumping: bounded memory whatever the size of a table.
CHUNK_SIZE = 2000
# Recreated by `migrate` in every database with ids of their own: referenced by natural key, never copied.
NATURAL_KEY_MODELS: tuple[type[models.Model], ...] = (ContentType, Permission)
BLOCK_SIZE = 1024 * 1024

Progress = Callable[[str], None]


class BackupError(Exception):
    """A backup or a restore that cannot go on; the message, in French, says why and what to do."""


def _silent(message: str) -> None:
    pass


# --- What is in a backup -------------------------------------------------------------------------------------------


def backed_up_models() -> list[type[models.Model]]:
    """The models whose rows the archive holds, in the order they are loaded back.

    Every concrete model Django manages, except content types and permissions, and the automatic tables of
    many-to-many fields as models of their own: their rows keep their ids, and a restore writes them without
    going through `.set()` (no query per object, no m2m_changed signal). Proxies share their concrete model's table.
    """
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy and model not in NATURAL_KEY_MODELS
    ]


def migration_state(using: str = DEFAULT_DB_ALIAS) -> dict[str, list[str]]:
    """The latest applied migration(s) of each app in this database: ``{"communes": ["0012_…"], …}``.

    Several names when an app's applied migrations end in more than one leaf (before a merge migration).
    """
    loader = MigrationLoader(connections[using], ignore_no_migrations=True)
    applied = set(loader.applied_migrations)
    state: dict[str, list[str]] = {}
    for app_label, name in sorted(applied):
        node = loader.graph.node_map.get((app_label, name))
        children = node.children if node is not None else set()
        if not any(child in applied and child[0] == app_label for child in children):
            state.setdefault(app_label, []).append(name)
    return state


def application_version() -> dict[str, str | None]:
    """The installed version of the application and, when the code is a git checkout, its commit."""
    try:
        version = metadata.version("codir-de-territoire")
    except metadata.PackageNotFoundError:
        version = None
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = None  # installed from a package, or git missing: the version is all we know
    return {"version": version, "git_commit": commit or None}


def media_root() -> Path:
    return Path(settings.MEDIA_ROOT)


def _media_files(root: Path) -> Iterator[tuple[str, Path]]:
    """Every regular file under `root`, as (POSIX path relative to root, absolute path), sorted."""
    if not root.is_dir():
        return
    for directory, subdirs, files in os.walk(root):
        subdirs.sort()
        for name in sorted(files):
            path = Path(directory) / name
            # A symbolic link may point anywhere (outside MEDIA_ROOT, to a device): uploads are never links.
            if path.is_symlink() or not path.is_file():
                continue
            yield path.relative_to(root).as_posix(), path


def _sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _safe_member_path(name: str) -> bool:
    """A path inside the archive that cannot escape the directory it is extracted to."""
    path = PurePosixPath(name)
    return (
        bool(name)
        and not path.is_absolute()
        and "\\" not in name
        and all(part not in ("", ".", "..") for part in path.parts)
    )


# --- Writing rows ---------------------------------------------------------------------------------------------------


class _Encoder(DjangoJSONEncoder):
    """Django's encoder cuts datetimes and times to the millisecond (ECMA-262); a backup keeps the microseconds."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime.datetime | datetime.time):
            return o.isoformat()
        return super().default(o)


class _Serializer(JsonlSerializer):
    """Django's JSON Lines serializer, with natural keys only for the references to content types and
    permissions (every other reference keeps the primary key, which the archive restores as it was)."""

    def handle_fk_field(self, obj: models.Model, field: models.Field) -> None:
        self.use_natural_foreign_keys = field.remote_field.model in NATURAL_KEY_MODELS
        super().handle_fk_field(obj, field)

    def handle_m2m_field(self, obj: models.Model, field: models.Field) -> None:
        """Nothing: the rows of the many-to-many tables are dumped as models of their own (`backed_up_models`)."""


def _dump_queryset(model: type[models.Model], using: str) -> models.QuerySet:
    """All rows of `model` (the base manager: a default manager may hide some), by primary key, with what the
    natural keys need fetched in the same query rather than one query a row."""
    queryset = model._base_manager.using(using).order_by("pk")
    natural_fks = [
        f.name
        for f in model._meta.concrete_fields
        if f.is_relation and f.remote_field.model in NATURAL_KEY_MODELS and f.serialize
    ]
    # Permission.natural_key() reads its content type.
    related = [
        f"{name}__content_type" if model._meta.get_field(name).remote_field.model is Permission else name
        for name in natural_fks
    ]
    if related:
        queryset = queryset.select_related(*related)
    return queryset


def _dump_model(model: type[models.Model], path: Path, using: str) -> int:
    """Write every row of `model` to `path`, one JSON line each; the number of rows written."""
    count = 0

    def counted(rows: Iterable[models.Model]) -> Iterator[models.Model]:
        nonlocal count
        for row in rows:
            count += 1
            yield row

    with path.open("w", encoding="utf-8", newline="\n") as stream:
        rows = _dump_queryset(model, using).iterator(chunk_size=CHUNK_SIZE)
        _Serializer().serialize(counted(rows), stream=stream, cls=_Encoder)
    return count


@contextmanager
def _snapshot(using: str) -> Iterator[None]:
    """One transaction for the whole dump, so the rows of all models are those of the same instant.

    PostgreSQL's default isolation gives each query its own snapshot; REPEATABLE READ gives the transaction one.
    SQLite's read transaction already sees a single state of the file.
    """
    connection = connections[using]
    outermost = not connection.in_atomic_block
    with transaction.atomic(using=using):
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


# --- The archive ----------------------------------------------------------------------------------------------------


class _HashingReader:
    """Reads a file for tarfile while computing its SHA-256, to catch a file changed during the backup."""

    def __init__(self, handle: io.BufferedReader) -> None:
        self._handle = handle
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self._handle.read(size)
        self.digest.update(data)
        return data


def _add_file(archive: tarfile.TarFile, name: str, path: Path, expected_sha256: str, mtime: float) -> None:
    info = tarfile.TarInfo(name)
    info.size = path.stat().st_size
    info.mtime = mtime
    info.mode = 0o600
    with path.open("rb") as handle:
        reader = _HashingReader(handle)
        try:
            archive.addfile(info, reader)
        except OSError as error:  # tarfile's "unexpected end of data": the file shrank meanwhile
            raise BackupError(
                _("Le fichier « %(name)s » a changé pendant la sauvegarde (%(error)s) : relancez-la.")
                % {"name": name, "error": error}
            ) from error
    if reader.digest.hexdigest() != expected_sha256:
        raise BackupError(_("Le fichier « %(name)s » a changé pendant la sauvegarde : relancez-la.") % {"name": name})


def default_archive_name(now: Any = None) -> str:
    now = timezone.localtime(now)
    return f"codir-sauvegarde-{now:%Y%m%d-%H%M%S}.tar.gz"


def create_backup(output: Path, *, using: str = DEFAULT_DB_ALIAS, progress: Progress = _silent) -> dict[str, Any]:
    """Write the archive of the whole instance to `output` (which must not exist); its manifest.

    Rows are dumped model by model, in chunks, into a staging directory next to `output` (the disk chosen for
    backups, rather than a /tmp that may be small); the archive is written to a temporary name and renamed when
    complete, so an interrupted backup never leaves a truncated archive under the expected name.
    """
    output = Path(output).absolute()
    root = media_root().absolute()
    if output.exists():
        raise BackupError(_("« %(path)s » existe déjà : choisissez un autre nom.") % {"path": output})
    if output.is_relative_to(root):
        raise BackupError(
            _("L'archive ne peut pas être écrite dans MEDIA_ROOT (%(root)s) : elle s'y sauvegarderait elle-même.")
            % {"root": root}
        )
    if not output.parent.is_dir():
        raise BackupError(_("Le dossier « %(path)s » n'existe pas.") % {"path": output.parent})
    created_at = timezone.now()
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "created_at": created_at.isoformat(),
        "application": application_version(),
        "django_version": django.get_version(),
        "database_vendor": connections[using].vendor,
        "migrations": {},
        "models": [],
        "media": [],
    }
    with tempfile.TemporaryDirectory(prefix=".codir-sauvegarde-", dir=output.parent) as staging_name:
        staging = Path(staging_name)
        (staging / DATA_DIR).mkdir()
        progress(_("Base de données (%(vendor)s) :") % {"vendor": connections[using].vendor})
        with _snapshot(using):
            manifest["migrations"] = migration_state(using)
            for index, model in enumerate(backed_up_models(), start=1):
                name = f"{DATA_DIR}/{index:03d}-{model._meta.label_lower}.jsonl"
                count = _dump_model(model, staging / name, using)
                manifest["models"].append({"label": model._meta.label_lower, "file": name, "count": count})
                progress(_("  %(label)s : %(count)d ligne(s)") % {"label": model._meta.label_lower, "count": count})
        for entry in manifest["models"]:
            path = staging / entry["file"]
            entry["size"] = path.stat().st_size
            entry["sha256"] = _sha256(path)

        # After the rows: a file uploaded meanwhile is kept, a row never points to a file the archive lacks.
        media_paths = {}
        for relative, path in _media_files(root):
            manifest["media"].append({"path": relative, "size": path.stat().st_size, "sha256": _sha256(path)})
            media_paths[relative] = path
        total = sum(entry["size"] for entry in manifest["media"])
        progress(
            _("Fichiers déposés (%(root)s) : %(count)d fichier(s), %(size)s octet(s)")
            % {"root": root, "count": len(manifest["media"]), "size": f"{total:,}".replace(",", " ")}
        )

        partial = staging / "archive.tar.gz"
        mtime = created_at.timestamp()
        # The archive holds password hashes, second-factor secrets and personal data: readable by its owner only.
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz", compresslevel=6) as archive:
            body = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
            info = tarfile.TarInfo(MANIFEST_NAME)
            info.size, info.mtime, info.mode = len(body), mtime, 0o600
            archive.addfile(info, io.BytesIO(body))
            for entry in manifest["models"]:
                _add_file(archive, entry["file"], staging / entry["file"], entry["sha256"], mtime)
            for entry in manifest["media"]:
                _add_file(archive, f"{MEDIA_DIR}/{entry['path']}", media_paths[entry["path"]], entry["sha256"], mtime)
        os.replace(partial, output)
    progress(
        _("Archive écrite : %(path)s (%(size)s octet(s))")
        % {"path": output, "size": f"{output.stat().st_size:,}".replace(",", " ")}
    )
    return manifest


# --- Restoring ------------------------------------------------------------------------------------------------------


def _read_manifest(archive: tarfile.TarFile) -> dict[str, Any]:
    not_ours = _("Ce fichier n'est pas une sauvegarde de CoDir de territoire (manifest.json manquant ou illisible).")
    member = archive.next()
    if member is None or member.name != MANIFEST_NAME or not member.isfile():
        raise BackupError(not_ours)
    try:
        manifest = json.load(archive.extractfile(member))
    except ValueError as error:
        raise BackupError(not_ours) from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(not_ours)
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            _("Cette sauvegarde est au format %(found)s ; cette version de l'application lit le format %(known)s.")
            % {"found": manifest.get("format_version"), "known": FORMAT_VERSION}
        )
    try:
        paths = [entry["file"] for entry in manifest["models"]]
        paths += [f"{MEDIA_DIR}/{entry['path']}" for entry in manifest["media"]]
        well_formed = all(
            isinstance(entry["label"], str) and isinstance(entry["count"], int) for entry in manifest["models"]
        ) and all(
            isinstance(entry["size"], int) and isinstance(entry["sha256"], str)
            for entry in manifest["models"] + manifest["media"]
        )
        well_formed = well_formed and isinstance(manifest["migrations"], dict)
    except (KeyError, TypeError) as error:
        raise BackupError(_("Sauvegarde invalide : manifeste incomplet (%(error)s).") % {"error": error}) from error
    if not well_formed:
        raise BackupError(_("Sauvegarde invalide : manifeste mal formé."))
    # Names are checked here, before extraction: nothing can be written outside the staging directory.
    for path in paths:
        if (
            not isinstance(path, str)
            or not _safe_member_path(path)
            or not path.startswith((f"{DATA_DIR}/", f"{MEDIA_DIR}/"))
        ):
            raise BackupError(_("Sauvegarde invalide : chemin interdit « %(path)s ».") % {"path": path})
    return manifest


def migration_differences(manifest: dict[str, Any], using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """What differs between the migrations of the archive and those of the database, one French line per app."""
    archived: dict[str, list[str]] = manifest["migrations"]
    current = migration_state(using)
    lines = []
    for app_label in sorted(set(archived) | set(current)):
        theirs, ours = archived.get(app_label), current.get(app_label)
        if theirs == ours:
            continue
        lines.append(
            _("%(app)s : sauvegarde à %(theirs)s, base à %(ours)s")
            % {
                "app": app_label,
                "theirs": ", ".join(theirs) if theirs else _("aucune migration"),
                "ours": ", ".join(ours) if ours else _("aucune migration"),
            }
        )
    return lines


def rows_present(models_: Iterable[type[models.Model]], using: str = DEFAULT_DB_ALIAS) -> dict[str, int]:
    """The models of `models_` that have rows in the database, with their row count."""
    counts = {model._meta.label_lower: model._base_manager.using(using).count() for model in models_}
    return {label: count for label, count in counts.items() if count}


@dataclass
class _Staged:
    """The archive's content, extracted and checked, before anything in the instance changes."""

    directory: Path
    data: dict[str, Path] = field(default_factory=dict)  # data file name → staged path
    media: dict[str, Path] = field(default_factory=dict)  # path under MEDIA_ROOT → staged path


def _stage(archive: tarfile.TarFile, manifest: dict[str, Any], directory: Path) -> _Staged:
    """Extract the rest of the archive into `directory`, checking each file's size and SHA-256 as it comes."""
    expected: dict[str, tuple[dict[str, Any], Path]] = {}
    for index, entry in enumerate(manifest["models"]):
        expected[entry["file"]] = (entry, directory / f"data-{index:04d}.jsonl")
    for index, entry in enumerate(manifest["media"]):
        expected[f"{MEDIA_DIR}/{entry['path']}"] = (entry, directory / f"media-{index:06d}")
    staged = _Staged(directory)
    seen: set[str] = set()
    # archive.next(), not iteration: iterating a stream starts again from the manifest already read.
    while (member := archive.next()) is not None:
        # Only the names the manifest lists, each once, as plain files: nothing else gets written anywhere.
        if member.name not in expected or member.name in seen or not member.isfile():
            raise BackupError(_("Archive corrompue : élément inattendu « %(name)s ».") % {"name": member.name})
        seen.add(member.name)
        entry, target = expected[member.name]
        digest = hashlib.sha256()
        source = archive.extractfile(member)
        with target.open("xb") as out:
            while block := source.read(BLOCK_SIZE):
                digest.update(block)
                out.write(block)
        if target.stat().st_size != entry["size"] or digest.hexdigest() != entry["sha256"]:
            raise BackupError(
                _(
                    "Archive corrompue : « %(name)s » ne correspond pas à son empreinte SHA-256 dans le manifeste. "
                    "Rien n'a été restauré."
                )
                % {"name": member.name}
            )
        if member.name.startswith(f"{MEDIA_DIR}/") and entry.get("path") == member.name[len(MEDIA_DIR) + 1 :]:
            staged.media[entry["path"]] = target
        else:
            staged.data[member.name] = target
    missing = sorted(set(expected) - seen)
    if missing:
        raise BackupError(
            _(
                "Archive incomplète : %(count)d fichier(s) du manifeste manquent, dont « %(name)s ». Rien n'a été restauré."
            )
            % {"count": len(missing), "name": missing[0]}
        )
    return staged


def _media_conflicts(manifest: dict[str, Any], root: Path) -> list[str]:
    """Files of the archive that already exist under MEDIA_ROOT with another content."""
    return [
        entry["path"]
        for entry in manifest["media"]
        if (root / entry["path"]).exists() and _sha256(root / entry["path"]) != entry["sha256"]
    ]


@contextmanager
def _placing_media(root: Path, aside: Path) -> Iterator[Callable[[str, Path], None]]:
    """Move staged files into MEDIA_ROOT; if the block fails, put MEDIA_ROOT back as it was."""
    placed: list[tuple[Path, Path | None]] = []  # (destination, previous content set aside or None)

    def place(relative: str, staged_path: Path) -> None:
        destination = root / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        previous = None
        if destination.is_file() and _sha256(destination) == _sha256(staged_path):
            return  # already there, as it was
        if destination.exists():
            previous = aside / f"{len(placed):06d}"
            shutil.move(destination, previous)
        placed.append((destination, previous))
        shutil.move(staged_path, destination)

    try:
        yield place
    except BaseException:
        for destination, previous in reversed(placed):
            destination.unlink(missing_ok=True)
            if previous is not None:
                shutil.move(previous, destination)
        raise


def _load_model(entry: dict[str, Any], path: Path, using: str) -> int:
    """Insert the rows of one data file; the number of rows inserted."""
    count = 0
    with path.open(encoding="utf-8") as stream:
        for deserialized in serializers.deserialize("jsonl", stream, using=using):
            if deserialized.object._meta.label_lower != entry["label"]:
                raise BackupError(
                    _("Archive incohérente : une ligne de %(found)s dans le fichier de %(label)s.")
                    % {"found": deserialized.object._meta.label_lower, "label": entry["label"]}
                )
            # The tables are empty: an INSERT straight away, not Django's UPDATE-then-INSERT for a set pk.
            deserialized.save(using=using, force_insert=True)
            count += 1
    return count


def restore_backup(
    archive_path: Path,
    *,
    force_flush: bool = False,
    confirm_flush: Callable[[dict[str, int]], bool] | None = None,
    using: str = DEFAULT_DB_ALIAS,
    progress: Progress = _silent,
) -> dict[str, Any]:
    """Restore the archive at `archive_path` into the database and MEDIA_ROOT; its manifest.

    Refuses (BackupError) before changing anything when the migrations of the database differ from the
    archive's, when the database already has rows (unless `force_flush`, and `confirm_flush` — given the rows
    that would be deleted — agrees), when a file of the archive exists in MEDIA_ROOT with another content (unless
    `force_flush`), or when any file of the archive does not match its SHA-256. Then everything is loaded in one
    transaction: the flush if asked, the rows, the sequences reset, the constraints checked, the files moved into
    MEDIA_ROOT; a failure anywhere rolls the database back and puts MEDIA_ROOT back as it was.
    """
    archive_path = Path(archive_path)
    root = media_root()
    if not archive_path.is_file():
        raise BackupError(_("« %(path)s » n'est pas un fichier.") % {"path": archive_path})
    try:
        # Read as a stream, once: the manifest first, then each file as it comes, never the whole in memory.
        with tarfile.open(archive_path, mode="r|gz") as archive:
            manifest = _read_manifest(archive)
            progress(
                _("Sauvegarde du %(date)s (version %(version)s, commit %(commit)s, base %(vendor)s)")
                % {
                    "date": manifest["created_at"],
                    "version": manifest["application"].get("version") or "?",
                    "commit": (manifest["application"].get("git_commit") or "?")[:12],
                    "vendor": manifest.get("database_vendor", "?"),
                }
            )
            differences = migration_differences(manifest, using)
            if differences:
                raise BackupError(
                    _(
                        "Les migrations de la base ne correspondent pas à celles de la sauvegarde :\n  %(lines)s\n"
                        "Restaurez avec la version de l'application qui a fait la sauvegarde, sur une base migrée "
                        "avec elle (manage.py migrate), puis mettez à jour l'application."
                    )
                    % {"lines": "\n  ".join(differences)}
                )
            models_ = _manifest_models(manifest)
            present = rows_present(backed_up_models(), using)
            if present and not force_flush:
                raise BackupError(
                    _(
                        "La base n'est pas vide (%(rows)s) : la restauration la remplacerait. Restaurez dans une base "
                        "neuve (manage.py migrate), ou relancez avec --force-flush pour effacer ces données."
                    )
                    % {"rows": _describe_rows(present)}
                )
            conflicts = _media_conflicts(manifest, root)
            if conflicts and not force_flush:
                raise BackupError(
                    _(
                        "%(count)d fichier(s) de MEDIA_ROOT ont un autre contenu que dans la sauvegarde, dont "
                        "« %(path)s » : relancez avec --force-flush pour les remplacer."
                    )
                    % {"count": len(conflicts), "path": conflicts[0]}
                )
            if (present or conflicts) and confirm_flush is not None and not confirm_flush(present):
                raise BackupError(_("Restauration annulée : rien n'a été modifié."))
            with tempfile.TemporaryDirectory(prefix=".codir-restauration-") as staging_name:
                progress(_("Vérification des fichiers de l'archive (SHA-256)…"))
                staged = _stage(archive, manifest, Path(staging_name))
                aside = Path(staging_name) / "remplaces"
                aside.mkdir()
                _load(manifest, models_, staged, present, root, aside, using, progress)
    except (tarfile.TarError, EOFError, zlib.error) as error:
        raise BackupError(
            _("Archive illisible ou tronquée (%(error)s) : rien n'a été restauré.") % {"error": error}
        ) from error
    # Cached analyses describe the data the restore replaced; they are computed again on demand.
    cache.clear()
    progress(_("Restauration terminée."))
    return manifest


def _manifest_models(manifest: dict[str, Any]) -> list[type[models.Model]]:
    try:
        return [apps.get_model(entry["label"]) for entry in manifest["models"]]
    except LookupError as error:
        raise BackupError(
            _("La sauvegarde contient un modèle inconnu de cette version : %(error)s") % {"error": error}
        ) from error


def _describe_rows(present: dict[str, int]) -> str:
    """« 593 ligne(s) dans 51 table(s), dont 185 dans communes.journalentry, … »: the largest tables first."""
    largest = sorted(present.items(), key=lambda item: (-item[1], item[0]))[:3]
    return _("%(rows)d ligne(s) dans %(tables)d table(s), dont %(largest)s") % {
        "rows": sum(present.values()),
        "tables": len(present),
        "largest": ", ".join(f"{count} dans {label}" for label, count in largest),
    }


def _load(
    manifest: dict[str, Any],
    models_: list[type[models.Model]],
    staged: _Staged,
    present: dict[str, int],
    root: Path,
    aside: Path,
    using: str,
    progress: Progress,
) -> None:
    connection = connections[using]
    # Outside the transaction: a failure at COMMIT too puts MEDIA_ROOT back as it was.
    with _placing_media(root, aside) as place, transaction.atomic(using=using):
        if present:
            tables = [model._meta.db_table for model in backed_up_models()]
            progress(_("Effacement des données existantes (%(count)d tables)…") % {"count": len(tables)})
            with connection.cursor() as cursor:
                for sql in connection.ops.sql_flush(no_style(), tables, reset_sequences=True):
                    cursor.execute(sql)
        progress(_("Chargement des données :"))
        started = time.monotonic()
        for entry in manifest["models"]:
            count = _load_model(entry, staged.data[entry["file"]], using)
            if count != entry["count"]:
                raise BackupError(
                    _("Archive incohérente : %(count)d ligne(s) de %(label)s au lieu de %(expected)d.")
                    % {"count": count, "label": entry["label"], "expected": entry["count"]}
                )
            progress(_("  %(label)s : %(count)d ligne(s)") % {"label": entry["label"], "count": count})
        # Rows came with their ids: the sequences must start after them, or the next INSERT collides.
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), models_):
                cursor.execute(sql)
        # PostgreSQL and SQLite check foreign keys at COMMIT; checked here, a failure still rolls everything back.
        connection.check_constraints()
        for entry, model in zip(manifest["models"], models_, strict=True):
            if model._base_manager.using(using).count() != entry["count"]:
                raise BackupError(
                    _("Le nombre de lignes de %(label)s ne correspond pas au manifeste.") % {"label": entry["label"]}
                )
        for entry in manifest["media"]:
            place(entry["path"], staged.media[entry["path"]])
        progress(
            _("Fichiers déposés restaurés dans %(root)s : %(count)d fichier(s)")
            % {"root": root, "count": len(manifest["media"])}
        )
    progress(_("Données chargées en %(seconds).1f s.") % {"seconds": time.monotonic() - started})
