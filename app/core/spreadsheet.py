"""Cells of the spreadsheets the app writes: what a user typed stays text, never a live formula.

A text such as ``=HYPERLINK("http://…"&A1,"…")`` typed by a department would otherwise run on
finance's machine when the export is opened ("CSV/formula injection", OWASP). The rule, used by
every writer (summaries CSV/XLSX, the 自评表 workbooks, the entry workbooks):

- XLSX: every ``str`` value is stored as a string cell (never ``<f>``, never an error value such
  as ``#N/A``); a text a spreadsheet would read as a formula when the cell is edited again also
  carries the quote prefix (what Excel sets when one types ``'=…``). The text itself is unchanged,
  so reading the cell back (openpyxl, the entry workbook upload) gives exactly what was written.
- CSV: a field starting with ``= + - @``, tab or CR gets a leading ``'``. Numbers are written from
  numbers (``Decimal``, ``int``) and never prefixed, so ``-3.5`` stays a number.
"""

from __future__ import annotations

from typing import Any

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def formula_like(text: str) -> bool:
    """Whether a spreadsheet would take ``text`` as a formula (or DDE call) when typed in."""
    return text.startswith(FORMULA_TRIGGERS)


def csv_text(text: str) -> str:
    """``text`` as a CSV field: prefixed with ``'`` when it starts like a formula."""
    return "'" + text if formula_like(text) else text


def text_cells(workbook: Any) -> None:
    """An openpyxl ``Workbook`` about to be saved: every ``str`` cell becomes a string cell.

    openpyxl stores a ``str`` starting with ``=`` as a formula and ``#N/A`` & co. as errors; this
    pass stores them as the text they are. Run it once, just before ``save``.
    """
    for ws in workbook.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"
                    if formula_like(cell.value):
                        cell.quotePrefix = True
