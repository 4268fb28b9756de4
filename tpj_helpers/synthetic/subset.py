"""Small deliveries cut from a data folder (the demo data), for tests and the small-population
sweep (`benchmarks/small_sweep.py`, issue 12 part 4).

A real delivery may be one municipality, a few completers, one hold or one survey wave. These
functions copy a data folder keeping only some persons (and survey waves), in the shape of the
data contract: a survey wave none of the kept persons returned has no file and no invitations
(a wave without returns is a missing file, not an empty one). The source folder is only read.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

WAVES = ("foer", "efter", "3mdr")
PERSON_FILES = (
    "enrolments.csv",
    "registrations.csv",
    "dream.csv",
    *(f"survey_{w}.csv" for w in WAVES),
)


def copy_subset(
    src: Path | str, dst: Path | str, keep: Iterable[str] | None = None, waves=WAVES
) -> Path:
    """Copy the data folder `src` to `dst` with only the persons in `keep` (None: everyone) and
    the survey waves in `waves` (CSV files, as the demo data writes them)."""
    src, dst = Path(src), Path(dst)
    if dst.exists():
        shutil.rmtree(dst)
    shutil.copytree(src, dst)
    keep = None if keep is None else set(keep)
    waves = list(waves)
    for name in PERSON_FILES:
        path = dst / name
        if not path.is_file():
            continue
        wave = name.removeprefix("survey_").removesuffix(".csv")
        if wave in WAVES and wave not in waves:
            path.unlink()
            continue
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
        if keep is not None:
            df = df[df["person_id"].isin(keep)]
        if wave in WAVES and df.empty:  # no returns: the wave was not run for these persons
            path.unlink()
            waves.remove(wave)
            continue
        df.to_csv(path, index=False)
    # the invitations of the persons and waves left
    dispatch = dst / "survey_dispatch.csv"
    df = pd.read_csv(dispatch, dtype=str, keep_default_na=False)
    df = df[df["wave"].isin(waves)]
    if keep is not None:
        df = df[df["person_id"].isin(keep)]
    df.to_csv(dispatch, index=False)
    return dst


def completers(src: Path | str, n: int) -> list[str]:
    """`n` completers with register consent, those who returned most survey waves first (then
    in the order of `enrolments.csv`)."""
    src = Path(src)
    enrol = pd.read_csv(src / "enrolments.csv", dtype=str)
    reg = pd.read_csv(src / "registrations.csv", dtype=str)
    consenting = set(reg.loc[reg["consent_register"] == "ja", "person_id"])
    done = enrol[(enrol["status"] == "gennemført") & enrol["person_id"].isin(consenting)]
    done = done.drop_duplicates("person_id")
    returned = sum(
        done["person_id"].isin(pd.read_csv(src / f"survey_{w}.csv", dtype=str)["person_id"])
        for w in WAVES
        if (src / f"survey_{w}.csv").is_file()
    )
    order = done.assign(returned=returned.to_numpy()).sort_values(
        "returned", ascending=False, kind="stable"
    )
    return order["person_id"].head(n).tolist()


def hold(src: Path | str, hold_id: str) -> list[str]:
    """The persons enrolled on one hold."""
    enrol = pd.read_csv(Path(src) / "enrolments.csv", dtype=str)
    return sorted(set(enrol.loc[enrol["hold_id"] == hold_id, "person_id"]))
