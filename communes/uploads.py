"""Files agents upload: one validator for every way in (pages, API, services), one way out (downloads).

A file is accepted when its size is within `settings.MAX_UPLOAD_SIZE`, its extension is on the allowlist of
the place it goes to, and its first bytes are those of that format: the browser's content type and the
name's extension are what the sender says, the bytes are what the file is. HTML, SVG, scripts and programs
are refused whatever their name when their markers open the file (the first 8 KB, where browsers sniff), since
a file served back from our origin could otherwise run in it; what hides deeper is never shown inline (below).

Downloads are always attachments, with a content type derived here from the stored name (never text/html),
`nosniff`, and a Content-Security-Policy that forbids everything: even a file that slipped through could
neither be shown inline by the browser nor run a script on our origin.
"""

import re
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models.fields.files import FieldFile
from django.http import FileResponse
from django.utils.deconstruct import deconstructible
from django.utils.functional import lazy
from django.utils.translation import gettext as _

MEGABYTE = 1024 * 1024
SNIFF_BYTES = 8192  # enough for every signature below and for markup hidden near the start of a file


def _is_zip_with(upload, test: Callable[[zipfile.ZipFile], bool]) -> bool:
    try:
        with zipfile.ZipFile(upload) as archive:
            return test(archive)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, EOFError):
        return False
    finally:
        upload.seek(0)


def _opendocument(mimetype: str) -> Callable:
    """ODF: a zip whose `mimetype` entry names the kind of document (ISO/IEC 26300, part 3)."""

    def test(archive: zipfile.ZipFile) -> bool:
        with archive.open("mimetype") as entry:
            return entry.read(100).strip() == mimetype.encode()

    return lambda head, upload: head.startswith(b"PK\x03\x04") and _is_zip_with(upload, test)


def _office_open_xml(folder: str) -> Callable:
    """OOXML: a zip with [Content_Types].xml and the main part in its folder (word/, xl/, ppt/)."""

    def test(archive: zipfile.ZipFile) -> bool:
        names = archive.namelist()
        return "[Content_Types].xml" in names and any(name.startswith(folder) for name in names)

    return lambda head, upload: head.startswith(b"PK\x03\x04") and _is_zip_with(upload, test)


def _text(head: bytes) -> bool:
    """Text as spreadsheets and calendars export it: UTF-8 (with or without BOM) or Windows-1252, no NUL."""
    if b"\x00" in head:
        return False
    # The head may end inside a multi-byte character: ignore an incomplete last one.
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(head) - 3:
            try:
                head.decode("cp1252")
            except UnicodeDecodeError:
                return False
    return True


def _calendar(head: bytes) -> bool:
    return _text(head) and head.lstrip(b"\xef\xbb\xbf \t\r\n").upper().startswith(b"BEGIN:VCALENDAR")


_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the container of the Office 97-2003 formats


@dataclass(frozen=True)
class Format:
    label: str
    content_type: str
    sniff: Callable[[bytes, object], bool]


FORMATS = {
    "pdf": Format("PDF", "application/pdf", lambda head, _u: head.startswith(b"%PDF-")),
    "odt": Format("ODT", "application/vnd.oasis.opendocument.text", _opendocument("application/vnd.oasis.opendocument.text")),
    "ods": Format("ODS", "application/vnd.oasis.opendocument.spreadsheet", _opendocument("application/vnd.oasis.opendocument.spreadsheet")),
    "odp": Format("ODP", "application/vnd.oasis.opendocument.presentation", _opendocument("application/vnd.oasis.opendocument.presentation")),
    "docx": Format("DOCX", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", _office_open_xml("word/")),
    "xlsx": Format("XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _office_open_xml("xl/")),
    "pptx": Format("PPTX", "application/vnd.openxmlformats-officedocument.presentationml.presentation", _office_open_xml("ppt/")),
    "doc": Format("DOC", "application/msword", lambda head, _u: head.startswith(_OLE2)),
    "xls": Format("XLS", "application/vnd.ms-excel", lambda head, _u: head.startswith(_OLE2)),
    "ppt": Format("PPT", "application/vnd.ms-powerpoint", lambda head, _u: head.startswith(_OLE2)),
    "png": Format("PNG", "image/png", lambda head, _u: head.startswith(b"\x89PNG\r\n\x1a\n")),
    "jpg": Format("JPEG", "image/jpeg", lambda head, _u: head.startswith(b"\xff\xd8\xff")),
    "jpeg": Format("JPEG", "image/jpeg", lambda head, _u: head.startswith(b"\xff\xd8\xff")),
    "csv": Format("CSV", "text/csv", lambda head, _u: _text(head)),
    "txt": Format("TXT", "text/plain", lambda head, _u: _text(head)),
    "ics": Format("iCalendar", "text/calendar", lambda head, _u: _calendar(head)),
}  # fmt: skip

# Where uploads go, and what each place takes. The models' FileExtensionValidator lists say the same
# (a test checks): changing them there means a migration, so they are not derived from here.
AGENDA_DOCUMENTS = ("pdf", "odt", "ods", "odp", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "png", "jpg", "jpeg")
PROJECT_DOCUMENTS = ("pdf", "odt", "ods", "odp", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "png", "jpg")
DELIBERATIONS = ("pdf",)
CALENDARS = ("ics",)

# What no upload may be, whatever its name: markup a browser would render or run, and programs.
_MARKUP = re.compile(rb"<\s*(?:script|html|svg|iframe|body|object|embed|meta)\b|<!doctype\s+html", re.IGNORECASE)
_PROGRAMS = (b"MZ", b"\x7fELF", b"#!", b"\xca\xfe\xba\xbe", b"\xcf\xfa\xed\xfe", b"\xce\xfa\xed\xfe", b"\x00asm")
# Macros in office documents: Word and Excel keep them in vbaProject.bin, LibreOffice in Basic/ or Scripts/.
_MACROS = re.compile(r"(?:^|/)vbaProject\.bin$|^(?:Basic|Scripts)/", re.IGNORECASE)


def size_label(size: int) -> str:
    """A size as people read it: "20 Mo", "512 Ko"."""
    if size >= MEGABYTE:
        megabytes = size / MEGABYTE
        return _("%(n)s Mo") % {
            "n": f"{megabytes:.0f}" if megabytes == int(megabytes) else f"{megabytes:.1f}".replace(".", ",")
        }
    return _("%(n)s Ko") % {"n": max(1, round(size / 1024))}


def extension_of(name: str) -> str:
    return PurePosixPath(name.replace("\\", "/")).suffix.lower().lstrip(".")


# The 97-2003 formats (OLE2) name their VBA streams in their directory, in UTF-16 (Word: Macros/VBA/_VBA_PROJECT,
# Excel: _VBA_PROJECT_CUR/VBA/_VBA_PROJECT); the directory may sit anywhere in the file, so the whole file is
# read (in chunks; a few megabytes at most). « Macros » alone could be a word of the document's own text.
_OLE2_MACROS = ("_VBA_PROJECT".encode("utf-16-le"),)


def _has_macros(upload) -> bool:
    if upload.read(len(_OLE2)) == _OLE2:
        upload.seek(0)
        tail = b""
        try:
            while chunk := upload.read(MEGABYTE):
                window = tail + chunk
                if any(marker in window for marker in _OLE2_MACROS):
                    return True
                tail = window[-32:]
            return False
        finally:
            upload.seek(0)
    upload.seek(0)
    return _is_zip_with(upload, lambda archive: any(_MACROS.search(name) for name in archive.namelist()))


def validate_upload(upload, extensions: tuple[str, ...], *, max_size: int | None = None) -> None:
    """Refuse a file that is too big, not of an accepted format, or not what its name says.

    `upload` is an UploadedFile (or any file with name, size, read and seek); it is left at its start.
    The messages name the file, say why, and what would be accepted.
    """
    limit = settings.MAX_UPLOAD_SIZE if max_size is None else min(max_size, settings.MAX_UPLOAD_SIZE)
    name = PurePosixPath((upload.name or "").replace("\\", "/")).name
    if upload.size is not None and upload.size > limit:
        raise ValidationError(
            _("« %(nom)s » dépasse %(max)s, la taille maximale d'un fichier joint.")
            % {"nom": name, "max": size_label(limit)},
            code="file_too_large",
        )
    accepted = ", ".join(dict.fromkeys(FORMATS[e].label for e in extensions))
    extension = extension_of(name)
    if not extension:
        raise ValidationError(
            _("« %(nom)s » n'a pas d'extension. Formats acceptés : %(formats)s.") % {"nom": name, "formats": accepted},
            code="file_extension",
        )
    if extension not in extensions or extension not in FORMATS:
        raise ValidationError(
            _("« %(nom)s » : l'extension « .%(extension)s » n'est pas acceptée. Formats acceptés : %(formats)s.")
            % {"nom": name, "extension": extension, "formats": accepted},
            code="file_extension",
        )
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    file_format = FORMATS[extension]
    # Calendars exported from Outlook carry each event's description as HTML (X-ALT-DESC;FMTTYPE=text/html):
    # they are read as calendars, never served as pages.
    if head.startswith(_PROGRAMS) or (_MARKUP.search(head) and extension not in CALENDARS):
        raise ValidationError(
            _(
                "« %(nom)s » n'est pas un fichier %(format)s : il contient une page web, une image SVG, un script "
                "ou un programme. Ces fichiers sont refusés, car ils pourraient s'exécuter chez les personnes qui "
                "les ouvrent."
            )
            % {"nom": name, "format": file_format.label},
            code="file_dangerous",
        )
    if not file_format.sniff(head, upload):
        raise ValidationError(
            _(
                "« %(nom)s » n'est pas un fichier %(format)s valide : son contenu ne correspond pas à son extension. "
                "Enregistrez-le de nouveau depuis le logiciel qui l'a créé."
            )
            % {"nom": name, "format": file_format.label},
            code="file_content",
        )
    if head.startswith((b"PK\x03\x04", _OLE2)) and _has_macros(upload):
        raise ValidationError(
            _(
                "« %(nom)s » contient des macros : enregistrez-le sans macros (.docx, .xlsx, .odt…) et joignez-le de nouveau."
            )
            % {"nom": name},
            code="file_macros",
        )


@deconstructible
class UploadValidator:
    """`validate_upload` as a validator of a form or serializer field."""

    def __init__(self, extensions: tuple[str, ...], max_size: int | None = None):
        self.extensions = tuple(extensions)
        self.max_size = max_size

    def __call__(self, upload) -> None:
        validate_upload(upload, self.extensions, max_size=self.max_size)

    def __eq__(self, other) -> bool:
        return isinstance(other, UploadValidator) and (other.extensions, other.max_size) == (
            self.extensions,
            self.max_size,
        )


def upload_help_text(extensions: tuple[str, ...]) -> str:
    """What a file field accepts, for its help text (the size is the setting in force)."""
    formats = ", ".join(dict.fromkeys(FORMATS[e].label for e in extensions))
    return _("Formats acceptés : %(formats)s ; %(max)s au plus par fichier.") % {
        "formats": formats,
        "max": size_label(settings.MAX_UPLOAD_SIZE),
    }


# For a field declared at import: translated, and the size read, when the form is shown.
upload_help_text_lazy = lazy(upload_help_text, str)


# --- Downloads ---

# Sent with every stored file: the file cannot be framed, run a script, load anything, or be read as HTML.
FILE_CSP = "default-src 'none'; sandbox"


def _ascii_filename(filename: str, extension: str) -> str:
    """The name for old clients that do not read filename*: accents dropped, quotes and controls replaced."""
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    ascii_name = re.sub(r'[\x00-\x1f\x7f"\\/;]', "_", ascii_name).strip()
    suffix = f".{extension}" if extension else ""
    stem = ascii_name[: len(ascii_name) - len(suffix)] if ascii_name.lower().endswith(suffix) else ascii_name
    return ascii_name if stem.strip(" ._") else f"document.{extension or 'bin'}"


def content_disposition(filename: str) -> str:
    extension = extension_of(filename)
    filename = "".join(c for c in filename if unicodedata.category(c)[0] != "C") or "document"
    return (
        f"attachment; filename=\"{_ascii_filename(filename, extension)}\"; filename*=UTF-8''{quote(filename, safe='')}"
    )


def download_response(stored: FieldFile, filename: str) -> FileResponse:
    """Serve a stored file as a download under `filename`, with the headers that keep it inert.

    The content type comes from the stored file's own extension, checked at upload: never the name the
    sender gave, never a guess from the content, never text/html.
    """
    file_format = FORMATS.get(extension_of(stored.name))
    content_type = file_format.content_type if file_format else "application/octet-stream"
    response = FileResponse(stored.open("rb"), content_type=content_type)
    response["Content-Disposition"] = content_disposition(filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = FILE_CSP
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Cache-Control"] = "private, no-store"
    return response
