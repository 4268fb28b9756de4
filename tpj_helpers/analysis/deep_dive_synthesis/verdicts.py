"""Recommendations judged against the run's data: "understøttet", "delvist understøttet" or
"modsagt af data".

A recommendation (params/recommendations.yaml) keeps its wording; its evidence is computed:
the interviews mentioning its themes (and their roles) and its indicators (the triangulation
links it cites), each with the direction the data must show to back it (`expected`:
`{above: x}` or `{below: x}`). The verdict:

- "understøttet": at least `min_interviews` interviews mention its themes, and every indicator
  that can be evaluated meets its expectation;
- "modsagt af data": at least one indicator can be evaluated, and none meets its expectation;
- "delvist understøttet": everything in between (some expectations met, or too few interviews,
  or no indicator to evaluate).
"""

from __future__ import annotations

import math

import pandas as pd

from tpj_helpers.analysis.deep_dive_synthesis import synthesis
from tpj_helpers.publish.present import num, pct

SUPPORTED, PARTLY, CONTRADICTED = "understøttet", "delvist understøttet", "modsagt af data"
VERDICTS = (SUPPORTED, PARTLY, CONTRADICTED)
MIN_INTERVIEWS = 5
SHARE_KINDS = {"completion_rate", "survey_share", "response_rate", "registration_share"}


def meets(value: float, expected: dict) -> bool | None:
    """Does `value` meet `expected` ({above: x} / {below: x})? None when it cannot be told."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or not expected:
        return None
    ok = True
    if "above" in expected:
        ok &= value > float(expected["above"])
    if "below" in expected:
        ok &= value < float(expected["below"])
    return bool(ok)


def verdict(
    interviews: int, checks: list[bool | None], min_interviews: int = MIN_INTERVIEWS
) -> str:
    """The verdict from the interviews and the indicator checks (None = not evaluable)."""
    known = [c for c in checks if c is not None]
    if known and not any(known):
        return CONTRADICTED
    if interviews >= min_interviews and known and all(known):
        return SUPPORTED
    return PARTLY


def expected_text(expected: dict, kind: str) -> str:
    """'over 75 %', 'under 0 point', 'p under 0,05'."""

    def fmt(x: float) -> str:
        if kind in SHARE_KINDS:
            return pct(x)
        if kind == "subgroup_interaction":
            return f"p {num(x, 2)}"
        if kind == "who5_difference":
            return f"{num(x, 1 if x % 1 else 0)} point"
        return num(x, 2 if x % 1 else 0)

    parts = [
        f"over {fmt(expected['above'])}" if "above" in expected else "",
        f"under {fmt(expected['below'])}" if "below" in expected else "",
    ]
    text = " og ".join(p for p in parts if p)
    return text.replace("over p ", "p over ").replace("under p ", "p under ")


def judge(
    qual,
    recommendations: list[dict],
    links: list[dict],
    values: pd.DataFrame,
    min_interviews: int = MIN_INTERVIEWS,
) -> pd.DataFrame:
    """id, title, interviews, checks ([(link id, value, expected, met)]), verdict."""
    kinds = {link["id"]: link["indicator"] for link in links}
    vals = values.set_index("id")
    ev = synthesis.recommendation_evidence(qual, recommendations).set_index("id")
    rows = []
    for rec in recommendations:
        stray = set(rec.get("expected") or {}) - set(rec.get("indicators", []))
        if stray:
            raise ValueError(
                f"recommendation '{rec['id']}': `expected` names indicators it does "
                f"not cite: {sorted(stray)}"
            )
        checks = []
        for lid in rec.get("indicators", []):
            exp = (rec.get("expected") or {}).get(lid)
            value = float(vals.loc[lid, "value"]) if lid in vals.index else math.nan
            checks.append((lid, value, exp, meets(value, exp) if exp else None, kinds.get(lid, "")))
        n = int(ev.loc[rec["id"], "interviews"])
        rows.append(
            {
                "id": rec["id"],
                "title": rec["title"],
                "interviews": n,
                "checks": checks,
                "verdict": verdict(n, [c[3] for c in checks], min_interviews),
            }
        )
    return pd.DataFrame(rows)


def verdict_table(
    qual,
    recommendations: list[dict],
    links: list[dict],
    values: pd.DataFrame,
    min_cell: int = 5,
    min_interviews: int = MIN_INTERVIEWS,
) -> pd.DataFrame:
    """The recommendations table (`synthesis.recommendation_table`) with each indicator's
    expectation and whether it is met, and the verdict ("Vurdering")."""
    table = synthesis.recommendation_table(qual, recommendations, values, min_cell)
    j = judge(qual, recommendations, links, values, min_interviews)
    labels = dict(zip(values["id"], values["label"], strict=True))
    shown = dict(zip(values["id"], values["text"], strict=True))
    counts = dict(zip(values["id"], values["n"], strict=True))
    cells = []
    for checks in j["checks"]:
        parts = []
        for lid, _value, exp, met, kind in checks:
            n = counts.get(lid, 0)
            value = f"<{min_cell}" if 0 < (n if n == n else 0) < min_cell else shown.get(lid, "")
            mark = {True: "som forventet", False: "ikke som forventet", None: "kan ikke vurderes"}[
                met
            ]
            want = f"forventet {expected_text(exp, kind)}" if exp else "ingen forventning"
            parts.append(f"{labels.get(lid, lid)}: {value} ({want}; {mark})")
        cells.append("; ".join(parts))
    return table.assign(Indikatorer=cells, Vurdering=j["verdict"].to_numpy())


def verdict_text(recommendations: list[dict], judged: pd.DataFrame) -> str:
    """The recommendations as a numbered list, each with its verdict and interviews."""
    by_id = judged.set_index("id")
    lines = []
    for i, r in enumerate(recommendations, 1):
        j = by_id.loc[r["id"]]
        lines.append(
            f"{i}. **{r['title']}.** {r['text'].strip()} "
            f"*Vurdering: {j['verdict']}* ({num(j['interviews'])} interviews)."
        )
    return "\n".join(lines)


def verdict_sentence(counts: dict, total: int) -> str:
    """'Evalueringens data understøtter 7 af de 9 anbefalinger, understøtter 1 delvist og modsiger
    1.'"""
    verbs = {
        SUPPORTED: "understøtter {n}",
        PARTLY: "understøtter {n} delvist",
        CONTRADICTED: "modsiger {n}",
    }
    parts = [verbs[v].format(n=num(counts[v])) for v in VERDICTS if counts.get(v, 0)]
    if not parts:
        return ""
    parts[0] += f" af de {num(total)} anbefalinger"
    joined = parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} og {parts[-1]}"
    return f"Evalueringens data {joined}."


def summary_sentence(judged: pd.DataFrame) -> str:
    """The verdicts of the judged recommendations in one sentence (`verdict_sentence`)."""
    return verdict_sentence(judged["verdict"].value_counts().to_dict(), len(judged))
