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

from tpj_helpers.analysis.data_quality.enrolment import count_text
from tpj_helpers.analysis.survey_outcomes.tables import phase_person_ids
from tpj_helpers.data.survey import WHO5_ITEMS, WHO5_ZONES, who5_scores, who5_zone
from tpj_helpers.publish import hidden_marks as hm
from tpj_helpers.publish.present import PALETTE, danish_axis, num, pct, signed
from tpj_helpers.publish.publisher import ESTIMATE_COLUMNS, stars

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
        rows.append(
            {
                "wave_label": label,
                "n": n,
                "mean": mean,
                "conf_low": low,
                "conf_high": high,
                "sd": sd,
                "n_incomplete": int(len(mine) - n),
            }
        )
        hide = 0 < n < min_n
        est.append(
            {
                "analysis": "who5",
                "model": "wave_mean",
                "subgroup": f"wave:{wave}",
                "term": "mean",
                "estimate": np.nan if hide else mean,
                "std_error": np.nan if hide else se,
                "conf_low": np.nan if hide else low,
                "conf_high": np.nan if hide else high,
                "p_value": np.nan,
                "stars": "",
                "n_persons": pd.NA if hide else n,
                "n_obs": pd.NA if hide else n,
            }
        )
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
            rows.append(
                {
                    "wave": wave,
                    "wave_label": label,
                    "bin": name,
                    "bin_low": BIN_EDGES[i],
                    "bin_high": BIN_EDGES[i + 1],
                    "zone": zones[i],
                    "n": int(counts[i]),
                    "n_wave": n_wave,
                    "share": counts[i] / n_wave if n_wave else np.nan,
                }
            )
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
    fig, axes = plt.subplots(
        len(waves),
        1,
        figsize=(7.5, 1.9 * len(waves) + 0.6),
        sharex=True,
        sharey=True,
        squeeze=False,
    )
    top = pd.to_numeric(dist["share"], errors="coerce").max(skipna=True)
    ymax = 0.5 if pd.isna(top) else min(1.0, float(top) * 1.3 + 0.05)
    for ax, wave in zip(axes[:, 0], waves, strict=True):
        sub = dist[dist["wave"] == wave]
        n_wave = sub["n_wave"].iloc[0]
        for row in sub.itertuples():
            width = min(row.bin_high, 100) - row.bin_low
            if pd.isna(row.share):
                hm.mark_bar(ax, row.bin_low, width, span=ymax)
                continue
            ax.bar(
                row.bin_low,
                row.share,
                width=width,
                align="edge",
                color=ZONE_COLOURS[row.zone],
                edgecolor="white",
            )
        for border in (36, 52):
            ax.axvline(border, color="0.35", linewidth=0.8, linestyle=":")
        ax.axvline(population_mean, color="black", linewidth=1.2, linestyle="--")
        if means and wave in means:
            ax.axvline(means[wave], color="black", linewidth=1.8)
            ax.text(
                means[wave] + 1,
                ymax * 0.92,
                f"Gennemsnit {num(means[wave], 1)}",
                fontsize=7.5,
                va="top",
            )
        ax.set_title(f"{sub['wave_label'].iloc[0]} ({hm.n_text(n_wave)})", loc="left", fontsize=9.5)
        ax.set_ylim(0, ymax)
        danish_axis(ax, "y", percent=True)
        ax.set_ylabel("Andel")
    first = axes[0, 0]
    first.text(
        population_mean + 1,
        ymax * 0.6,
        f"Befolkningens gennemsnit ({num(population_mean)})",
        fontsize=7.5,
        va="top",
    )
    last = axes[-1, 0]
    last.set_xlim(0, 100)
    last.set_xticks(range(0, 101, 10))
    last.set_xlabel("WHO-5-trivselsscore (0-100)")
    handles = [plt.Rectangle((0, 0), 1, 1, color=ZONE_COLOURS[z]) for z in WHO5_ZONES]
    names = [f"{z} ({ZONE_RANGES[z]})" for z in WHO5_ZONES]
    handles += [
        Line2D([], [], color="0.35", linewidth=0.8, linestyle=":"),
        Line2D([], [], color="black", linewidth=1.2, linestyle="--"),
    ]
    names += ["Grænse mellem risikozoner", "Befolkningens gennemsnit"]
    if means:
        handles.append(Line2D([], [], color="black", linewidth=1.8))
        names.append("Målingens gennemsnit")
    if pd.to_numeric(dist["share"], errors="coerce").isna().any():
        handles.append(hm.hidden_patch(min_cell))
        names.append(hm.hidden_note(min_cell).replace(" (", "\n("))
    fig.legend(
        handles,
        names,
        loc="lower center",
        ncol=3,
        fontsize=8,
        frameon=False,
        bbox_to_anchor=(0.5, 0.0),
    )
    fig.tight_layout(rect=(0, 0.6 / fig.get_size_inches()[1], 1, 1))
    return fig


def means_source(table: pd.DataFrame, min_cell: int) -> str:
    """Source line of the means table: the scores per wave."""
    parts = [
        f"{count_text(int(n), min_cell)} {label.lower()}"
        for label, n in zip(
            table[MEANS_COLUMNS["wave_label"]], table[MEANS_COLUMNS["n"]], strict=True
        )
    ]
    return "Kursistspørgeskema, WHO-5-trivselsindeks. N = " + "; ".join(parts)


def distribution_source(dist: pd.DataFrame, min_cell: int) -> str:
    """Source line of the distribution figure: the scores per wave."""
    per_wave = dist.groupby(["wave", "wave_label"], sort=False)["n_wave"].first()
    parts = [
        f"{count_text(int(n), min_cell)} {label.lower()}" for (_, label), n in per_wave.items()
    ]
    return "Kursistspørgeskema, WHO-5-trivselsindeks. N = " + "; ".join(parts)


# --------------------------------------------------------------------------- scoring rule text


def rule_text(table: pd.DataFrame, min_cell: int) -> str:
    """The scoring rule for the report text, with the fully submitted questionnaires per wave
    that lack at least one of the five items (and so have no score), from `wave_means`."""
    labels = table[MEANS_COLUMNS["wave_label"]]
    scored = table[MEANS_COLUMNS["n"]].astype(int)
    missing = table[MEANS_COLUMNS["n_incomplete"]].astype(int)
    parts = [
        f"{count_text(int(m), min_cell)} af {count_text(int(m + s), min_cell)} {label.lower()}"
        for label, s, m in zip(labels, scored, missing, strict=True)
    ]
    return (
        "WHO-5-trivselsscoren beregnes som 4 gange summen af de fem udsagn, der hver besvares "
        "fra 0 («På intet tidspunkt») til 5 («Hele tiden»), så scoren går fra 0 til 100 i trin "
        "på 4. Scoren beregnes kun, når alle fem udsagn er besvaret i et fuldt besvaret "
        "spørgeskema; et skema med blot ét ubesvaret udsagn får ingen score og indgår ikke i "
        "WHO-5-analyserne. Fuldt besvarede skemaer uden alle fem udsagn: " + "; ".join(parts) + "."
    )


# --------------------------------------------------------------------------- risk zones

ZONE_NOTE = (
    "Risikozoner efter Sundhedsstyrelsens vejledning: 0-35 høj risiko for depression eller "
    "stressbelastning, 36-50 risiko, over 50 ingen forhøjet risiko. Da scoren er 4 gange en sum, "
    "er den altid et multiplum af 4; i praksis går grænserne derfor ved 36 (risiko: 36-48) og "
    "52 (ingen forhøjet risiko: 52-100)."
)


def zone_table(data, phase: str | None = None, include_partial: bool = False) -> pd.DataFrame:
    """Risk zones per wave: the scores of the wave (N), and per zone the count and the share
    (0-100 of N). Count columns `ZONE_COUNTS`, shares linked to their counts `ZONE_LINKED`."""
    scores = phase_scores(data, phase, include_partial).dropna(subset=["who5_score"])
    rows = []
    for wave, label in dict(data.surveys.codebook.waves).items():
        zones = scores.loc[scores["wave"] == wave, "who5_zone"]
        n = len(zones)
        row = {"Måling": label, "N": n}
        for zone in WHO5_ZONES:
            k = int((zones == zone).sum())
            row[f"{zone} ({ZONE_RANGES[zone]}), antal"] = k
            row[f"{zone} ({ZONE_RANGES[zone]}), %"] = 100 * k / n if n else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def _zone_col(zone: str, kind: str) -> str:
    return f"{zone} ({ZONE_RANGES[zone]}), {kind}"


ZONE_COUNTS = ["N", *(_zone_col(z, "antal") for z in WHO5_ZONES)]
ZONE_LINKED = {_zone_col(z, "%"): _zone_col(z, "antal") for z in WHO5_ZONES}
# The zones of a wave add up to its N (for `Publisher.table`: without it a wave with one zone
# hidden gave that zone back as N minus the others).
ZONE_SUMS = {"col_sums": [("N", [_zone_col(z, "antal") for z in WHO5_ZONES])]}


# --------------------------------------------------------------------------- item distributions


def item_distribution(data, phase: str | None = None) -> pd.DataFrame:
    """Answers to each of the five WHO-5 items per wave, from the fully submitted questionnaires
    that answer the item (0-5; any other code is not an answer).

    One row per item, wave and answer (also answers nobody gave): item, item_label, wave,
    wave_label, code (5 'Hele tiden' .. 0 'På intet tidspunkt'), answer, n, n_item (answers to the
    item in the wave), share (0-1 of n_item).
    """
    codebook = data.surveys.codebook
    ids = phase_person_ids(data, phase)
    rows = []
    for item_id in WHO5_ITEMS:
        item = codebook.item(item_id)
        for wave, label in dict(codebook.waves).items():
            df = data.surveys.responses.get(wave)
            if df is None:
                values = pd.Series([], dtype="Int64")
            else:
                keep = df["person_id"].isin(ids) & df["complete"]
                values = df.loc[keep, item_id].astype("Int64")
                values = values[values.isin(range(6)).fillna(False)]
            n_item = len(values)
            for code in item.codes:
                k = int((values == code).sum())
                rows.append(
                    {
                        "item": item_id,
                        "item_label": item.short_label,
                        "wave": wave,
                        "wave_label": label,
                        "code": code,
                        "answer": item.label(code),
                        "n": k,
                        "n_item": n_item,
                        "share": k / n_item if n_item else np.nan,
                    }
                )
    return pd.DataFrame(rows).astype({"n": "int64", "n_item": "int64", "share": "float64"})


ITEM_COUNTS = ["n", "n_item"]
ITEM_LINKED = {"share": "n"}


def item_table(dist: pd.DataFrame, min_cell: int) -> pd.DataFrame:
    """Wide display table of `item_distribution`: one row per item and wave, N, and the share
    (0-100) of each answer. Shares resting on 1..min_cell-1 answers (or an N that small) are
    left empty (NA): the table shows no counts, so disclosure control is applied here."""
    small = lambda s: (s > 0) & (s < min_cell)  # noqa: E731
    n = pd.to_numeric(dist["n"], errors="coerce")  # NA: hidden by the Publisher (protected data)
    n_item = pd.to_numeric(dist["n_item"], errors="coerce")
    hide = small(n) | small(n_item) | n.isna()
    d = dist.assign(pct=(100 * pd.to_numeric(dist["share"], errors="coerce")).where(~hide))
    wide = d.set_index(["item", "wave", "code"])["pct"].unstack("code")
    first = d.drop_duplicates(["item", "wave"]).set_index(["item", "wave"])
    answers = dict(zip(dist["code"], dist["answer"], strict=False))
    out = pd.DataFrame(
        {
            "Udsagn": first["item_label"].to_numpy(),
            "Måling": first["wave_label"].to_numpy(),
            "N": pd.to_numeric(first["n_item"], errors="coerce")
            .where(~small(pd.to_numeric(first["n_item"], errors="coerce")))
            .to_numpy(),
        }
    )
    for code in dict.fromkeys(dist["code"]):
        out[f"{answers[code]} ({code})"] = wide.loc[first.index, code].to_numpy(dtype=float)
    return out.astype({"N": "Float64"}).astype({"N": "Int64"})


def item_note(min_cell: int) -> str:
    return (
        "Procent af de fuldt besvarede skemaer, der besvarer udsagnet; svarkoden står i parentes "
        f"(5 = hele tiden, 0 = på intet tidspunkt). Tomme celler bygger på færre end {min_cell} "
        "svar og er skjult."
    )


def item_figure(dist: pd.DataFrame, min_cell: int = 5) -> plt.Figure:
    """One horizontal stacked bar per item and wave (share per answer, 'Hele tiden' first),
    grouped by item. Suppressed answers (NA share) leave a gap in their bar."""
    waves = list(dict.fromkeys(dist["wave"]))
    items = list(dict.fromkeys(dist["item"]))
    codes = list(dict.fromkeys(dist["code"]))
    answers = dict(zip(dist["code"], dist["answer"], strict=False))
    colours = dict(
        zip(codes, ("#1a5e9a", "#4f8fc0", "#9cc3e0", "#f2c28f", "#e3884a", "#b8461b"), strict=False)
    )
    fig, ax = plt.subplots(figsize=(7.5, 0.32 * len(items) * (len(waves) + 1) + 1.4))
    y, ticks, names = 0.0, [], []
    any_hidden, reach = False, 1.0
    for item in items:
        sub = dist[dist["item"] == item]
        for wave in waves:
            bar = sub[sub["wave"] == wave]
            if bar.empty:  # a statement-wave left unpublished (`who5.unpublished`): no bar
                continue
            left = 0.0
            for row in bar.itertuples():
                share = pd.to_numeric(row.share, errors="coerce")
                if pd.isna(share):  # hidden: the marker in its place, so the bar does not close up
                    ax.barh(y, hm.DIVERGING_MARK, left=left, height=0.85, **hm.HIDDEN_STYLE)
                    left += hm.DIVERGING_MARK
                    any_hidden = True
                    continue
                ax.barh(
                    y, share, left=left, color=colours[row.code], edgecolor="white", height=0.85
                )
                if share >= 0.08:
                    ax.text(
                        left + share / 2,
                        y,
                        pct(share),
                        ha="center",
                        va="center",
                        fontsize=6.5,
                        color="black" if row.code in codes[2:4] else "white",
                    )
                left += share
            n = bar["n_item"].iloc[0]
            n_text = hm.n_text(n)
            reach = max(reach, left)
            ticks.append(y)
            names.append(
                f"{bar['item_label'].iloc[0]}: {bar['wave_label'].iloc[0].lower()} ({n_text})"
            )
            y += 1
        y += 0.6
    ax.set_yticks(ticks, names, fontsize=7.5)
    ax.invert_yaxis()
    ax.set_xlim(0, reach)
    danish_axis(ax, "x", percent=True)
    ax.set_xlabel("Andel af svarene")
    ax.grid(axis="y", visible=False)
    handles = [plt.Rectangle((0, 0), 1, 1, color=colours[c]) for c in codes]
    legend = [f"{answers[c]} ({c})" for c in codes]
    if any_hidden:
        handles.append(hm.hidden_patch(min_cell))
        legend.append(hm.hidden_note(min_cell))
    fig.legend(
        handles,
        legend,
        loc="lower center",
        ncol=3,
        fontsize=7.5,
        frameon=False,
        bbox_to_anchor=(0.5, 0.0),
    )
    fig.tight_layout(rect=(0, 0.7 / fig.get_size_inches()[1], 1, 1))
    return fig


def item_source(dist: pd.DataFrame, min_cell: int) -> str:
    per_wave = dist.groupby(["wave", "wave_label"], sort=False)["n_item"].max()
    parts = [
        f"{count_text(int(n), min_cell)} {label.lower()}" for (_, label), n in per_wave.items()
    ]
    return "Kursistspørgeskema, WHO-5-trivselsindeks, de fem udsagn. Højst N = " + "; ".join(parts)


# --------------------------------------------------------------------------- paired change

PAIRS = (("foer", "efter"), ("foer", "3mdr"))
HIGH_RISK = WHO5_ZONES[0]


def paired_scores(
    data, first: str, second: str, phase: str | None = None, include_partial: bool = False
) -> pd.DataFrame:
    """Persons with a WHO-5 score at both waves: person_id, score_1, score_2, zone_1, zone_2."""
    scores = phase_scores(data, phase, include_partial).dropna(subset=["who5_score"])
    a = scores.loc[scores["wave"] == first, ["person_id", "who5_score"]]
    b = scores.loc[scores["wave"] == second, ["person_id", "who5_score"]]
    out = a.merge(b, on="person_id", suffixes=("_1", "_2"), validate="1:1")
    out = out.rename(columns={"who5_score_1": "score_1", "who5_score_2": "score_2"})
    out = out.astype({"score_1": "float64", "score_2": "float64"})
    out["zone_1"] = who5_zone(out["score_1"]).astype(str)
    out["zone_2"] = who5_zone(out["score_2"]).astype(str)
    return out.reset_index(drop=True)


def _wilson(k: int, n: int) -> tuple[float, float]:
    if n == 0:
        return np.nan, np.nan
    from statsmodels.stats.proportion import proportion_confint

    low, high = proportion_confint(k, n, alpha=0.05, method="wilson")
    return float(low), float(high)


def paired_summary(pairs: pd.DataFrame) -> dict:
    """Mean difference (second - first) with its paired t interval and p value, and the moves
    across the high-risk border (0-35)."""
    diff = (pairs["score_2"] - pairs["score_1"]).to_numpy(dtype=float)
    n = len(diff)
    mean, se, low, high = t_interval(diff)
    p = float(stats.ttest_1samp(diff, 0.0).pvalue) if n > 1 and np.std(diff) > 0 else np.nan
    high_before = pairs["zone_1"] == HIGH_RISK
    high_after = pairs["zone_2"] == HIGH_RISK
    n_high, n_left = int(high_before.sum()), int((high_before & ~high_after).sum())
    n_not, n_entered = int((~high_before).sum()), int((~high_before & high_after).sum())
    return {
        "n_pairs": n,
        "mean_1": float(pairs["score_1"].mean()) if n else np.nan,
        "mean_2": float(pairs["score_2"].mean()) if n else np.nan,
        "mean_difference": mean,
        "std_error": se,
        "conf_low": low,
        "conf_high": high,
        "p_value": p,
        "n_high_before": n_high,
        "n_left": n_left,
        "share_left": n_left / n_high if n_high else np.nan,
        "n_not_high_before": n_not,
        "n_entered": n_entered,
        "share_entered": n_entered / n_not if n_not else np.nan,
    }


CHANGE_COLUMNS = {
    "label": "Sammenligning",
    "n_pairs": "Personer med begge målinger",
    "mean_1": "Gennemsnit, første",
    "mean_2": "Gennemsnit, senere",
    "mean_difference": "Forskel",
    "conf_low": "95 %-KI, nedre",
    "conf_high": "95 %-KI, øvre",
    "p_value": "p-værdi",
    "n_high_before": "I høj risiko ved første",
    "n_left": "Forlod høj risiko",
    "pct_left": "Forlod høj risiko, %",
    "n_not_high_before": "Ikke i høj risiko ved første",
    "n_entered": "Kom i høj risiko",
    "pct_entered": "Kom i høj risiko, %",
}
CHANGE_COUNTS = [
    CHANGE_COLUMNS[c]
    for c in ("n_pairs", "n_high_before", "n_left", "n_not_high_before", "n_entered")
]
CHANGE_LINKED = {
    **{
        CHANGE_COLUMNS[c]: CHANGE_COLUMNS["n_pairs"]
        for c in ("mean_1", "mean_2", "mean_difference", "conf_low", "conf_high", "p_value")
    },
    CHANGE_COLUMNS["pct_left"]: CHANGE_COLUMNS["n_left"],
    CHANGE_COLUMNS["pct_entered"]: CHANGE_COLUMNS["n_entered"],
}
CHANGE_NOTE = (
    "Kun personer med en WHO-5-score ved begge målinger. Forskel = senere minus første måling "
    "med 95 %-konfidensinterval og p-værdi fra parret t-test. «Forlod høj risiko» er andelen af "
    "dem, der var i høj risiko (0-35) ved første måling, som havde over 35 ved den senere; «Kom "
    "i høj risiko» er andelen af de øvrige, som havde 35 eller derunder ved den senere måling."
)


def paired_change(
    data, phase: str | None = None, min_n: int = 1, include_partial: bool = False
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Paired change before -> just after and before -> 3 months (`PAIRS`).

    Returns (display table, estimates rows). Estimates: analysis=who5, model=paired_change,
    subgroup=wave:<first>-<second>, terms mean_difference (paired t), share_left_high_risk and
    share_entered_high_risk (shares 0-1 with Wilson intervals; n_persons = the persons at risk of
    the move). Estimates resting on 1..min_n-1 persons are left empty.
    """
    labels = dict(data.surveys.codebook.waves)
    rows, est = [], []
    for first, second in PAIRS:
        s = paired_summary(paired_scores(data, first, second, phase, include_partial))
        label = f"{labels[first]} → {labels[second].lower()}"
        rows.append(
            {
                "label": label,
                **{k: s[k] for k in CHANGE_COLUMNS if k in s},
                "pct_left": 100 * s["share_left"],
                "pct_entered": 100 * s["share_entered"],
            }
        )
        sub = f"wave:{first}-{second}"

        def row(term, estimate, se, low, high, p, n, sub=sub):
            hide = 0 < n < min_n
            nan = lambda v: np.nan if hide else v  # noqa: E731
            return {
                "analysis": "who5",
                "model": "paired_change",
                "subgroup": sub,
                "term": term,
                "estimate": nan(estimate),
                "std_error": nan(se),
                "conf_low": nan(low),
                "conf_high": nan(high),
                "p_value": nan(p),
                "stars": "" if hide else stars(p),
                "n_persons": pd.NA if hide else n,
                "n_obs": pd.NA if hide else n,
            }

        est.append(
            row(
                "mean_difference",
                s["mean_difference"],
                s["std_error"],
                s["conf_low"],
                s["conf_high"],
                s["p_value"],
                s["n_pairs"],
            )
        )
        for term, k, n in (
            ("share_left_high_risk", s["n_left"], s["n_high_before"]),
            ("share_entered_high_risk", s["n_entered"], s["n_not_high_before"]),
        ):
            share = k / n if n else np.nan
            se = float(np.sqrt(share * (1 - share) / n)) if n else np.nan
            est.append(row(term, share, se, *_wilson(k, n), np.nan, n))
    table = pd.DataFrame(rows)[list(CHANGE_COLUMNS)].rename(columns=CHANGE_COLUMNS)
    estimates = pd.DataFrame(est, columns=ESTIMATE_COLUMNS)
    estimates = estimates.astype({"n_persons": "Int64", "n_obs": "Int64"})
    return table, estimates


def change_source(table: pd.DataFrame, min_cell: int) -> str:
    parts = [
        f"{count_text(int(n), min_cell)} ({label.lower()})"
        for label, n in zip(
            table[CHANGE_COLUMNS["label"]], table[CHANGE_COLUMNS["n_pairs"]], strict=True
        )
    ]
    return "Kursistspørgeskema, WHO-5-trivselsindeks, personer med to målinger. N = " + "; ".join(
        parts
    )


def change_text(table: pd.DataFrame, min_cell: int) -> str:
    """A short Danish reading of `paired_change`'s table, every number from the run; a
    comparison resting on 1..min_cell-1 persons is only counted, not described."""
    c = CHANGE_COLUMNS
    out = []
    for row in table.to_dict("records"):
        n = int(row[c["n_pairs"]])
        if n < max(min_cell, 2):
            out.append(
                f"{row[c['label']]}: {count_text(n, min_cell)} personer med begge "
                "målinger, for få til at beskrive ændringen."
            )
            continue
        diff = row[c["mean_difference"]]
        text = (
            f"{row[c['label']]}: blandt de {num(n)} personer med begge målinger ændrede "
            f"WHO-5-scoren sig i gennemsnit med {signed(diff, 1)} point (95 %-KI "
            f"{num(row[c['conf_low']], 1)} til {num(row[c['conf_high']], 1)})."
        )
        if row[c["n_left"]] >= min_cell and row[c["n_high_before"]] >= min_cell:
            text += (
                f" Af de {num(int(row[c['n_high_before']]))}, der var i høj risiko ved "
                f"første måling, var {pct(row[c['pct_left']] / 100)} over 35 ved den "
                "senere måling."
            )
        if row[c["n_entered"]] >= min_cell and row[c["n_not_high_before"]] >= min_cell:
            text += (
                f" Af de øvrige {num(int(row[c['n_not_high_before']]))} var "
                f"{pct(row[c['pct_entered']] / 100)} kommet i høj risiko."
            )
        out.append(text)
    return "\n\n".join(out)
