"""Holm-adjusted p-values within families of tests (`p_holm`, outputs.md "Additions").

Families (the report names them beside the primary endpoint, which is not adjusted):

- register subgroup tests: the rows of one register model and term across its subgroups
  (`analysis=register`, `subgroup != all`), e.g. the post change of every gender, age group,
  visitation category, phase and status, or the interaction tests of the subgroup dimensions;
- survey item tests: the items of one survey comparison (`analysis=survey`, one model and one
  `subgroup`, e.g. `wave:foer-efter`).

Every other row (the primary endpoints, the effect estimates, WHO-5 means, balanced-panel checks)
belongs to no family and has an empty `p_holm`. Light module (no numpy or statsmodels: the
runner imports it): Holm's step-down adjustment is a few lines, checked against statsmodels'
`multipletests(method="holm")` in the tests (statsmodels runs a full garbage collection on every
call, which cost the runner a second per run).
"""

from __future__ import annotations

import math

from tpj_helpers.publish.estimates import ESTIMATE_COLUMNS

OUTPUT_COLUMNS = [*ESTIMATE_COLUMNS, "p_holm"]


def family(row: dict) -> str | None:
    """The family of tests an estimate row belongs to, or None."""
    analysis, model, subgroup, term = (row["analysis"], row["model"], row["subgroup"], row["term"])
    if analysis == "register" and subgroup != "all" and not model.endswith("_balanced"):
        return f"register|{model}|{term}"
    if analysis == "survey":
        return f"survey|{model}|{subgroup}"
    return None


def _p(value) -> float:
    try:
        p = float(value)
    except (TypeError, ValueError):
        return math.nan
    return p


def holm(pvalues: list[float]) -> list[float]:
    """Holm's step-down adjusted p-values, in the order given: sorted ascending, the i-th smallest
    (1-based) gets max over j <= i of min(1, (m - j + 1) * p_(j))."""
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i])
    out = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * pvalues[i]))
        out[i] = running
    return out


def holm_column(rows: list[dict]) -> list[str]:
    """`p_holm` per row as text (shortest float repr; empty outside a family or without p)."""
    members: dict[str, list[int]] = {}
    for i, row in enumerate(rows):
        fam = family(row)
        if fam is not None and math.isfinite(_p(row["p_value"])):
            members.setdefault(fam, []).append(i)
    out = [""] * len(rows)
    for idx in members.values():
        adjusted = holm([_p(rows[i]["p_value"]) for i in idx])
        for i, p in zip(idx, adjusted, strict=True):
            out[i] = repr(float(p))
    return out
