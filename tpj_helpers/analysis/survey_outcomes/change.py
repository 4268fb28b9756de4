"""Every survey item by wave, the report's headline indicators and paired change per person.

Rules (as `survey_tables`): only fully submitted questionnaires of the persons of the phase count;
shares of substantive answers are taken of the substantive answers (the special codes "Ved ikke",
"Ikke relevant", "Ønsker ikke at svare" are shown apart, as shares of all answers to the item).

- **All items**: `all_items_distribution` stacks `survey_tables.item_distribution` for every coded
  item of the codebook (Bilag 15 in all its waves, Bilag 16 after the course; free text and the
  birth year are left out).
- **Headline indicators** (`params/survey_indicators.yaml`): share of the substantive answers to
  an item whose code is one of the indicator's codes. For a multi-select option (0/1) that is the
  share of the respondents asked the question who chose the option.
- **Paired change** (beyond the report): persons who answered an item in both waves (substantive
  answers; a special code does not pair). Difference = position after - position before (positions
  run 1..k with k the most positive answer, so a positive difference is an improvement). Wilcoxon
  signed-rank test with `zero_method="pratt"` (zero differences are ranked, then dropped: they
  weigh on the ranks of the others) and the normal approximation (`method="approx"`: ties and zeros
  rule out the exact distribution). Effect size: the matched-pairs rank-biserial correlation
  r = (R+ - R-) / (R+ + R-), ranks of |difference| among the non-zero differences (average ranks
  for ties); r runs from -1 (everybody worse) to +1 (everybody better). 95% CI: percentile
  bootstrap over persons (`N_BOOT` resamples, fixed seed).
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import yaml
from scipy import stats

from tpj_helpers.analysis.data_quality.enrolment import count_text
from tpj_helpers.analysis.survey_outcomes.tables import (
    diverging_bar,
    item_distribution,
    phase_person_ids,
    scale_colours,
)
from tpj_helpers.data.survey import tidy_responses
from tpj_helpers.paths import PARAMS_DIR
from tpj_helpers.publish import hidden_marks as hm
from tpj_helpers.publish.present import PALETTE, num, pct, signed
from tpj_helpers.publish.publisher import ESTIMATE_COLUMNS, stars

DEFAULT_INDICATORS = PARAMS_DIR / "survey_indicators.yaml"
DISTRIBUTION_TYPES = ("ordinal", "nominal", "multi", "count", "who5")
SPECIAL_COLOUR = "#969696"
N_BOOT = 2000
SEED = 20250
COMPARISONS = (("foer", "efter"), ("foer", "3mdr"))

# Figures by theme (codebook items; each figure a manageable height).
PROGRESSION_FIGURES = {
    "beskaeftigelsesmestring": ("job_manage", "job_competences", "job_prospects"),
    "arbejdsidentitet": ("job_knowhow", "right_direction"),
    "helbred": ("health_work", "energy_job", "self_rated_health"),
}
AFTER_FIGURES = {
    "udbytte": (
        "gain_decisions",
        "gain_goals",
        "gain_problem_solving",
        "gain_thinking_techniques",
        "gain_triggers",
        "gain_move_more",
        "gain_symptoms",
        "gain_comm_family",
        "gain_comm_caseworker",
        "gain_network",
        "gain_activity_rest",
        "gain_qualifications",
    ),
    "tilfredshed": (
        "sat_trust",
        "sat_pedagogic",
        "sat_worth",
        "sat_instructor_experience",
        "sat_relevant",
        "sat_recommend",
        "sat_overall",
    ),
    "teknik": (
        "tech_login_platform",
        "tech_find_preparation",
        "tech_login_webinar",
        "sat_webinar",
        "sat_preparation",
        "digital_peers",
    ),
}
SHARE_FIGURES = {
    "teknik": ("device", "prep_count"),
    "fravaer": ("absence_any", "absence_count"),
    "baggrund": ("reason", "born_dk", "gender"),
}
MULTI_FIGURES = {
    "fravaer": (
        "absence_reason_illness",
        "absence_reason_mental",
        "absence_reason_private",
        "absence_reason_jobcenter",
        "absence_reason_technical",
        "absence_reason_tired",
        "absence_reason_expectations",
        "absence_reason_forgot",
        "absence_reason_dontknow",
        "absence_reason_other",
    ),
    "forberedelse": (
        "prep_reason_time_private",
        "prep_reason_time_jobcenter",
        "prep_reason_technical",
        "prep_reason_tired",
        "prep_reason_not_relevant",
        "prep_reason_forgot",
        "prep_reason_dontknow",
        "prep_reason_other",
    ),
}


# --------------------------------------------------------------------------- all items


def distribution_items(codebook) -> list[str]:
    """Every coded item of the codebook, in questionnaire order (text and numeric left out)."""
    return [it.id for it in codebook.items if it.type in DISTRIBUTION_TYPES]


def all_items_distribution(data, phase: str | None = None) -> pd.DataFrame:
    """`item_distribution` for every coded item in each of its waves, one long table, with the
    item's type and codebook group in front."""
    codebook = data.surveys.codebook
    frames = []
    for item_id in distribution_items(codebook):
        it = codebook.item(item_id)
        dist = item_distribution(data, [item_id], waves=it.waves, phase=phase)
        frames.append(dist.assign(type=it.type, group=codebook.groups[it.group]))
    out = pd.concat(frames, ignore_index=True)
    front = ["group", "type"]
    return out[front + [c for c in out.columns if c not in front]]


def progression_items(codebook) -> tuple[str, ...]:
    """The ordinal items asked in every wave (Bilag 15's progression questions)."""
    waves = set(codebook.waves)
    return tuple(it.id for it in codebook.items if it.type == "ordinal" and set(it.waves) == waves)


# --------------------------------------------------------------------------- figures


def _panel_groups(scale: pd.DataFrame, items: Sequence[str]) -> list[tuple[tuple, list[str]]]:
    """Items grouped by their answer list (along the scale), in first-seen order."""
    groups: dict[tuple, list[str]] = {}
    for item in items:
        sub = scale[scale["item"] == item].drop_duplicates("code").sort_values("position")
        groups.setdefault(tuple(sub["answer"]), []).append(item)
    return list(groups.items())


def likert_items_figure(dist: pd.DataFrame, min_cell: int = 5, wrap: int = 42) -> plt.Figure:
    """Compact diverging stacked bars: one bar per item (and wave), items sharing an answer list
    in one panel with the answers as legend; answers from the most negative (left) to the most
    positive (right). The special codes are drawn apart, in a narrow grey panel on the right
    (share of all answers to the item), never on the scale. Suppressed (NA) shares are left out
    and the bar marked with *."""
    scale = dist[~dist["special"]]
    special = dist[dist["special"]]
    items = list(dict.fromkeys(scale["item"]))
    waves = list(dict.fromkeys(scale["wave"]))
    panels = _panel_groups(scale, items)
    has_special = bool(len(special))
    heights = [0.38 * len(its) * len(waves) + 0.9 for _, its in panels]
    fig, axes = plt.subplots(
        len(panels),
        2 if has_special else 1,
        figsize=(9.5, sum(heights) + 0.6),
        squeeze=False,
        gridspec_kw={
            "height_ratios": heights,
            **({"width_ratios": [5, 1.2]} if has_special else {}),
        },
        layout="constrained",
    )
    any_hidden = False
    extent = 0.25
    special_max = max(
        0.2,
        float(np.nan_to_num(special["share"].astype(float)).max()) * 1.4 if has_special else 0.2,
    )
    for row, (answers, its) in enumerate(panels):
        ax = axes[row, 0]
        colours = scale_colours(len(answers))
        labels = []
        y = 0
        for item in its:
            for wave in waves:
                bar = scale[(scale["item"] == item) & (scale["wave"] == wave)]
                if not len(bar):
                    continue
                bar = bar.sort_values("position", kind="stable")
                shares = bar["share"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
                if (
                    bar["n"].astype("Float64").fillna(1) == 0
                ).all():  # no answers at all: nothing hidden
                    shares = np.zeros(len(bar))
                n_scale = bar["n_scale"].iloc[0]
                # N hidden beside rounded shares (special answers): the bar is drawn
                drawn = not pd.isna(n_scale) or not np.isnan(shares).all()
                hidden = bool(np.isnan(shares).any()) and drawn
                any_hidden |= hidden
                name = bar["question"].iloc[0]
                if len(waves) > 1:
                    name += f", {bar['wave_label'].iloc[0].lower()}"
                n_text = hm.n_text(n_scale)
                labels.append(textwrap.fill(f"{name} ({n_text}){' *' if hidden else ''}", wrap))
                if drawn:
                    extent = max(extent, diverging_bar(ax, y, shares, colours, fontsize=7))
                if has_special:
                    _special_bar(axes[row, 1], y, special, item, wave, special_max)
                y += 1
        ax.set_yticks(range(len(labels)), labels, fontsize=8)
        ax.set_ylim(len(labels) - 0.5, -0.5)
        ax.axvline(0, color="black", linewidth=0.8)
        ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: pct(abs(v))))
        ax.tick_params(axis="x", labelsize=8)
        ax.grid(axis="y", visible=False)
        ax.legend(
            [plt.Rectangle((0, 0), 1, 1, color=c) for c in colours],
            [textwrap.fill(a, 22) for a in answers],
            loc="lower left",
            bbox_to_anchor=(0, 1.0),
            ncol=len(answers),
            fontsize=7,
            frameon=False,
            handlelength=1.0,
            columnspacing=0.8,
        )
        if has_special:
            sax = axes[row, 1]
            sax.set_ylim(len(labels) - 0.5, -0.5)
            sax.set_yticks([])
            sax.set_xlim(0, special_max)
            sax.xaxis.set_major_locator(plt.MaxNLocator(2))
            sax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: pct(v)))
            shown = special[special["item"].isin(its)]["share"].astype("Float64")
            if not shown.notna().any():  # only hidden cells («<5»): an axis would measure nothing
                sax.set_xticks([])
            sax.tick_params(axis="x", labelsize=7)
            sax.grid(axis="y", visible=False)
            names = special[special["item"].isin(its)]["answer"].drop_duplicates().tolist()
            sax.set_title(
                textwrap.fill(" / ".join(names) or "Ved ikke / ikke relevant", 18),
                fontsize=7.5,
                loc="left",
            )
    reach = min(np.ceil(extent * 4) / 4, 1.0)
    for ax in axes[:, 0]:
        ax.set_xlim(-reach, reach)
        ax.set_xticks(np.arange(-reach, reach + 0.01, 0.25))
    axes[-1, 0].set_xlabel(
        "Andel af de svar, der ligger på skalaen (negative til venstre, positive til højre)",
        fontsize=8,
    )
    if has_special:
        axes[-1, 1].set_xlabel("Andel af alle svar", fontsize=8)
    if any_hidden:
        fig.supxlabel(
            f"* Rækken har skjulte svarkategorier. {hm.hidden_note(min_cell)}.",
            fontsize=7.5,
            x=0.01,
            ha="left",
        )
    return fig


def _special_bar(ax, y: int, special: pd.DataFrame, item: str, wave: str, span: float) -> None:
    """The special codes' share of all answers at row `y` of the side panel (x axis 0..`span`);
    a hidden share is the hatched marker."""
    extra = special[(special["item"] == item) & (special["wave"] == wave)]
    if not len(extra):
        return
    share = extra["share"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    if np.isnan(share).any():
        hm.mark_barh(ax, y, span=span, height=0.6, share=0.1)  # the side panel is narrow
        return
    total = float(share.sum())
    ax.barh(y, total, color=SPECIAL_COLOUR, height=0.6)
    ax.text(total, y, " " + pct(total), va="center", fontsize=7)


def share_bars_figure(dist: pd.DataFrame, min_cell: int = 5, wrap: int = 40) -> plt.Figure:
    """Horizontal bars of answer shares for nominal and count items: one panel per item (one wave),
    substantive answers in questionnaire (or scale) order, special codes after them in grey (share
    of all answers). Suppressed shares read '<min_cell'."""
    items = list(dict.fromkeys(dist["item"]))
    sizes = [int((dist["item"] == i).sum()) for i in items]
    fig, axes = plt.subplots(
        len(items),
        1,
        figsize=(8, 0.32 * sum(sizes) + 0.75 * len(items)),
        squeeze=False,
        height_ratios=sizes,
        layout="constrained",
    )
    for ax, item in zip(axes[:, 0], items, strict=True):
        sub = dist[dist["item"] == item]
        scale = sub[~sub["special"]]
        if scale["position"].notna().any():  # count items: questionnaire order (codes ascending)
            scale = scale.sort_values("code", kind="stable")
        sub = pd.concat([scale, sub[sub["special"]]])
        shares = sub["share"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        colours = [SPECIAL_COLOUR if s else PALETTE[0] for s in sub["special"]]
        ys = np.arange(len(sub))
        ax.barh(ys, np.nan_to_num(shares), color=colours, height=0.7)
        for y, share in zip(ys, shares, strict=True):
            if np.isnan(share):
                hm.mark_barh(ax, y, height=0.7)
                continue
            ax.text(share, y, " " + pct(share), va="center", fontsize=7.5)
        ax.set_yticks(ys, [textwrap.fill(str(a), wrap) for a in sub["answer"]], fontsize=8)
        ax.set_ylim(len(sub) - 0.5, -0.5)
        ax.set_xlim(0, 1.0)
        ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: pct(v)))
        ax.grid(axis="y", visible=False)
        n_scale = sub["n_scale"].iloc[0]
        ax.set_title(
            f"{sub['question'].iloc[0]} ({hm.n_text(n_scale)})",
            loc="left",
            fontsize=9,
            fontweight="normal",
        )
    axes[-1, 0].set_xlabel("Andel af svarene (grå: særlige svar, andel af alle svar)", fontsize=8)
    if dist["share"].isna().any():
        axes[-1, 0].legend(
            handles=[hm.hidden_patch(min_cell)],
            loc="upper center",
            bbox_to_anchor=(0.5, -0.35),
            fontsize=7.5,
            frameon=False,
        )
    return fig


def multi_shares(data, item_ids: Sequence[str], phase: str | None = None) -> pd.DataFrame:
    """Multi-select options as shares of respondents: per option the persons who chose it (1),
    and the respondents asked the question (answered at least one option 0/1): n, N, share."""
    dist = item_distribution(data, item_ids, phase=phase)
    chosen = dist[(dist["code"] == 1) & ~dist["special"]]
    wide = _multi_answers(data, item_ids, phase)
    respondents = int(wide.notna().any(axis=1).sum())
    out = pd.DataFrame(
        {
            "item": chosen["item"].to_numpy(),
            "option": chosen["question"].to_numpy(),
            "wave": chosen["wave"].to_numpy(),
            "n": chosen["n"].astype("int64").to_numpy(),
            "n_respondents": respondents,
        }
    )
    out["share"] = out["n"] / respondents if respondents else np.nan
    return out


def _multi_answers(data, item_ids: Sequence[str], phase: str | None) -> pd.DataFrame:
    codebook = data.surveys.codebook
    wave = codebook.item(item_ids[0]).waves[0]
    returns = data.surveys.responses.get(wave)
    if returns is None:
        return pd.DataFrame(columns=list(item_ids))
    keep = returns["person_id"].isin(phase_person_ids(data, phase)) & returns["complete"]
    return returns.loc[keep, list(item_ids)]


MULTI_COUNTS = ["n", "n_respondents"]
MULTI_LINKED = {"share": "n"}


def multi_figure(shares: pd.DataFrame, title: str, min_cell: int = 5) -> plt.Figure:
    """Horizontal bars: share of respondents choosing each option (largest first)."""
    df = shares.assign(s=shares["share"].astype("Float64").fillna(-1)).sort_values(
        "s", ascending=False, kind="stable"
    )
    fig, ax = plt.subplots(figsize=(8, 0.32 * len(df) + 1.1), layout="constrained")
    ys = np.arange(len(df))
    values = df["share"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    ax.barh(ys, np.nan_to_num(values), color=PALETTE[0], height=0.7)
    for y, v in zip(ys, values, strict=True):
        if np.isnan(v):
            hm.mark_barh(ax, y, height=0.7)
            continue
        ax.text(v, y, " " + pct(v), va="center", fontsize=7.5)
    ax.set_yticks(ys, df["option"].tolist(), fontsize=8)
    ax.set_ylim(len(df) - 0.5, -0.5)
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: pct(v)))
    ax.grid(axis="y", visible=False)
    n = df["n_respondents"].iloc[0] if len(df) else np.nan
    ax.set_title(
        f"{title} (flere svar mulige; {hm.n_text(n)})", loc="left", fontsize=9, fontweight="normal"
    )
    ax.set_xlabel("Andel af de adspurgte, der har valgt svaret", fontsize=8)
    if np.isnan(values).any():
        ax.legend(
            handles=[hm.hidden_patch(min_cell)],
            loc="upper center",
            bbox_to_anchor=(0.5, -0.18),
            fontsize=7.5,
            frameon=False,
        )
    return fig


def multi_source(shares: pd.DataFrame, min_cell: int, what: str) -> str:
    n = shares["n_respondents"].iloc[0] if len(shares) else 0
    return (
        f"Kursistspørgeskema lige efter kurset, fuldt besvarede skemaer. "
        f"N = {count_text(int(n), min_cell)} {what}"
    )


# --------------------------------------------------------------------------- indicators


def load_indicators(codebook, path: Path | str | None = None) -> tuple[dict, list[dict]]:
    """The indicator definitions (groups, indicators), checked against the codebook."""
    path = Path(path) if path is not None else DEFAULT_INDICATORS
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    groups = dict(raw["groups"])
    indicators = []
    for entry in raw["indicators"]:
        ind = dict(entry)
        where = f"{path.name}: indicator '{ind.get('id')}'"
        it = codebook.item(ind["item"])
        if ind["group"] not in groups:
            raise ValueError(f"{where}: unknown group '{ind['group']}'")
        if not ind["codes"] or not set(ind["codes"]) <= set(it.codes):
            raise ValueError(
                f"{where}: codes {ind['codes']} are not substantive codes of "
                f"'{it.id}' {list(it.codes)}"
            )
        ind["waves"] = tuple(ind.get("waves", it.waves))
        if not set(ind["waves"]) <= set(it.waves):
            raise ValueError(f"{where}: '{it.id}' is not asked in all of {ind['waves']}")
        ind["published"] = dict(ind.get("published", {}))
        indicators.append(ind)
    return groups, indicators


def indicator_shares(
    data, groups: dict, indicators: list[dict], phase: str | None = None
) -> pd.DataFrame:
    """One row per (indicator, wave): id, group, item, wave, wave_label, label, n (answers among
    the indicator's codes), n_scale (substantive answers: the N), share (0-1), published (the
    report's percentage, NA when it quotes none)."""
    rows = []
    for ind in indicators:
        dist = item_distribution(data, [ind["item"]], waves=ind["waves"], phase=phase)
        scale = dist[~dist["special"]]
        for wave, sub in scale.groupby("wave", sort=False):
            n = int(sub.loc[sub["code"].isin(ind["codes"]), "n"].sum())
            n_scale = int(sub["n_scale"].iloc[0])
            rows.append(
                {
                    "id": ind["id"],
                    "group": groups[ind["group"]],
                    "item": ind["item"],
                    "wave": wave,
                    "wave_label": sub["wave_label"].iloc[0],
                    "label": ind["label"],
                    "n": n,
                    "n_scale": n_scale,
                    "share": n / n_scale if n_scale else np.nan,
                    "published": ind["published"].get(wave, np.nan),
                }
            )
    return pd.DataFrame(rows).astype({"published": "float64"})


INDICATOR_COLUMNS = {
    "group": "Gruppe",
    "label": "Indikator",
    "wave_label": "Måling",
    "share": "Andel (%)",
    "n": "Antal",
    "n_scale": "N",
}
INDICATOR_COUNTS = ["Antal", "N"]
INDICATOR_LINKED = {"Andel (%)": "Antal"}
INDICATOR_NOTE = (
    "Andel = andel af de besvarelser, der ligger på svarskalaen (»Ved ikke« og »Ikke relevant« "
    "indgår ikke). Årsager til fravær og manglende forberedelse er andele af de adspurgte "
    "(flere svar mulige)."
)


def indicator_table(shares: pd.DataFrame) -> pd.DataFrame:
    """The display table: Gruppe, Indikator, Måling, Andel (%) (0-100), Antal, N."""
    out = shares.assign(share=100 * shares["share"])[list(INDICATOR_COLUMNS)]
    return out.rename(columns=INDICATOR_COLUMNS).reset_index(drop=True)


def indicator_source(
    shares: pd.DataFrame, min_cell: int, wave_order: Sequence[str] = ("foer", "efter", "3mdr")
) -> str:
    """Source line: per wave (in `wave_order`) the largest N of its indicators."""
    order = {w: i for i, w in enumerate(wave_order)}
    ranked = shares.assign(_o=shares["wave"].map(order).fillna(len(order)))
    per_wave = (
        ranked.sort_values("_o", kind="stable").groupby("wave_label", sort=False)["n_scale"].max()
    )
    parts = [
        f"op til {count_text(int(n), min_cell)} {label.lower()}" for label, n in per_wave.items()
    ]
    return "Kursistspørgeskema, fuldt besvarede skemaer. N = " + "; ".join(parts)


# --------------------------------------------------------------------------- paired change


def survey_answers(data, phase: str | None = None) -> pd.DataFrame:
    """Tidy answers of the fully submitted questionnaires of the persons of `phase`."""
    tidy = tidy_responses(data.surveys)
    keep = tidy["complete"].astype(bool) & tidy["person_id"].isin(phase_person_ids(data, phase))
    return tidy[keep].reset_index(drop=True)


def paired_positions(tidy: pd.DataFrame, item: str, wave_from: str, wave_to: str) -> pd.DataFrame:
    """Persons with a substantive answer (a position) to `item` in both waves: person_id, before,
    after, diff (= after - before; positive = towards the most positive answer)."""
    sub = tidy[
        (tidy["item"] == item) & tidy["position"].notna() & tidy["wave"].isin([wave_from, wave_to])
    ]
    wide = sub.pivot_table(index="person_id", columns="wave", values="position", aggfunc="first")
    if wave_from not in wide or wave_to not in wide:
        return pd.DataFrame(
            {"person_id": pd.Series(dtype="string"), "before": [], "after": [], "diff": []}
        )
    wide = wide[[wave_from, wave_to]].dropna().astype("int64")
    out = pd.DataFrame(
        {
            "person_id": wide.index.astype("string"),
            "before": wide[wave_from].to_numpy(),
            "after": wide[wave_to].to_numpy(),
        }
    )
    return out.assign(diff=out["after"] - out["before"]).reset_index(drop=True)


def rank_biserial(diff: np.ndarray) -> np.ndarray | float:
    """Matched-pairs rank-biserial correlation (R+ - R-) / (R+ + R-), ranks of |diff| among the
    non-zero differences (average ranks). Works along the last axis of a 2-d array (bootstrap);
    NaN when all differences are zero."""
    d = np.asarray(diff, dtype=float)
    flat = d.ndim == 1
    d = np.atleast_2d(d)
    ranks = stats.rankdata(np.abs(d), axis=-1)
    zeros = (d == 0).sum(axis=-1, keepdims=True)
    ranks = np.where(d == 0, 0.0, ranks - zeros)  # zeros tie at the bottom: shift the others
    total = ranks.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (np.sign(d) * ranks).sum(axis=-1) / total
    r = np.where(total > 0, r, np.nan)
    return float(r[0]) if flat else r


def wilcoxon_test(diff: np.ndarray) -> tuple[float, float]:
    """Wilcoxon signed-rank test (zero_method='pratt', normal approximation): statistic, p."""
    d = np.asarray(diff, dtype=float)
    if len(d) == 0 or not np.any(d != 0):
        return np.nan, np.nan
    res = stats.wilcoxon(d, zero_method="pratt", method="approx")
    return float(res.statistic), float(res.pvalue)


def bootstrap_ci(
    diff: np.ndarray, n_boot: int = N_BOOT, seed: int = SEED, level: float = 0.95
) -> tuple[float, float]:
    """Percentile bootstrap interval of the rank-biserial correlation, resampling persons."""
    d = np.asarray(diff, dtype=float)
    if len(d) < 2 or not np.any(d != 0):
        return np.nan, np.nan
    rng = np.random.default_rng(seed)
    draws = d[rng.integers(0, len(d), size=(n_boot, len(d)))]
    r = rank_biserial(draws)
    r = r[~np.isnan(r)]
    alpha = (1 - level) / 2
    return float(np.quantile(r, alpha)), float(np.quantile(r, 1 - alpha))


def _top_share(
    tidy: pd.DataFrame, item: str, wave: str, k: int, persons: pd.Index | None = None
) -> float:
    """Share of the substantive answers in the two most positive answers (positions k-1, k)."""
    sub = tidy[(tidy["item"] == item) & (tidy["wave"] == wave) & tidy["position"].notna()]
    if persons is not None:
        sub = sub[sub["person_id"].isin(persons)]
    return float((sub["position"] >= k - 1).mean()) if len(sub) else np.nan


def paired_change(
    tidy: pd.DataFrame,
    codebook,
    items: Sequence[str],
    comparisons: Sequence[tuple[str, str]] = COMPARISONS,
    n_boot: int = N_BOOT,
    seed: int = SEED,
) -> pd.DataFrame:
    """Per item and comparison: pairs, improved/unchanged/worse (counts, shares), median change,
    Wilcoxon (pratt) statistic and p, stars, rank-biserial r with a bootstrap 95% CI, and the
    share in the two most positive answers cross-sectionally (every respondent of the wave) and
    among the pairs, before and after."""
    rows = []
    for wave_from, wave_to in comparisons:
        for item in items:
            it = codebook.item(item)
            pairs = paired_positions(tidy, item, wave_from, wave_to)
            d = pairs["diff"].to_numpy(dtype=float)
            n = len(d)
            stat, p = wilcoxon_test(d)
            lo, hi = bootstrap_ci(d, n_boot, seed)
            rows.append(
                {
                    "item": item,
                    "question": it.short_label,
                    "subgroup": f"wave:{wave_from}-{wave_to}",
                    "wave_from": wave_from,
                    "wave_to": wave_to,
                    "n_pairs": n,
                    "n_improved": int((d > 0).sum()),
                    "n_unchanged": int((d == 0).sum()),
                    "n_worse": int((d < 0).sum()),
                    "share_improved": (d > 0).mean() if n else np.nan,
                    "share_unchanged": (d == 0).mean() if n else np.nan,
                    "share_worse": (d < 0).mean() if n else np.nan,
                    "median_change": float(np.median(d)) if n else np.nan,
                    "statistic": stat,
                    "p_value": p,
                    "stars": stars(p),
                    "rank_biserial": rank_biserial(d) if n else np.nan,
                    "conf_low": lo,
                    "conf_high": hi,
                    "top_from_all": _top_share(tidy, item, wave_from, it.k),
                    "top_to_all": _top_share(tidy, item, wave_to, it.k),
                    "top_from_pairs": _top_share(tidy, item, wave_from, it.k, pairs["person_id"]),
                    "top_to_pairs": _top_share(tidy, item, wave_to, it.k, pairs["person_id"]),
                }
            )
    return pd.DataFrame(rows)


def paired_estimates(change: pd.DataFrame) -> pd.DataFrame:
    """Rows for results/estimates.csv (analysis survey, model paired_wilcoxon, term = item)."""
    out = pd.DataFrame(
        {
            "analysis": "survey",
            "model": "paired_wilcoxon",
            "subgroup": change["subgroup"],
            "term": change["item"],
            "estimate": change["rank_biserial"],
            "std_error": np.nan,
            "conf_low": change["conf_low"],
            "conf_high": change["conf_high"],
            "p_value": change["p_value"],
            "stars": change["stars"],
            "n_persons": change["n_pairs"].astype("int64"),
            "n_obs": 2 * change["n_pairs"].astype("int64"),
        }
    )
    return out[ESTIMATE_COLUMNS]


COMPARISON_LABELS = {"foer-efter": "Før → lige efter", "foer-3mdr": "Før → 3 mdr. efter"}
PAIRED_COUNTS = ["Par"]
PAIRED_LINKED = {"Median ændring": "Par", "r": "Par"}
PAIRED_NOTE = (
    "Personer, der har besvaret spørgsmålet i begge målinger. Ændring = skridt på svarskalaen "
    "(positiv = mod det mest positive svar). r = rang-biserial korrelation (−1 til 1) med 95 % "
    "bootstrap-konfidensinterval; p fra Wilcoxons fortegnsrangtest (nuldifferencer efter Pratt). "
    "\\* p < 0,05; \\*\\* p < 0,01; \\*\\*\\* p < 0,001. »Top 2« = andel i de to mest positive svar, blandt "
    "alle svarende i målingen (tværsnit) og blandt parrene. Svarprocenten tre måneder efter er "
    "lav, så parrene kan være en selekteret gruppe."
)


def _share_cell(n: int, share: float, min_cell: int) -> str:
    if 0 < n < min_cell:
        return f"<{min_cell}"
    return pct(share) if not pd.isna(share) else ""


def paired_table(change: pd.DataFrame, min_cell: int) -> pd.DataFrame:
    """Display table: the shares improved/unchanged/worse are text (a share resting on 1..min_cell-1
    persons reads '<min_cell'); r with its CI and stars."""

    def ci(r):
        if pd.isna(r.conf_low):
            return ""
        return f"{num(r.conf_low, 2)} til {num(r.conf_high, 2)}"

    rows = []
    for r in change.itertuples():
        few = r.n_pairs < min_cell
        rows.append(
            {
                "Spørgsmål": r.question,
                "Sammenligning": COMPARISON_LABELS.get(r.subgroup.split(":", 1)[1], r.subgroup),
                "Par": r.n_pairs,
                "Bedre": "" if few else _share_cell(r.n_improved, r.share_improved, min_cell),
                "Uændret": "" if few else _share_cell(r.n_unchanged, r.share_unchanged, min_cell),
                "Dårligere": "" if few else _share_cell(r.n_worse, r.share_worse, min_cell),
                "Median ændring": r.median_change,
                "r": r.rank_biserial,
                "95 %-KI": "" if few else ci(r),
                "p": ""
                if few or pd.isna(r.p_value)
                else ("<0,001" if r.p_value < 0.001 else num(r.p_value, 3)) + r.stars,
                "Top 2 før/efter (tværsnit)": _pair_pct(r.top_from_all, r.top_to_all),
                "Top 2 før/efter (par)": "" if few else _pair_pct(r.top_from_pairs, r.top_to_pairs),
            }
        )
    return pd.DataFrame(rows).astype({"Par": "int64"})


def _pair_pct(a: float, b: float) -> str:
    return f"{pct(a)} / {pct(b)}" if not (pd.isna(a) or pd.isna(b)) else ""


def paired_source(change: pd.DataFrame, min_cell: int) -> str:
    parts = []
    for sub, grp in change.groupby("subgroup", sort=False):
        label = COMPARISON_LABELS.get(sub.split(":", 1)[1], sub).lower()
        parts.append(f"{label}: op til {count_text(int(grp['n_pairs'].max()), min_cell)} par")
    return (
        "Kursistspørgeskema, fuldt besvarede skemaer, personer med svar i begge målinger. "
        "N = " + "; ".join(parts)
    )


def paired_summary(change: pd.DataFrame, min_cell: int = 5) -> str:
    """Danish sentences on the paired change (numbers from the run)."""
    lines = []
    for sub, grp in change.groupby("subgroup", sort=False):
        label = COMPARISON_LABELS.get(sub.split(":", 1)[1], sub)
        sig = grp[grp["p_value"] < 0.05]
        better = sig[sig["rank_biserial"] > 0]["question"].tolist()
        worse = sig[sig["rank_biserial"] < 0]["question"].tolist()
        lo, hi = int(grp["n_pairs"].min()), int(grp["n_pairs"].max())
        pairs = count_text(lo, min_cell) if lo == hi or lo < min_cell else f"{num(lo)}-{num(hi)}"
        text = f"**{label}** ({pairs} par pr. spørgsmål): "
        if better:
            text += "signifikant fremgang (p < 0,05) på " + ", ".join(b.lower() for b in better)
        else:
            text += "ingen signifikant fremgang (p < 0,05) på noget spørgsmål"
        if worse:
            text += "; signifikant tilbagegang på " + ", ".join(w.lower() for w in worse)
        best = (
            grp.loc[grp["rank_biserial"].idxmax()] if grp["rank_biserial"].notna().any() else None
        )
        if best is not None:
            text += (
                f". Største ændring (r): {best['question'].lower()} "
                f"(r = {signed(best['rank_biserial'], 2)})."
            )
        lines.append(text)
    return "\n\n".join(lines)


# --------------------------------------------------------------------------- publishing


def publish_distribution_figure(
    pub,
    data,
    items: Sequence[str],
    name: str,
    phase: str | None,
    kind: str = "likert",
    plan=None,
) -> pd.DataFrame:
    """Distribution of `items` drawn as `kind` ('likert': the per-item panels of
    `survey_tables.likert_figure`, for items asked in several waves; 'items': the compact
    `likert_items_figure`; 'shares': `share_bars_figure`), with its computed source line.
    `plan`: the special answers' plan (`survey_outcomes.special.plan`), applied as in
    survey-items.csv (rounded shares without N where a special answer is small)."""
    from tpj_helpers.analysis.survey_outcomes import tables as st

    dist = item_distribution(data, items, phase=phase)
    plots = {
        "likert": lambda d: st.likert_figure(d, min_cell=pub.min_cell),
        "items": lambda d: likert_items_figure(d, min_cell=pub.min_cell),
        "shares": lambda d: share_bars_figure(d, min_cell=pub.min_cell),
    }
    from tpj_helpers.analysis.survey_outcomes import disclosure

    if plan is not None:
        from tpj_helpers.analysis.survey_outcomes import special

        special.publish_items(
            pub,
            dist,
            plan,
            name,
            source=st.distribution_source(
                special.visible_bases(dist, plan), pub.min_cell, bool(dist["special"].any())
            ),
            plot=plots[kind],
        )
        return dist
    pub.figure(
        dist,
        name,
        source=st.distribution_source(dist, pub.min_cell),
        plot=plots[kind],
        count_cols=st.DIST_COUNTS,
        linked=st.DIST_LINKED,
        relations=disclosure.distribution_relations(dist),
        hide_cols=disclosure.HIDE_COLS,
    )
    return dist


def publish_multi_figure(
    pub, data, items: Sequence[str], name: str, phase: str | None, title: str, what: str
) -> pd.DataFrame:
    """A multi-select question as shares of the respondents asked, with its source line."""
    shares = multi_shares(data, items, phase)
    pub.figure(
        shares,
        name,
        source=multi_source(shares, pub.min_cell, what),
        plot=lambda d: multi_figure(d, title, pub.min_cell),
        count_cols=MULTI_COUNTS,
        linked=MULTI_LINKED,
    )
    return shares
