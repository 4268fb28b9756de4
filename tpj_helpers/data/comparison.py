"""The comparison pool (`comparison/`, data contract section 7): read, check, and the history
covariates a matched design needs, with memory bounded for a pool of a million persons.

Interface (what the effect design, `tpj_helpers.analysis.effect`, calls):

    pool = read_pool(data_dir, participant_ids=persons["person_id"])     # -> ComparisonPool
    parts = participant_history(extract, persons)                         # -> ScoreMatrix
    rs = risk_sets(pool.scores, starts)                                   # -> DataFrame
    cov = history_covariates(parts, parts_start_idx)                      # same covariates
    long = outcomes(pool.scores, rows=rs["row"], start_idx=rs["start_idx"], weeks=range(-52, 27))

* `read_pool` validates `comparison/background.*` (pandera, every problem at once: person_id
  unique and present, gender `kvinde`|`mand`, birth_year four digits, kommune non-empty, region one
  of the five when the column is there) and streams `comparison/dream.*` (CSV, Parquet or XLSX, the
  same columns as `dream.csv`) in record batches of `batch_rows` persons: each batch is parsed and
  checked by polars with the same expressions as the participants' extract (`data/dream.py`), and
  immediately reduced to one byte per person-week. Only the compact `ScoreMatrix` is kept (about
  2 bytes per person-week: 160 MB score + 160 MB category for 1,000,000 x 160), never the wide
  strings. Errors (`ContractError`) name the file, the column, the first offending rows (spreadsheet
  numbering over the whole file) and what was expected; person ids that also occur among the
  participants are an error naming the ids; weeks must be those of the participants' extract
  when `week_monday` is given; every person in `dream` must be in `background` and vice versa.
* `ScoreMatrix.score` (int8, persons x weeks): 0..10 the employment score of the week (the benefit
  code through the score map; a week without a code is 10 when `grad` > 0 in the month of its
  Thursday), `NO_SCORE` (-1: no code and no employment), `CODED_OUT` (-2), `UNKNOWN_CODE` (-3), as
  in `data/dream.py`. `ScoreMatrix.category` (int8) indexes `categories` (the score map's
  `category`; -1 = no code). `ScoreMatrix.qualifying(categories)` is the bool matrix "on a
  qualifying benefit" (parameter `qualifying_categories`, default `QUALIFYING`).
* `history_covariates(m, start_idx)`: for each row of `m` and its start week (index into
  `m.week_monday`; a pool member's hold start), one row with `score_m1`, `score_m4`, `score_m13`,
  `score_m26`, `score_m52` (int8 as above, `NOT_REACHED` (-9) when the week lies before the
  extract), `category_m1` (category name at week -1, "" = none), `qualifying_m1` (bool),
  `weeks_on_benefit_52` / `_104` (int16 weeks on a qualifying benefit in weeks -52..-1 / -104..-1,
  -1 when the window reaches before the extract: missing, not zero, as the contract says).
* `risk_sets(scores, starts)`: for each hold (`starts`: hold_id, start_date) the pool members on a
  qualifying benefit in week -1 of that hold, with their covariates: columns hold_id, row (index
  into the pool; `pool.scores.person_id[row]` is the id), start_idx, and those of
  `history_covariates`. Computed hold by hold on the compact
  matrix (vectorised over persons), never a person-week long frame of the whole pool.
* `outcomes(scores, rows, start_idx, weeks)`: the long frame for chosen (pool row, start) pairs,
  e.g. the matched members: pair, row, week_rel, score (float32, NaN = no score), qualifying; rows
  whose week lies outside the extract are left out.
* `participant_history(extract, persons)`: the participants' `ScoreMatrix` from the `DreamExtract`
  of `data/dream.py` by the same scoring, so both sides of a comparison are scored identically.

Nothing here writes to the data folder.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa
import polars as pl

from tpj_helpers.data.contract import (
    MAX_ROWS_SHOWN,
    READSTAT_SUFFIXES,
    SUFFIX_TEXT,
    ContractError,
    Problem,
    _as_strings,
    find_source,
    isin_check,
    read_table,
    regex_check,
    text_column,
    validate,
)
from tpj_helpers.data.dream import (
    BAD_SUFFIX,
    CODED_OUT,
    NO_SCORE,
    UNKNOWN_CODE,
    DreamExtract,
    _bad_code,
    _bad_grad,
    load_score_map,
    parse_week_columns,
    score_lookup,
    wide_columns,
)
from tpj_helpers.data.formats import UndecodableText, sniff_csv
from tpj_helpers.data.sources import GENDER

FOLDER = "comparison"
QUALIFYING = ("kontanthjaelp", "uddannelseshjaelp", "ressourceforloeb", "jobafklaring")
REGIONS = ("Hovedstaden", "Sjælland", "Syddanmark", "Midtjylland", "Nordjylland")
HISTORY_WEEKS = (-1, -4, -13, -26, -52)
BENEFIT_WINDOWS = (52, 104)
NOT_REACHED = -9  # a history week before the extract's first week (missing, not "no score")
BATCH_ROWS = 65_536

BACKGROUND_SCHEMA = pa.DataFrameSchema(
    {
        "person_id": text_column(),
        "gender": text_column(checks=[isin_check(GENDER)]),
        "birth_year": text_column(
            checks=[regex_check(r"(19|20)[0-9]{2}", "a four-digit birth year")]
        ),
        "kommune": text_column(),
        "region": text_column(nullable=True, required=False, checks=[isin_check(REGIONS)]),
    },
    unique=["person_id"],
    report_duplicates="exclude_first",
)


@dataclass
class ScoreMatrix:
    """One byte per person-week: the score (or a sentinel) and the benefit category."""

    person_id: np.ndarray  # (P,) str
    week_monday: np.ndarray  # (W,) datetime64[D], contiguous ISO weeks
    score: np.ndarray  # (P, W) int8
    category: np.ndarray  # (P, W) int8 index into `categories`, -1 = no code
    categories: tuple[str, ...]

    def qualifying(self, categories: Iterable[str] = QUALIFYING) -> np.ndarray:
        return self.category_is(categories)[self.category + 1]

    def category_is(self, categories: Iterable[str]) -> np.ndarray:
        """Lookup table over category index + 1 (index 0 = no code): True for `categories`."""
        wanted = set(categories)
        return np.array([False] + [c in wanted for c in self.categories], dtype=bool)

    def week_index(self, dates) -> np.ndarray:
        """Index of each Monday date (or any date in its week) in `week_monday` (may be <0 or >=W)."""
        d = np.asarray(pd.to_datetime(dates).to_numpy()).astype("datetime64[D]")
        return ((d - self.week_monday[0]).astype(np.int64) // 7).astype(np.int64)


@dataclass
class ComparisonPool:
    background: pd.DataFrame  # person_id, gender, birth_year (Int64), kommune, region (may be NA)
    scores: ScoreMatrix
    dream_path: Path
    background_path: Path


# --------------------------------------------------------------------------- scoring


def _category_tables(score_map: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Score lookup (1001: an empty cell, then codes 0-999) and category index lookup (1001:
    codes 0-999, then -1 = no code)."""
    lut = np.r_[np.int8(NO_SCORE), score_lookup(score_map)].astype(np.int8)
    cats = tuple(sorted(score_map["category"].dropna().astype(str).unique()))
    cat_lut = np.full(1001, -1, dtype=np.int8)
    cat_lut[score_map["code"].astype(int).to_numpy()] = [
        cats.index(c) for c in score_map["category"].astype(str)
    ]
    return lut, cat_lut, cats


def _score_block(
    codes: np.ndarray, grad: np.ndarray, month_idx: np.ndarray, lut: np.ndarray, cat_lut: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(int16 codes, -1 empty; float32 grad per month) -> (int8 score, int8 category).

    `lut` has 1001 entries: index 0 is an empty cell (NO_SCORE), index code + 1 the code's score;
    an empty week scores 10 when the month of its Thursday has grad > 0.
    """
    score = lut[codes + 1]
    empty = codes < 0
    if empty.any():
        score[empty & (grad > 0)[:, month_idx]] = 10
    category = cat_lut[codes]  # -1 (empty) reads the last entry: -1
    return score, category


def participant_history(
    extract: DreamExtract, score_map: pd.DataFrame | None = None
) -> ScoreMatrix:
    """The participants' extract scored exactly as the pool (all rows of the extract)."""
    score_map = score_map if score_map is not None else load_score_map()
    lut, cat_lut, cats = _category_tables(score_map)
    month_idx = np.searchsorted(
        extract.grad_month, (extract.week_monday + np.timedelta64(3, "D")).astype("datetime64[M]")
    )
    score, category = _score_block(extract.codes, extract.grad, month_idx, lut, cat_lut)
    return ScoreMatrix(extract.person_id, extract.week_monday, score, category, cats)


# --------------------------------------------------------------------------- reading


def _batches(path: Path, batch_rows: int) -> Iterator[pl.DataFrame]:
    """The file as polars frames of about `batch_rows` rows, every column as text except grad
    (and integer codes from Parquet). Every contract format: CSV with comma or semicolon in UTF-8
    (BOM or not) or Windows-1252, streamed by pyarrow (a semicolon file's decimal commas in the
    grad columns become points); Parquet by row groups; SAS, SPSS and Stata in chunks through
    pyreadstat, each chunk made text as the contract reader does; XLSX whole (small pools only:
    a spreadsheet holds at most about a million rows)."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        for batch in pq.ParquetFile(path).iter_batches(batch_size=batch_rows):
            yield pl.from_arrow(batch)  # integer code columns stay integers (see `_code_exprs`)
    elif suffix == ".csv":
        import pyarrow as pa_
        import pyarrow.csv as pacsv

        try:
            fmt = sniff_csv(path)
        except UndecodableText as exc:
            raise ContractError(
                path, [Problem("", rows=[exc.line], expected="UTF-8 or Windows-1252 text")]
            ) from None
        with path.open("rb") as fh:
            head = fh.read(1 << 20).decode(fmt.encoding, errors="ignore")
        names = next(
            csv.reader(io.StringIO(head.splitlines()[0] if head else ""), delimiter=fmt.separator),
            [],
        )
        encoding = "utf8" if fmt.encoding.startswith("utf-8") else fmt.encoding
        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(block_size=1 << 24, encoding=encoding),
            parse_options=pacsv.ParseOptions(delimiter=fmt.separator),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa_.string() for n in names}, strings_can_be_null=True
            ),
        )
        for batch in reader:
            df = pl.from_arrow(batch)
            if fmt.separator == ";":
                df = df.with_columns(pl.col(r"^grad_.*$").str.replace(",", ".", literal=True))
            yield df
    elif suffix in READSTAT_SUFFIXES:
        import pyreadstat

        reader = {
            ".sas7bdat": pyreadstat.read_sas7bdat,
            ".sav": pyreadstat.read_sav,
            ".dta": pyreadstat.read_dta,
        }[suffix]
        try:
            for chunk, _ in pyreadstat.read_file_in_chunks(reader, str(path), chunksize=batch_rows):
                yield pl.from_pandas(_as_strings(chunk))
        except ContractError:
            raise
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
    elif suffix == ".xlsx":
        df = pl.from_pandas(read_table(path))
        for a in range(0, len(df), batch_rows):
            yield df.slice(a, batch_rows)
    else:
        raise ContractError(path, [Problem("", expected=f"one of the formats {SUFFIX_TEXT}")])


def _bad_int_code(e: pl.Expr) -> pl.Expr:
    """For integer code columns (typed Parquet): a code is 0-999 (leading zeros are not stored)."""
    return e.is_not_null() & ~e.is_between(0, 999)


def _code_check(df: pl.DataFrame, week_cols: list[str]):
    """The check for the week columns: integer columns by value, text columns as 3-digit strings."""
    if all(df.schema[c].is_integer() for c in week_cols):
        return _bad_int_code
    if all(df.schema[c] == pl.String for c in week_cols):
        return _bad_code
    return lambda e: _bad_code(e.cast(pl.String))


def _batch_problems(
    df: pl.DataFrame, offset: int, cols: list[str], bad_expr, expected: str
) -> list[Problem]:
    out = []
    for col in cols:
        rows = (
            df.with_row_index("_row")
            .filter(bad_expr(pl.col(col)))
            .select("_row", col)
            .head(MAX_ROWS_SHOWN)
        )
        n = int(df.select(bad_expr(pl.col(col)).sum()).item())
        out.append(
            Problem(
                col,
                rows=[offset + int(r) + 2 for r in rows["_row"]],
                expected=expected,
                found=[str(v) for v in rows[col]],
                n_rows=n,
            )
        )
    return out


def read_scores(
    path: Path,
    score_map: pd.DataFrame | None = None,
    batch_rows: int = BATCH_ROWS,
    week_monday: np.ndarray | None = None,
) -> ScoreMatrix:
    """Stream a wide DREAM file (pool or participants) into a `ScoreMatrix`, batch by batch."""
    score_map = score_map if score_map is not None else load_score_map()
    lut, cat_lut, cats = _category_tables(score_map)
    batches = _batches(path, batch_rows)
    ids: list[np.ndarray] = []
    scores: list[np.ndarray] = []
    category: list[np.ndarray] = []
    offset = 0
    week_cols = grad_cols = None
    monday = month_idx = None
    for df in batches:
        if week_cols is None:
            week_cols, grad_cols = wide_columns(path, df.columns)
            monday = parse_week_columns(week_cols, path)
            week_cols = sorted(week_cols, key=lambda c: (c[2:4], c[4:6]))
            if week_monday is not None and not np.array_equal(
                monday, np.asarray(week_monday, dtype="datetime64[D]")
            ):
                raise ContractError(
                    path,
                    [
                        Problem(
                            "y_* columns",
                            expected=(
                                "the same ISO weeks as the participants' dream extract "
                                f"({pd.Timestamp(week_monday[0]).date()} .. {pd.Timestamp(week_monday[-1]).date()})"
                            ),
                            found=[
                                f"{pd.Timestamp(monday[0]).date()} .. {pd.Timestamp(monday[-1]).date()}"
                            ],
                        )
                    ],
                )
            grad_month = np.array(
                [f"{c[5:9]}-{c[10:12]}" for c in grad_cols], dtype="datetime64[M]"
            )
            thursday_month = (monday + np.timedelta64(3, "D")).astype("datetime64[M]")
            missing = np.setdiff1d(np.unique(thursday_month), grad_month)
            if missing.size:
                need = [f"grad_{str(m).replace('-', '_')}" for m in missing[:5]]
                raise ContractError(
                    path,
                    [
                        Problem(
                            ", ".join(need),
                            expected=(
                                "a grad_YYYY_MM column for every month of the week range (the month of each week's Thursday)"
                            ),
                        )
                    ],
                )
            order = np.argsort(grad_month)
            grad_cols = [grad_cols[i] for i in order]
            month_idx = np.searchsorted(grad_month[order], thursday_month)
        weeks, grads = pl.col(week_cols), pl.col(grad_cols)
        bad_code = _code_check(df, week_cols)
        frame = df.select(
            pl.col("person_id").cast(pl.String),
            weeks.cast(pl.Int16, strict=False).fill_null(-1),
            grads.cast(pl.Float32, strict=False).fill_null(np.nan),
            bad_code(weeks).name.suffix(BAD_SUFFIX),
            _bad_grad(grads).name.suffix(BAD_SUFFIX),
        )
        bad = frame.select(pl.col(f"^.*{BAD_SUFFIX}$").sum()).row(0, named=True)
        null_id = frame["person_id"].null_count()
        if null_id or any(bad.values()):
            problems = []
            if null_id:
                problems += _batch_problems(
                    df.select(pl.col("person_id").cast(pl.String)),
                    offset,
                    ["person_id"],
                    lambda e: e.is_null(),
                    "a person_id in every row",
                )
            problems += _batch_problems(
                df,
                offset,
                [c for c in week_cols if bad[c + BAD_SUFFIX]][:5],
                bad_code,
                "a 3-digit benefit code such as '130', or an empty cell",
            )
            problems += _batch_problems(
                df,
                offset,
                [c for c in grad_cols if bad[c + BAD_SUFFIX]][:5],
                _bad_grad,
                "an employment degree between 0 and 1, or an empty cell",
            )
            raise ContractError(path, problems)
        codes = frame.select(week_cols).to_numpy().astype(np.int16, copy=False)
        grad = frame.select(grad_cols).to_numpy().astype(np.float32, copy=False)
        s, c = _score_block(codes, grad, month_idx, lut, cat_lut)
        ids.append(frame["person_id"].to_numpy().astype(str))
        scores.append(s)
        category.append(c)
        offset += len(df)
        del frame, codes, grad
    if week_cols is None:
        raise ContractError(path, [Problem("", expected="a header row and one row per person")])
    person_id = np.concatenate(ids) if ids else np.array([], dtype=str)
    dup_mask = pd.Index(person_id).duplicated()
    if dup_mask.any():
        dup = np.flatnonzero(dup_mask)
        raise ContractError(
            path,
            [
                Problem(
                    "person_id",
                    rows=(dup[:MAX_ROWS_SHOWN] + 2).tolist(),
                    expected="one row per person (unique person_id)",
                    found=person_id[dup[:MAX_ROWS_SHOWN]].tolist(),
                    n_rows=len(dup),
                )
            ],
        )
    return ScoreMatrix(person_id, monday, np.concatenate(scores), np.concatenate(category), cats)


def read_background(path: Path) -> pd.DataFrame:
    df = validate(read_table(path), BACKGROUND_SCHEMA, path)
    cols = [c for c in BACKGROUND_SCHEMA.columns if c in df.columns]
    out = df[cols].copy()
    if "region" not in out.columns:
        out["region"] = pd.NA  # the effect design fills it from `kommune` where it has a table
    out["birth_year"] = out["birth_year"].astype("Int64")
    return out


def has_pool(data_dir: Path | str) -> bool:
    folder = Path(data_dir) / FOLDER
    return folder.is_dir() and find_source(folder, "dream", required=False) is not None


def read_pool(
    data_dir: Path | str,
    participant_ids: Iterable[str] = (),
    score_map: pd.DataFrame | None = None,
    batch_rows: int = BATCH_ROWS,
    week_monday: np.ndarray | None = None,
) -> ComparisonPool:
    """Validate and read `comparison/` (see the module docstring)."""
    folder = Path(data_dir) / FOLDER
    bg_path = find_source(folder, "background")
    dream_path = find_source(folder, "dream")
    assert bg_path is not None and dream_path is not None
    background = read_background(bg_path)
    participants = pd.Index(pd.Series(list(participant_ids), dtype=str).unique())
    clash = background["person_id"].isin(participants).to_numpy()
    if clash.any():
        rows = np.flatnonzero(clash)
        raise ContractError(
            bg_path,
            [
                Problem(
                    "person_id",
                    rows=(rows[:MAX_ROWS_SHOWN] + 2).tolist(),
                    expected="pool person ids that never occur among the participants",
                    found=background["person_id"].iloc[rows[:MAX_ROWS_SHOWN]].tolist(),
                    n_rows=len(rows),
                )
            ],
        )
    scores = read_scores(dream_path, score_map, batch_rows, week_monday)
    bg_index = pd.Index(background["person_id"].to_numpy(dtype=str))
    order = bg_index.get_indexer(scores.person_id)  # hash lookups, -1 = not in background
    in_bg = order >= 0
    in_dream = np.zeros(len(bg_index), dtype=bool)
    in_dream[order[in_bg]] = True
    problems = []
    if not in_bg.all():
        rows = np.flatnonzero(~in_bg)
        problems.append(
            (
                dream_path,
                Problem(
                    "person_id",
                    rows=(rows[:MAX_ROWS_SHOWN] + 2).tolist(),
                    expected=f"every person also in {bg_path.name}",
                    found=scores.person_id[rows[:MAX_ROWS_SHOWN]].tolist(),
                    n_rows=len(rows),
                ),
            )
        )
    if not in_dream.all():
        rows = np.flatnonzero(~in_dream)
        problems.append(
            (
                bg_path,
                Problem(
                    "person_id",
                    rows=(rows[:MAX_ROWS_SHOWN] + 2).tolist(),
                    expected=f"every person also in {dream_path.name}",
                    found=background["person_id"].iloc[rows[:MAX_ROWS_SHOWN]].tolist(),
                    n_rows=len(rows),
                ),
            )
        )
    if problems:
        raise ContractError(problems[0][0], [p for _, p in problems])
    # Background in the order of the score matrix (the ids are the same set, checked above).
    background = background.iloc[order].reset_index(drop=True)
    return ComparisonPool(background, scores, dream_path, bg_path)


# --------------------------------------------------------------------------- covariates


def history_covariates(
    m: ScoreMatrix,
    start_idx: np.ndarray,
    rows: np.ndarray | None = None,
    qualifying_categories: Iterable[str] = QUALIFYING,
    history_weeks: Iterable[int] = HISTORY_WEEKS,
    windows: Iterable[int] = BENEFIT_WINDOWS,
    cum: np.ndarray | None = None,
) -> pd.DataFrame:
    """Benefit-history covariates of `rows` of `m` (all rows when None), each relative to its
    `start_idx` (the extract week of week 0). See the module docstring for the columns."""
    rows = np.arange(len(m.person_id)) if rows is None else np.asarray(rows)
    start_idx = np.broadcast_to(np.asarray(start_idx, dtype=np.int64), rows.shape)
    W = len(m.week_monday)
    out: dict[str, np.ndarray] = {}
    qual_lut = m.category_is(qualifying_categories)
    for k in history_weeks:
        col = start_idx + k
        inside = (col >= 0) & (col < W)
        v = np.full(len(rows), NOT_REACHED, dtype=np.int8)
        v[inside] = m.score[rows[inside], col[inside]]
        out[f"score_m{-k}"] = v
    col = start_idx - 1
    inside = (col >= 0) & (col < W)
    cat = np.full(len(rows), -1, dtype=np.int8)
    cat[inside] = m.category[rows[inside], col[inside]]
    out["category_m1"] = pd.Categorical.from_codes(
        cat.astype(np.int16) + 1, categories=["", *m.categories]
    )
    out["qualifying_m1"] = qual_lut[cat + 1]
    # Weeks on a qualifying benefit in the window: the difference of two columns of the rows'
    # cumulative counts (computed once per matrix by `qualifying_cumsum` and reused across holds).
    cum = cum if cum is not None else qualifying_cumsum(m, qualifying_categories)
    r_inside = np.clip(start_idx, 0, W)
    for wlen in windows:
        ok = (start_idx - wlen >= 0) & (start_idx <= W)
        lo = np.clip(start_idx - wlen, 0, W)
        val = cum[rows, r_inside].astype(np.int16) - cum[rows, lo]
        out[f"weeks_on_benefit_{wlen}"] = np.where(ok, val, -1).astype(np.int16)
    return pd.DataFrame(out)


def qualifying_cumsum(
    m: ScoreMatrix, qualifying_categories: Iterable[str] = QUALIFYING
) -> np.ndarray:
    """(P, W + 1) int16: weeks on a qualifying benefit before each week (column 0 = 0), filled a
    block of persons at a time (2 bytes per person-week)."""
    qual_lut = m.category_is(qualifying_categories)
    P, W = m.category.shape
    cum = np.zeros((P, W + 1), dtype=np.int16)
    step = max(1, (1 << 22) // max(W, 1))
    for a in range(0, P, step):  # blocks of persons; each block vectorised
        np.cumsum(
            qual_lut[m.category[a : a + step] + 1],
            axis=1,
            dtype=np.int16,
            out=cum[a : a + step, 1:],
        )
    return cum


def risk_sets(
    m: ScoreMatrix,
    starts: pd.DataFrame,
    qualifying_categories: Iterable[str] = QUALIFYING,
    exclude_rows: np.ndarray | None = None,
    **kwargs,
) -> pd.DataFrame:
    """Per hold, the pool members on a qualifying benefit in week -1, with their covariates.

    `starts`: hold_id, start_date (Monday of week 0). Holds whose week -1 lies outside the extract
    get no risk set. `exclude_rows`: pool rows never at risk (e.g. persons known to have taken the
    course). Columns: hold_id, row (the pool row: `m.person_id[row]` is the id; ids are not
    repeated per hold to keep a national pool's risk sets small), start_idx, and those of
    `history_covariates`.
    """
    qual_lut = m.category_is(qualifying_categories)
    W = len(m.week_monday)
    keep = np.ones(len(m.person_id), dtype=bool)
    if exclude_rows is not None:
        keep[exclude_rows] = False
    frames = []
    cum = qualifying_cumsum(m, qualifying_categories)
    for hold_id, start in zip(starts["hold_id"], m.week_index(starts["start_date"]), strict=True):
        if not 1 <= start <= W:  # a loop over the ~30 holds; each is vectorised over persons
            continue
        rows = np.flatnonzero(qual_lut[m.category[:, start - 1] + 1] & keep)
        cov = history_covariates(
            m, np.full(len(rows), start), rows, qualifying_categories, cum=cum, **kwargs
        )
        frames.append(
            pd.concat(
                [
                    pd.DataFrame(
                        {
                            "hold_id": hold_id,
                            "row": rows.astype(np.int32),
                            "start_idx": np.full(len(rows), start, dtype=np.int16),
                        }
                    ),
                    cov,
                ],
                axis=1,
            )
        )
    if not frames:
        return pd.DataFrame(columns=["hold_id", "row", "start_idx"])
    out = pd.concat(frames, ignore_index=True)
    out["hold_id"] = out["hold_id"].astype("category")
    return out


def outcomes(
    m: ScoreMatrix,
    rows,
    start_idx,
    weeks: Iterable[int] = range(-52, 27),
    qualifying_categories: Iterable[str] = QUALIFYING,
) -> pd.DataFrame:
    """Long outcome frame for (row, start) pairs: pair, row, week_rel, score (NaN = no score),
    qualifying. Weeks outside the extract are left out."""
    rows = np.asarray(rows, dtype=np.int64)
    start_idx = np.asarray(start_idx, dtype=np.int64)
    weeks = np.asarray(list(weeks), dtype=np.int64)
    col = start_idx[:, None] + weeks[None, :]
    inside = (col >= 0) & (col < len(m.week_monday))
    pair = np.broadcast_to(np.arange(len(rows))[:, None], col.shape)[inside]
    r = rows[pair]
    c = col[inside]
    s = m.score[r, c].astype(np.float32)
    s[s < 0] = np.nan
    qual = m.category_is(qualifying_categories)[m.category[r, c] + 1]
    return pd.DataFrame(
        {
            "pair": pair.astype(np.int32),
            "row": r.astype(np.int32),
            "week_rel": np.broadcast_to(weeks[None, :], col.shape)[inside].astype(np.int16),
            "score": s,
            "qualifying": qual,
        }
    )


__all__ = [
    "CODED_OUT",
    "NOT_REACHED",
    "NO_SCORE",
    "QUALIFYING",
    "UNKNOWN_CODE",
    "ComparisonPool",
    "ScoreMatrix",
    "has_pool",
    "history_covariates",
    "outcomes",
    "participant_history",
    "qualifying_cumsum",
    "read_background",
    "read_pool",
    "read_scores",
    "risk_sets",
]
