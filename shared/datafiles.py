"""Reading the data files a service loads at start (YAML word lists and registries, JSON, TSV
tables), so that a malformed one stops the service with the file, the line and what is wrong,
before anything is served. Each reader reads and checks the whole file before it returns: a
caller gets all of it or an error, never part of it.

* `load_yaml(path, check=...)`: YAML (and so JSON) syntax errors with PyYAML's line; a key given
  twice in one mapping is an error (PyYAML would silently keep the last); `check(doc)` sees a
  `YamlDoc`, whose `error(where, problem)` names the line of any node by its path.
* `read_tsv(path, required=..., numeric=...)`: `#` comment lines, a header row, then rows with
  exactly as many fields as the header; required columns filled, numeric columns numbers.

Every error is a `DataFileError`, a ValueError whose text reads `path:line: problem`."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml

Where = tuple[str | int, ...]  # a path into a document: mapping keys and list indexes


class DataFileError(ValueError):
    def __init__(self, path: Path | str, line: int | None, problem: str) -> None:
        self.path, self.line, self.problem = Path(path), line, problem
        super().__init__(f"{self.path}:{line}: {problem}" if line else f"{self.path}: {problem}")


class YamlDoc:
    """A loaded YAML document and the line of each of its nodes."""

    def __init__(self, path: Path, data: Any, lines: dict[Where, int]) -> None:
        self.path, self.data, self.lines = path, data, lines

    def line(self, where: Sequence[str | int]) -> int | None:
        """The line of the node at `where`, or of its nearest ancestor that has one."""
        where = tuple(where)
        while where not in self.lines and where:
            where = where[:-1]
        return self.lines.get(where)

    def error(self, where: Sequence[str | int], problem: str) -> DataFileError:
        shown = ".".join(str(w) for w in where)
        return DataFileError(self.path, self.line(where), f"{shown}: {problem}" if shown else problem)


def load_yaml_doc(path: Path | str, *, check: Callable[[YamlDoc], None] | None = None) -> YamlDoc:
    """The document with its lines. Raises DataFileError (unreadable, not YAML, a duplicate key, or
    whatever `check` raises through `doc.error`)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise DataFileError(path, None, f"cannot be read: {err}") from err
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
        lines: dict[Where, int] = {}
        if node is not None:
            _walk(loader, path, node, (), lines)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        raise DataFileError(path, mark.line + 1 if mark else None,
                            " ".join(p for p in (err.context, err.problem) if p) or str(err)) from err
    except yaml.YAMLError as err:
        raise DataFileError(path, None, str(err)) from err
    finally:
        loader.dispose()
    doc = YamlDoc(path, data, lines)
    if check is not None:
        check(doc)
    return doc


def load_yaml(path: Path | str, *, check: Callable[[YamlDoc], None] | None = None) -> Any:
    """The document's data (see `load_yaml_doc`)."""
    return load_yaml_doc(path, check=check).data


def _walk(loader: yaml.SafeLoader, path: Path, node: yaml.Node, where: Where, lines: dict[Where, int]) -> None:
    lines[where] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if not isinstance(key, str | int | float | bool) and key is not None:
                raise DataFileError(path, line, f"a key must be a plain value, not {type(key).__name__}")
            if key in seen:
                raise DataFileError(path, line, f"key {key!r} given twice in one mapping (first on line {seen[key]})")
            seen[key] = line
            step = key if isinstance(key, str | int) else str(key)  # a path step: a name or an index
            _walk(loader, path, value_node, (*where, step), lines)
            lines[(*where, step)] = line
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(loader, path, item, (*where, i), lines)


def read_tsv(path: Path | str, *, required: Iterable[str] = (), numeric: Iterable[str] = ()) -> list[dict[str, str]]:
    """Rows of a tab-separated table as {column: text}. Lines starting with `#` are comments and
    blank lines are skipped; the first other line is the header. Raises DataFileError naming the
    line: a row whose number of fields differs from the header's (a missing or extra tab), an
    empty `required` column, a `numeric` column that is not a number, a header that lacks a
    `required` or `numeric` column or names one twice."""
    path = Path(path)
    required, numeric = tuple(required), tuple(numeric)
    try:
        raw = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise DataFileError(path, None, f"cannot be read: {err}") from err
    header: list[str] | None = None
    rows: list[dict[str, str]] = []
    for number, line in enumerate(raw, 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if header is None:
            header = [f.strip() for f in fields]
            _check_header(path, number, header, (*required, *numeric))
            continue
        if len(fields) != len(header):
            raise DataFileError(path, number, f"{len(fields)} fields where the header has {len(header)} "
                                f"({', '.join(header)}): a missing or extra tab?")
        row = dict(zip(header, fields, strict=True))
        for column in required:
            if not row[column].strip():
                raise DataFileError(path, number, f"column {column!r} is empty")
        for column in numeric:
            if row[column].strip():
                try:
                    float(row[column])
                except ValueError:
                    raise DataFileError(path, number, f"column {column!r} is not a number: {row[column]!r}") from None
        rows.append(row)
    if header is None:
        raise DataFileError(path, None, "no header row")
    return rows


def _check_header(path: Path, number: int, header: list[str], wanted: Sequence[str]) -> None:
    if any(not name for name in header):
        raise DataFileError(path, number, "the header has an empty column name")
    twice = sorted({name for name in header if header.count(name) > 1})
    if twice:
        raise DataFileError(path, number, f"the header names {', '.join(twice)} twice")
    missing = [name for name in wanted if name not in header]
    if missing:
        raise DataFileError(path, number, f"the header lacks the column(s) {', '.join(missing)}")
