"""The effect design's stages for `benchmarks/bench_comparison_pool.py` (`make bench-effect`).

The benchmark reads the pool with the streaming reader (`data.comparison.read_pool`) and hands
its context here; each stage below is timed with its own peak memory:

  cohorts         the pool's compact `ScoreMatrix` -> the design's `Cohort` (float32 score, int8
                  category; `inputs.cohort_from_scores`, as `inputs.pool_cohort` does for a run),
                  and the participants' (register consent) with their course start week
  matching        `design.match`: per hold the risk set (pool on a qualifying benefit in week -1),
                  the history covariates and coarsened exact matching (at most `max_controls`
                  controls per participant)
  panel           `design.stacked_panel`: the long stacked panel of matched persons only
  event_study     `design.event_study` (pyfixest, person-by-stack and week-by-stack fixed effects,
                  CRV1 by person), the ATTs, placebo and relative-magnitudes bound
  callaway_santanna, balance   the robustness estimate and the balance table
"""

from __future__ import annotations

from tpj_helpers.analysis.effect import design, inputs


def cohorts(ctx: dict) -> None:
    table = inputs.kommune_regions()
    pool = ctx["pool"]
    cats = tuple(pool.scores.categories)
    ctx["pool_cohort"] = inputs.cohort_from_scores(pool.scores, pool.background, cats, table)
    ctx["part_cohort"] = inputs.consenting_cohort(ctx["parts"], ctx["persons"], cats, table)


def matching(ctx: dict) -> None:
    ctx["params"] = design.design_params()
    ctx["matching"] = design.match(ctx["part_cohort"], ctx["pool_cohort"], ctx["params"])


def panel(ctx: dict) -> None:
    ctx["panel"] = design.stacked_panel(
        ctx["part_cohort"], ctx["pool_cohort"], ctx["matching"], ctx["params"]
    )


def event_study(ctx: dict) -> None:
    hi = ctx["params"]["event_window"][1]
    es, vcov, g = design.event_study(ctx["panel"], ctx["params"])
    att = design.att_terms(es, vcov, g, hi)
    plac = design.published_placebo(
        ctx["part_cohort"], ctx["pool_cohort"], ctx["matching"], ctx["params"], es, vcov, g
    )
    ctx.update(
        event_study=es,
        att=att,
        clusters=g,
        placebo=plac,
        sensitivity=design.sensitivity(att, plac, f"att_{hi}"),
    )


def callaway_santanna(ctx: dict) -> None:
    ctx["att_cs"] = design.att_cs_terms(
        ctx["panel"], ctx["clusters"], ctx["params"]["event_window"][1]
    )


def balance(ctx: dict) -> None:
    ctx["balance"] = design.balance(ctx["matching"])


def summary(ctx: dict) -> dict:
    """What the design produced (for the results JSON)."""
    m = ctx.get("matching")
    out = {}
    if m is not None:
        out.update(
            stacks=m.counts["stacks"],
            matched_participants=m.counts["matched"],
            controls=m.counts["controls"],
            risk_set_rows=int(sum(len(s.risk_set) for s in m.stacks)),
        )
    if "panel" in ctx:
        out["panel_rows"] = len(ctx["panel"])
    if "att" in ctx:
        out["att"] = {r.term: round(float(r.estimate), 4) for r in ctx["att"].itertuples()}
    if "balance" in ctx:
        out["max_abs_smd_after"] = round(float(ctx["balance"]["smd_after"].abs().max()), 4)
    return out


STAGES = [
    ("cohorts", cohorts),
    ("matching", matching),
    ("panel", panel),
    ("event_study", event_study),
    ("callaway_santanna", callaway_santanna),
    ("balance", balance),
]
