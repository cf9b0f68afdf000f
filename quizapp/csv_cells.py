"""Cells of the CSV files the product writes, safe to open in a spreadsheet.

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula, and some
strip a leading tab or carriage return first: a question's text, a choice, a quiz's title or a
username could then fetch data or run commands on the machine of the teacher who opens an
export (CSV injection, as OWASP names it). So every CSV the product writes goes through
`csv_writer`, which writes such text behind a single quote, as OWASP recommends: spreadsheets
read a leading ``'`` as "this is text" and do not show it.

Numbers (int, float, Decimal) are written as they are: a number is never a formula, and a
report's negative discrimination must stay a number. Text that only looks like a number ("-5")
is text like any other.

Our own CSV import reads the quote away again (`csv_cell_read`), so a value that really starts
with one of those characters (a numeric answer ``-5``, a choice ``=``) comes back as it was. To
keep that exact, text that already starts with quotes before such a character gets one more:
``'=x`` is written ``''=x`` and read back ``'=x``; any other leading quote is left alone.
"""

import csv
from collections.abc import Iterable
from decimal import Decimal

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TEXT_MARK = "'"


def _starts_like_a_formula(text: str) -> bool:
    return text.lstrip(TEXT_MARK).startswith(FORMULA_STARTS)


def csv_cell(value: object) -> object:
    """`value` as it should go in a CSV cell: None empty, numbers as they are, text that a
    spreadsheet would run marked as text."""
    if value is None:
        return ""
    if isinstance(value, int | float | Decimal):
        return value
    text = str(value)
    return TEXT_MARK + text if _starts_like_a_formula(text) else text


def csv_cell_read(cell: str) -> str:
    """The text a cell written by `csv_cell` holds (a cell written by anything else as it is,
    unless it starts with quotes before a formula character)."""
    return (
        cell[len(TEXT_MARK) :]
        if cell.startswith(TEXT_MARK) and _starts_like_a_formula(cell)
        else cell
    )


class _CsvWriter:
    """`csv.writer` whose every cell goes through `csv_cell`."""

    def __init__(self, file, **options):
        self._writer = csv.writer(file, **options)

    def writerow(self, row: Iterable[object]):
        return self._writer.writerow([csv_cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(file, **options) -> _CsvWriter:
    """The CSV writer for anything the product lets someone download (takes `csv.writer`'s
    options)."""
    return _CsvWriter(file, **options)
