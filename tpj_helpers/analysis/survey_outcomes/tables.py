"""Survey tables and figures: response rates (Tabel 2) and answer distributions along the scale.

Rules:

- **Phase**: a survey phase means the persons whose counted enrolment belongs to that phase
  (`data.persons`); `phase=None` takes every person of the run.
- **Response rate** (as the report): fully submitted questionnaires (`complete = 1`) / questionnaires
  sent (`survey_dispatch`), per wave. Missing = sent - fully submitted, so partial returns count as
  missing (shown apart).
- **Answer distributions**: the fully submitted questionnaires (as the report, whose N are the
  fully submitted ones of Tabel 2); `include_partial=True` adds the partial returns. Shares of the
  substantive answers are taken of the substantive answers to the item (the N per wave); the
  special codes ("Ved ikke", "Ikke relevant", "Ønsker ikke at svare") are counted apart, as shares
  of all answers to the item, and are not placed on the scale.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import to_hex

from tpj_helpers.analysis.data_quality.enrolment import count_text
from tpj_helpers.publish import hidden_marks as hm
from tpj_helpers.publish.present import num, pct

WAVE_COLUMN = "Måling"
# DataFrame.attrs key: the (item, wave) pairs a figure leaves out unpublished (`special`)
UNPUBLISHED_ATTR = "tpj_unpublished"  # [(item, wave, wave label), ...]
UNPUBLISHED_WAVES = "tpj_waves"  # every wave of the whole distribution, in its order
RESPONSE_COLUMNS = {
    "sent": "Udsendt",
    "complete": "Fuldt besvaret",
    "rate": "Svarprocent",
    "missing": "Manglende besvarelse",
    "missing_rate": "Pct. manglende",
    "partial": "Heraf delvist besvaret",
}
# Sent = fully submitted + missing (complementary suppression in `Publisher.table`).
RESPONSE_SUMS = {
    "col_sums": [
        (RESPONSE_COLUMNS["sent"], [RESPONSE_COLUMNS["complete"], RESPONSE_COLUMNS["missing"]])
    ]
}
DIST_COLUMNS = [
    "item",
    "question",
    "wave",
    "wave_label",
    "code",
    "answer",
    "position",
    "special",
    "n",
    "n_scale",
    "n_answered",
    "share",
]
# Diverging colours from the most negative to the most positive answer (PuOr, readable with the
# common colour-vision deficiencies), neutral grey in the middle.
NEGATIVE_COLOUR, NEUTRAL_COLOUR, POSITIVE_COLOUR = "#b35806", "#d9d9d9", "#542788"
SEGMENT_LABEL_MIN = 0.07  # segments narrower than this get no percentage label


def phase_person_ids(data, phase: str | None) -> pd.Index:
    """Persons of `phase` (their counted enrolment's phase); every person when None."""
    persons = data.persons
    if phase is not None:
        persons = persons[persons["phase"] == phase]
    return pd.Index(persons["person_id"].astype("string").unique())


def _wave_labels(data) -> dict[str, str]:
    return dict(data.surveys.codebook.waves)


def response_rates(data, phase: str | None = None) -> pd.DataFrame:
    """Tabel 2: per wave the questionnaires sent, fully submitted, the response rate (0-100),
    missing (= sent - fully submitted, 0-100 of sent) and the partial returns among the missing.

    Sent comes from `survey_dispatch`, returns from the wave files (a wave without a file has no
    returns). One row per wave, in the codebook's wave order; columns in Danish.
    """
    ids = phase_person_ids(data, phase)
    dispatch = data.surveys.dispatch
    dispatch = dispatch[dispatch["person_id"].isin(ids)]
    rows = []
    for wave, label in _wave_labels(data).items():
        invited = dispatch.loc[dispatch["wave"] == wave, "person_id"]
        returns = data.surveys.responses.get(wave)
        if returns is None:
            complete = partial = 0
        else:
            mine = returns[returns["person_id"].isin(invited)]
            complete = int(mine["complete"].sum())
            partial = int((~mine["complete"]).sum())
        sent = int(invited.nunique())
        missing = sent - complete
        rows.append(
            {
                WAVE_COLUMN: label,
                "sent": sent,
                "complete": complete,
                # A wave without a file has no known response rate (not 0 %): the data-quality
                # chapter's warning box says so (parameter allow_missing_waves).
                "rate": 100.0 * complete / sent if sent and returns is not None else np.nan,
                "missing": missing,
                "missing_rate": 100.0 * missing / sent if sent and returns is not None else np.nan,
                "partial": partial,
            }
        )
    out = pd.DataFrame(rows).rename(columns=RESPONSE_COLUMNS)
    counts = [RESPONSE_COLUMNS[c] for c in ("sent", "complete", "missing", "partial")]
    return out.astype(dict.fromkeys(counts, "int64"))


RESPONSE_COUNTS = [RESPONSE_COLUMNS[c] for c in ("sent", "complete", "missing", "partial")]
# Disclosure control: the rates rest on their counts, and complete + missing = sent, so hiding one
# of the two must hide the other (applied in this order by `suppress_small`).
RESPONSE_LINKED = {
    RESPONSE_COLUMNS["missing"]: RESPONSE_COLUMNS["complete"],
    RESPONSE_COLUMNS["complete"]: RESPONSE_COLUMNS["missing"],
    RESPONSE_COLUMNS["rate"]: RESPONSE_COLUMNS["complete"],
    RESPONSE_COLUMNS["missing_rate"]: RESPONSE_COLUMNS["missing"],
}


def item_distribution(
    data,
    item_ids: Sequence[str],
    waves: Sequence[str] | None = None,
    phase: str | None = None,
    include_partial: bool = False,
) -> pd.DataFrame:
    """Answer counts and shares per item and wave, substantive answers along the scale.

    One row per (item, wave, code): every substantive code (also those nobody chose, n = 0), from
    the most negative answer (position 1) to the most positive (position k) for scaled items and
    in questionnaire order otherwise; then the item's special codes that were used. Columns:
    item, question (short label), wave, wave_label, code, answer, position, special, n,
    n_scale (substantive answers: the N), n_answered (all answers), share (0-1: of n_scale for
    substantive answers, of n_answered for special codes).
    Waves default to every wave of the first item; a wave without a file gives N = 0. Only fully
    submitted questionnaires count unless `include_partial`.
    """
    codebook = data.surveys.codebook
    items = [codebook.item(i) for i in item_ids]
    waves = list(waves) if waves is not None else list(items[0].waves)
    ids = phase_person_ids(data, phase)
    labels = _wave_labels(data)
    rows = []
    for it in items:
        codes = list(it.codes)
        if it.position(codes[0]) is not None:
            codes.sort(key=it.position)
        for wave in waves:
            if wave not in it.waves:
                raise ValueError(f"item '{it.id}' is not asked in wave '{wave}'")
            returns = data.surveys.responses.get(wave)
            if returns is None:
                answers = pd.Series(dtype="Int64")
            else:
                keep = returns["person_id"].isin(ids)
                if not include_partial:
                    keep &= returns["complete"]
                answers = returns.loc[keep, it.id].dropna()
            counts = answers.astype("int64").value_counts()
            n_scale = int(counts.reindex(codes, fill_value=0).sum())
            n_answered = int(counts.sum())
            for code in codes:
                n = int(counts.get(code, 0))
                rows.append(
                    (
                        it.id,
                        it.short_label,
                        wave,
                        labels[wave],
                        code,
                        it.label(code),
                        it.position(code),
                        False,
                        n,
                        n_scale,
                        n_answered,
                        n / n_scale if n_scale else np.nan,
                    )
                )
            for code in it.special:
                n = int(counts.get(code, 0))
                if n:
                    rows.append(
                        (
                            it.id,
                            it.short_label,
                            wave,
                            labels[wave],
                            code,
                            it.label(code),
                            None,
                            True,
                            n,
                            n_scale,
                            n_answered,
                            n / n_answered,
                        )
                    )
    out = pd.DataFrame(rows, columns=DIST_COLUMNS)
    return out.astype(
        {
            "position": "Int64",
            "n": "int64",
            "n_scale": "int64",
            "n_answered": "int64",
            "share": "float64",
            "special": "bool",
        }
    )


DIST_COUNTS = ["n", "n_scale", "n_answered"]


def share_base_hidden(mask: pd.DataFrame, dist: pd.DataFrame) -> pd.Series:
    """A share is hidden with its count and with its own base (n_scale for answers on the scale,
    n_answered for special codes): a share shown beside its count gives a hidden base back as
    count / share (and the base, a special code as n_answered - n_scale)."""
    special = dist["special"].astype(bool).to_numpy()
    return mask["n"] | pd.Series(
        np.where(special, mask["n_answered"], mask["n_scale"]), index=mask.index
    )


DIST_LINKED = {"share": share_base_hidden}


# --------------------------------------------------------------------------- figure


def scale_colours(k: int) -> list[str]:
    """k colours from the most negative to the most positive answer (grey middle when k is odd)."""
    from matplotlib.colors import LinearSegmentedColormap

    cmap = LinearSegmentedColormap.from_list(
        "likert", [NEGATIVE_COLOUR, "#fdb863", NEUTRAL_COLOUR, "#b2abd2", POSITIVE_COLOUR]
    )
    colours = [to_hex(cmap(x)) for x in np.linspace(0, 1, k)]
    if k % 2:
        colours[k // 2] = NEUTRAL_COLOUR
    return colours


def diverging_offsets(shares: Sequence[float], hidden_width: float = 0.0) -> np.ndarray:
    """Left edges of the stacked segments (shares from the most negative answer): the negative
    answers left of zero, the positive right of it, the middle answer (odd k) split across zero.
    A missing (suppressed) share takes `hidden_width` (the marker's width; 0 by default)."""
    s = np.nan_to_num(np.asarray(shares, dtype=float), nan=hidden_width)
    k = len(s)
    half = k // 2
    start = -s[:half].sum() - (s[half] / 2 if k % 2 else 0.0)
    return start + np.concatenate([[0.0], np.cumsum(s[:-1])])


def diverging_bar(
    ax, y: float, shares: np.ndarray, colours: Sequence[str], fontsize: float = 7.5
) -> float:
    """One diverging stacked bar at height `y` (segments centred on the scale's middle, shares
    of at least SEGMENT_LABEL_MIN labelled); returns how far it reaches from 0 on either side.
    A hidden (NA) share is drawn in its place as the hatched marker of `hidden_marks` (a fixed
    width, no data), so the bar neither floats nor closes up over the hidden answer."""
    lefts = diverging_offsets(shares, hidden_width=hm.DIVERGING_MARK)
    for share, left, colour in zip(shares, lefts, colours, strict=True):
        if np.isnan(share):
            ax.barh(y, hm.DIVERGING_MARK, left=left, height=0.72, **hm.HIDDEN_STYLE)
            continue
        if share == 0:
            continue
        ax.barh(y, share, left=left, color=colour, edgecolor="white", height=0.72)
        if share >= SEGMENT_LABEL_MIN:
            dark = colour in (colours[0], colours[-1])
            ax.text(
                left + share / 2,
                y,
                pct(share),
                ha="center",
                va="center",
                fontsize=fontsize,
                color="white" if dark else "black",
            )
    return max(-lefts[0], lefts[-1] + np.nan_to_num(shares[-1], nan=hm.DIVERGING_MARK))


def legend_labels(dist: pd.DataFrame, width: int = 28) -> tuple[list[str], bool]:
    """The legend and whether it names the answers themselves.

    The answers when all items share one answer list; otherwise the position on the scale (the
    panel titles then name the two ends of each item's scale)."""
    scale = dist[~dist["special"]].sort_values(["item", "position"], kind="stable")
    lists = scale.groupby("item", sort=False)["answer"].apply(lambda s: tuple(dict.fromkeys(s)))
    if lists.nunique() == 1:
        return [textwrap.fill(a, width) for a in lists.iloc[0]], True
    ks = {len(v) for v in lists}
    if len(ks) != 1:
        raise ValueError("items with scales of different length cannot share one figure")
    k = ks.pop()
    labels = [f"Svar {i}" for i in range(1, k + 1)]
    labels[0] += " (mest negativt)"
    labels[-1] += " (mest positivt)"
    if k % 2:
        labels[k // 2] += " (midten)"
    return labels, False


LEGEND_WRAP = 18  # characters per line of a panel's own legend


def hidden_in(sub: pd.DataFrame) -> bool:
    """Whether a panel's scale answers have a hidden share (NA where the wave has answers)."""
    old = bool((sub["share"].isna() & sub["n_scale"].notna() & (sub["n_scale"] != 0)).any())
    # a bar drawn with rounded shares beside a hidden N (special answers) and a hidden share
    drawn = sub.groupby("wave", sort=False)["share"].transform(lambda s: s.notna().any())
    return old or bool((sub["share"].isna() & sub["n_scale"].isna() & drawn).any())


def likert_figure(
    dist: pd.DataFrame,
    title: str | None = None,
    min_cell: int = 5,
    wrap: int = 95,
) -> plt.Figure:
    """Diverging stacked bars: one panel per item, one bar per wave (N on the bar's label),
    answers ordered along the scale from the most negative (left) to the most positive (right).

    `dist` is `item_distribution` output, possibly after disclosure control (suppressed counts
    and shares are NA: such a segment is left out and the bar marked with *). Special codes are
    written at the right end of the bar, not drawn on the scale.
    """
    scale = dist[~dist["special"]]
    special = dist[dist["special"]]
    items = list(dict.fromkeys(scale["item"]))
    waves = list(dict.fromkeys(scale["wave"]))
    # item-waves left unpublished (`special.without_unpublished`): no bar, said in the label
    gone = {(str(i), str(w)) for i, w, _ in dist.attrs.get(UNPUBLISHED_ATTR, ())}
    wave_labels = dict(zip(scale["wave"], scale["wave_label"], strict=True))
    if gone:  # the waves in the order of the whole distribution, the unpublished ones too
        order = [(str(w), str(lbl)) for _, w, lbl in dist.attrs[UNPUBLISHED_ATTR]]
        wave_labels.update(order)
        waves = list(dict.fromkeys([*scale["wave"], *(w for w, _ in order)]))
        rank = {w: i for i, w in enumerate(dict.fromkeys(dist.attrs[UNPUBLISHED_WAVES]))}
        waves.sort(key=lambda w: rank.get(w, len(rank)))
    legend, shared_answers = legend_labels(dist)
    colours = scale_colours(len(legend))
    # Items with their own answers: room above each panel for its legend (the longest answer's
    # lines) and the question.
    lines = max(
        textwrap.fill(str(a), LEGEND_WRAP).count("\n") + 1 for a in scale["answer"].unique()
    )
    height = 0.42 * len(waves) + (0.55 if shared_answers else 0.45 + 0.12 * lines)
    # Items with their own answer lists: each panel's legend (with the question as its title)
    # sits above its bars, and the constrained layout makes room for it, so no legend runs into
    # the axis below or off the figure's edge.
    fig, axes = plt.subplots(
        len(items),
        1,
        figsize=(8.5, height * len(items) + 1.0),
        sharex=True,
        squeeze=False,
        layout=None if shared_answers else "constrained",
    )
    any_hidden = False
    extent = 0.0
    for ax, item in zip(axes[:, 0], items, strict=True):
        sub = scale[scale["item"] == item]
        labels, ys = [], []
        for y, wave in enumerate(waves):
            bar = sub[sub["wave"] == wave].sort_values("position", kind="stable")
            shares = bar["share"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
            if (
                bar["n"].astype("Float64").fillna(1) == 0
            ).all():  # no answers at all: nothing hidden
                shares = np.zeros(len(bar))
            n_scale = bar["n_scale"].iloc[0] if len(bar) else np.nan
            # N hidden beside rounded shares (special answers, `special`): the bar is drawn
            drawn = not pd.isna(n_scale) or not np.isnan(shares).all()
            hidden = bool(np.isnan(shares).any()) and drawn
            any_hidden |= hidden
            wave_label = bar["wave_label"].iloc[0] if len(bar) else wave
            if (str(item), str(wave)) in gone:
                labels.append(f"{wave_labels.get(wave, wave)} (ikke offentliggjort)")
                ys.append(y)
                continue
            if not drawn:
                labels.append(f"{wave_label} ({hm.n_text(n_scale)})")
                ys.append(y)
                continue
            labels.append(f"{wave_label} ({hm.n_text(n_scale)}){' *' if hidden else ''}")
            ys.append(y)
            extent = max(extent, diverging_bar(ax, y, shares, colours, fontsize=7.5))
            extra = special[(special["item"] == item) & (special["wave"] == wave)]
            if len(extra):
                notes = [
                    f"{r.answer}: {pct(r.share) if not pd.isna(r.share) else hm.HIDDEN_TEXT}"
                    for r in extra.itertuples()
                ]
                ax.text(
                    1.02,
                    y,
                    "; ".join(notes),
                    va="center",
                    ha="left",
                    fontsize=7.5,
                    transform=ax.get_yaxis_transform(),
                )
        ax.set_yticks(ys, labels, fontsize=8.5)
        ax.invert_yaxis()
        ax.axvline(0, color="black", linewidth=0.8)
        question = sub["question"].iloc[0]
        if shared_answers:
            ax.set_title(question, loc="left", fontsize=9, fontweight="normal")
        else:  # this item's own answers (codebook labels) above its bars, the question on top
            ordered = sub.drop_duplicates("code").sort_values("position")["answer"].tolist()
            handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in scale_colours(len(ordered))]
            names = [textwrap.fill(a, LEGEND_WRAP) for a in ordered]
            if hidden_in(sub):
                handles.append(hm.hidden_patch(min_cell))
                names.append(hm.HIDDEN_TEXT.capitalize())
            leg = ax.legend(
                handles,
                names,
                title=question,
                title_fontsize=9,
                alignment="left",
                loc="lower left",
                bbox_to_anchor=(-0.02, 1.0),
                ncol=len(names),
                fontsize=7,
                frameon=False,
                handlelength=1.0,
                columnspacing=0.8,
            )
            leg.set_in_layout(True)
        ax.grid(axis="y", visible=False)
    last = axes[-1, 0]
    reach = max(extent, 0.25)
    last.set_xlim(-np.ceil(reach * 4) / 4, np.ceil(reach * 4) / 4)
    last.set_xticks(np.arange(-np.ceil(reach * 4) / 4, np.ceil(reach * 4) / 4 + 0.01, 0.25))
    last.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: pct(abs(v))))
    last.set_xlabel("Andel af svarene (negative svar til venstre, positive til højre)")
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in colours]
    if shared_answers and any_hidden:
        handles.append(hm.hidden_patch(min_cell))
        legend = [*legend, textwrap.fill(hm.HIDDEN_TEXT.capitalize(), 28)]
    if not shared_answers:
        if title:
            fig.suptitle(title, x=0.01, ha="left", fontsize=11, fontweight="bold")
        if any_hidden:
            fig.supxlabel(
                f"* Rækken har skjulte svarkategorier. {hm.hidden_note(min_cell)}.",
                fontsize=7.5,
                x=0.01,
                ha="left",
            )
        return fig
    fig_height = fig.get_size_inches()[1]
    legend_lines = max(label.count("\n") + 1 for label in legend)
    bottom = (0.25 + 0.14 * legend_lines + 0.2 * any_hidden) / fig_height
    if shared_answers:
        fig.legend(
            handles,
            legend,
            loc="lower center",
            ncol=min(len(legend), 6),
            fontsize=8,
            bbox_to_anchor=(0.5, 0.2 * any_hidden / fig_height),
            frameon=False,
        )
    if title:
        fig.suptitle(title, x=0.01, ha="left", fontsize=11, fontweight="bold")
    fig.tight_layout(rect=(0, bottom, 1, 1))
    if any_hidden:
        fig.text(
            0.01,
            0.0,
            f"* Rækken har skjulte svarkategorier. {hm.hidden_note(min_cell)}.",
            fontsize=7.5,
            ha="left",
            va="bottom",
        )
    return fig


# --------------------------------------------------------------------------- source lines

PHASE_NAMES = {"pilot": "pilotfasen", "udbredelse": "udbredelsesfasen"}
# Bilag 15: the progression questions asked in all three waves.
PROGRESSION_ITEMS = (
    "job_manage",
    "job_competences",
    "job_knowhow",
    "right_direction",
    "health_work",
    "energy_job",
    "self_rated_health",
)
RESPONSE_NOTE = (
    "Svarprocent = fuldt besvarede / udsendte spørgeskemaer. Manglende besvarelse = udsendte "
    "- fuldt besvarede; delvist besvarede skemaer tæller som manglende."
)


def response_source(table: pd.DataFrame, phase: str | None) -> str:
    """Source line of Tabel 2: the phase and the questionnaires sent and fully submitted."""
    where = f", {PHASE_NAMES.get(phase, phase)}" if phase else ""
    sent = int(table[RESPONSE_COLUMNS["sent"]].sum())
    done = int(table[RESPONSE_COLUMNS["complete"]].sum())
    return (
        f"Kursistspørgeskema{where}. N = {num(sent)} udsendte og {num(done)} fuldt "
        "besvarede spørgeskemaer"
    )


def distribution_source(dist: pd.DataFrame, min_cell: int, special: bool | None = None) -> str:
    """Source line of a distribution figure: per wave the respondents (the largest item N).
    `special`: whether the items have special answers (default: read from `dist`)."""
    per_wave = dist.groupby(["wave", "wave_label"], sort=False)["n_answered"].max()
    parts = [
        f"{count_text(int(n), min_cell)} {label.lower()}" for (_, label), n in per_wave.items()
    ]
    text = "Kursistspørgeskema, fuldt besvarede skemaer. N = " + "; ".join(parts)
    if special is None:
        special = "n_scale" in dist.columns and bool(dist["special"].any())
    if special:
        # the bars' N counts the answers on the scale: "Ved ikke" and the like are left out
        text += (
            " besvarelser; N ved søjlerne er de svar, der ligger på svarskalaen (uden »Ved "
            "ikke« og lignende)"
        )
    return text
