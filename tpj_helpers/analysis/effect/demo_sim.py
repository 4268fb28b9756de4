"""The effect design on demo-shaped data with a known effect: many seeds of the demo generator.

`simulate` validates the design on its own Markov population. This module runs it on data shaped
like the contract, as an outsider would: the demo generator's participants (register sample,
holds, DREAM extract) and its comparison pool with a known true effect
(`tpj_helpers.synthetic.comparison`), written to a temporary folder, read back through the same
readers as a run (`data.dream`, `data.comparison`) and handed to `design`. Only the files the
design reads are written (holds, enrolments, registrations, dream, comparison/); the surveys and
interviews are not generated. The truth is the generator's: `true_att_26` and `true_att_0_26`
(the effect ramps in over the course, `comparison.true_effect_path`), and per relative week e(t)
averaged over the matched participants' course lengths.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from tpj_helpers.analysis.effect import design, inputs
from tpj_helpers.analysis.effect.simulate import estimands


def demo_cohorts(
    seed: int, true_effect: float = 0.5, ratio: float | None = None
) -> tuple[design.Cohort, design.Cohort, dict]:
    """(participants, pool, truth) of the demo generator at `seed` (read back from files)."""
    from tpj_helpers.data import cohort as cohort_mod
    from tpj_helpers.data import comparison as cmp
    from tpj_helpers.data import dream, sources
    from tpj_helpers.synthetic.cohort import make_cohort
    from tpj_helpers.synthetic.comparison import make_comparison, pool_spec
    from tpj_helpers.synthetic.dream import make_dream
    from tpj_helpers.synthetic.generate import load_calibration

    cal = load_calibration()
    rng = np.random.default_rng(seed)
    coh = make_cohort(cal, rng, 1.0)
    wide = make_dream(cal, coh, rng)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name, df in (
            ("holds", coh.holds),
            ("enrolments", coh.enrolments),
            ("registrations", coh.registrations),
            ("dream", wide),
        ):
            df.to_csv(folder / f"{name}.csv", index=False, encoding="utf-8")
        spec = pool_spec(
            cal, int(coh.persons["consent_register"].sum()), ratio=ratio, true_effect=true_effect
        )
        kinds: list = []
        info = make_comparison(cal, coh.persons, folder, seed, spec, truth=kinds)
        holds = sources.load_holds(folder)
        persons = cohort_mod.build_persons(
            holds, sources.load_enrolments(folder, holds), sources.load_registrations(folder)
        )
        ext = dream.read_dream(folder)
        pool = cmp.read_pool(
            folder, participant_ids=persons["person_id"], week_monday=ext.week_monday
        )
    parts = cmp.participant_history(ext)
    table = inputs.kommune_regions()
    cats = tuple(pool.scores.categories)
    pool_cohort = inputs.cohort_from_scores(pool.scores, pool.background, cats, table)
    kind = pd.concat(kinds, ignore_index=True).set_index("person_id")
    kind = kind.reindex(pool.scores.person_id)
    would_be = np.full(len(kind), -1)
    twin = kind["twin"].to_numpy(dtype=bool)
    would_be[twin] = parts.week_index(pd.to_datetime(kind["would_be_start"][twin])).astype(int)
    part_cohort = inputs.consenting_cohort(parts, persons, cats, table)
    truth = {
        "effect": info["true_att_26"],
        "att_26": info["true_att_26"],
        "att_0_26": info["true_att_0_26"],
        "n_weeks": coh.persons.set_index("person_id")["n_weeks"],
        "true_effect": true_effect,
        "would_be_start": would_be,  # pool row -> a twin's hold start (week index), -1: others
    }
    return part_cohort, pool_cohort, truth


def _subset(c: design.Cohort, rows: np.ndarray) -> design.Cohort:
    return design.Cohort(
        person_id=c.person_id[rows],
        score=c.score[rows],
        category=c.category[rows],
        gender=c.gender[rows],
        birth_year=c.birth_year[rows],
        region=c.region[rows],
        start=None if c.start is None else c.start[rows],
        categories=c.categories,
        week_year=c.week_year,
    )


def oracle_match(
    part: design.Cohort, pool: design.Cohort, would_be: np.ndarray, params: dict
) -> design.Matching:
    """The design's matching with each hold's risk set cut down to its own twins (the pool
    members whose post-period law is the participants' minus the effect, by construction): what
    the design would give if the would-be start, which the data do not show, could be matched on."""
    stacks, counts = [], {}
    for week in np.unique(part.start):
        rows_t = np.flatnonzero(part.start == week)
        rows_c = np.flatnonzero(would_be == week)
        if not len(rows_c):
            continue
        m = design.match(_subset(part, rows_t), _subset(pool, rows_c), params)
        for k, v in m.counts.items():
            counts[k] = counts.get(k, 0) + v
        for s in m.stacks:
            s.treated, s.controls = rows_t[s.treated], rows_c[s.controls]
            s.risk_set = rows_c[s.risk_set]
            stacks.append(s)
    empty = pd.DataFrame()
    return design.Matching(stacks, counts, empty, empty, empty, empty)


def control_kinds(m: design.Matching, would_be: np.ndarray) -> dict:
    """Shares of the matched controls' weight by kind: own twins, twins of other holds, others."""
    w = {"own_twins": 0.0, "other_twins": 0.0, "others": 0.0}
    for s in m.stacks:
        wb = would_be[s.controls]
        w["own_twins"] += float(s.weight[wb == s.week].sum())
        w["other_twins"] += float(s.weight[(wb >= 0) & (wb != s.week)].sum())
        w["others"] += float(s.weight[wb < 0].sum())
    total = sum(w.values()) or 1.0
    return {f"weight_{k}": v / total for k, v in w.items()}


def replicate(
    seed: int,
    design_params: dict | None = None,
    true_effect: float = 0.5,
    with_cs: bool = True,
    oracle: bool = False,
) -> dict:
    """One demo-shaped data set through the design: every published effect row against its truth
    (`oracle`: the risk sets cut down to each hold's own twins, see `oracle_match`)."""
    from tpj_helpers.synthetic.comparison import true_effect_path

    part, pool, truth = demo_cohorts(seed, true_effect)
    params = design.design_params(**(design_params or {}))
    hi = params["event_window"][1]
    if oracle:
        m = oracle_match(part, pool, truth["would_be_start"], params)
    else:
        m = design.match(part, pool, params)
    # The truth per relative week: the ramp e(t) averaged over the matched participants' course
    # lengths (at week 26 every ramp is complete: `true_effect`).
    treated = np.concatenate([s.treated for s in m.stacks]) if m.stacks else np.zeros(0, int)
    n_weeks = truth["n_weeks"].reindex(part.person_id[treated]).fillna(1).to_numpy()
    path = true_effect_path(true_effect, n_weeks[:, None], np.arange(hi + 1)[None, :])
    path = path.mean(axis=0) if len(n_weeks) else np.full(hi + 1, true_effect)
    out = estimands(part, pool, m, params, path, with_cs=with_cs)
    out.update(control_kinds(m, truth["would_be_start"]))
    out.update(seed=seed, marker_att_26=truth["att_26"], marker_att_0_26=truth["att_0_26"])
    return out
