"""A batch's jobs: one video per row, read from JSON lines or CSV, every problem named by its
line and column.

- JSON lines (`.jsonl`, `.ndjson`; stdin): one object per line; blank lines and lines that
  start with `#` are skipped. Lists (`images`, `videos`, `audios`) are JSON arrays (a single
  string is a list of one).
- CSV (`.csv`): a header row naming the columns, then one row per video. An empty cell is
  unset; lists are separated by `;`; booleans are true/false (yes/no, 1/0, on/off too).

Fields are the create parameters by their library names (domain/params.py REQUEST: prompt,
model, duration, ratio, resolution, images, first_frame, ...; `image`, `video` and `audio`
name the lists too), plus `id` (the clips' names; default: words of the prompt and a digest
of the row) and `takes` (how many videos of the row, each with its own seed). Local files are
relative to the jobs file's folder, must exist, and must be in that folder (every link
followed, every `..` resolved) unless the run allows files elsewhere (`allow_outside`): a jobs
file from elsewhere could otherwise send any of the user's files to the provider.

A row is known by its `id`; its `digest` is what it asks for (its fields but `id` and
`takes`, local files by their SHA-256), so a re-run can tell a changed row from the same one.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError as PydanticError

from seedance.domain.documents import DocumentError, parse_json, shown
from seedance.domain.errors import Reason, Rule, UsageError
from seedance.domain.field_errors import plain_message
from seedance.domain.models import GenerationParams
from seedance.domain.params import REQUEST, Param, by_name
from seedance.services.assets.cache import file_sha256
from seedance.services.media import references

PARAMS = by_name(REQUEST)
ALIASES = {"image": "images", "video": "videos", "audio": "audios"}
REFERENCE_FIELDS = ("first_frame", "last_frame", "images", "videos", "audios")
ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
MAX_TAKES = 16
LIST_SEPARATOR = ";"
TRUE, FALSE = ("true", "yes", "1", "on"), ("false", "no", "0", "off")
SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}
SEED_RANGE = 2**31


class JobsError(UsageError):
    """A jobs file (or a row of it) seedance cannot run: names the line and the column."""

    code = "jobs"

    def __init__(self, invalid: Invalid, name: str, **facts: Any) -> None:
        super().__init__(invalid.describe(name), **facts)
        self.invalid = invalid
        self.rule = invalid.rule


@dataclass(frozen=True)
class Invalid:
    """A problem in the jobs: where it is, and what it is."""

    line: int
    message: str
    column: str | None = None  # a field's name, or a character position
    id: str | None = None
    rule: Rule | None = None  # the catalogue cell that refuses the row, when one does
    code: str | None = None  # what kind of problem, where it matters (OutsideError.code)

    def describe(self, name: str) -> str:
        where = f"{name}, line {self.line}"
        if self.column is not None:
            where += f", column {self.column}"
        return f"{where}: {self.message}"

    def to_json(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "id": self.id, "message": self.message}


@dataclass(frozen=True)
class Job:
    """One row: a video to make, `takes` times."""

    id: str
    line: int  # where the row starts in the file (1-based)
    index: int  # its place among the rows (1-based)
    params: dict[str, Any]  # create parameters by library name, as the row gives them
    takes: int
    digest: str

    @property
    def request(self) -> GenerationParams:
        return GenerationParams.model_validate(self.params)

    def seeds(self) -> list[int]:
        """One seed per take, the same on every run: the row's own seed for the first take
        (when it gives one), the others derived from the row's digest, all distinct."""
        given = self.params.get("seed")
        seeds = [given] if isinstance(given, int) and given >= 0 else []
        number = 0
        while len(seeds) < self.takes:
            number += 1
            digest = hashlib.sha256(f"{self.digest}:{number}".encode()).digest()
            seed = int.from_bytes(digest[:4], "big") % SEED_RANGE
            if seed not in seeds:
                seeds.append(seed)
        return seeds

    def clip(self, take: int) -> str:
        """The file name of a take's video: `<id>.mp4`, `<id>.take2.mp4`, ..."""
        return f"{self.id}.mp4" if take == 1 else f"{self.id}.take{take}.mp4"


@dataclass
class Jobs:
    """Every row of a jobs file: those that can run, and the problems of the others."""

    name: str  # as given (for messages)
    base_dir: Path  # where local files are looked for
    rows: list[Job] = field(default_factory=list)
    invalid: list[Invalid] = field(default_factory=list)
    confine: references.Confinement | None = None  # the folder local files must be in

    def refuse(self, *, skip_hint: bool = True) -> JobsError:
        """The error naming the first problem (and how many more there are)."""
        from seedance.domain.errors import Suggestion

        first = self.invalid[0]
        more = len(self.invalid) - 1
        reasons = [Reason.of("rows_invalid", more=more)] if more else []
        if first.code == references.OutsideError.code:
            return JobsError(
                first,
                self.name,
                reason=[*reasons, Reason("jobs_outside")],
                field=first.column,
                suggestion=Suggestion.again(allow_outside=True),
            )
        reasons.append(Reason("fix_jobs_or_skip" if skip_hint else "fix_jobs"))
        return JobsError(
            first,
            self.name,
            reason=reasons,
            field=first.column if first.column in (*PARAMS, "id", "takes") else None,
            suggestion=Suggestion.again(skip_invalid=True) if skip_hint else None,
        )


def read_jobs(path: Path, *, allow_outside: bool = False) -> Jobs:
    """The jobs in a `.jsonl` or `.csv` file; the local files they name in its folder, unless
    `allow_outside`."""
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise UsageError(
            f"{path} is neither .jsonl nor .csv",
            reason="jobs_file_kind",
            field="jobs",
        )
    try:
        text = path.read_text("utf-8-sig")
    except FileNotFoundError:
        raise UsageError(f"{path} does not exist", field="jobs") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {exc}", field="jobs") from None
    confine = None if allow_outside else confined_to(path.parent, "the jobs file's folder")
    return parse_jobs(text, kind=kind, name=path.name, base_dir=path.parent, confine=confine)


def confined_to(folder: Path, name: str) -> references.Confinement:
    return references.Confinement(folder, name)


def parse_jobs(
    text: str,
    *,
    kind: str,
    name: str,
    base_dir: Path,
    confine: references.Confinement | None = None,
) -> Jobs:
    """The jobs in `text` (`kind`: "jsonl" or "csv"). A problem of the whole file (an unknown
    column, a header missing) raises JobsError; a row's own problems are collected. Local
    files must be in `confine`'s folder, when given."""
    if kind == "csv":
        return jobs_from(_csv_rows(text, name), name=name, base_dir=base_dir, confine=confine)
    return jobs_from(_jsonl_rows(text), name=name, base_dir=base_dir, confine=confine)


def jobs_from(
    rows: Iterable[tuple[int, Mapping[str, Any] | Invalid]],
    *,
    name: str,
    base_dir: Path,
    confine: references.Confinement | None = None,
) -> Jobs:
    """Jobs from (line, fields) pairs (fields as JSON would give them, or text from CSV)."""
    jobs = Jobs(name, base_dir, confine=confine)
    seen: dict[str, int] = {}
    clips: dict[str, tuple[Job, int]] = {}  # every take's clip, case folded
    for line, fields in rows:
        if isinstance(fields, Invalid):
            jobs.invalid.append(fields)
            continue
        try:
            job = _job(line, len(jobs.rows) + len(jobs.invalid) + 1, fields, base_dir, confine)
        except _Problem as problem:
            given = fields.get("id")
            jobs.invalid.append(
                Invalid(
                    line,
                    problem.message,
                    problem.column,
                    given if isinstance(given, str) else None,
                    code=problem.code,
                )
            )
            continue
        if job.id in seen:
            jobs.invalid.append(
                Invalid(
                    line,
                    f"the id '{job.id}' is also the row's on line {seen[job.id]}"
                    + (
                        ""
                        if "id" in fields
                        else " (the same content: use takes for more videos "
                        "of one row, or give each row an id)"
                    ),
                    "id",
                    job.id,
                )
            )
            continue
        clash = _clip_clash(job, clips)
        if clash is not None:
            jobs.invalid.append(Invalid(line, clash, "id", job.id))
            continue
        seen[job.id] = line
        clips.update({job.clip(n).casefold(): (job, n) for n in range(1, job.takes + 1)})
        jobs.rows.append(job)
    if not jobs.rows and not jobs.invalid:
        raise UsageError(f"{name} holds no rows", reason="jobs_row_shape", field="jobs")
    return jobs


def _clip_clash(job: Job, clips: dict[str, tuple[Job, int]]) -> str | None:
    """Why a take of `job` would write the clip of an earlier row's take (`clips`: each
    earlier take by its clip's name with case folded, as a case-insensitive disk sees it),
    or None."""
    for take in range(1, job.takes + 1):
        mine = job.clip(take)
        found = clips.get(mine.casefold())
        if found is None:
            continue
        other, number = found
        own = "its clip" if job.takes == 1 else f"the clip of its take {take}"
        theirs = f"take {number} of row '{other.id}'" if other.takes > 1 else f"row '{other.id}'"
        if mine == other.clip(number):
            clash = f"{own}, {mine}, is also the clip of {theirs} (line {other.line})"
        else:
            clash = (
                f"{own}, {mine}, and the clip of {theirs} (line {other.line}), "
                f"{other.clip(number)}, differ only in case (one file on many disks)"
            )
        return f"{clash}; give the row another id"
    return None


class _Problem(Exception):
    def __init__(self, message: str, column: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.column = column
        self.code = code


# -- the two formats ---------------------------------------------------------------------------


def _jsonl_rows(text: str) -> Iterable[tuple[int, Mapping[str, Any] | Invalid]]:
    for line, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        try:
            value = parse_json(stripped)
        except json.JSONDecodeError as exc:
            column = str(exc.colno + len(raw) - len(raw.lstrip()))
            yield line, Invalid(line, f"not valid JSON ({exc.msg})", column)
            continue
        except DocumentError as exc:  # nested too deeply, a number too long
            yield line, Invalid(line, f"not valid JSON ({exc.msg})", "1")
            continue
        if not isinstance(value, dict):
            yield line, Invalid(line, "each line must be a JSON object ({...})", "1")
            continue
        yield line, value


def _csv_rows(text: str, name: str) -> Iterable[tuple[int, Mapping[str, Any] | Invalid]]:
    reader = csv.reader(io.StringIO(text))
    header: list[str] | None = None
    ended = 0  # the line the previous record ended on
    try:
        for cells in reader:
            line, ended = ended + 1, reader.line_num
            if header is None:
                header = _header(cells, line, name)
                continue
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) > len(header):
                yield (
                    line,
                    Invalid(
                        line,
                        f"{len(cells)} cells, but the header names {len(header)} columns",
                        str(len(header) + 1),
                    ),
                )
                continue
            yield line, {k: cell for k, cell in zip(header, cells, strict=False) if cell.strip()}
    except csv.Error as exc:
        raise JobsError(Invalid(reader.line_num, f"not valid CSV ({exc})"), name) from None
    if header is None:
        raise UsageError(f"{name} is empty", reason="jobs_csv_shape")


def _header(cells: list[str], line: int, name: str) -> list[str]:
    header = [cell.strip().lower() for cell in cells]
    for position, column in enumerate(header, start=1):
        if not column:
            raise JobsError(Invalid(line, "a column without a name", str(position)), name)
        if column not in (*PARAMS, *ALIASES, "id", "takes"):
            raise JobsError(Invalid(line, _unknown(column), column), name, field=None)
        if header.index(column) != position - 1:
            raise JobsError(Invalid(line, "the column is named twice", column), name)
    return header


def _unknown(column: str) -> str:
    import difflib

    known = [*PARAMS, "id", "takes"]
    close = difflib.get_close_matches(column, known, n=1)
    guess = f"did you mean '{close[0]}'? " if close else ""
    return f"unknown column '{column}' ({guess}columns: {', '.join(known)})"


# -- one row ---------------------------------------------------------------------------------


def _job(
    line: int,
    index: int,
    fields: Mapping[str, Any],
    base_dir: Path,
    confine: references.Confinement | None = None,
) -> Job:
    params: dict[str, Any] = {}
    given_id: str | None = None
    takes = 1
    for raw_key, value in fields.items():
        key = ALIASES.get(str(raw_key).strip().lower(), str(raw_key).strip().lower())
        if key == "id":
            given_id = _id(value)
        elif key == "takes":
            takes = _takes(value)
        elif key in PARAMS:
            if key in params:
                raise _Problem("given twice (as a list and one item?)", key)
            converted = _value(PARAMS[key], value)
            if converted is not None:
                params[key] = converted
        else:
            raise _Problem(_unknown(str(raw_key)), str(raw_key))
    _check_prompt(fields, params)
    try:
        GenerationParams.model_validate(params)
    except PydanticError as exc:
        error = exc.errors()[0]
        raise _Problem(
            plain_message(error), str(error["loc"][0]) if error["loc"] else None
        ) from None
    files = _files(params, base_dir, confine)
    document = {"params": params, "files": files}
    digest = hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()
    return Job(given_id or _derived_id(params, digest), line, index, params, takes, digest)


def _value(param: Param, value: Any) -> Any:
    """A field's value as its parameter's type (JSON values as they are; CSV text converted)."""
    if value is None:
        return None
    if param.many:
        if isinstance(value, str):
            items = [v.strip() for v in value.split(LIST_SEPARATOR)] if value.strip() else []
            return [v for v in items if v] or None
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return value or None
        raise _Problem("must be a list of strings (or one string)", param.name)
    if isinstance(value, str) and param.type is not str:
        return _from_text(param, value)
    if param.type is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if param.type is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if param.type in (str, bool) and isinstance(value, param.type):
        return value
    raise _Problem(f"must be {_kind(param.type)}, not {shown(json.dumps(value))}", param.name)


def _from_text(param: Param, text: str) -> Any:
    value = text.strip()
    if param.type is bool:
        if value.lower() in TRUE:
            return True
        if value.lower() in FALSE:
            return False
    else:
        try:
            return param.type(value)
        except ValueError:
            pass
    raise _Problem(f"must be {_kind(param.type)}, not '{shown(text)}'", param.name)


def _kind(kind: type) -> str:
    return {str: "a string", int: "a whole number", float: "a number", bool: "true or false"}[kind]


def _id(value: Any) -> str:
    if not isinstance(value, str) or not ID.fullmatch(value.strip()):
        raise _Problem(
            "an id is 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit "
            "(it names the clips)",
            "id",
        )
    return value.strip()


def _takes(value: Any) -> int:
    number = value
    if isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    if isinstance(number, bool) or not isinstance(number, int) or not 1 <= number <= MAX_TAKES:
        raise _Problem(f"takes is a whole number from 1 to {MAX_TAKES}", "takes")
    return number


def _check_prompt(fields: Mapping[str, Any], params: dict[str, Any]) -> None:
    prompt = params.get("prompt")
    if isinstance(prompt, str) and not prompt.strip():
        raise _Problem("the prompt is empty", "prompt")
    if prompt is None and not any(params.get(k) for k in REFERENCE_FIELDS):
        raise _Problem("the prompt is empty, and the row gives no media to start from", "prompt")


def _files(
    params: dict[str, Any], base_dir: Path, confine: references.Confinement | None
) -> dict[str, str]:
    """Each reference checked where it is written (a local file must exist, in `confine`'s
    folder when given: nothing is read of one outside); local files by their SHA-256."""
    hashes = {}
    for key in REFERENCE_FIELDS:
        value = params.get(key)
        many = isinstance(value, list)
        for source in value if isinstance(value, list) else [value] if value else []:
            one = GenerationParams.model_validate({key: [source] if many else source})
            try:
                [spec] = references.plan(one, base_dir, confine)
            except UsageError as exc:
                raise _Problem(exc.message, key, exc.code) from None
            if spec.path is not None:
                hashes[source] = file_sha256(spec.path)
    return hashes


def _derived_id(params: dict[str, Any], digest: str) -> str:
    """A row without an id: a few words of its prompt and its digest (`paper-boat-3f9a1c2b`)."""
    words = re.findall(r"[a-z0-9]+", str(params.get("prompt") or "").lower())[:4]
    lead = "-".join(words)[:32].strip("-") or "row"
    return f"{lead}-{digest[:8]}"
