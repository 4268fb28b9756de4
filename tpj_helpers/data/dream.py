"""The DREAM step: the wide register extract becomes a long person-week employment-score panel.

Input (contract section 4): one row per person, `y_YYWW` columns with a 3-digit benefit code per
ISO week (empty = no benefit that week) and `grad_YYYY_MM` columns with the month's employment
degree (0-1, empty = none).

Scoring: a mapping table gives each benefit code a score 0-10 or marks it coded out. A week with no
benefit code scores 10 when the month of the week's Thursday has `grad` > 0, and has no score
otherwise. Codes missing from the table, coded-out codes and persons without register consent are
left out of the score and counted in the exclusions ledger.

Everything is vectorised: polars reads, checks and casts all week and grad columns in one pass
(one expression per kind of column), numpy does the scoring by table lookup and the wide-to-long
reshaping by boolean-mask gathers into preallocated columns. There is no Python loop over persons
or weeks; the panel is filled a block of persons at a time (about a million cells per block), which
keeps the temporaries small: peak memory stays close to the size of the result (see
`benchmarks/bench_dream_panel.py`: 1,000,000 persons x 160 weeks in about 13 s and 3 GB).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl

from tpj_helpers.data.contract import (
    MAX_ROWS_SHOWN,
    ContractError,
    Problem,
    decode_csv,
    find_source,
    problem_from_mask,
    raise_if_problems,
    read_table,
)
from tpj_helpers.data.exclusions import Exclusions
from tpj_helpers.data.formats import SUFFIXES, UndecodableText, sniff_csv
from tpj_helpers.paths import REPO_ROOT

DEFAULT_SCORE_MAP = REPO_ROOT / "params" / "dream_score_map.csv"

WEEK_PATTERN = r"^y_\d{4}$"
GRAD_PATTERN = r"^grad_\d{4}_(0[1-9]|1[0-2])$"
CODE_PATTERN = r"^[0-9]{3}$"  # what `_bad_code` checks, without the cost of a regex
MAX_COLUMNS_SHOWN = 5

# While reading: the suffix of the flag columns that mark cells breaking the contract.
BAD_SUFFIX = "__breaks_contract"
# Persons x weeks cells handled at once while building the panel (bounds the temporaries).
BLOCK_CELLS = 1 << 20

# Sentinel values in the int8 score matrix (real scores are 0..10).
NO_SCORE = -1  # no code and no employment that month: self-supporting or unknown
CODED_OUT = -2  # code mapped to "coded out" (e.g. barselsdagpenge)
UNKNOWN_CODE = -3  # code missing from the mapping table

SCORE_SOURCES = ("code", "employment", "coded_out", "unknown_code")


# --------------------------------------------------------------------------- score map


def load_score_map(path: Path | str | None = None) -> pd.DataFrame:
    """The code -> score table (`code`, `label`, `score` (Int64, NA = coded out), `category`)."""
    path = Path(path) if path is not None else DEFAULT_SCORE_MAP
    df = pd.read_csv(path, comment="#", dtype=str, keep_default_na=False, na_values=[""])
    problems = []
    for col in ("code", "label", "score", "category"):
        if col not in df.columns:
            problems.append(Problem(col, expected="the column to be present (it is missing)"))
    if problems:
        raise ContractError(path, problems)
    bad_code = ~df["code"].str.fullmatch(CODE_PATTERN).fillna(False).astype(bool)
    score = pd.to_numeric(df["score"], errors="coerce")
    bad_score = df["score"].notna() & (score.isna() | ~score.between(0, 10) | (score % 1 != 0))
    dup = df["code"].duplicated(keep="first")
    for mask, col, expected in (
        (bad_code, "code", "a 3-digit code such as '130'"),
        (bad_score, "score", "a whole number 0-10, or empty for coded out"),
        (dup, "code", "each code once"),
    ):
        problems.append(problem_from_mask(df, mask, col, expected))
    raise_if_problems(path, problems)
    return df.assign(score=score.astype("Int64"))


def score_lookup(score_map: pd.DataFrame) -> np.ndarray:
    """A 1000-entry int8 table: code (0-999) -> score, CODED_OUT or UNKNOWN_CODE."""
    lut = np.full(1000, UNKNOWN_CODE, dtype=np.int8)
    codes = score_map["code"].astype(int).to_numpy()
    lut[codes] = score_map["score"].fillna(CODED_OUT).astype(int).to_numpy()
    return lut


# --------------------------------------------------------------------------- the extract


@dataclass
class DreamExtract:
    """The wide extract as arrays: codes (persons x weeks, -1 = empty), grad (persons x months)."""

    path: Path
    person_id: np.ndarray  # (P,) str
    week_monday: np.ndarray  # (W,) datetime64[D], contiguous ISO weeks
    codes: np.ndarray  # (P, W) int16, -1 where empty
    grad_month: np.ndarray  # (M,) datetime64[M]
    grad: np.ndarray  # (P, M) float32, NaN where empty

    @property
    def iso_weeks(self) -> np.ndarray:
        return iso_week_labels(self.week_monday)


def iso_week_labels(mondays: np.ndarray) -> np.ndarray:
    idx = pd.DatetimeIndex(mondays)
    iso = idx.isocalendar()
    return (iso["year"].astype(str) + "-W" + iso["week"].astype(str).str.zfill(2)).to_numpy()


def parse_week_columns(names: list[str], path: Path) -> np.ndarray:
    """`y_YYWW` names -> Monday dates; rejects weeks that do not exist (e.g. W53 in 2022)."""
    s = pd.Series(names)
    yy, ww = s.str.slice(2, 4), s.str.slice(4, 6)
    mondays = pd.to_datetime("20" + yy + "-W" + ww + "-1", format="%G-W%V-%u", errors="coerce")
    iso = pd.DatetimeIndex(mondays).isocalendar()
    ok = mondays.notna() & (iso["week"].to_numpy() == ww.astype(int).to_numpy())
    if not ok.all():
        bad = s[~ok].tolist()
        raise ContractError(
            path,
            [
                Problem(
                    ", ".join(bad[:5]),
                    expected="y_YYWW columns naming real ISO weeks (week 53 only in years that have one)",
                )
            ],
        )
    order = np.argsort(mondays.to_numpy())
    monday = mondays.to_numpy()[order].astype("datetime64[D]")
    gaps = np.diff(monday).astype(int)
    if (gaps != 7).any():
        at = int(np.flatnonzero(gaps != 7)[0])
        raise ContractError(
            path,
            [
                Problem(
                    "y_* columns",
                    expected="a contiguous range of ISO weeks",
                    found=[f"gap after {iso_week_labels(monday[at : at + 1])[0]}"],
                )
            ],
        )
    return monday


def _bad_code(e: pl.Expr) -> pl.Expr:
    """True where a cell is not empty and not a 3-digit code (the same as CODE_PATTERN).

    Without a regex (a regex over 160 million cells costs seconds): a 3-byte string that parses
    as an integer is 3 digits unless it starts with a sign or a space, and those sort before "0".
    """
    value = e.cast(pl.Int16, strict=False)
    return e.is_not_null() & ((e.str.len_bytes() != 3) | (e < "0") | value.is_null())


def _bad_grad(e: pl.Expr) -> pl.Expr:
    """True where a cell is not empty and not a number between 0 and 1."""
    value = e.cast(pl.Float32, strict=False)
    return e.is_not_null() & ~value.is_between(0, 1).fill_null(False)


def _problems(
    frame: pl.LazyFrame, counts: dict[str, int], bad_expr, expected: str
) -> list[Problem]:
    """Problems naming the columns with `counts` > 0 and their first rows (error path only)."""
    bad_cols = [c for c, n in counts.items() if n]  # a loop over the offending column names only
    problems = []
    for col in bad_cols[:MAX_COLUMNS_SHOWN]:
        rows = (
            frame.with_row_index("_row")
            .filter(bad_expr(pl.col(col)))
            .select("_row", col)
            .head(MAX_ROWS_SHOWN)
            .collect()
        )
        problems.append(
            Problem(
                col,
                rows=[int(r) + 2 for r in rows["_row"]],
                expected=expected,
                found=[str(v) for v in rows[col]],
                n_rows=int(counts[col]),
            )
        )
    if len(bad_cols) > MAX_COLUMNS_SHOWN:
        problems.append(
            Problem(f"{len(bad_cols) - MAX_COLUMNS_SHOWN} more columns", expected=expected)
        )
    return problems


def _scan(path: Path) -> pl.LazyFrame:
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        # Codes and ids as text, whatever the Parquet types; grad may stay numeric (parsing
        # 37 million numbers back from text would cost seconds).
        return pl.scan_parquet(path).with_columns(pl.exclude(GRAD_PATTERN).cast(pl.String))
    if suffix == ".csv":
        with path.open("rb") as fh:
            head = fh.read(4096)
        if not head.strip(b"\xef\xbb\xbf \r\n\t"):
            raise ContractError(
                path, [Problem("", expected="a header row naming the columns (the file is empty)")]
            )
        try:
            fmt = sniff_csv(path)
        except UndecodableText as exc:
            raise ContractError(
                path,
                [
                    Problem(
                        "",
                        rows=[exc.line],
                        expected="UTF-8 or Windows-1252 text",
                        found=[f"byte 0x{exc.byte:02x} near {exc.snippet!r}"],
                    )
                ],
            ) from None
        if fmt.encoding == "utf-8" and fmt.separator == ",":
            return pl.scan_csv(path, infer_schema=False)  # the common case: streamed, not decoded
        text, _ = decode_csv(path)
        lf = pl.read_csv(text.encode("utf-8"), separator=fmt.separator, infer_schema=False).lazy()
        if fmt.separator == ";":
            # Danish Excel writes a decimal comma in semicolon-separated files: 0,5 is 0.5.
            lf = lf.with_columns(pl.col(GRAD_PATTERN).str.replace(",", ".", literal=True))
        return lf
    if suffix in SUFFIXES:
        # XLSX, SAS, SPSS, Stata: read through the common reader (all text), then as polars.
        return (
            pl.from_pandas(read_table(path).astype(object))
            .lazy()
            .with_columns(pl.all().cast(pl.String))
        )
    raise ContractError(
        path, [Problem("", expected="a dream file in one of the formats " + ", ".join(SUFFIXES))]
    )


def wide_columns(path: Path, names: list[str]) -> tuple[list[str], list[str]]:
    """The week and month columns of a wide DREAM file (participants' or the comparison pool's);
    a missing person_id, no week column or a column of another shape is a ContractError."""
    week_cols = [c for c in names if re.match(WEEK_PATTERN, c)]
    grad_cols = [c for c in names if re.match(GRAD_PATTERN, c)]
    other = [c for c in names if c not in week_cols and c not in grad_cols and c != "person_id"]
    problems = []
    if "person_id" not in names:
        problems.append(Problem("person_id", expected="the column to be present (it is missing)"))
    if not week_cols:
        problems.append(Problem("y_YYWW", expected="one column per ISO week, e.g. y_2210"))
    if other:
        problems.append(
            Problem(
                ", ".join(other[:5]),
                expected="only person_id, y_YYWW and grad_YYYY_MM columns (months 01-12)",
            )
        )
    if problems:
        raise ContractError(path, problems)
    return week_cols, grad_cols


def read_dream(data_dir: Path | str, path: Path | None = None) -> DreamExtract:
    """Read and validate the wide DREAM extract (CSV or Parquet) into arrays.

    One pass over the file parses and checks every cell at once: codes become int16 (-1 = empty),
    grad float32 (NaN = empty). Only when a cell breaks the contract is the file scanned again, to
    name the offending rows and values.
    """
    path = path or find_source(data_dir, "dream")
    assert path is not None
    lf = _scan(path)
    names = lf.collect_schema().names()
    week_cols, grad_cols = wide_columns(path, names)

    monday = parse_week_columns(week_cols, path)
    week_cols = sorted(week_cols, key=lambda c: (c[2:4], c[4:6]))
    thursday_month = (monday + np.timedelta64(3, "D")).astype("datetime64[M]")
    grad_month = np.array([f"{c[5:9]}-{c[10:12]}" for c in grad_cols], dtype="datetime64[M]")
    missing_months = np.setdiff1d(np.unique(thursday_month), grad_month)
    if missing_months.size:
        need = [f"grad_{str(m).replace('-', '_')}" for m in missing_months[:5]]
        raise ContractError(
            path,
            [
                Problem(
                    ", ".join(need),
                    expected="a grad_YYYY_MM column for every month of the week range (the month of each week's Thursday)",
                )
            ],
        )
    order = np.argsort(grad_month)
    grad_cols = [grad_cols[i] for i in order]
    grad_month = grad_month[order]

    # One pass over the file: every cell parsed, plus a (bit-packed) flag per cell that breaks
    # the contract; the flags are counted per column.
    weeks, grads = pl.col(week_cols), pl.col(grad_cols)
    frame = lf.select(
        pl.col("person_id"),
        weeks.cast(pl.Int16, strict=False).fill_null(-1),
        grads.cast(pl.Float32, strict=False).fill_null(np.nan),
        _bad_code(weeks).name.suffix(BAD_SUFFIX),
        _bad_grad(grads).name.suffix(BAD_SUFFIX),
    ).collect()
    if frame.height == 0:
        raise ContractError(
            path,
            [
                Problem(
                    "",
                    expected="at least one person row below the header "
                    "(the file has a header only)",
                )
            ],
        )
    bad = frame.select(pl.col(f"^.*{BAD_SUFFIX}$").sum()).row(0, named=True)
    ids = frame["person_id"]
    null_id = ids.null_count()
    dup_id = int((~ids.is_first_distinct() & ids.is_not_null()).sum())

    # All problems of the file at once; the second look at the file happens only on error.
    if null_id or dup_id or any(bad.values()):
        id_frame = lf.select("person_id")
        code_counts = [bad[c + BAD_SUFFIX] for c in week_cols]
        grad_counts = [bad[c + BAD_SUFFIX] for c in grad_cols]
        problems = [
            *_problems(
                id_frame, {"person_id": null_id}, lambda e: e.is_null(), "a person_id in every row"
            ),
            *_problems(
                id_frame,
                {"person_id": dup_id},
                lambda e: ~e.is_first_distinct() & e.is_not_null(),
                "one row per person (unique person_id)",
            ),
            *_problems(
                lf,
                dict(zip(week_cols, code_counts, strict=True)),
                _bad_code,
                "a 3-digit benefit code such as '130', or an empty cell",
            ),
            *_problems(
                lf,
                dict(zip(grad_cols, grad_counts, strict=True)),
                _bad_grad,
                "an employment degree between 0 and 1, or an empty cell",
            ),
        ]
        raise ContractError(path, problems)
    codes = frame.select(week_cols).to_numpy(order="c")
    grad = frame.select(grad_cols).to_numpy(order="c")
    del frame
    person_id = ids.to_numpy().astype(str)
    return DreamExtract(
        path=path,
        person_id=person_id,
        week_monday=monday,
        codes=np.asarray(codes, dtype=np.int16),
        grad_month=grad_month,
        grad=np.asarray(grad, dtype=np.float32),
    )


# --------------------------------------------------------------------------- the panel


@dataclass
class DreamPanel:
    """The person-week score panel and the person-level coverage table.

    `weeks` has one row per person-week with a benefit code or employment that month:
    person_id, iso_week (categorical), week_rel, code (3-digit, categorical), score (float, NaN
    when coded out or unknown), employed (grad > 0 in the month of the week's Thursday),
    score_source. Person-weeks without a row have no score (self-supporting or unknown).
    `persons`: person_id, hold_id, start_date, n_weeks, first_week_rel, last_week_rel for the
    persons in the register analysis.
    """

    weeks: pd.DataFrame
    persons: pd.DataFrame
    unknown_codes: pd.DataFrame
    first_week: str
    last_week: str


def _persons_in_extract(
    extract: DreamExtract, persons: pd.DataFrame, exclusions: Exclusions
) -> tuple[np.ndarray, pd.DataFrame]:
    """Rows of the extract that enter the register analysis, and their person records."""
    src = "dream"
    info = persons.set_index("person_id")
    pos = info.index.get_indexer(extract.person_id)  # row in `persons`, -1 when not enrolled
    known = pos >= 0
    consent_of = info["consent_register"].to_numpy(dtype=bool)
    consent = np.zeros(len(pos), dtype=bool)
    consent[known] = consent_of[pos[known]]
    exclusions.add(src, "person in the extract but not enrolled", "persons", int((~known).sum()))
    exclusions.add(
        src,
        "person in the extract without register consent",
        "persons",
        int((known & ~consent).sum()),
    )
    in_extract = np.zeros(len(info), dtype=bool)
    in_extract[pos[known]] = True
    exclusions.add(
        src,
        "register consent but not in the extract",
        "persons",
        int((consent_of & ~in_extract).sum()),
    )

    rows = np.flatnonzero(known & consent)
    sel = info.iloc[pos[rows]][["hold_id", "start_date", "n_weeks"]].reset_index()
    first = extract.week_monday[0]
    start = sel["start_date"].to_numpy().astype("datetime64[D]")
    sel["first_week_rel"] = ((first - start).astype(int) // 7).astype(np.int16)
    sel["last_week_rel"] = ((extract.week_monday[-1] - start).astype(int) // 7).astype(np.int16)
    no_week0 = (sel["last_week_rel"] < 0).to_numpy()
    holds_out = sorted(sel.loc[no_week0, "hold_id"].unique())
    exclusions.add(
        src,
        "hold without data from course start (week 0)",
        "persons",
        int(no_week0.sum()),
        detail=", ".join(map(str, holds_out)),
    )
    return rows[~no_week0], sel.loc[~no_week0].reset_index(drop=True)


def _code_tables(score_map: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Score (float32, NaN = no score) and score source per code, as 1001-entry lookup tables.

    Index = the code (0-999); the last entry (index -1, the value of an empty cell) is a week
    without a code, which is in the panel only because of employment: score 10.
    """
    codes = score_map["code"].astype(int).to_numpy()
    scored = score_map["score"].notna().to_numpy()
    score = np.full(1001, np.nan, dtype=np.float32)
    score[codes[scored]] = score_map["score"][scored].astype(float).to_numpy()
    score[-1] = 10
    source = np.full(1001, SCORE_SOURCES.index("unknown_code"), dtype=np.int8)
    source[codes] = np.where(scored, SCORE_SOURCES.index("code"), SCORE_SOURCES.index("coded_out"))
    source[-1] = SCORE_SOURCES.index("employment")
    return score, source


def _code_labels(codes: np.ndarray) -> np.ndarray:
    return np.array([f"{c:03d}" for c in codes.tolist()], dtype="U3")  # the few distinct codes


def _codes_dtype(n_categories: int) -> type[np.signedinteger]:
    """The integer type pandas keeps categorical codes in (so that they are not copied)."""
    for dtype in (np.int8, np.int16, np.int32):
        if n_categories < np.iinfo(dtype).max:
            return dtype
    return np.int64


def _blocks(n_rows: int, n_cols: int) -> list[tuple[int, int]]:
    """Ranges of persons of about BLOCK_CELLS cells each."""
    step = max(1, BLOCK_CELLS // max(n_cols, 1))
    return [(a, min(a + step, n_rows)) for a in range(0, n_rows, step)]


def build_panel(
    extract: DreamExtract,
    persons: pd.DataFrame,
    score_map: pd.DataFrame | None = None,
    exclusions: Exclusions | None = None,
) -> DreamPanel:
    """Score every person-week of the consenting, enrolled persons on holds with data.

    The (persons x weeks) matrices are turned into the long panel by boolean-mask gathers into
    preallocated columns, a block of persons at a time (about BLOCK_CELLS cells): each block is
    fully vectorised, and the blocks bound the temporary index arrays, so that memory stays
    close to the size of the result.
    """
    exclusions = exclusions if exclusions is not None else Exclusions()
    score_map = score_map if score_map is not None else load_score_map()
    rows, person_table = _persons_in_extract(extract, persons, exclusions)

    everyone = len(rows) == len(extract.person_id)  # rows are sorted and unique
    n_persons, n_weeks = len(rows), len(extract.week_monday)
    month_idx = np.searchsorted(
        extract.grad_month, (extract.week_monday + np.timedelta64(3, "D")).astype("datetime64[M]")
    )
    blocks = _blocks(n_persons, n_weeks)

    def block(a: int, b: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Codes, employment and panel-row mask of persons a..b of the analysis, (b - a, W)."""
        take = slice(a, b) if everyone else rows[a:b]
        codes = extract.codes[take]  # int16, -1 = empty
        employed = (extract.grad[take] > 0)[:, month_idx]  # grad > 0 in the Thursday's month
        return codes, employed, employed | (codes >= 0)  # a row: a code, or employment

    # Pass 1: panel rows per person, and person-weeks per code (at index code + 1; 0 = no
    # code): every coded cell is a panel row.
    per_person = np.zeros(n_persons, dtype=np.int64)
    counts = np.zeros(1001, dtype=np.int64)
    for a, b in blocks:  # a loop over blocks of persons; each block is vectorised
        codes, _, mask = block(a, b)
        per_person[a:b] = mask.sum(axis=1)
        counts += np.bincount((codes.ravel() + 1).astype(np.intp), minlength=1001)
    present = np.flatnonzero(counts[1:])  # the codes in the panel, sorted
    score_lut, source_lut = _code_tables(score_map)
    category = np.full(1001, -1, dtype=np.int16)  # code -> index among `present`; -1 = no code
    category[present] = np.arange(len(present))

    n_coded_out = int(counts[1:][source_lut[:-1] == SCORE_SOURCES.index("coded_out")].sum())
    unknown = present[source_lut[present] == SCORE_SOURCES.index("unknown_code")]
    unknown_codes = pd.DataFrame(
        {"code": _code_labels(unknown), "person_weeks": counts[unknown + 1]}
    )
    exclusions.add(
        "dream", "weeks with a coded-out benefit code (no score)", "person-weeks", n_coded_out
    )
    exclusions.add(
        "dream",
        "weeks with a code missing from the mapping table (no score)",
        "person-weeks",
        int(unknown_codes["person_weeks"].sum()),
        detail=", ".join(unknown_codes["code"]),
    )

    # Pass 2: fill the preallocated columns of the panel, block by block.
    offsets = np.zeros(n_persons + 1, dtype=np.int64)
    np.cumsum(per_person, out=offsets[1:])
    n = int(offsets[-1])
    start_idx = (
        (
            person_table["start_date"].to_numpy().astype("datetime64[D]") - extract.week_monday[0]
        ).astype(int)
        // 7
    ).astype(np.int16)  # the extract week of each person's course start
    person = np.empty(n, dtype=_codes_dtype(n_persons))
    week = np.empty(n, dtype=_codes_dtype(n_weeks))
    week_rel = np.empty(n, dtype=np.int16)
    code = np.empty(n, dtype=_codes_dtype(len(present)))
    score = np.empty(n, dtype=np.float32)
    employed_l = np.empty(n, dtype=bool)
    source = np.empty(n, dtype=np.int8)
    week_grid = np.broadcast_to(
        np.arange(n_weeks, dtype=np.int16), (blocks[0][1] if blocks else 0, n_weeks)
    )
    for a, b in blocks:
        codes, employed, mask = block(a, b)
        o, o2 = offsets[a], offsets[b]
        grid = week_grid[: b - a]
        person[o:o2] = np.repeat(np.arange(a, b, dtype=person.dtype), per_person[a:b])
        week[o:o2] = grid[mask]
        week_rel[o:o2] = (grid - start_idx[a:b, None])[mask]
        c = codes[mask].astype(np.intp)  # -1 (no code) reads the last entry of the tables
        code[o:o2] = category[c]
        score[o:o2] = score_lut[c]
        source[o:o2] = source_lut[c]
        employed_l[o:o2] = employed[mask]

    def categorical(codes_: np.ndarray, categories) -> pd.Categorical:
        return pd.Categorical.from_codes(codes_, categories=categories, validate=False)

    weeks = pd.DataFrame(
        {
            "person_id": categorical(person, person_table["person_id"]),
            "iso_week": categorical(week, extract.iso_weeks),
            "week_rel": week_rel,
            "code": categorical(code, _code_labels(present)),
            "score": score,
            "employed": employed_l,
            "score_source": categorical(source, SCORE_SOURCES),
        },
        copy=False,
    )
    labels = extract.iso_weeks
    return DreamPanel(
        weeks=weeks,
        persons=person_table,
        unknown_codes=unknown_codes,
        first_week=str(labels[0]),
        last_week=str(labels[-1]),
    )


def score_at(panel: DreamPanel, week_rel: int) -> pd.DataFrame:
    """Each panel person's score at one relative week, with coverage.

    Columns: person_id, covered (the extract reaches that week for the person's hold), score
    (NaN when covered but no score that week).
    """
    p = panel.persons
    covered = (p["first_week_rel"] <= week_rel) & (p["last_week_rel"] >= week_rel)
    w = panel.weeks
    at = w.loc[w["week_rel"] == week_rel, ["person_id", "score"]]
    at = at.assign(person_id=at["person_id"].astype(str))
    out = p[["person_id"]].assign(covered=covered.to_numpy()).merge(at, on="person_id", how="left")
    return out
