"""`manage.py backup` and `manage.py restore`: a whole instance goes out and comes back exactly, or not at all.

The demo territory is the seed (every capability, ~600 rows), with what it lacks added: uploaded files of each kind,
object permissions of a group, a session, an API token, database task rows. Content types and permissions are
recreated with other ids before the restore, as in a new database, so that references by natural key are tested.
"""

import io
import json
import tarfile
from collections.abc import Callable
from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection
from django.test import Client
from django.utils import timezone
from guardian.shortcuts import assign_perm, get_perms
from rest_framework.authtoken.models import Token

from charte import services as charte_services
from charte.models import Version
from codir.backup import MANIFEST_NAME, backed_up_models
from communes import services
from communes.models import Agent, Collectivite, JournalEntry, Territoire
from reseaux import services as reseaux_services
from reseaux.models import Projet

pytestmark = pytest.mark.django_db(transaction=True)

MORTAGNE = "248500662"
FACILITATOR = "facilitatrice@cnfpt.test"
DGS_EPCI = "dgs.epci@paysdemortagne.test"
PDF = b"%PDF-1.4\n% une deliberation\n"


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def seeded(settings, media) -> None:
    """The demo, plus what it lacks: a ratification and a project document (PDFs), group permissions (global
    and per object), an agent's own permission, a session, an API token, an admin log line, queued tasks."""
    settings.DEBUG = True  # as scripts/demo.sh runs it: the demo's second factors too
    # Queued in the database, not run at once: the task rows are part of the instance.
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    call_command("demo", password="Demo-test-2026", stdout=StringIO())
    mortagne = Territoire.objects.get(siren=MORTAGNE)
    dgs_epci = Agent.objects.get(email=DGS_EPCI)
    version = next(v for v in Version.objects.filter(charte__territoire=mortagne) if v.is_adopted)
    charte_services.ratification_record(
        version=version,
        collectivite=Collectivite.objects.get(territoire=mortagne, kind="epci"),
        by=dgs_epci,
        deliberation_date=timezone.localdate() - timedelta(days=3),
        deliberation_number="2026-42",
        document=SimpleUploadedFile("deliberation.pdf", PDF, content_type="application/pdf"),
    )
    projet = Projet.objects.filter(territoire=mortagne).order_by("pk").first()
    reseaux_services.document_add(
        projet=projet,
        by=dgs_epci,
        upload=SimpleUploadedFile("cadrage.pdf", b"%PDF-1.4\n\xff\x00\xfe binaire", "application/pdf"),
    )
    group = Group.objects.create(name="Lecteurs du journal")
    group.permissions.add(Permission.objects.get(codename="view_journalentry"))
    assign_perm("communes.view_territoire", group, mortagne)
    readers = Agent.objects.get(email="elu@paysdemortagne.test")
    readers.groups.add(group)
    readers.user_permissions.add(Permission.objects.get(codename="view_collectivite"))
    Client().force_login(dgs_epci)
    Token.objects.create(user=dgs_epci)
    LogEntry.objects.create(
        user=dgs_epci,
        content_type=ContentType.objects.get_for_model(Territoire),
        object_id=str(mortagne.pk),
        object_repr=str(mortagne),
        action_flag=ADDITION,
    )


def fingerprint() -> dict[str, list[tuple]]:
    """Every row of every table, all concrete fields, by primary key. References to content types and
    permissions are given by name: their ids differ from one database to another."""
    content_types = {ct.pk: (ct.app_label, ct.model) for ct in ContentType.objects.all()}
    permissions = {p.pk: (p.codename, *content_types[p.content_type_id]) for p in Permission.objects.all()}
    by_name = {ContentType: content_types, Permission: permissions}
    rows = {}
    for model in backed_up_models():
        fields = model._meta.concrete_fields
        named = {f.attname: by_name[f.related_model] for f in fields if f.related_model in by_name}
        values = model._base_manager.order_by("pk").values_list(*[f.attname for f in fields])
        rows[model._meta.label_lower] = [
            tuple(
                named[f.attname][v] if f.attname in named and v is not None else v
                for f, v in zip(fields, row, strict=True)
            )
            for row in values
        ]
    return rows


def counts() -> dict[str, int]:
    return {label: len(rows) for label, rows in fingerprint().items()}


def files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def backup(tmp_path: Path) -> tuple[Path, str]:
    output = StringIO()
    archive = tmp_path / "sauvegarde.tar.gz"
    call_command("backup", output=archive, stdout=output)
    return archive, output.getvalue()


def restore(archive: Path, *args: str) -> str:
    output = StringIO()
    call_command("restore", str(archive), *args, stdout=output)
    return output.getvalue()


def new_database(media: Path) -> None:
    """As a fresh database migrated elsewhere: no row, and content types and permissions with other ids."""
    call_command("flush", interactive=False, inhibit_post_migrate=True)
    ContentType.objects.create(app_label="ailleurs", model="decalage")  # shifts every id that follows
    Permission.objects.create(
        codename="decaler", name="Décaler", content_type=ContentType.objects.get(app_label="ailleurs")
    )
    emit_post_migrate_signal(verbosity=0, interactive=False, db=connection.alias)
    for path in sorted(media.rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()


def read_manifest(archive: Path) -> dict[str, Any]:
    with tarfile.open(archive, "r:gz") as tar:
        assert tar.getnames()[0] == MANIFEST_NAME
        return json.load(tar.extractfile(MANIFEST_NAME))


def rewrite(archive: Path, change: Callable[[str, bytes], bytes]) -> Path:
    """A copy of the archive with each member's content passed through `change`."""
    target = archive.with_name("modifiee.tar.gz")
    with tarfile.open(archive, "r:gz") as source, tarfile.open(target, "w:gz") as out:
        for member in source.getmembers():
            data = change(member.name, source.extractfile(member).read())
            member.size = len(data)
            out.addfile(member, io.BytesIO(data))
    return target


def assert_sequences_after_max_ids() -> None:
    """Each table with an automatic id will give the next row an id above every restored one."""
    with connection.cursor() as cursor:
        for model in backed_up_models():
            pk = model._meta.pk
            if pk.get_internal_type() not in ("AutoField", "BigAutoField"):
                continue
            highest = model._base_manager.order_by("-pk").values_list("pk", flat=True).first()
            if highest is None:
                continue
            table = model._meta.db_table
            if connection.vendor == "postgresql":
                cursor.execute("SELECT pg_sequence_last_value(pg_get_serial_sequence(%s, %s))", [table, pk.column])
            else:
                cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            (last,) = cursor.fetchone()
            assert last is not None and last >= highest, table


def test_an_instance_comes_back_exactly_after_backup_and_restore(seeded, media, tmp_path):
    before, before_files = fingerprint(), files(media)
    for kind in ("codir/documents/", "charte/ratifications/", "reseaux/projets/"):  # each kind of upload
        assert any(path.startswith(kind) for path in before_files), kind
    assert before["django_tasks_database.dbtaskresult"] and before["guardian.userobjectpermission"]
    assert before["guardian.groupobjectpermission"] and before["sessions.session"] and before["otp_totp.totpdevice"]
    assert before["communes.agent_groups"] and before["communes.agent_user_permissions"]

    archive, printed = backup(tmp_path)

    assert archive.stat().st_mode & 0o777 == 0o600  # password hashes, second-factor secrets, personal data
    assert f"communes.agent : {len(before['communes.agent'])} ligne(s)" in printed
    manifest = read_manifest(archive)
    assert manifest["application"]["version"] and manifest["created_at"]
    assert manifest["migrations"]["communes"] and manifest["migrations"]["guardian"]
    assert {e["label"]: e["count"] for e in manifest["models"]} == {
        m._meta.label_lower: len(before[m._meta.label_lower]) for m in backed_up_models()
    }
    assert {e["path"]: e["size"] for e in manifest["media"]} == {p: len(b) for p, b in before_files.items()}
    assert all(len(e["sha256"]) == 64 for e in manifest["media"] + manifest["models"])

    new_database(media)
    assert not files(media) and not Agent.objects.exists()
    printed = restore(archive)

    assert "communes.journalentry" in printed and "Restauration terminée." in printed
    after = fingerprint()
    assert counts() == {label: len(rows) for label, rows in before.items()}
    for label, rows in before.items():
        assert after[label] == rows, label
    assert files(media) == before_files
    facilitator = Agent.objects.get(email=FACILITATOR)
    for territoire in Territoire.objects.all():
        assert facilitator.has_perm("communes.facilitate_territoire", territoire)
    reader = Agent.objects.get(email="elu@paysdemortagne.test")
    mortagne = Territoire.objects.get(siren=MORTAGNE)
    assert "view_territoire" in get_perms(reader, mortagne)  # through the group
    assert reader.has_perm("communes.view_journalentry") and reader.has_perm("communes.view_collectivite")
    # The journal's generic references (content type by name, id) still lead to their objects.
    assert any(entry.target is not None for entry in JournalEntry.objects.exclude(target_type=None))

    # New rows get fresh ids (the sequences were moved past the restored ones).
    assert_sequences_after_max_ids()
    agent = services.agent_create(
        email="nouvelle@paysdemortagne.test",
        first_name="Nouvelle",
        last_name="Arrivée",
        password="Un-mot-de-passe-solide-2026",
        collectivite=Collectivite.objects.get(territoire=mortagne, kind="epci"),
    )
    services.facilitator_grant(territoire=mortagne, agent=agent, by=facilitator)
    assert agent.has_perm("communes.facilitate_territoire", mortagne)
    assert Agent.objects.count() == len(before["communes.agent"]) + 1


def test_restore_refuses_a_database_that_is_not_empty_and_changes_nothing(seeded, media, tmp_path, monkeypatch):
    archive, _printed = backup(tmp_path)
    saved, saved_files = fingerprint(), files(media)
    Agent.objects.filter(email=DGS_EPCI).update(first_name="Changée")
    (media / "ajout.txt").write_bytes(b"apres la sauvegarde")
    changed, changed_files = fingerprint(), files(media)

    with pytest.raises(CommandError, match="La base n'est pas vide .*--force-flush"):
        restore(archive)
    assert fingerprint() == changed and files(media) == changed_files

    monkeypatch.setattr("builtins.input", lambda prompt: "non")
    with pytest.raises(CommandError, match="Restauration annulée"):
        restore(archive, "--force-flush")
    assert fingerprint() == changed and files(media) == changed_files

    monkeypatch.setattr("builtins.input", lambda prompt: "oui")
    restore(archive, "--force-flush")
    assert fingerprint() == saved
    # Files the archive does not know are left alone; those it knows are as saved.
    assert files(media) == {**saved_files, "ajout.txt": b"apres la sauvegarde"}
    assert Agent.objects.get(email=DGS_EPCI).first_name == "Claire"


def test_a_bad_archive_is_refused_before_anything_changes(seeded, media, tmp_path):
    archive, _printed = backup(tmp_path)
    manifest = read_manifest(archive)
    ratification = next(e["path"] for e in manifest["media"] if e["path"].startswith("charte/"))
    new_database(media)

    def nothing_restored() -> bool:
        return not any(model._base_manager.exists() for model in backed_up_models()) and not files(media)

    # A file changed in the archive, same size, one byte: only its SHA-256 can tell.
    corrupted = rewrite(
        archive, lambda name, data: data.replace(b"une", b"UNE") if name.endswith(ratification) else data
    )
    with pytest.raises(CommandError, match=f"Archive corrompue : « media/{ratification} ».*SHA-256"):
        restore(corrupted)
    assert nothing_restored()

    truncated = tmp_path / "tronquee.tar.gz"
    truncated.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    with pytest.raises(CommandError, match="tronquée"):
        restore(truncated)
    assert nothing_restored()

    def with_manifest(change: Callable[[dict[str, Any]], None]) -> Path:
        def rewritten(name: str, data: bytes) -> bytes:
            if name != MANIFEST_NAME:
                return data
            content = json.loads(data)
            change(content)
            return json.dumps(content).encode()

        return rewrite(archive, rewritten)

    later = with_manifest(lambda m: m["migrations"].update(communes=["9999_plus_tard"]))
    with pytest.raises(CommandError, match="communes : sauvegarde à 9999_plus_tard, base à 0"):
        restore(later)
    assert nothing_restored()

    escaping = with_manifest(lambda m: m["media"][0].update(path="../../hors-de-media.pdf"))
    with pytest.raises(CommandError, match="chemin interdit"):
        restore(escaping)
    assert nothing_restored() and not (media.parent.parent / "hors-de-media.pdf").exists()

    (media / ratification).parent.mkdir(parents=True)
    (media / ratification).write_bytes(b"%PDF-1.4 une autre deliberation")
    with pytest.raises(CommandError, match=f"autre contenu .*« {ratification} »"):
        restore(archive)
    assert not any(model._base_manager.exists() for model in backed_up_models())
    assert files(media) == {ratification: b"%PDF-1.4 une autre deliberation"}
