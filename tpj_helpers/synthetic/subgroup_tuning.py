"""Tune the latent subgroup shifts of the synthetic DREAM histories to the published subgroups.

    .venv/bin/python -m tpj_helpers.synthetic.subgroup_tuning [--seed 2025] [--rounds 300]

The published two-point models by subgroup (`register.subgroup_targets` in calibration.yaml,
transcribed from Bilag 13) give each subgroup's mean score at weeks -26, -1 and 26. The generator
hands out the exact Tabel 6 distribution by rank of a latent "closeness to work" with additive
shifts per gender, age group, visitation and phase; this script replays the generator's draws
(same seed, same order) and moves each shift towards its subgroup's target mean, a damped
fixed-point iteration. It prints the shifts as YAML for `register.subgroup_shift`. The shift of
the anchor right after the course (no published target) is the mean of the shifts at -1 and 26.
Where `register.tuning_targets` gives another change before the course (`pre_change`) for a
group, the tuning aims at that instead of the published one (calibration.yaml says why).
Nothing here runs in a report; the result is checked by `tests/test_synthetic.py`.
"""

from __future__ import annotations

import argparse
import copy

import numpy as np
import yaml

from tpj_helpers.synthetic.cohort import make_cohort
from tpj_helpers.synthetic.dream import anchor_states
from tpj_helpers.synthetic.generate import load_calibration

TARGET_ANCHORS = (0, 1, 3)  # weeks -26, -1, 26 (anchor 2 = right after the course)


def target_means(cal: dict) -> dict[tuple[str, str], np.ndarray]:
    """(factor, level) -> mean score at weeks -26, -1, 26 from the published two-point models."""
    out = {}
    for factor, levels in cal["register"]["subgroup_targets"].items():
        for level, t in levels.items():
            pre, post = t["pre"], t["post"]  # [intercept, change]
            aim = cal["register"].get("tuning_targets", {}).get(factor, {}).get(level, {})
            pre_change = aim.get("pre_change", pre[1])
            out[(factor, level)] = np.array([pre[0], pre[0] + pre_change, post[0] + post[1]])
    return out


def subgroup_means(cal: dict, cohort, rng_state: dict) -> dict[tuple[str, str], np.ndarray]:
    """Completers' mean score at weeks -26, -1, 26 per (factor, level), replaying the draws."""
    rng = np.random.default_rng()
    rng.bit_generator.state = copy.deepcopy(rng_state)
    st = anchor_states(cal, cohort, rng)
    people, states = st["people"], st["states"]
    comp = (people["status"] == "gennemført").to_numpy() & ~st["is_extra"]
    scored = st["covered"] & (states >= 0) & comp[:, None]
    out = {}
    for factor, levels in cal["register"]["subgroup_targets"].items():
        for level in levels:
            g = (people[factor].astype(object) == level).to_numpy()[:, None] & scored
            out[(factor, level)] = np.array(
                [states[g[:, a], a].mean() if g[:, a].any() else np.nan for a in TARGET_ANCHORS]
            )
    return out


def tune(seed: int = 2025, rounds: int = 300, rate: float = 0.25) -> tuple[dict, float]:
    cal = load_calibration()
    rng = np.random.default_rng(seed)
    cohort = make_cohort(cal, rng, 1.0)
    state = copy.deepcopy(rng.bit_generator.state)
    targets = target_means(cal)
    shifts = {
        f: {lv: [0.0, 0.0, 0.0, 0.0] for lv in levels}
        for f, levels in cal["register"]["subgroup_targets"].items()
    }
    best, best_err = copy.deepcopy(shifts), np.inf
    for r in range(rounds):
        cal["register"]["subgroup_shift"] = shifts
        means = subgroup_means(cal, cohort, state)
        err = max(float(np.nanmax(np.abs(means[k] - targets[k]))) for k in targets)
        if err < best_err:
            best, best_err = copy.deepcopy(shifts), err
        step = rate / (1 + r / 100)
        for (f, lv), t in targets.items():
            d = np.nan_to_num(t - means[(f, lv)]) / 2.5  # score points -> latent SD, roughly
            s = shifts[f][lv]
            for i, a in enumerate(TARGET_ANCHORS):
                s[a] += step * d[i]
            s[2] = (s[1] + s[3]) / 2
    return best, best_err


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=2025)
    ap.add_argument("--rounds", type=int, default=300)
    args = ap.parse_args(argv)
    shifts, err = tune(args.seed, args.rounds)
    rounded = {
        f: {lv: [round(float(x), 3) for x in s] for lv, s in levels.items()}
        for f, levels in shifts.items()
    }
    print(f"# largest distance to a published subgroup mean: {err:.3f}")
    print(
        yaml.safe_dump(
            {"subgroup_shift": rounded},
            allow_unicode=True,
            sort_keys=False,
            default_flow_style=None,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
