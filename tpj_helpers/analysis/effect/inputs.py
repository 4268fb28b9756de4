"""The effect design's inputs: participants and comparison pool as (persons x weeks) cohorts.

Participants come from the validated DREAM panel of `load_data` (consent, phases and exclusions
already applied). The pool comes from the optional `comparison/` folder (contract section 7):
`dream.*` in the wide DREAM layout over the same weeks and `background.*` (person_id, gender,
birth_year, kommune, optionally region). The pool is read by the streaming reader of
`tpj_helpers.data.comparison` (record batches reduced to one byte per person-week) and handed to
the design as a `Cohort` of float32 score and int8 category (1,000,000 x 161 weeks: about 0.8 GB,
no long frame; `benchmarks/bench_comparison_pool.py` measures it).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from tpj_helpers.analysis.effect.design import NO_CATEGORY, Cohort
from tpj_helpers.data.contract import (
    ContractError,
    Problem,
    find_source,
    problem_from_mask,
    raise_if_problems,
)
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


def participants_cohort(
    study, score_map: pd.DataFrame, table: dict[str, str] | None = None
) -> Cohort:
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
        score=score,
        category=category,
        gender=info["gender"].astype(object).fillna("").astype(str).to_numpy(),
        birth_year=pd.to_numeric(info["birth_year"])
        .astype("Float64")
        .to_numpy(dtype=float, na_value=np.nan),
        region=region_of(info["kommune"].astype(object), table),
        start=(-persons["first_week_rel"].to_numpy()).astype(int),
        categories=names,
        week_year=_week_years(labels),
    )


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
        (
            df["person_id"].isna() | df["person_id"].duplicated(),
            "person_id",
            "a unique person_id in every row",
        ),
        (df["gender"].notna() & ~df["gender"].isin(GENDERS), "gender", "kvinde, mand or empty"),
        (
            df["birth_year"].notna() & pd.to_numeric(df["birth_year"], errors="coerce").isna(),
            "birth_year",
            "a whole year such as 1985, or empty",
        ),
    ]
    if "region" in df.columns:
        checks.append(
            (df["region"].notna() & ~df["region"].isin(REGIONS), "region", " | ".join(REGIONS))
        )
    else:
        checks.append(
            (
                df["kommune"].notna() & ~df["kommune"].isin(list(table)),
                "kommune",
                "one of the 98 Danish municipalities (params/kommuner_regioner.csv)",
            )
        )
    for mask, col, expected in checks:
        problems.append(problem_from_mask(df, mask, col, expected))
    raise_if_problems(path, problems)
    if "region" not in df.columns:
        df["region"] = region_of(df["kommune"], table)
    df["birth_year"] = pd.to_numeric(df["birth_year"], errors="coerce")
    return df


def _mondays(week_labels: np.ndarray) -> np.ndarray:
    """ISO week labels such as '2024-W10' -> their Monday (datetime64[D])."""
    from datetime import date

    return np.array(
        [date.fromisocalendar(int(str(w)[:4]), int(str(w)[6:]), 1) for w in week_labels],
        dtype="datetime64[D]",
    )


def cohort_from_scores(
    m,
    background: pd.DataFrame,
    categories: tuple[str, ...],
    table: dict[str, str],
    path: Path | None = None,
    start: np.ndarray | None = None,
) -> Cohort:
    """A design `Cohort` from the streaming reader's compact `ScoreMatrix` (data.comparison).

    Score: 0..10, NaN for the sentinels (no score, coded out, unknown code); category remapped
    from the matrix's categories onto `categories` (the participants'); `background` in the
    matrix's row order (person_id, gender, birth_year, kommune, region): region from kommune
    where it is missing (an unknown kommune is an error naming `path`). Memory: 5 bytes per
    person-week (float32 score + int8 category), no long frame.
    """
    score = np.empty(m.score.shape, dtype=np.float32)
    step = max(1, (1 << 22) // max(m.score.shape[1], 1))
    for a in range(0, len(score), step):  # blocks of persons: no full-size temporaries
        block = m.score[a : a + step]
        score[a : a + step] = np.where(block >= 0, block, np.nan)
    remap = np.array(
        [categories.index(c) if c in categories else NO_CATEGORY for c in m.categories]
        + [NO_CATEGORY],
        dtype=np.int8,
    )  # index -1 (no code) reads the last entry
    category = remap[m.category]
    region = background["region"].astype(object)
    fill = region.isna() | (region.astype(str) == "")
    if fill.any():
        kommune = background["kommune"].astype(object)
        unknown = fill & kommune.notna() & ~kommune.isin(list(table))
        if unknown.any():
            rows = np.flatnonzero(unknown.to_numpy())
            raise ContractError(
                path or Path("background"),
                [
                    Problem(
                        "kommune",
                        rows=(rows[:5] + 2).tolist(),
                        n_rows=len(rows),
                        expected="one of the 98 Danish municipalities (params/kommuner_regioner.csv)",
                        found=kommune.iloc[rows[:5]].astype(str).tolist(),
                    )
                ],
            )
        region = region.where(~fill, kommune.map(table))
    years = np.array([int(str(d)[:4]) for d in m.week_monday + np.timedelta64(3, "D")])
    return Cohort(
        person_id=np.asarray(m.person_id).astype(str),
        score=score,
        category=category,
        gender=background["gender"].astype(object).fillna("").astype(str).to_numpy(),
        birth_year=pd.to_numeric(background["birth_year"])
        .astype("Float64")
        .to_numpy(dtype=float, na_value=np.nan),
        region=region.fillna("").astype(str).to_numpy(),
        start=start,
        categories=categories,
        week_year=years,
    )


def consenting_cohort(
    parts, persons: pd.DataFrame, categories: tuple[str, ...], table: dict[str, str]
) -> Cohort:
    """The participants with register consent as a design `Cohort`, from the streaming reader's
    `ScoreMatrix` of their history (`data.comparison.participant_history`) and the persons table
    (gender, birth year, kommune, start date; region from kommune). Used where the participants'
    history is already in a matrix (the pool benchmark, the demo-shaped validation)."""
    from tpj_helpers.data.comparison import ScoreMatrix

    p = persons.set_index("person_id")
    consent = p.index[p["consent_register"].astype(bool)]
    rows = np.flatnonzero(np.isin(parts.person_id, consent))
    sub = ScoreMatrix(
        parts.person_id[rows],
        parts.week_monday,
        parts.score[rows],
        parts.category[rows],
        categories,
    )
    who = p.loc[sub.person_id]
    bg = pd.DataFrame(
        {
            "gender": who["gender"].astype(object).to_numpy(),
            "birth_year": who["birth_year"].to_numpy(),
            "kommune": who["kommune"].astype(object).to_numpy(),
            "region": pd.NA,
        }
    )
    start = sub.week_index(who["start_date"]).astype(int)
    return cohort_from_scores(sub, bg, categories, table, start=start)


def pool_cohort(
    data_dir: Path | str,
    score_map: pd.DataFrame,
    participants: Cohort,
    week_labels: np.ndarray,
    table: dict[str, str] | None = None,
) -> Cohort:
    """The comparison pool over the participants' weeks, read by the streaming reader
    (`data.comparison.read_pool`: record batches, one byte per person-week), as a `Cohort`.

    An error when the weeks differ from `week_labels` or ids collide with participants.
    """
    from tpj_helpers.data.comparison import read_pool

    table = table if table is not None else kommune_regions()
    pool = read_pool(
        data_dir,
        participant_ids=participants.person_id,
        score_map=score_map,
        week_monday=_mondays(week_labels),
    )
    return cohort_from_scores(
        pool.scores, pool.background, tuple(participants.categories), table, pool.background_path
    )
