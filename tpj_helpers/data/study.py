"""Everything a notebook reads, loaded once through the contract loaders.

`load_data(data_dir, ...)` returns a `StudyData` bundle: the typed sources, the person table, the
DREAM panel, the surveys and the exclusions ledger filled by every loading step.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import shutil
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from tpj_helpers.paths import PACKAGE_ROOT, REPO_ROOT
from tpj_helpers.synthetic.marker import generator_version, is_synthetic, marker_info

if TYPE_CHECKING:  # the loaders import pandas, pandera and polars: only when data are loaded
    import pandas as pd

    from tpj_helpers.data import dream, survey
    from tpj_helpers.data.exclusions import Exclusions


@dataclass
class StudyData:
    data_dir: Path
    synthetic: bool
    holds: pd.DataFrame
    enrolments: pd.DataFrame
    registrations: pd.DataFrame
    persons: pd.DataFrame
    panel: dream.DreamPanel
    surveys: survey.SurveyData
    exclusions: Exclusions


def resolve(path: str | Path) -> Path:
    """A parameter path: absolute as given, relative to the repository otherwise."""
    p = Path(path)
    return p if p.is_absolute() else REPO_ROOT / p


DEMO = "demo"


def demo_data_dir(seed: int = 2025, scale: float = 1.0) -> Path:
    """The cached synthetic demo folder for (seed, scale), generated on first use and again when
    the generator has changed since (its version is in the SYNTHETIC marker)."""
    from tpj_helpers.synthetic.generate import generate_demo_data

    suffix = "" if scale == 1 else f"-scale-{scale:g}"
    folder = REPO_ROOT / ".cache" / "demo-data" / f"seed-{seed}{suffix}"
    if marker_info(folder).get("generator_version") != generator_version():
        if folder.exists():
            shutil.rmtree(folder)  # our own cache folder: stale files must not survive
        generate_demo_data(folder, seed=seed, scale=scale)
    return folder


def resolve_data_dir(data_dir: str | Path, demo_seed: int = 2025, demo_scale: float = 1.0) -> Path:
    """`demo` means the synthetic demo data; anything else is a folder path."""
    if str(data_dir) == DEMO:
        return demo_data_dir(demo_seed, demo_scale)
    return resolve(data_dir)


CACHE_DIR = REPO_ROOT / ".cache" / "studydata"
# Validated copies kept (newest first). They hold microdata: on real data the cache is as
# confidential as the data folder; `make clean` deletes it.
CACHE_KEEP = 4


def _cache_key(data_dir: Path, *params) -> str:
    """Hash of the data folder's resolved path and content, the parameter files and the package's
    own code: a moved or copied folder gets its own entry (a bundle carries its folder's path)."""
    h = hashlib.sha256(repr(params).encode())
    h.update(str(data_dir.resolve()).encode())
    for path in sorted(p for p in data_dir.rglob("*") if p.is_file()):
        h.update(str(path.relative_to(data_dir)).encode())
        with path.open("rb") as fh:  # streamed: a national pool file can be large
            h.update(hashlib.file_digest(fh, "sha256").digest())
    for path in sorted(PACKAGE_ROOT.rglob("*.py")):
        h.update(path.read_bytes())
    return h.hexdigest()[:32]


def _cache_path(data_dir: Path, dream_score_map, survey_codebook, phases, kommuner=None) -> Path:
    params = (str(resolve(dream_score_map)), str(resolve(survey_codebook)), tuple(phases))
    if kommuner:  # a municipality variant (tpj batch); the default keeps its key
        params = (*params, ("kommuner", tuple(sorted(kommuner))))
    key = _cache_key(
        data_dir,
        *params,
        resolve(dream_score_map).read_bytes(),
        resolve(survey_codebook).read_bytes(),
    )
    return CACHE_DIR / f"{key}.pkl"


def validate_data(
    data_dir: str | Path,
    dream_score_map: str | Path = "params/dream_score_map.csv",
    survey_codebook: str | Path = "params/survey_codebook.yaml",
    phases: list[str] | tuple[str, ...] = ("pilot", "udbredelse"),
    demo_seed: int = 2025,
    demo_scale: float = 1.0,
    allow_missing_waves: bool = False,
) -> bool:
    """Validate the data folder once (what `tpj run` does before any notebook); True when the
    data are synthetic. Every source is checked: the tabular files and the plausibility rules
    (`load_data`), the qualitative folder and the comparison pool when present, and the survey
    waves with invitations but no file (an error unless `allow_missing_waves`). A folder whose
    validated copy is cached (same path, content, parameters and code) passed before and is not
    read again: the runner then never imports the loaders."""
    folder = resolve_data_dir(data_dir, demo_seed, demo_scale)
    if not folder.is_dir():
        raise FileNotFoundError(f"the data folder {folder} does not exist")
    marker = _cache_path(folder, dream_score_map, survey_codebook, phases).with_suffix(
        f".checked-{int(bool(allow_missing_waves))}"
    )
    if marker.is_file():
        return is_synthetic(folder)
    study = check_all(
        folder,
        dream_score_map,
        survey_codebook,
        phases,
        demo_seed,
        demo_scale,
        allow_missing_waves=allow_missing_waves,
    )
    marker.touch()
    return study.synthetic


def check_all(
    folder: Path,
    dream_score_map: str | Path = "params/dream_score_map.csv",
    survey_codebook: str | Path = "params/survey_codebook.yaml",
    phases: list[str] | tuple[str, ...] = ("pilot", "udbredelse"),
    demo_seed: int = 2025,
    demo_scale: float = 1.0,
    allow_missing_waves: bool = False,
    cache: bool = True,
) -> StudyData:
    """Every check of the data contract on one folder; the loaded bundle. A breach raises
    ContractError (or CodebookError): the tabular sources and the plausibility rules
    (`load_data`), the survey waves with invitations but no file (unless `allow_missing_waves`),
    the qualitative folder and the comparison pool when present."""
    from tpj_helpers.data import survey
    from tpj_helpers.data.plausibility import missing_wave_error
    from tpj_helpers.data.pool_check import check_pool
    from tpj_helpers.data.qual import load_qual

    study = load_data(
        folder, dream_score_map, survey_codebook, phases, demo_seed, demo_scale, cache=cache
    )
    missing = survey.missing_wave_invitations(study.surveys)
    if missing and not allow_missing_waves:
        raise missing_wave_error(Path(folder), missing)
    load_qual(folder)
    check_pool(folder, study)
    return study


def load_data(
    data_dir: str | Path,
    dream_score_map: str | Path = "params/dream_score_map.csv",
    survey_codebook: str | Path = "params/survey_codebook.yaml",
    phases: list[str] | tuple[str, ...] = ("pilot", "udbredelse"),
    demo_seed: int = 2025,
    demo_scale: float = 1.0,
    cache: bool = True,
    kommuner: list[str] | tuple[str, ...] | None = None,
) -> StudyData:
    """Load and validate the whole data folder; keep the persons of the chosen phases (and,
    when `kommuner` is given, of those municipalities: a report variant of `tpj batch`).

    The validated result is cached under `.cache/studydata/` (keyed by the content of every input
    file, the parameters and the package code), so the notebooks of one run validate once.
    The data folder itself is never written to.
    """
    data_dir = resolve_data_dir(data_dir, demo_seed, demo_scale)
    cached = _cache_path(data_dir, dream_score_map, survey_codebook, phases, kommuner)
    if cache and cached.is_file():
        with cached.open("rb") as fh:
            study = pickle.load(fh)
        # The codebook (read-only mappings) is not pickled: it is re-read, which is cheap.
        from tpj_helpers.data import survey

        codebook = survey.load_codebook(resolve(survey_codebook))
        # The key includes the folder's path, so this is the same folder; the path is set anew
        # all the same, so that a bundle never points at another folder.
        return replace(study, data_dir=data_dir, surveys=replace(study.surveys, codebook=codebook))
    study = _load(data_dir, dream_score_map, survey_codebook, phases, kommuner)
    if cache:
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(f".{os.getpid()}.tmp")
        with tmp.open("wb") as fh:
            pickle.dump(
                replace(study, surveys=replace(study.surveys, codebook=None)),
                fh,
                protocol=pickle.HIGHEST_PROTOCOL,
            )
        os.replace(tmp, cached)  # atomic: parallel notebooks never read a half-written file
        _prune_cache(CACHE_DIR, CACHE_KEEP)
    return study


def _prune_cache(folder: Path, keep: int) -> None:
    """Delete all but the `keep` most recently written validated copies."""
    entries = sorted(folder.glob("*.pkl"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in entries[keep:]:
        old.unlink(missing_ok=True)
        for marker in folder.glob(f"{old.stem}.checked-*"):
            marker.unlink(missing_ok=True)


def _load(data_dir: Path, dream_score_map, survey_codebook, phases, kommuner=None) -> StudyData:
    from tpj_helpers.data import cohort, dream, plausibility, sources, survey
    from tpj_helpers.data.contract import find_source
    from tpj_helpers.data.exclusions import Exclusions

    ex = Exclusions()
    holds = sources.load_holds(data_dir)
    enrolments = sources.load_enrolments(data_dir, holds)
    registrations = sources.load_registrations(data_dir)
    plausibility.check_dates_in_period(
        registrations, "registered_date", holds, find_source(data_dir, "registrations")
    )
    persons = cohort.build_persons(holds, enrolments, registrations, ex)
    persons = plausibility.implausible_ages(persons, ex)
    out_of_phase = ~persons["phase"].isin(list(phases))
    ex.add(
        "enrolments", "phase not selected in the run parameters", "persons", int(out_of_phase.sum())
    )
    persons = persons[~out_of_phase].reset_index(drop=True)
    if kommuner:
        elsewhere = ~persons["kommune"].isin(list(kommuner))
        ex.add(
            "enrolments",
            "municipality not selected in the run parameters (kommuner)",
            "persons",
            int(elsewhere.sum()),
        )
        persons = persons[~elsewhere].reset_index(drop=True)
    score_map = dream.load_score_map(resolve(dream_score_map))
    panel = dream.build_panel(dream.read_dream(data_dir), persons, score_map, ex)
    codebook = survey.load_codebook(resolve(survey_codebook))
    surveys = survey.load_surveys(data_dir, codebook, ex)
    plausibility.check_dates_in_period(
        surveys.dispatch, "sent_date", holds, find_source(data_dir, survey.DISPATCH_STEM)
    )
    return StudyData(
        data_dir=data_dir,
        synthetic=is_synthetic(data_dir),
        holds=holds,
        enrolments=enrolments,
        registrations=registrations,
        persons=persons,
        panel=panel,
        surveys=surveys,
        exclusions=ex,
    )
