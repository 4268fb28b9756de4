"""The DREAM step: the wide register extract becomes a long person-week employment-score panel.

Input (contract section 4): one row per person, `y_YYWW` columns with a 3-digit benefit code per
ISO week (empty = no benefit that week) and `grad_YYYY_MM` columns with the month's employment
degree (0-1, empty = none).

Scoring: a mapping table gives each benefit code a score 0-10 or marks it coded out. A week with no
benefit code scores 10 when the month of the week's Thursday has `grad` > 0, and has no score
otherwise. Codes missing from the table, coded-out codes and persons without register consent are
left out of the score and counted in the exclusions ledger.

Everything is vectorised: polars reads and casts all week columns in one expression, numpy does the
scoring by table lookup and the wide-to-long reshaping by boolean-mask gathers. There is no Python
loop over persons or weeks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl

from tpj_helpers.contract import (
    ContractError,
    Problem,
    find_source,
)
from tpj_helpers.exclusions import Exclusions

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SCORE_MAP = REPO_ROOT / "params" / "dream_score_map.csv"

WEEK_PATTERN = r"^y_\d{4}$"
GRAD_PATTERN = r"^grad_\d{4}_\d{2}$"
CODE_PATTERN = r"^[0-9]{3}$"

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
    bad_score = (df["score"].notna() & (score.isna() | ~score.between(0, 10) | (score % 1 != 0)))
    dup = df["code"].duplicated(keep="first")
    for mask, col, expected in (
        (bad_code, "code", "a 3-digit code such as '130'"),
        (bad_score, "score", "a whole number 0-10, or empty for coded out"),
        (dup, "code", "each code once"),
    ):
        if mask.any():
            rows = (np.flatnonzero(mask.to_numpy()) + 2).tolist()
            problems.append(Problem(col, rows=rows[:5], expected=expected, n_rows=len(rows),
                                    found=df.loc[mask, col].astype(str).head(5).tolist()))
    if problems:
        raise ContractError(path, problems)
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
        raise ContractError(path, [Problem(", ".join(bad[:5]), expected="y_YYWW columns naming real ISO weeks (week 53 only in years that have one)")])
    order = np.argsort(mondays.to_numpy())
    monday = mondays.to_numpy()[order].astype("datetime64[D]")
    gaps = np.diff(monday).astype(int)
    if (gaps != 7).any():
        at = int(np.flatnonzero(gaps != 7)[0])
        raise ContractError(path, [Problem(
            "y_* columns", expected="a contiguous range of ISO weeks",
            found=[f"gap after {iso_week_labels(monday[at:at + 1])[0]}"])])
    return monday


def _first_bad(frame: pl.LazyFrame, cols: list[str], bad_expr, path: Path, expected: str) -> None:
    """Raise a ContractError naming the columns and first rows where `bad_expr` is true."""
    counts = frame.select(bad_expr(pl.col(cols)).sum()).collect().row(0, named=True)
    bad_cols = [c for c in cols if counts[c]]  # a loop over the few offending column names only
    if not bad_cols:
        return
    problems = []
    for col in bad_cols[:5]:
        rows = (
            frame.with_row_index("_row")
            .filter(bad_expr(pl.col(col)))
            .select("_row", col)
            .head(5)
            .collect()
        )
        problems.append(Problem(
            col, rows=[int(r) + 2 for r in rows["_row"]], expected=expected,
            found=[str(v) for v in rows[col]], n_rows=int(counts[col])))
    if len(bad_cols) > 5:
        problems.append(Problem(f"{len(bad_cols) - 5} more columns", expected=expected))
    raise ContractError(path, problems)


def _scan(path: Path) -> pl.LazyFrame:
    if path.suffix.lower() == ".parquet":
        lf = pl.scan_parquet(path)
        return lf.with_columns(pl.all().cast(pl.String))
    if path.suffix.lower() == ".csv":
        raw = path.read_bytes()[:1 << 20]
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            raise ContractError(path, [Problem("", rows=[line], expected="UTF-8 text")]) from None
        return pl.scan_csv(path, infer_schema=False)
    raise ContractError(path, [Problem("", expected="dream.csv or dream.parquet")])


def read_dream(data_dir: Path | str, path: Path | None = None) -> DreamExtract:
    """Read and validate the wide DREAM extract (CSV or Parquet) into arrays."""
    path = path or find_source(data_dir, "dream")
    assert path is not None
    lf = _scan(path)
    names = lf.collect_schema().names()
    week_cols = [c for c in names if re.match(WEEK_PATTERN, c)]
    grad_cols = [c for c in names if re.match(GRAD_PATTERN, c)]
    other = [c for c in names if c not in week_cols and c not in grad_cols and c != "person_id"]
    problems = []
    if "person_id" not in names:
        problems.append(Problem("person_id", expected="the column to be present (it is missing)"))
    if not week_cols:
        problems.append(Problem("y_YYWW", expected="one column per ISO week, e.g. y_2210"))
    if other:
        problems.append(Problem(", ".join(other[:5]), expected="only person_id, y_YYWW and grad_YYYY_MM columns"))
    if problems:
        raise ContractError(path, problems)

    monday = parse_week_columns(week_cols, path)
    week_cols = sorted(week_cols, key=lambda c: (c[2:4], c[4:6]))
    thursday_month = (monday + np.timedelta64(3, "D")).astype("datetime64[M]")
    grad_month = np.array(
        [f"{c[5:9]}-{c[10:12]}" for c in grad_cols], dtype="datetime64[M]"
    )
    missing_months = np.setdiff1d(np.unique(thursday_month), grad_month)
    if missing_months.size:
        need = [f"grad_{str(m).replace('-', '_')}" for m in missing_months[:5]]
        raise ContractError(path, [Problem(
            ", ".join(need), expected="a grad_YYYY_MM column for every month of the week range (the month of each week's Thursday)")])
    order = np.argsort(grad_month)
    grad_cols = [grad_cols[i] for i in order]
    grad_month = grad_month[order]

    # Validation in one lazy pass per rule (all failures of a rule reported at once).
    ids = lf.select("person_id")
    _first_bad(ids, ["person_id"], lambda e: e.is_null(), path, "a person_id in every row")
    _first_bad(ids, ["person_id"], lambda e: e.is_duplicated() & e.is_not_null(), path, "one row per person (unique person_id)")
    _first_bad(lf, week_cols, lambda e: e.is_not_null() & ~e.str.contains(CODE_PATTERN), path,
               "a 3-digit benefit code such as '130', or an empty cell")
    grad_num = lambda e: e.cast(pl.Float64, strict=False)  # noqa: E731
    _first_bad(lf, grad_cols,
               lambda e: e.is_not_null() & (grad_num(e).is_null() | ~grad_num(e).is_between(0, 1)),
               path, "an employment degree between 0 and 1, or an empty cell")

    frame = lf.select(
        pl.col("person_id"),
        pl.col(week_cols).cast(pl.Int16).fill_null(-1),
        pl.col(grad_cols).cast(pl.Float32),
    ).collect(engine="streaming")
    codes = frame.select(week_cols).to_numpy(order="c")
    grad = frame.select(grad_cols).to_numpy(order="c")
    return DreamExtract(
        path=path,
        person_id=frame["person_id"].to_numpy().astype(str),
        week_monday=monday,
        codes=codes.astype(np.int16, copy=False),
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
    known = np.isin(extract.person_id, info.index.to_numpy())
    consent = np.zeros(len(extract.person_id), dtype=bool)
    consent[known] = info.loc[extract.person_id[known], "consent_register"].to_numpy(dtype=bool)
    exclusions.add(src, "person in the extract but not enrolled", "persons", int((~known).sum()))
    exclusions.add(src, "person in the extract without register consent", "persons",
                   int((known & ~consent).sum()))
    consenting = persons.loc[persons["consent_register"], "person_id"]
    absent = ~consenting.isin(extract.person_id)
    exclusions.add(src, "register consent but not in the extract", "persons", int(absent.sum()))

    rows = np.flatnonzero(known & consent)
    sel = info.loc[extract.person_id[rows], ["hold_id", "start_date", "n_weeks"]].reset_index()
    first = extract.week_monday[0]
    start = sel["start_date"].to_numpy().astype("datetime64[D]")
    sel["first_week_rel"] = ((first - start).astype(int) // 7).astype(np.int16)
    sel["last_week_rel"] = ((extract.week_monday[-1] - start).astype(int) // 7).astype(np.int16)
    no_week0 = (sel["last_week_rel"] < 0).to_numpy()
    holds_out = sorted(sel.loc[no_week0, "hold_id"].unique())
    exclusions.add(src, "hold without data from course start (week 0)", "persons",
                   int(no_week0.sum()), detail=", ".join(map(str, holds_out)))
    return rows[~no_week0], sel.loc[~no_week0].reset_index(drop=True)


def build_panel(
    extract: DreamExtract,
    persons: pd.DataFrame,
    score_map: pd.DataFrame | None = None,
    exclusions: Exclusions | None = None,
) -> DreamPanel:
    """Score every person-week of the consenting, enrolled persons on holds with data."""
    exclusions = exclusions if exclusions is not None else Exclusions()
    score_map = score_map if score_map is not None else load_score_map()
    rows, person_table = _persons_in_extract(extract, persons, exclusions)

    codes = extract.codes[rows]  # (P, W) int16
    month_idx = np.searchsorted(
        extract.grad_month, (extract.week_monday + np.timedelta64(3, "D")).astype("datetime64[M]")
    )
    employed = extract.grad[rows][:, month_idx] > 0  # (P, W) bool; NaN > 0 is False
    has_code = codes >= 0
    lut = score_lookup(score_map)
    score = np.where(has_code, lut[np.maximum(codes, 0)], np.where(employed, 10, NO_SCORE))
    score = score.astype(np.int8, copy=False)

    mask = has_code | employed
    n_per_person = mask.sum(axis=1)
    pi = np.repeat(np.arange(len(rows), dtype=np.int32), n_per_person)
    wi = np.broadcast_to(np.arange(codes.shape[1], dtype=np.int16), codes.shape)[mask]
    code_l = codes[mask]
    score_l = score[mask]
    emp_l = employed[mask]
    start_idx = (
        (person_table["start_date"].to_numpy().astype("datetime64[D]") - extract.week_monday[0])
        .astype(int) // 7
    ).astype(np.int16)
    week_rel = wi - start_idx[pi]

    source = np.select(
        [score_l == CODED_OUT, score_l == UNKNOWN_CODE, code_l < 0],
        [2, 3, 1],
        default=0,
    ).astype(np.int8)
    n_coded_out = int((source == 2).sum())
    n_unknown = int((source == 3).sum())
    uniq, counts = np.unique(code_l[source == 3], return_counts=True)
    unknown_codes = pd.DataFrame({"code": np.char.zfill(uniq.astype(str), 3), "person_weeks": counts})
    exclusions.add("dream", "weeks with a coded-out benefit code (no score)", "person-weeks", n_coded_out)
    exclusions.add("dream", "weeks with a code missing from the mapping table (no score)", "person-weeks",
                   n_unknown, detail=", ".join(unknown_codes["code"]))

    code_values = np.unique(code_l[code_l >= 0])
    code_cat = np.where(code_l >= 0, np.searchsorted(code_values, np.maximum(code_l, 0)), -1)
    score_f = score_l.astype(np.float32)
    score_f[score_l < 0] = np.nan
    weeks = pd.DataFrame(
        {
            "person_id": pd.Categorical.from_codes(pi, categories=person_table["person_id"]),
            "iso_week": pd.Categorical.from_codes(wi, categories=extract.iso_weeks),
            "week_rel": week_rel,
            "code": pd.Categorical.from_codes(
                code_cat.astype(np.int16), categories=np.char.zfill(code_values.astype(str), 3)
            ),
            "score": score_f,
            "employed": emp_l,
            "score_source": pd.Categorical.from_codes(source, categories=SCORE_SOURCES),
        }
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
