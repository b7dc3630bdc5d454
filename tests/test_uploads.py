"""Hostile uploads, issue #10: size and type checked the same way on every path in, inert files on the way out.

Paths in: the agenda item form and API (codir Document), the project document form (reseaux DocumentProjet),
the ratification form and API (charte deliberation PDF), the calendar import (read, not stored). Each is
checked by `communes.uploads.validate_upload`; the services check again, since they are what stores.
"""

import io
import os
import subprocess
import sys
import zipfile
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import InMemoryUploadedFile, SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from communes.uploads import (
    AGENDA_DOCUMENTS,
    CALENDARS,
    DELIBERATIONS,
    FILE_CSP,
    PROJECT_DOCUMENTS,
    UploadValidator,
    content_disposition,
    validate_upload,
)

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
HTML = b"<!DOCTYPE html><html><body><script>window.__xss=1</script></body></html>"
PROGRAM = b"MZ\x90\x00" + b"\x00" * 60
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>'
ICS = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//FR\r\nEND:VCALENDAR\r\n"


def zipped(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in entries.items():
            # ODF wants its mimetype first and stored; the others are compressed as office suites do.
            kind = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            archive.writestr(name, content, compress_type=kind)
    return buffer.getvalue()


def odf(kind: str) -> bytes:
    return zipped({"mimetype": f"application/vnd.oasis.opendocument.{kind}".encode(), "content.xml": b"<x/>"})


def ooxml(folder: str, main: str, *extra: str) -> bytes:
    return zipped({"[Content_Types].xml": b"<Types/>", f"{folder}/{main}": b"<x/>", **{e: b"x" for e in extra}})


VALID = {
    "pdf": PDF,
    "odt": odf("text"),
    "ods": odf("spreadsheet"),
    "odp": odf("presentation"),
    "docx": ooxml("word", "document.xml"),
    "xlsx": ooxml("xl", "workbook.xml"),
    "pptx": ooxml("ppt", "presentation.xml"),
    "doc": OLE2,
    "xls": OLE2,
    "ppt": OLE2,
    "png": PNG,
    "jpg": JPEG,
    "jpeg": JPEG,
    "ics": ICS,
    "csv": "nom;population\nMallièvre;240\n".encode("cp1252"),
    "txt": b"Compte rendu\n",
}


def upload(name: str, content: bytes, content_type: str = "application/pdf") -> SimpleUploadedFile:
    # The client's content type is whatever the sender says: every hostile file below claims to be a PDF.
    return SimpleUploadedFile(name, content, content_type=content_type)


def code_of(call) -> str:
    with pytest.raises(ValidationError) as error:
        call()
    return error.value.error_list[0].code


# The validator -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("extension", sorted(VALID))
def test_each_accepted_format_passes_and_the_file_is_left_at_its_start(extension):
    file = upload(f"Note d'étape.{extension}", VALID[extension])
    validate_upload(file, (extension,))
    assert file.read() == VALID[extension]


HOSTILE = [
    ("page.html", HTML, "file_extension"),
    ("image.svg", SVG, "file_extension"),
    ("script.js", b"window.__xss=1", "file_extension"),
    ("setup.exe", b"MZ\x90\x00", "file_extension"),
    ("sans-extension", PDF, "file_extension"),
    ("page.html.pdf", HTML, "file_dangerous"),
    ("image.pdf", SVG, "file_dangerous"),
    ("page.pdf", b"   \n<html><body onload=alert(1)>", "file_dangerous"),
    ("polyglotte.pdf", PDF + b"<script>alert(1)</script>", "file_dangerous"),
    ("programme.pdf", b"MZ\x90\x00\x03", "file_dangerous"),
    ("programme.docx", b"\x7fELF\x02\x01", "file_dangerous"),
    ("script.odt", b"#!/bin/sh\nrm -rf /", "file_dangerous"),
    ("image.png", SVG, "file_dangerous"),
    ("photo.jpg", HTML, "file_dangerous"),
    ("faux.pdf", b"pas un PDF", "file_content"),
    ("faux.png", PDF, "file_content"),
    ("faux.docx", odf("text"), "file_content"),
    ("faux.odt", ooxml("word", "document.xml"), "file_content"),
    ("tableur.ods", odf("text"), "file_content"),
    ("archive.docx", zipped({"a.txt": b"x"}), "file_content"),
    ("tronque.xlsx", b"PK\x03\x04" + b"\x00" * 40, "file_content"),
    ("macros.docx", ooxml("word", "document.xml", "word/vbaProject.bin"), "file_macros"),
    ("macros.xlsx", ooxml("xl", "workbook.xml", "xl/vbaProject.bin"), "file_macros"),
    ("macros.odt", zipped({"mimetype": b"application/vnd.oasis.opendocument.text", "Basic/Standard/M.xml": b"x"}), "file_macros"),
    # A Word 97-2003 file with VBA: its directory, far past the first bytes, names the _VBA_PROJECT stream.
    ("macros.doc", OLE2 + b"\x00" * 20000 + "_VBA_PROJECT".encode("utf-16-le"), "file_macros"),
    # ...here straddling two of the chunks it is read in.
    ("macros.xls", OLE2 + b"\x00" * (2 * 1024 * 1024 - 5 - len(OLE2)) + "_VBA_PROJECT_CUR".encode("utf-16-le"), "file_macros"),
    ("notes.doc", OLE2 + "Macros Excel : mode d'emploi".encode("utf-16-le"), None),
]  # fmt: skip


@pytest.mark.parametrize("name,content,code", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_files_are_refused_whatever_they_claim(name, content, code):
    if code is None:  # a harmless look-alike, accepted
        validate_upload(upload(name, content), AGENDA_DOCUMENTS)
        return
    assert code_of(lambda: validate_upload(upload(name, content), AGENDA_DOCUMENTS)) == code


def test_the_messages_are_french_and_say_what_to_do():
    def message(name, content, extensions=AGENDA_DOCUMENTS):
        with pytest.raises(ValidationError) as error:
            validate_upload(upload(name, content), extensions)
        return error.value.messages[0]

    assert message("page.html", HTML) == (
        "« page.html » : l'extension « .html » n'est pas acceptée. "
        "Formats acceptés : PDF, ODT, ODS, ODP, DOC, DOCX, XLS, XLSX, PPT, PPTX, PNG, JPEG."
    )
    assert message("page.pdf", HTML).startswith("« page.pdf » n'est pas un fichier PDF : il contient une page web")
    assert "son contenu ne correspond pas à son extension" in message("faux.png", PDF)
    assert message("d.odt", VALID["odt"], DELIBERATIONS).endswith("Formats acceptés : PDF.")


def test_the_size_limit_is_the_setting_and_is_checked_first(settings):
    settings.MAX_UPLOAD_SIZE = 1024
    with pytest.raises(ValidationError) as error:
        validate_upload(upload("budget.pdf", PDF + b"0" * 1024), AGENDA_DOCUMENTS)
    assert error.value.messages == ["« budget.pdf » dépasse 1 Ko, la taille maximale d'un fichier joint."]
    validate_upload(upload("budget.pdf", PDF + b"0" * (1024 - len(PDF))), AGENDA_DOCUMENTS)
    settings.MAX_UPLOAD_SIZE = 20 * 1024 * 1024
    # The size is said before the type, and costs nothing to check: the file is not read.
    big = InMemoryUploadedFile(
        io.BytesIO(b"MZ"), "file", "budget.exe", "application/octet-stream", 20 * 2**20 + 1, None
    )
    assert code_of(lambda: validate_upload(big, AGENDA_DOCUMENTS)) == "file_too_large"
    assert "dépasse 20 Mo" in str(pytest.raises(ValidationError, validate_upload, big, AGENDA_DOCUMENTS).value)
    # A smaller cap of its own (the calendar import) never exceeds the setting.
    settings.MAX_UPLOAD_SIZE = 1024
    assert code_of(lambda: validate_upload(upload("a.ics", ICS + b" " * 2000), CALENDARS, max_size=10**9)) == (
        "file_too_large"
    )


def test_the_models_allow_the_same_extensions_as_the_validator():
    from django.core.validators import FileExtensionValidator

    from charte.models import Ratification
    from codir.models import Document
    from reseaux.models import DocumentProjet

    for model, field, extensions in [
        (Document, "file", AGENDA_DOCUMENTS),
        (DocumentProjet, "file", PROJECT_DOCUMENTS),
        (Ratification, "document", DELIBERATIONS),
    ]:
        (validator,) = [v for v in model._meta.get_field(field).validators if isinstance(v, FileExtensionValidator)]
        assert tuple(validator.allowed_extensions) == extensions, model


# Every path in refuses, says why in French, and stores nothing --------------------------------------------------


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def nothing_stored(media_root: Path) -> bool:
    return not [path for path in media_root.rglob("*") if path.is_file()]


@pytest.fixture
def reunion(mortagne, dgs_epci, dgs_commune):
    from codir import services
    from communes.models import Collectivite

    return services.reunion_create(
        territoire=mortagne,
        by=dgs_epci,
        title="CoDir",
        starts_at=timezone.now() + timedelta(days=10),
        ends_at=timezone.now() + timedelta(days=10, hours=2),
        host=Collectivite.objects.get(territoire=mortagne, name="Mortagne-sur-Sèvre"),
        animateur=dgs_commune,
    )


@pytest.fixture
def projet(mortagne, dgs_commune):
    from tests.reseaux.builders import commune_projet

    # Piloted by the commune of the agent who uploads: she follows it, so she may attach documents.
    return commune_projet(mortagne, dgs_commune, "Mortagne-sur-Sèvre", "Groupement de commandes")


@pytest.fixture
def charte_in_force(mortagne, dgs_epci, voices):
    """Version 1 of the charter adopted: its titulaires record their council's ratification."""
    from charte import services
    from tests.charte.conftest import adopt

    draft = services.charte_start(territoire=mortagne, by=dgs_epci)
    proposition = services.draft_submit(version=draft, by=dgs_epci, closes_at=timezone.now() + timedelta(days=3))
    adopt(proposition, voices, dgs_epci)
    draft.refresh_from_db()
    return draft.charte


def plain(response) -> str:
    import html

    from django.utils.html import strip_tags

    return " ".join(html.unescape(strip_tags(response.content.decode())).split())


REFUSED = [
    ("budget.pdf", PDF + b"0" * 2048, "dépasse 1 Ko"),
    ("page.pdf", HTML, "n'est pas un fichier PDF : il contient une page web"),
    ("image.pdf", SVG, "n'est pas un fichier PDF : il contient une page web"),
    ("page.html", HTML, "l'extension « .html » n'est pas acceptée"),
]


@pytest.mark.django_db
@pytest.mark.parametrize("name,content,message", REFUSED, ids=[r[0] for r in REFUSED])
def test_every_path_in_refuses_and_stores_nothing(
    name, content, message, settings, media_root, reunion, projet, charte_in_force, mortagne, dgs_commune, client_for
):
    from rest_framework.test import APIClient

    from charte.models import Ratification
    from codir.models import Document, PointOdj
    from reseaux.models import DocumentProjet

    settings.MAX_UPLOAD_SIZE = 1024
    slug = mortagne.slug
    client = client_for(dgs_commune)
    api = APIClient()
    api.force_authenticate(dgs_commune)
    today = timezone.localdate().isoformat()
    pages = [
        client.post(
            reverse("codir:point_add", args=[slug, reunion.pk]),
            {"title": "Point", "duration_minutes": 15, "documents": [upload(name, content)]},
        ),
        client.post(reverse("reseaux:document_add", args=[slug, projet.pk]), {"file": upload(name, content)}),
        client.post(
            reverse("charte:ratify", args=[slug, 1]),
            {"deliberation_date": today, "deliberation_number": "2026-1", "document": upload(name, content)},
        ),
    ]
    for response in pages:
        assert response.status_code == 400 and message in plain(response), response.request["PATH_INFO"]
    apis = [
        api.post(
            reverse("api:reunion-points", args=[slug, reunion.pk]),
            {"title": "Point", "duration_minutes": 15, "documents": [upload(name, content)]},
            format="multipart",
        ),
        api.post(
            reverse("api:charte-version-ratifier", args=[slug, 1]),
            {"deliberation_date": today, "deliberation_number": "2026-1", "document": upload(name, content)},
            format="multipart",
        ),
    ]
    for response in apis:
        assert response.status_code == 400 and message in str(response.json()), response.json()
    assert not PointOdj.objects.exists() and not Document.objects.exists()
    assert not DocumentProjet.objects.exists() and not Ratification.objects.exists()
    assert nothing_stored(media_root)


@pytest.mark.django_db
def test_the_services_check_too(settings, media_root, reunion, projet, charte_in_force, dgs_commune, dgs_epci):
    """What the forms and the API let through (a caller in the code, a command) still stops at the services."""
    from charte import services as charte_services
    from codir import services as codir_services
    from communes.models import Collectivite
    from reseaux import services as reseaux_services

    hostile = upload("page.pdf", HTML)
    with pytest.raises(ValidationError, match="il contient une page web") as error:
        codir_services.point_add(reunion=reunion, by=dgs_commune, title="Point", documents=[hostile])
    assert list(error.value.message_dict) == ["documents"]
    with pytest.raises(ValidationError, match="il contient une page web") as error:
        reseaux_services.document_add(projet=projet, by=dgs_epci, upload=upload("page.pdf", HTML))
    assert list(error.value.message_dict) == ["file"]
    with pytest.raises(ValidationError, match="il contient une page web") as error:
        charte_services.ratification_record(
            version=charte_in_force.versions.get(number=1),
            collectivite=Collectivite.objects.get(name="Mortagne-sur-Sèvre"),
            by=dgs_commune,
            deliberation_date=timezone.localdate(),
            deliberation_number="2026-1",
            document=upload("page.pdf", HTML),
        )
    assert list(error.value.message_dict) == ["document"]
    assert nothing_stored(media_root)


@pytest.mark.django_db
def test_the_calendar_import_refuses_what_is_not_a_calendar(mortagne, dgs_epci, client_for):
    from codir.models import Instance

    client = client_for(dgs_epci)
    url = reverse("codir:instances_import", args=[mortagne.slug])
    response = client.post(url, {"file": upload("agenda.ics", HTML, "text/calendar")})
    assert response.status_code == 400 and "n'est pas un fichier iCalendar" in plain(response)
    response = client.post(url, {"file": upload("agenda.ics", PROGRAM, "text/calendar")})
    assert response.status_code == 400 and "un script ou un programme" in plain(response)
    response = client.post(url, {"file": upload("agenda.html", ICS, "text/calendar")})
    assert response.status_code == 400 and "l'extension « .html » n'est pas acceptée" in plain(response)
    response = client.post(url, {"file": upload("agenda.ics", ICS + b" " * 3 * 1024 * 1024, "text/calendar")})
    assert response.status_code == 400 and "dépasse 2 Mo" in plain(response)
    assert not Instance.objects.exists()


def test_a_calendar_exported_from_outlook_with_html_descriptions_is_a_calendar():
    outlook = (
        b"BEGIN:VCALENDAR\r\nPRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN\r\nVERSION:2.0\r\n"
        b"BEGIN:VEVENT\r\nDTSTART:20270112T180000Z\r\nSUMMARY:Conseil communautaire\r\n"
        b'X-ALT-DESC;FMTTYPE=text/html:<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2//EN">\\n<HTML><BODY>'
        b"Ordre du jour</BODY></HTML>\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    validate_upload(upload("export.ics", outlook, "text/calendar"), CALENDARS)  # no error
    assert code_of(lambda: validate_upload(upload("export.pdf", outlook), AGENDA_DOCUMENTS)) == "file_dangerous"


def project_python_files(root: Path):
    skipped = {".venv", ".git", "tests", "node_modules", "var", "media", "static", "staticfiles", "locale"}
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and p.name not in skipped):
        for path in sorted(folder.rglob("*.py")):
            if "migrations" not in path.parts:
                yield path.relative_to(root).as_posix(), path.read_text()


def call_text(text: str, start: int) -> str:
    """The whole call that starts at `start` (its parentheses balanced)."""
    depth = 0
    for end in range(text.index("(", start), len(text)):
        depth += {"(": 1, ")": -1}.get(text[end], 0)
        if depth == 0:
            return text[start : end + 1]
    return text[start:]


def test_every_upload_field_of_the_forms_and_the_api_carries_the_validator():
    """A new file field must say what it accepts: this fails until it has an UploadValidator."""
    import re

    declared = re.compile(r"(?<!class )\b(?:forms\.FileField|serializers\.FileField|MultipleFileField)\(")
    missing = [
        f"{relative}: {call_text(text, match.start())}"
        for relative, text in project_python_files(Path(django_settings.BASE_DIR))
        for match in declared.finditer(text)
        if not text[: match.start()].endswith("class MultipleFileField(")
        and "UploadValidator" not in call_text(text, match.start())
    ]
    assert not missing, missing
    from charte.forms import RatificationForm

    assert any(isinstance(v, UploadValidator) for v in RatificationForm().fields["document"].validators)


def test_every_stored_file_is_served_by_download_response():
    served = [
        relative for relative, text in project_python_files(Path(django_settings.BASE_DIR)) if "FileResponse(" in text
    ]
    assert served == ["communes/uploads.py"], served


def test_only_the_known_models_store_files():
    from django.apps import apps
    from django.db.models import FileField

    stored = {
        (model._meta.label, field.name)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, FileField)
    }
    # Each is checked by validate_upload in its service and served by download_response (tests above and below).
    assert stored == {
        ("codir.Document", "file"),
        ("reseaux.DocumentProjet", "file"),
        ("charte.Ratification", "document"),
    }


# The way out ------------------------------------------------------------------------------------------------------


def test_content_disposition_is_an_attachment_with_the_utf8_name():
    header = content_disposition('Note d\'étape "v2"\r\n.pdf')
    assert header == (
        "attachment; filename=\"Note d'etape _v2_.pdf\"; filename*=UTF-8''" + quote('Note d\'étape "v2".pdf', safe="")
    )
    assert content_disposition("été.pdf").startswith('attachment; filename="ete.pdf"; ')
    assert content_disposition("日本.pdf").startswith('attachment; filename="document.pdf"; ')


@pytest.mark.django_db
def test_every_download_is_an_inert_attachment(media_root, reunion, projet, charte_in_force, dgs_commune, client_for):
    from charte import services as charte_services
    from codir import services as codir_services
    from communes.models import Collectivite
    from reseaux import services as reseaux_services

    name = "Note d'étape.pdf"
    point = codir_services.point_add(reunion=reunion, by=dgs_commune, title="Point", documents=[upload(name, PDF)])
    document = reseaux_services.document_add(projet=projet, by=dgs_commune, upload=upload("Cadrage.odt", VALID["odt"]))
    ratification = charte_services.ratification_record(
        version=charte_in_force.versions.get(number=1),
        collectivite=Collectivite.objects.get(name="Mortagne-sur-Sèvre"),
        by=dgs_commune,
        deliberation_date=timezone.localdate(),
        deliberation_number="2026-118",
        document=upload("délibération.pdf", PDF),
    )
    slug = reunion.territoire.slug
    downloads = [
        (reverse("codir:document", args=[slug, point.documents.get().pk]), name, "application/pdf", PDF),
        (
            reverse("reseaux:document", args=[slug, projet.pk, document.pk]),
            "Cadrage.odt",
            "application/vnd.oasis.opendocument.text",
            VALID["odt"],
        ),
        (reverse("charte:ratification_pdf", args=[slug, ratification.pk]), "deliberation-2026-118.pdf", "application/pdf", PDF),
    ]  # fmt: skip
    client = client_for(dgs_commune)
    for url, filename, content_type, content in downloads:
        response = client.get(url)
        assert response.status_code == 200, url
        assert b"".join(response.streaming_content) == content
        assert response["Content-Type"] == content_type
        assert response["Content-Disposition"].startswith("attachment; filename=")
        assert response["Content-Disposition"].endswith("; filename*=UTF-8''" + quote(filename, safe=""))
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Security-Policy"] == FILE_CSP == "default-src 'none'; sandbox"
        assert response["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_a_stored_file_is_never_served_under_media_url(media_root, reunion, dgs_commune, client_for):
    from codir import services as codir_services

    point = codir_services.point_add(reunion=reunion, by=dgs_commune, title="Point", documents=[upload("n.pdf", PDF)])
    stored = point.documents.get().file
    assert (media_root / stored.name).is_file()
    assert client_for(dgs_commune).get(django_settings.MEDIA_URL + stored.name).status_code == 404


def test_production_settings_route_nothing_to_the_media_folder():
    """In a fresh process with the production settings (DEBUG off): no URL pattern serves files from disk, the
    media folder is outside every static folder WhiteNoise serves, and MAX_UPLOAD_SIZE_MB sets the limit."""
    script = """
import django
from django.conf import settings
django.setup()
from django.urls import get_resolver, resolve, Resolver404
from django.views.static import serve

def callbacks(patterns):
    for pattern in patterns:
        if hasattr(pattern, "url_patterns"):
            yield from callbacks(pattern.url_patterns)
        else:
            yield pattern.callback

assert not settings.DEBUG
assert all(getattr(c, "__wrapped__", c) is not serve and c is not serve for c in callbacks(get_resolver().url_patterns))
try:
    resolve(settings.MEDIA_URL + "codir/documents/2026/01/note.pdf")
except Resolver404:
    pass
else:
    raise AssertionError("MEDIA_URL est routé")
media = settings.MEDIA_ROOT.resolve()
for folder in [settings.STATIC_ROOT, *settings.STATICFILES_DIRS]:
    folder = folder.resolve()
    assert not media.is_relative_to(folder) and not folder.is_relative_to(media), folder
assert settings.MAX_UPLOAD_SIZE == 3 * 1024 * 1024
print("ok")
"""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "MAX_UPLOAD_SIZE_MB", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        DEBUG="false",
        SECRET_KEY="x" * 50,
        ALLOWED_HOSTS="codir.example.fr",
        DJANGO_SETTINGS_MODULE="codir.settings",
        MAX_UPLOAD_SIZE_MB="3",
        CACHE_URL="locmem://",
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=django_settings.BASE_DIR, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr
