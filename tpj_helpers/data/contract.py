"""Reading raw files and checking them against the data contract.

Every source file goes through `read_table` (CSV, Parquet or XLSX into an all-string frame) and
`validate` (a pandera schema, lazy, so every problem is reported at once). A file that breaks the
contract raises `ContractError`, whose message names the file, the column, the first offending
rows and what was expected. Nothing here ever writes to the data folder.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from tpj_helpers.data.formats import (
    READSTAT_SUFFIXES,
    SUFFIXES,
    UndecodableText,
    decode_text,
    detect_separator,
    read_readstat,
)

MAX_ROWS_SHOWN = 5
ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"


@dataclass(frozen=True)
class Problem:
    """One broken rule in one column of one file."""

    column: str
    rows: list[int] = field(default_factory=list)  # spreadsheet row numbers (header = row 1)
    expected: str = ""
    found: list[str] = field(default_factory=list)
    n_rows: int | None = None  # total offending rows when more than `rows` were listed

    def describe(self) -> str:
        where = f"column '{self.column}'" if self.column else "file"
        text = f"{where}: expected {self.expected}"
        if self.rows:
            total = self.n_rows if self.n_rows is not None else len(self.rows)
            shown = ", ".join(str(r) for r in self.rows[:MAX_ROWS_SHOWN])
            more = f" (first {MAX_ROWS_SHOWN} of {total})" if total > MAX_ROWS_SHOWN else ""
            text += f"; rows {shown}{more}"
        if self.found:
            vals = ", ".join(repr(v) for v in self.found[:MAX_ROWS_SHOWN])
            text += f"; found {vals}"
        return text


class ContractError(ValueError):
    """A data file does not match the data contract."""

    def __init__(self, path: Path | str, problems: Iterable[Problem]):
        self.path = Path(path)
        self.problems = list(problems)
        lines = [f"{self.path} does not match the data contract ({len(self.problems)} problem(s)):"]
        lines += [f"  - {p.describe()}" for p in self.problems]
        lines.append("  (rows are numbered as in a spreadsheet: the header is row 1)")
        super().__init__("\n".join(lines))


def problem_from_mask(
    df: pd.DataFrame, mask: pd.Series, column: str, expected: str, show: str | None = None
) -> Problem | None:
    """A Problem for the rows where `mask` is True, or None when there are none."""
    bad = mask.fillna(False).to_numpy(dtype=bool)
    if not bad.any():
        return None
    positions = bad.nonzero()[0]
    col = show or column
    found = (
        [str(v) for v in df[col].iloc[positions[:MAX_ROWS_SHOWN]].tolist()]
        if col in df.columns
        else []
    )
    return Problem(
        column=column,
        rows=[int(p) + 2 for p in positions[:MAX_ROWS_SHOWN]],
        expected=expected,
        found=found,
        n_rows=len(positions),
    )


def raise_if_problems(path: Path | str, problems: Iterable[Problem | None]) -> None:
    found = [p for p in problems if p is not None]
    if found:
        raise ContractError(path, found)


# --------------------------------------------------------------------------- finding and reading


SUFFIX_TEXT = "|".join(SUFFIXES)


def find_source(data_dir: Path | str, stem: str, required: bool = True) -> Path | None:
    """The one file `data_dir/stem.<suffix>` (any format of `formats.SUFFIXES`); error if several,
    or none when required."""
    data_dir = Path(data_dir)
    hits = [data_dir / f"{stem}{s}" for s in SUFFIXES if (data_dir / f"{stem}{s}").is_file()]
    if len(hits) > 1:
        names = ", ".join(h.name for h in hits)
        raise ContractError(
            data_dir / stem,
            [
                Problem(
                    "",
                    expected=f"exactly one file for the source {stem} (one of {SUFFIX_TEXT}), found {names}",
                )
            ],
        )
    if not hits:
        if required:
            raise ContractError(
                data_dir / f"{stem}.csv",
                [
                    Problem(
                        "",
                        expected=f"a file {stem}.csv (or {SUFFIX_TEXT.replace('.csv|', '')}) in {data_dir}",
                    )
                ],
            )
        return None
    return hits[0]


def decode_csv(path: Path) -> tuple[str, str]:
    """The text of a CSV file and its encoding (UTF-8 with or without BOM, or Windows-1252)."""
    try:
        return decode_text(path)
    except UndecodableText as exc:
        raise ContractError(
            path,
            [
                Problem(
                    "",
                    rows=[exc.line],
                    expected="UTF-8 or Windows-1252 text (re-save the file as 'CSV UTF-8')",
                    found=[f"byte 0x{exc.byte:02x} near {exc.snippet!r}"],
                )
            ],
        ) from None


def _as_strings(df: pd.DataFrame) -> pd.DataFrame:
    """Every column as pandas string dtype, empty strings as NA (typed Parquet/XLSX included)."""
    out = {}
    for col in df.columns:
        s = df[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            # A date column stays a date; a timestamp column keeps its time of day.
            midnight = (s.dropna() == s.dropna().dt.normalize()).all()
            s = s.dt.strftime("%Y-%m-%d" if midnight else "%Y-%m-%d %H:%M:%S")
        elif pd.api.types.is_float_dtype(s) and (s.dropna() % 1 == 0).all():
            s = s.astype("Int64")
        s = s.astype("string").str.strip()
        out[str(col)] = s.mask(s == "")
    return pd.DataFrame(out, index=pd.RangeIndex(len(df)))


def read_table(path: Path | str) -> pd.DataFrame:
    """Read a tabular file of any contract format (CSV comma/semicolon in UTF-8 or Windows-1252,
    Parquet, XLSX, SAS, SPSS, Stata) into an all-string frame; empty cells are NA."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        text, _ = decode_csv(path)
        if not text.strip():
            raise ContractError(
                path, [Problem("", expected="a header row naming the columns (the file is empty)")]
            )
        sep = detect_separator(text[:65536])
        try:
            df = pd.read_csv(
                io.StringIO(text), dtype=str, keep_default_na=False, na_values=[""], sep=sep
            )
        except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise ContractError(
                path,
                [
                    Problem(
                        "",
                        expected=f"values separated by {sep!r} (the separator of the header row) "
                        "with the same number of fields in every row",
                        found=[str(exc)],
                    )
                ],
            ) from None
    elif suffix in READSTAT_SUFFIXES:
        try:
            df, _ = read_readstat(path)
        except Exception as exc:  # pyreadstat raises its own error types for broken files
            raise ContractError(
                path,
                [
                    Problem(
                        "",
                        expected=f"a readable {suffix} file",
                        found=[f"{type(exc).__name__}: {exc}"],
                    )
                ],
            ) from None
    elif suffix == ".parquet":
        df = pd.read_parquet(path)
    elif suffix == ".xlsx":
        df = pd.read_excel(path, dtype=str, engine="openpyxl")
        title_rows_above_header(path, df)
        # Date cells come through dtype=str as 'YYYY-MM-DD 00:00:00': keep the date only.
        df = df.replace(r"^(\d{4}-\d{2}-\d{2}) 00:00:00$", r"\1", regex=True)
    else:
        raise ContractError(path, [Problem("", expected=f"one of the formats {SUFFIX_TEXT}")])
    return _as_strings(df)


# --------------------------------------------------------------------------- validation


def _row_numbers(index_values: pd.Series) -> list[int]:
    nums = pd.to_numeric(index_values, errors="coerce").dropna().astype(int)
    return sorted({int(i) + 2 for i in nums})


def _expected_text(check: str, schema: pa.DataFrameSchema, column: str | None) -> str:
    """Turn a pandera check name into the plain-English expectation of the contract."""
    col = schema.columns.get(column) if column else None
    if col is not None:
        for c in col.checks:
            if c.error and (c.name == check or c.error == check):
                return c.error
    for c in schema.checks:
        if c.error and (c.name == check or c.error == check):
            return c.error
    if check.startswith("column_in_dataframe"):
        return "the column to be present"
    if check.startswith("not_nullable"):
        return "a value in every row (no empty cells)"
    if check.startswith("field_uniqueness") or check.startswith("multiple_fields_uniqueness"):
        return "unique values (no duplicates)"
    if check.startswith("coerce_dtype") or check.startswith("dtype"):
        return f"values of type {check.split('(')[-1].rstrip(')')}"
    return check


def near_column(name: str, columns: Iterable) -> str | None:
    """The file's column that looks like a misspelling of the missing column `name` (same letters
    in another case or with spaces, or close by edit distance), or None."""
    import difflib

    def norm(c) -> str:
        return "".join(ch for ch in str(c).lower() if ch.isalnum())

    cols = [str(c) for c in columns]
    same = [c for c in cols if norm(c) == norm(name)]
    if same:
        return same[0]
    close = difflib.get_close_matches(norm(name), [norm(c) for c in cols], n=1, cutoff=0.8)
    return next((c for c in cols if close and norm(c) == close[0]), None)


def title_rows_above_header(path: Path, df: pd.DataFrame) -> None:
    """A sheet whose first row is a title ("Unnamed" columns) and whose header row lies below it
    stops with a message naming the header's row (the rows above it must go)."""
    unnamed = [c for c in df.columns if str(c).startswith("Unnamed:")]
    if not unnamed or len(unnamed) < len(df.columns) / 2:
        return
    for i, row in enumerate(df.head(20).itertuples(index=False)):
        cells = [str(v).strip() for v in row if pd.notna(v) and str(v).strip()]
        if len(cells) >= 2 and len(cells) == len(set(cells)) and len(cells) > len(df.columns) / 2:
            raise ContractError(
                path,
                [
                    Problem(
                        "",
                        rows=[i + 2],
                        expected="the header row (the column names) as row 1 of the sheet; it "
                        f"is row {i + 2}, below a title: delete the rows above it",
                        found=cells[:MAX_ROWS_SHOWN],
                    )
                ],
            )


def validate(df: pd.DataFrame, schema: pa.DataFrameSchema, path: Path | str) -> pd.DataFrame:
    """Validate lazily (all failures at once); raise ContractError with readable problems."""
    try:
        return schema.validate(df, lazy=True)
    except SchemaErrors as exc:
        fc = exc.failure_cases.copy()
        fc["column"] = fc["column"].where(fc["column"].notna(), None)
        problems: list[Problem] = []
        for (column, check), group in fc.groupby(["column", "check"], dropna=False, sort=False):
            column = None if pd.isna(column) else str(column)
            if check == "column_in_dataframe" or str(check).startswith("column_in_dataframe"):
                missing = [str(v) for v in group["failure_case"].tolist()]
                for name in missing:
                    near = near_column(name, df.columns)
                    problems.append(
                        Problem(
                            name,
                            expected="the column to be present (it is missing"
                            + (f"; is {near!r} meant? rename it to {name!r})" if near else ")"),
                        )
                    )
                continue
            rows = _row_numbers(group["index"]) if "index" in group else []
            found = [str(v) for v in group["failure_case"].drop_duplicates().tolist()]
            problems.append(
                Problem(
                    column=column or "",
                    rows=rows[:MAX_ROWS_SHOWN],
                    expected=_expected_text(str(check), schema, column),
                    found=found,
                    n_rows=len(rows) or None,
                )
            )
        raise ContractError(path, problems) from None


# --------------------------------------------------------------------------- reusable checks


def is_iso_date(s: pd.Series) -> pd.Series:
    ok = s.str.fullmatch(ISO_DATE).fillna(False).astype(bool)
    parsed = pd.to_datetime(s.where(ok), format="%Y-%m-%d", errors="coerce")
    return s.isna() | (ok & parsed.notna())


def iso_date_check() -> pa.Check:
    return pa.Check(is_iso_date, error="an ISO date YYYY-MM-DD (e.g. 2024-03-04)")


def isin_check(values: Iterable[str]) -> pa.Check:
    values = list(values)
    return pa.Check(
        lambda s: s.isna() | s.isin(values), error="one of " + ", ".join(repr(v) for v in values)
    )


def regex_check(pattern: str, error: str) -> pa.Check:
    return pa.Check(
        lambda s: s.isna() | s.str.fullmatch(pattern).fillna(False).astype(bool), error=error
    )


def text_column(
    nullable: bool = False, checks: list[pa.Check] | None = None, required: bool = True
) -> pa.Column:
    return pa.Column("string", nullable=nullable, checks=checks or [], required=required)


def to_date(s: pd.Series) -> pd.Series:
    """ISO date strings (already validated) to datetime64."""
    return pd.to_datetime(s, format="%Y-%m-%d")


def require_rows(df, path: Path | str) -> None:
    """A source with a header but no data rows is refused by name (it would fail later, deep in
    an analysis, with an error that names no file)."""
    if len(df) == 0:
        raise ContractError(
            path,
            [
                Problem(
                    "",
                    expected="at least one data row below the header (the file has a header only)",
                )
            ],
        )
