"""The effect design's inputs: participants and comparison pool as (persons x weeks) cohorts.

Participants come from the validated DREAM panel of `load_data` (consent, phases and exclusions
already applied). The pool comes from the optional `comparison/` folder (contract section 7):
`dream.*` in the wide DREAM layout over the same weeks and `background.*` (person_id, gender,
birth_year, kommune, optionally region). This reader holds the pool in memory as int8/float32
matrices (1,000,000 x 160 weeks: about 0.8 GB); a streaming reader can hand the design the same
`Cohort`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from tpj_helpers.analysis.effect.design import NO_CATEGORY, Cohort
from tpj_helpers.data.contract import ContractError, Problem, find_source
from tpj_helpers.paths import REPO_ROOT

KOMMUNER_REGIONER = REPO_ROOT / "params" / "kommuner_regioner.csv"
REGIONS = ("Hovedstaden", "Sjælland", "Syddanmark", "Midtjylland", "Nordjylland")
GENDERS = ("kvinde", "mand")
COMPARISON = "comparison"


def has_pool(data_dir: Path | str) -> bool:
    """True when the data folder has a `comparison/` folder with a DREAM extract."""
    folder = Path(data_dir) / COMPARISON
    return folder.is_dir() and find_source(folder, "dream", required=False) is not None


def kommune_regions(path: Path | str | None = None) -> dict[str, str]:
    """The 98 municipalities -> their region (the shipped table)."""
    table = pd.read_csv(path or KOMMUNER_REGIONER, comment="#", dtype=str)
    return dict(zip(table["kommune"], table["region"], strict=True))


def region_of(kommune: pd.Series, table: dict[str, str]) -> np.ndarray:
    """Region per kommune; "" where the kommune is missing or unknown."""
    return kommune.map(table).fillna("").astype(str).to_numpy()


def _category_tables(score_map: pd.DataFrame) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """Category names, and 1001-entry lookups code -> category index, code -> score.

    Index -1 (an empty cell) has no category; its score is filled in from employment.
    """
    names = tuple(sorted(score_map["category"].astype(str).unique()))
    cat = np.full(1001, NO_CATEGORY, dtype=np.int8)
    score = np.full(1001, np.nan, dtype=np.float32)
    codes = score_map["code"].astype(int).to_numpy()
    cat[codes] = [names.index(c) for c in score_map["category"].astype(str)]
    scored = score_map["score"].notna().to_numpy()
    score[codes[scored]] = score_map["score"][scored].astype(float).to_numpy()
    return names, cat, score


def _week_years(labels: np.ndarray) -> np.ndarray:
    return np.array([int(str(w)[:4]) for w in labels])


def participants_cohort(study, score_map: pd.DataFrame, table: dict[str, str] | None = None) -> Cohort:
    """The panel persons as a cohort over the extract's weeks (score NaN where no panel row)."""
    panel = study.panel
    weeks = panel.weeks
    labels = np.asarray(weeks["iso_week"].cat.categories)
    persons = panel.persons
    n, w = len(persons), len(labels)
    names, cat_lut, _ = _category_tables(score_map)
    score = np.full((n, w), np.nan, dtype=np.float32)
    category = np.full((n, w), NO_CATEGORY, dtype=np.int8)
    r = weeks["person_id"].cat.codes.to_numpy()
    c = weeks["iso_week"].cat.codes.to_numpy()
    score[r, c] = weeks["score"].to_numpy(dtype=np.float32)
    code_of = np.asarray(weeks["code"].cat.categories, dtype=str).astype(int)
    cc = weeks["code"].cat.codes.to_numpy()
    code_int = np.where(cc >= 0, code_of[np.maximum(cc, 0)], -1)
    code_int[weeks["score_source"].astype(str).to_numpy() == "employment"] = -1
    category[r, c] = cat_lut[code_int]
    info = study.persons.set_index("person_id").loc[persons["person_id"]]
    table = table if table is not None else kommune_regions()
    return Cohort(
        person_id=persons["person_id"].astype(str).to_numpy(),
        score=score, category=category,
        gender=info["gender"].astype(object).fillna("").astype(str).to_numpy(),
        birth_year=pd.to_numeric(info["birth_year"]).astype("Float64").to_numpy(dtype=float, na_value=np.nan),
        region=region_of(info["kommune"].astype(object), table),
        start=(-persons["first_week_rel"].to_numpy()).astype(int),
        categories=names, week_year=_week_years(labels))


def read_background(folder: Path, table: dict[str, str]) -> pd.DataFrame:
    """`comparison/background.*`: checked; region from kommune where not given."""
    from tpj_helpers.data.contract import read_table

    path = find_source(folder, "background")
    df = read_table(path)
    problems = []
    for col in ("person_id", "gender", "birth_year", "kommune"):
        if col not in df.columns:
            problems.append(Problem(col, expected="the column to be present (it is missing)"))
    if problems:
        raise ContractError(path, problems)
    checks = [
        (df["person_id"].isna() | df["person_id"].duplicated(), "person_id", "a unique person_id in every row"),
        (df["gender"].notna() & ~df["gender"].isin(GENDERS), "gender", "kvinde, mand or empty"),
        (df["birth_year"].notna() & pd.to_numeric(df["birth_year"], errors="coerce").isna(),
         "birth_year", "a whole year such as 1985, or empty"),
    ]
    if "region" in df.columns:
        checks.append((df["region"].notna() & ~df["region"].isin(REGIONS), "region", " | ".join(REGIONS)))
    else:
        checks.append((df["kommune"].notna() & ~df["kommune"].isin(list(table)), "kommune",
                       "one of the 98 Danish municipalities (params/kommuner_regioner.csv)"))
    for mask, col, expected in checks:
        if mask.any():
            rows = (np.flatnonzero(mask.to_numpy()) + 2).tolist()
            problems.append(Problem(col, rows=rows[:5], expected=expected, n_rows=len(rows),
                                    found=df.loc[mask, col].astype(str).head(5).tolist()))
    if problems:
        raise ContractError(path, problems)
    if "region" not in df.columns:
        df["region"] = region_of(df["kommune"], table)
    df["birth_year"] = pd.to_numeric(df["birth_year"], errors="coerce")
    return df


def pool_cohort(data_dir: Path | str, score_map: pd.DataFrame, participants: Cohort,
                week_labels: np.ndarray, table: dict[str, str] | None = None) -> Cohort:
    """The comparison pool over the participants' weeks (an error when the weeks differ or ids
    collide with participants)."""
    from tpj_helpers.data.dream import read_dream

    folder = Path(data_dir) / COMPARISON
    table = table if table is not None else kommune_regions()
    extract = read_dream(folder)
    labels = extract.iso_weeks
    if len(labels) != len(week_labels) or (labels != week_labels).any():
        raise ContractError(extract.path, [Problem(
            "y_YYWW", expected=f"the same weeks as the participants' extract ({week_labels[0]}..{week_labels[-1]})",
            found=[f"{labels[0]}..{labels[-1]}"])])
    clash = np.intersect1d(extract.person_id, participants.person_id)
    if len(clash):
        raise ContractError(extract.path, [Problem("person_id", expected="no participant among the pool",
                                                   found=clash[:5].tolist(), n_rows=len(clash))])
    names, cat_lut, score_lut = _category_tables(score_map)
    if names != participants.categories:
        raise ValueError("participants and pool scored with different score maps")
    codes = extract.codes.astype(np.intp)  # -1 = empty reads the last entry
    month_idx = np.searchsorted(extract.grad_month,
                                (extract.week_monday + np.timedelta64(3, "D")).astype("datetime64[M]"))
    employed = (extract.grad > 0)[:, month_idx]
    score = score_lut[codes]
    score[(codes < 0) & employed] = 10
    category = cat_lut[codes]
    bg = read_background(folder, table).set_index("person_id")
    missing = ~pd.Index(extract.person_id).isin(bg.index)
    if missing.any():
        raise ContractError(find_source(folder, "background"), [Problem(
            "person_id", expected="a background row for every person in comparison/dream",
            found=extract.person_id[missing][:5].tolist(), n_rows=int(missing.sum()))])
    info = bg.loc[extract.person_id]
    return Cohort(person_id=extract.person_id, score=score, category=category,
                  gender=info["gender"].fillna("").astype(str).to_numpy(),
                  birth_year=info["birth_year"].to_numpy(dtype=float),
                  region=info["region"].fillna("").astype(str).to_numpy(),
                  categories=names, week_year=_week_years(labels))
