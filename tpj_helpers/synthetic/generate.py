"""Write a complete synthetic data folder in the shape of the data contract.

`generate_demo_data(out, seed, scale)` is what `tpj demo-data` runs. The folder gets a `SYNTHETIC`
marker file; every output made from such a folder says that the data are synthetic.
"""

from __future__ import annotations

import json
import shutil
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from tpj_helpers.synthetic.cohort import make_cohort
from tpj_helpers.synthetic.comparison import make_comparison, pool_spec
from tpj_helpers.synthetic.dream import make_dream
from tpj_helpers.synthetic.marker import MARKER, generator_version, is_synthetic, marker_info
from tpj_helpers.synthetic.qual import make_qual

SURVEY_STREAM = 2  # the survey answers' random stream: default_rng([seed, SURVEY_STREAM])


def load_calibration() -> dict:
    text = resources.files("tpj_helpers.synthetic").joinpath("calibration.yaml").read_text("utf-8")
    return yaml.safe_load(text)


def _prepare(out: Path) -> None:
    if out.exists() and any(out.iterdir()) and not is_synthetic(out):
        raise FileExistsError(
            f"{out} exists and is not a synthetic data folder (no {MARKER} file): refusing to write into it"
        )
    out.mkdir(parents=True, exist_ok=True)


def generate_demo_data(
    out: Path | str,
    seed: int = 2025,
    scale: float = 1.0,
    *,
    comparison_ratio: float | None = None,
    pool_size: int | None = None,
    true_effect: float | None = None,
    pool_format: str = "csv",
) -> Path:
    """Generate the demo data folder; deterministic for a given seed and scale.

    The comparison pool (`comparison/`, see `tpj_helpers.synthetic.comparison`) has
    `comparison_ratio` x the register sample persons (default from calibration.yaml), or exactly
    `pool_size` persons; ratio 0 or size 0 writes none. Its true course effect is `true_effect`.
    """
    if scale <= 0:
        raise ValueError("scale must be positive")
    out = Path(out)
    _prepare(out)
    cal = load_calibration()
    rng = np.random.default_rng(seed)
    try:
        cohort = make_cohort(cal, rng, scale)
    except ValueError as exc:  # below about 0.2 the published structure no longer fits
        raise ValueError(
            f"scale {scale} is too small for the published holds, withdrawals and "
            f"re-enrolments to fit ({exc}); use a scale of 0.2 or more"
        ) from None
    dream = make_dream(cal, cohort, rng)
    from tpj_helpers.synthetic.survey import generate_surveys  # the survey part

    # The questionnaires draw from their own stream (seeded by `seed`), so that a change to the
    # register histories (whose number of draws depends on the states handed out) leaves the
    # survey answers as they are.
    surveys = generate_surveys(cohort.persons, np.random.default_rng([seed, SURVEY_STREAM]))
    tables = {
        "holds": cohort.holds,
        "enrolments": cohort.enrolments,
        "registrations": cohort.registrations,
        "dream": dream,
        **surveys,
    }
    for name, df in tables.items():
        df.to_csv(out / f"{name}.csv", index=False, encoding="utf-8")
    make_qual(out, seed)  # qual/: transcripts, codebook, coded segments (its own random stream)
    spec = pool_spec(
        cal,
        int(cohort.persons["consent_register"].sum()),
        ratio=comparison_ratio,
        size=pool_size,
        true_effect=true_effect,
        pool_format=pool_format,
    )
    comparison = make_comparison(cal, cohort.persons, out, seed, spec) if spec.size else None
    if comparison is None and (out / "comparison").is_dir():  # no pool asked for: none left over
        shutil.rmtree(out / "comparison")
    marker = {
        "synthetic": True,
        "generator": "tpj demo-data",
        "generator_version": generator_version(),
        "seed": seed,
        "scale": scale,
        "note": "Synthetic data calibrated to the published evaluation. No real person is in it.",
        "files": sorted(f"{name}.csv" for name in tables),
        "rows": {name: len(df) for name, df in tables.items()},
    }
    if (
        comparison is not None
    ):  # the pool and its known truth (tests and the effect chapter read it)
        marker["comparison"] = comparison
    (out / MARKER).write_text(json.dumps(marker, indent=2, ensure_ascii=False) + "\n", "utf-8")
    return out


__all__ = [
    "MARKER",
    "generate_demo_data",
    "generator_version",
    "is_synthetic",
    "load_calibration",
    "marker_info",
    "pd",
]
