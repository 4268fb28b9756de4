"""WHO-5 well-being index by survey wave: means with 95 % t intervals, and the score distribution
with the risk zones.

Rule: the WHO-5 score (4 x the sum of the five items, 0-100) counts only when all five items are
answered (`survey.who5_scores`), and only from fully submitted questionnaires, whose number is the
N of the report and of Tabel 2 (`include_partial=True` adds partial returns with all five items).
One questionnaire per person and wave, so persons = observations.
"""

from __future__ import annotations

from itertools import pairwise

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from scipy import stats

from tpj_helpers.present import PALETTE, danish_axis, num
from tpj_helpers.publish import ESTIMATE_COLUMNS
from tpj_helpers.quality import count_text
from tpj_helpers.survey import WHO5_ZONES, who5_scores, who5_zone
from tpj_helpers.survey_tables import phase_person_ids

# The Danish population mean of the WHO-5 index, as the evaluation report cites it.
POPULATION_MEAN = 68
RULE = (
    "WHO-5-scoren (0-100) er 4 gange summen af de fem udsagn og beregnes kun for fuldt "
    "besvarede spørgeskemaer, hvor alle fem udsagn er besvaret. Intervallet er et "
    "95 %-konfidensinterval fra t-fordelingen."
)
MEANS_COLUMNS = {
    "wave_label": "Måling",
    "n": "Besvarelser med WHO-5-score",
    "mean": "Gennemsnit",
    "conf_low": "95 %-KI, nedre",
    "conf_high": "95 %-KI, øvre",
    "sd": "Standardafvigelse",
    "n_incomplete": "Skemaer uden alle fem svar",
}
MEANS_COUNTS = [MEANS_COLUMNS["n"], MEANS_COLUMNS["n_incomplete"]]
MEANS_LINKED = {
    MEANS_COLUMNS[c]: MEANS_COLUMNS["n"] for c in ("mean", "conf_low", "conf_high", "sd")
}
# Histogram bins in score points (scores are multiples of 4): [low, high), edges on the zone
# borders (35 | 36 and 50 | 52), three possible scores per bin except 36-48 and 88-100 (four).
BIN_EDGES = (0, 12, 24, 36, 52, 64, 76, 88, 101)
ZONE_COLOURS = dict(zip(WHO5_ZONES, (PALETTE[3], PALETTE[1], PALETTE[0]), strict=True))
ZONE_RANGES = dict(zip(WHO5_ZONES, ("0-35", "36-50", "over 50"), strict=True))


def phase_scores(data, phase: str | None = None, include_partial: bool = False) -> pd.DataFrame:
    """`survey.who5_scores` for the persons of `phase`: the fully submitted questionnaires (and
    the partial ones with `include_partial`); `who5_score` is NA without all five items."""
    scores = who5_scores(data.surveys)
    keep = scores["person_id"].isin(phase_person_ids(data, phase))
    if not include_partial:
        keep &= scores["complete"]
    return scores[keep].reset_index(drop=True)


def t_interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float, float, float]:
    """mean, standard error, lower and upper limit of the t interval (NaN below two values)."""
    values = np.asarray(values, dtype=float)
    n = len(values)
    if n == 0:
        return (np.nan,) * 4
    mean = float(values.mean())
    if n < 2:
        return mean, np.nan, np.nan, np.nan
    se = float(values.std(ddof=1) / np.sqrt(n))
    half = float(stats.t.ppf(0.5 + level / 2, df=n - 1)) * se
    return mean, se, mean - half, mean + half


def wave_means(
    data, phase: str | None = None, min_n: int = 1, include_partial: bool = False
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Mean WHO-5 score per wave with its 95 % t interval.

    Returns (display table in Danish, estimates rows). The estimates follow outputs.md:
    analysis=who5, model=wave_mean, subgroup=wave:<wave>, term=mean; p_value and stars are left
    empty (a test of a mean against 0 says nothing here). Waves with 1..min_n-1 scores get no
    estimate (NA numbers, also the counts), so that estimates.csv respects disclosure control.
    """
    scores = phase_scores(data, phase, include_partial)
    labels = dict(data.surveys.codebook.waves)
    rows, est = [], []
    for wave, label in labels.items():
        mine = scores[scores["wave"] == wave]
        values = mine["who5_score"].dropna().to_numpy(dtype=float)
        n = len(values)
        mean, se, low, high = t_interval(values)
        sd = float(values.std(ddof=1)) if n > 1 else np.nan
        rows.append({"wave_label": label, "n": n, "mean": mean, "conf_low": low,
                     "conf_high": high, "sd": sd, "n_incomplete": int(len(mine) - n)})
        hide = 0 < n < min_n
        est.append({
            "analysis": "who5", "model": "wave_mean", "subgroup": f"wave:{wave}", "term": "mean",
            "estimate": np.nan if hide else mean, "std_error": np.nan if hide else se,
            "conf_low": np.nan if hide else low, "conf_high": np.nan if hide else high,
            "p_value": np.nan, "stars": "",
            "n_persons": pd.NA if hide else n, "n_obs": pd.NA if hide else n,
        })
    table = pd.DataFrame(rows).rename(columns=MEANS_COLUMNS)
    table = table.astype({MEANS_COLUMNS["n"]: "int64", MEANS_COLUMNS["n_incomplete"]: "int64"})
    estimates = pd.DataFrame(est, columns=ESTIMATE_COLUMNS)
    estimates = estimates.astype({"n_persons": "Int64", "n_obs": "Int64"})
    return table, estimates


def bin_labels() -> list[str]:
    """'0-8', '12-20', ...: the possible scores (multiples of 4) of each histogram bin."""
    out = []
    for low, high in pairwise(BIN_EDGES):
        top = min(high - 1, 100) // 4 * 4
        out.append(f"{low}-{top}")
    return out


def score_distribution(
    data, phase: str | None = None, include_partial: bool = False
) -> pd.DataFrame:
    """Histogram data of the WHO-5 score by wave: one row per wave and bin (also empty bins).

    Columns: wave, wave_label, bin ('36-48'), bin_low, bin_high ([low, high) in score points),
    zone (risk zone of the bin: 0-35 high risk, 36-50 risk, above 50 none), n, n_wave (scores in
    the wave), share (0-1 of n_wave).
    """
    scores = phase_scores(data, phase, include_partial).dropna(subset=["who5_score"])
    labels = dict(data.surveys.codebook.waves)
    names = bin_labels()
    zones = who5_zone(pd.Series([low for low in BIN_EDGES[:-1]])).astype(str).tolist()
    rows = []
    for wave, label in labels.items():
        values = scores.loc[scores["wave"] == wave, "who5_score"].to_numpy(dtype=float)
        counts, _ = np.histogram(values, bins=BIN_EDGES)
        n_wave = len(values)
        for i, name in enumerate(names):
            rows.append({
                "wave": wave, "wave_label": label, "bin": name, "bin_low": BIN_EDGES[i],
                "bin_high": BIN_EDGES[i + 1], "zone": zones[i], "n": int(counts[i]),
                "n_wave": n_wave, "share": counts[i] / n_wave if n_wave else np.nan,
            })
    return pd.DataFrame(rows).astype({"n": "int64", "n_wave": "int64", "share": "float64"})


DIST_COUNTS = ["n", "n_wave"]
DIST_LINKED = {"share": "n"}


def wave_mean_lookup(estimates: pd.DataFrame) -> dict[str, float]:
    """{wave: mean} from the estimates rows of `wave_means`."""
    return {
        row.subgroup.removeprefix("wave:"): row.estimate
        for row in estimates.itertuples()
        if row.model == "wave_mean" and not pd.isna(row.estimate)
    }


def who5_figure(
    dist: pd.DataFrame,
    means: dict[str, float] | None = None,
    population_mean: float = POPULATION_MEAN,
    min_cell: int = 5,
) -> plt.Figure:
    """One histogram panel per wave (share of the wave's scores per bin, coloured by risk zone),
    the zone borders, the population mean as a dashed reference line and the wave mean when
    given. Suppressed bins (NA share) are marked '<min_cell'."""
    waves = list(dict.fromkeys(dist["wave"]))
    fig, axes = plt.subplots(len(waves), 1, figsize=(7.5, 1.9 * len(waves) + 0.6), sharex=True,
                             sharey=True, squeeze=False)
    top = pd.to_numeric(dist["share"], errors="coerce").max(skipna=True)
    ymax = 0.5 if pd.isna(top) else min(1.0, float(top) * 1.3 + 0.05)
    for ax, wave in zip(axes[:, 0], waves, strict=True):
        sub = dist[dist["wave"] == wave]
        n_wave = sub["n_wave"].iloc[0]
        for row in sub.itertuples():
            width = min(row.bin_high, 100) - row.bin_low
            if pd.isna(row.share):
                ax.text(row.bin_low + width / 2, 0.01, f"<{min_cell}", ha="center", va="bottom",
                        fontsize=7.5, color="0.3")
                continue
            ax.bar(row.bin_low, row.share, width=width, align="edge",
                   color=ZONE_COLOURS[row.zone], edgecolor="white")
        for border in (36, 52):
            ax.axvline(border, color="0.35", linewidth=0.8, linestyle=":")
        ax.axvline(population_mean, color="black", linewidth=1.2, linestyle="--")
        if means and wave in means:
            ax.axvline(means[wave], color="black", linewidth=1.8)
            ax.text(means[wave] + 1, ymax * 0.92, f"Gennemsnit {num(means[wave], 1)}",
                    fontsize=7.5, va="top")
        n_text = f"N = {num(int(n_wave))}" if not pd.isna(n_wave) else f"N < {min_cell}"
        ax.set_title(f"{sub['wave_label'].iloc[0]} ({n_text})", loc="left", fontsize=9.5)
        ax.set_ylim(0, ymax)
        danish_axis(ax, "y", percent=True)
        ax.set_ylabel("Andel")
    first = axes[0, 0]
    first.text(population_mean + 1, ymax * 0.6,
               f"Befolkningens gennemsnit ({num(population_mean)})", fontsize=7.5, va="top")
    last = axes[-1, 0]
    last.set_xlim(0, 100)
    last.set_xticks(range(0, 101, 10))
    last.set_xlabel("WHO-5-trivselsscore (0-100)")
    handles = [plt.Rectangle((0, 0), 1, 1, color=ZONE_COLOURS[z]) for z in WHO5_ZONES]
    names = [f"{z} ({ZONE_RANGES[z]})" for z in WHO5_ZONES]
    handles += [Line2D([], [], color="0.35", linewidth=0.8, linestyle=":"),
                Line2D([], [], color="black", linewidth=1.2, linestyle="--")]
    names += ["Grænse mellem risikozoner", "Befolkningens gennemsnit"]
    if means:
        handles.append(Line2D([], [], color="black", linewidth=1.8))
        names.append("Målingens gennemsnit")
    fig.legend(handles, names, loc="lower center", ncol=3, fontsize=8, frameon=False,
               bbox_to_anchor=(0.5, 0.0))
    fig.tight_layout(rect=(0, 0.6 / fig.get_size_inches()[1], 1, 1))
    return fig


def means_source(table: pd.DataFrame, min_cell: int) -> str:
    """Source line of the means table: the scores per wave."""
    parts = [f"{count_text(int(n), min_cell)} {label.lower()}"
             for label, n in zip(table[MEANS_COLUMNS["wave_label"]], table[MEANS_COLUMNS["n"]],
                                 strict=True)]
    return "Kursistspørgeskema, WHO-5-trivselsindeks. N = " + "; ".join(parts)


def distribution_source(dist: pd.DataFrame, min_cell: int) -> str:
    """Source line of the distribution figure: the scores per wave."""
    per_wave = dist.groupby(["wave", "wave_label"], sort=False)["n_wave"].first()
    parts = [f"{count_text(int(n), min_cell)} {label.lower()}"
             for (_, label), n in per_wave.items()]
    return "Kursistspørgeskema, WHO-5-trivselsindeks. N = " + "; ".join(parts)
