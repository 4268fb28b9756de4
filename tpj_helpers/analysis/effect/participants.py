"""The participants alone (always shown, with or without a comparison pool).

- The dip and the post change: the mean score at weeks -26, -1 and 26, the change from week -1
  to week 26 and, as a baseline sensitivity, from week -26 to week 26 (a baseline before the dip).
- The same for two shares beside the 0-10 mean: ordinary work or education (score 10) and any
  employment-like activity (score >= 7).
- WHO-5: the mean reversion to expect between two measurements from the scale's test-retest
  reliability alone (regression to the mean), with its assumptions.

A before/after change is a development ("udvikling"), not an effect: there is no comparison group.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tpj_helpers.analysis.effect.design import Cohort
from tpj_helpers.publish.present import num, pct, signed

WEEKS = (-26, -1, 26)
MEASURES = {
    "mean": "Gennemsnitlig score (0-10)",
    "work": "Andel i ordinær beskæftigelse eller uddannelse (score 10)",
    "active": "Andel i beskæftigelseslignende aktivitet (score 7 eller mere)",
}

# WHO-5 test-retest reliability used for the expected mean reversion. Source: Topp, Østergaard,
# Søndergaard & Bech (2015), "The WHO-5 Well-Being Index: a systematic review of the literature",
# Psychotherapy and Psychosomatics 84(3):167-176, which reports test-retest reliabilities of the
# WHO-5 of about 0.8 across studies; 0.8 is taken here as a round central value.
WHO5_RELIABILITY = 0.8
WHO5_SOURCE = (
    "Topp m.fl. (2015), *The WHO-5 Well-Being Index: a systematic review of the "
    "literature*, Psychotherapy and Psychosomatics 84(3)"
)


def scores_at(cohort: Cohort, rel: int) -> np.ndarray:
    """Each participant's score at a relative week (NaN outside the data or without a score)."""
    idx = cohort.start + rel
    inside = (idx >= 0) & (idx < cohort.score.shape[1])
    out = np.full(len(cohort), np.nan)
    rows = np.flatnonzero(inside)
    out[rows] = cohort.score[rows, idx[rows]]
    return out


def _measure(values: np.ndarray, kind: str) -> np.ndarray:
    if kind == "mean":
        return values
    threshold = 10 if kind == "work" else 7
    return np.where(np.isnan(values), np.nan, (values >= threshold).astype(float))


def development(cohort: Cohort) -> pd.DataFrame:
    """Per measure: level at -26, -1, 26 (persons with a score at all three), the changes.

    One population for every column (persons with a score at all three weeks), so that the
    changes are within-person changes and the two baselines compare like with like.
    """
    at = {w: scores_at(cohort, w) for w in WEEKS}
    ok = np.all([~np.isnan(v) for v in at.values()], axis=0)
    rows = []
    for kind, label in MEASURES.items():
        m = {w: _measure(at[w][ok], kind) for w in WEEKS}
        d1 = m[26] - m[-1]
        d26 = m[26] - m[-26]
        n = int(ok.sum())
        se = lambda d: float(d.std(ddof=1) / np.sqrt(len(d))) if len(d) > 1 else np.nan  # noqa: E731
        rows.append(
            {
                "measure": kind,
                "label": label,
                "n": n,
                "w_m26": float(m[-26].mean()) if n else np.nan,
                "w_m1": float(m[-1].mean()) if n else np.nan,
                "w_26": float(m[26].mean()) if n else np.nan,
                "dip": float((m[-1] - m[-26]).mean()) if n else np.nan,
                "change_from_m1": float(d1.mean()) if n else np.nan,
                "se_m1": se(d1),
                "change_from_m26": float(d26.mean()) if n else np.nan,
                "se_m26": se(d26),
            }
        )
    return pd.DataFrame(rows)


def development_counts(cohort: Cohort) -> pd.DataFrame:
    """Per week (-26, -1, 26), persons with a score at all three: n, mean, counts of score 10 and
    of score >= 7 (the counts behind the shares, for disclosure control)."""
    at = {w: scores_at(cohort, w) for w in WEEKS}
    ok = np.all([~np.isnan(v) for v in at.values()], axis=0)
    rows = []
    for w in WEEKS:
        v = at[w][ok]
        rows.append(
            {
                "week": w,
                "n": int(ok.sum()),
                "mean": float(v.mean()) if len(v) else np.nan,
                "n_work": int((v >= 10).sum()),
                "n_active": int((v >= 7).sum()),
            }
        )
    return pd.DataFrame(rows)


def development_table(counts: pd.DataFrame) -> pd.DataFrame:
    """Danish display table, one row per week; shares linked to their counts."""
    n = counts["n"].replace(0, np.nan)
    return pd.DataFrame(
        {
            "Uge": [f"Uge {str(w).replace('-', chr(0x2212))}" for w in counts["week"]],
            "Kursister": counts["n"],
            "Gennemsnitlig score": counts["mean"],
            "Score 10, antal": counts["n_work"],
            "Score 10, %": 100 * counts["n_work"] / n,
            "Score 7 eller mere, antal": counts["n_active"],
            "Score 7 eller mere, %": 100 * counts["n_active"] / n,
        }
    )


TABLE_LINKED = {
    "Score 10, %": "Score 10, antal",
    "Score 7 eller mere, %": "Score 7 eller mere, antal",
    "Gennemsnitlig score": "Kursister",
}
TABLE_COUNTS = ["Kursister", "Score 10, antal", "Score 7 eller mere, antal"]


def _share_text(counts: pd.DataFrame, col: str, min_cell: int) -> list[str] | None:
    """ "a %, b % og c %" for the three weeks, or a note when a count is too small to show."""
    if ((counts[col] > 0) & (counts[col] < min_cell)).any():
        return None
    return [pct(k / n) for k, n in zip(counts[col], counts["n"], strict=True)]


def shares_sentence(counts: pd.DataFrame, min_cell: int = 5) -> str:
    parts = []
    for col, label in (
        ("n_work", "i ordinær beskæftigelse eller uddannelse (score 10)"),
        ("n_active", "i beskæftigelseslignende aktivitet (score 7 eller mere)"),
    ):
        s = _share_text(counts, col, min_cell)
        if s is None:
            parts.append(
                f"Andelen {label} vises ikke, fordi den i mindst én af ugerne hviler på "
                f"færre end {min_cell} personer."
            )
        else:
            parts.append(
                f"Andelen {label} var {s[0]} i uge −26, {s[1]} i ugen før kurset og "
                f"{s[2]} i uge 26."
            )
    return " ".join(parts)


def dip_sentence(dev: pd.DataFrame) -> str:
    """The dip and the post change in plain Danish, from the run's numbers."""
    r = dev.set_index("measure").loc["mean"]
    return (
        f"Kursisternes gennemsnitlige beskæftigelsesscore faldt fra {num(r['w_m26'], 2)} i uge −26 "
        f"til {num(r['w_m1'], 2)} i ugen før kurset (et fald på {signed(r['dip'], 2)} point) og lå "
        f"på {num(r['w_26'], 2)} i uge 26 ({num(r['n'])} kursister med en score i alle tre uger). "
        f"Målt fra ugen før kurset er udviklingen {signed(r['change_from_m1'], 2)} point; målt fra "
        f"uge −26, før faldet, er den {signed(r['change_from_m26'], 2)} point. Kursisterne starter altså i bunden af et dyk, og en del "
        "af stigningen efter kurset må forventes uden kurset (regression mod middelværdien); "
        "udviklingen er ikke en effekt."
    )


def who5_reversion(
    mean_before: float,
    sd_before: float,
    population_mean: float,
    reliability: float = WHO5_RELIABILITY,
) -> float:
    """Expected change from regression to the mean alone.

    With test-retest reliability r, a group whose first measurement lies d below the population
    mean is expected on re-measurement to lie r * d below it: the expected change is
    (1 - r) * (population_mean - mean_before). Assumes a stable true level, classical
    measurement error and that the group was selected on its first measurement.
    """
    return (1 - reliability) * (population_mean - mean_before)


def who5_sentence(
    mean_before: float,
    population_mean: float,
    observed_change: float | None,
    reliability: float = WHO5_RELIABILITY,
) -> str:
    expected = who5_reversion(mean_before, np.nan, population_mean, reliability)
    text = (
        f"For WHO-5 giver alene regression mod middelværdien en forventet stigning på "
        f"{signed(expected, 1)} point: kursisterne lå ved første måling på {num(mean_before, 1)} mod "
        f"{num(population_mean, 1)} i befolkningen, og med en test-retest-reliabilitet på "
        f"{num(reliability, 2)} ({WHO5_SOURCE}) forventes en gruppe udvalgt på en lav første måling "
        f"at komme (1 − {num(reliability, 2)}) × afstanden tilbage mod middelværdien. Forudsætninger: "
        "kursisternes sande trivsel er uændret, målefejlen er tilfældig og uafhængig mellem målingerne, "
        "og deltagelsen hænger sammen med en lav første måling."
    )
    if observed_change is not None and np.isfinite(observed_change):
        text += (
            f" Den observerede udvikling er {signed(observed_change, 1)} point, altså "
            f"{signed(observed_change - expected, 1)} point ud over det forventede."
        )
    return text


TABLE_NOTE = (
    "Kursister med en score i alle tre uger (de samme personer i hver række). Gennemsnit i point "
    "(0-10); andele i procent af kursisterne. Forskelle mellem ugerne er en udvikling, ikke en "
    "effekt: der er ingen sammenligningsgruppe i denne tabel."
)
