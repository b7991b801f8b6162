"""The one CSV writer: file exports (`clawscope export … --format csv`), the CLI's `--format csv` and the
dashboard's downloads all write rows through it, so a value reads the same everywhere.

Cells: empty for null, `true`/`false` for booleans, integers as such, floats in their shortest exact
form (`repr`: read back, they are the same float), lists and objects as compact JSON, text as is (quoted
by the csv module when it must be). The header is the column list, so a file without rows still says
what it would hold. Rows are written as they come: memory stays flat.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, TextIO

import orjson


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (dict, list, tuple)):
        return orjson.dumps(value).decode()
    return str(value)


def write(rows: Iterable[Mapping[str, Any]], columns: Sequence[str], out: TextIO) -> int:
    """Write a header and the rows (only `columns`, in that order); return the number of rows."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    n = 0
    for row in rows:
        writer.writerow([cell(row.get(c)) for c in columns])
        n += 1
    return n


def lines(rows: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> Iterator[str]:
    """The same CSV as text chunks (a header, then one line per row), for streamed HTTP responses."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    yield buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([cell(row.get(c)) for c in columns])
        yield buffer.getvalue()
