"""CSV cells that a spreadsheet shows as text, never runs as a formula (OWASP: CSV injection).

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula to Excel
and LibreOffice; such a cell is written with a leading apostrophe (which they show as text), unless
it is a plain number ("-1.5" stays a number). ``read_cell`` undoes it for our own files read back.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def safe_cell(value: object) -> str:
    """``value`` as CSV cell text that cannot start a formula."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS) and not _number(text):
        return "'" + text
    return text


def read_cell(text: str) -> str:
    """The text that ``safe_cell`` was given (for the grader's own CSV files read back)."""
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS) and not _number(text[1:]):
        return text[1:]
    return text


def write_rows(rows: Iterable[Iterable[object]]) -> str:
    """CSV text (``\\n`` line ends) with every cell neutralised."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([safe_cell(c) for c in row] for row in rows)
    return buf.getvalue()
