"""The comparison pool (data contract section 7), checked before any notebook when present.

`comparison/dream.*` must have the wide DREAM columns over the same weeks as the participants'
extract, `comparison/background.*` the columns `person_id`, `gender`, `birth_year`, `kommune`
(optionally `region`); no person id may occur among the participants (a collision names the
ids). The cells of the pool's DREAM file are checked by the reader that loads it for the
analysis; here only what can be seen without reading a national extract into memory: the
columns, and the person ids.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandera.pandas as pa
import polars as pl

from tpj_helpers.data.contract import (
    ContractError,
    Problem,
    find_source,
    isin_check,
    read_table,
    regex_check,
    require_rows,
    text_column,
    validate,
)
from tpj_helpers.data.identifiers import refuse_cpr
from tpj_helpers.data.sources import GENDER

POOL_DIR = "comparison"
REGIONS = ("Hovedstaden", "Sjælland", "Syddanmark", "Midtjylland", "Nordjylland")
MAX_IDS_SHOWN = 5

BACKGROUND_SCHEMA = pa.DataFrameSchema(
    {
        "person_id": text_column(),
        # Required in every row, as the reader of the analysis (comparison.read_background)
        # requires them: a gap must stop the run here, not inside notebook 35.
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


def _collision(path: Path, ids, participants: set[str]) -> None:
    clash = sorted(set(ids) & participants)
    if clash:
        more = f" (first {MAX_IDS_SHOWN} of {len(clash)})" if len(clash) > MAX_IDS_SHOWN else ""
        raise ContractError(
            path,
            [
                Problem(
                    "person_id",
                    expected="persons who are not participants (the pool is drawn among "
                    "persons who did not take the course)",
                    found=[*clash[:MAX_IDS_SHOWN], f"{len(clash)} ids{more}"],
                )
            ],
        )


def _unknown_kommune(bg, path: Path) -> None:
    """Without a `region` column the region follows from `kommune` (the shipped table of the 98
    municipalities): a name the table does not know would lose the person's region silently."""
    if "region" in bg.columns:
        return
    import pandas as pd

    from tpj_helpers.data.contract import problem_from_mask, raise_if_problems
    from tpj_helpers.paths import PARAMS_DIR

    known = set(
        pd.read_csv(PARAMS_DIR / "kommuner_regioner.csv", comment="#", dtype=str)["kommune"]
    )
    raise_if_problems(
        path,
        [
            problem_from_mask(
                bg,
                ~bg["kommune"].isin(known),
                "kommune",
                "the Danish name of one of the 98 municipalities (params/kommuner_regioner.csv), "
                "or a column region",
            )
        ],
    )


def check_pool(data_dir: Path | str, study) -> bool:
    """Check `data_dir/comparison/` against the contract; False when there is no pool."""
    from tpj_helpers.data.dream import GRAD_PATTERN, WEEK_PATTERN, _scan

    folder = Path(data_dir) / POOL_DIR
    if not folder.is_dir():
        return False
    participants = set(study.enrolments["person_id"].astype(str))
    dream_path = find_source(folder, "dream")
    background_path = find_source(folder, "background")
    assert dream_path is not None and background_path is not None

    lf = _scan(dream_path)
    names = lf.collect_schema().names()
    weeks = {c for c in names if re.match(WEEK_PATTERN, c)}
    grads = {c for c in names if re.match(GRAD_PATTERN, c)}
    other = [c for c in names if c not in weeks | grads and c != "person_id"]
    expected_weeks = set(
        study.panel.weeks["iso_week"].cat.categories.map(lambda w: f"y_{w[2:4]}{w[-2:]}")
    )
    problems = []
    if "person_id" not in names:
        problems.append(Problem("person_id", expected="the column to be present (it is missing)"))
    if other:
        problems.append(
            Problem(
                ", ".join(other[:5]), expected="only person_id, y_YYWW and grad_YYYY_MM columns"
            )
        )
    if weeks != expected_weeks:
        lacking, extra = sorted(expected_weeks - weeks), sorted(weeks - expected_weeks)
        problems.append(
            Problem(
                "y_* columns",
                expected="the same weeks as the participants' dream file",
                found=[
                    f"missing {', '.join(lacking[:5]) or 'none'}",
                    f"extra {', '.join(extra[:5]) or 'none'}",
                ],
            )
        )
    if problems:
        raise ContractError(dream_path, problems)
    ids = lf.select(pl.col("person_id")).collect()["person_id"]
    if ids.len() == 0:
        raise ContractError(
            dream_path,
            [
                Problem(
                    "",
                    expected="at least one person row below the header "
                    "(the file has a header only)",
                )
            ],
        )
    _collision(dream_path, ids.drop_nulls().cast(pl.String).to_list(), participants)

    raw = read_table(background_path)
    refuse_cpr(raw, background_path)
    require_rows(raw, background_path)
    bg = validate(raw, BACKGROUND_SCHEMA, background_path)
    _unknown_kommune(bg, background_path)
    _collision(background_path, bg["person_id"].tolist(), participants)
    return True
