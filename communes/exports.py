"""CSV exports as spreadsheet software in French offices opens them: UTF-8 with BOM, semicolons."""

import csv
from collections.abc import Iterable, Sequence

from django.http import HttpResponse

# A cell starting with one of these is a formula for spreadsheet software: a title typed as
# "=HYPERLINK(...)" would run when the export is opened. Such text cells get a leading apostrophe.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")  # the BOM tells spreadsheet software the file is UTF-8
    writer = csv.writer(response, delimiter=";")
    writer.writerow(header)
    writer.writerows([_cell(value) for value in row] for row in rows)
    return response
