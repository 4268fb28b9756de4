"""WHO-5 against the wave's questionnaires (issue 12): statements and scores no suppression protects.

Every fully submitted questionnaire that answers a WHO-5 statement is counted in that statement's
`n_item` (`waves.item_distribution`), so `n_item` is at most Tabel 2's "Fuldt besvaret" of the wave
(`tables/response.csv`, notebook 10), and equal to it where every questionnaire answered the
statement. Likewise a wave's "Besvarelser med WHO-5-score" plus "Skemaer uden alle fem svar"
(`tables/who5-means.csv`) is that same count. Both relations are declared (`item_relations`,
`means_relations`), with Tabel 2's counts passed as `known` (notebook 10 publishes them, in
parallel).

In a wave of a few questionnaires the relation pins the small answers of a statement whatever
the table hides: five answers of 1-2 persons adding up to Tabel 2's 7 are each 1..3, because the
markers «<5» and «..» say which answers are small. Such a statement-wave
(`survey_outcomes.special._unprotectable`, the same test as the survey items) is left unpublished
in every file that shows it: in `figures/who5-items.csv` its `n`, `n_item` and `share`, in
`tables/who5-items.csv` its N and shares, all marked «i.o.» (any value from 0,
`disclosure.UNPUBLISHED`); the figure drops its bar and says so.

A wave whose "Skemaer uden alle fem svar" is 1..min_cell-1 is pinned the same way by Tabel 2
(count = fully submitted - scores): that wave's score data is left unpublished in the means table
(every column but the label), the score distribution (its bins, `n_wave` and shares) and the zone
table (N, counts and shares), and its estimate rows carry no numbers (`wave_estimates`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tpj_helpers.analysis.survey_outcomes.special import (
    COMPLETE,
    RESPONSE_FILE,
    WAVE_COLUMN,
    Base,
    _tie,
    _unprotectable,
)
from tpj_helpers.publish import disclosure as dc

ITEMS_FIGURE = "figures/who5-items.csv"
ITEMS_TABLE = "tables/who5-items.csv"
MEANS_TABLE = "tables/who5-means.csv"
DISTRIBUTION_FIGURE = "figures/who5-distribution.csv"
ZONES_TABLE = "tables/who5-zones.csv"
N_SCORES = "Besvarelser med WHO-5-score"
N_INCOMPLETE = "Skemaer uden alle fem svar"


def response_cells(response: pd.DataFrame) -> dict[str, tuple[int, int]]:
    """{wave label: (Tabel 2's row, its fully submitted questionnaires)}."""
    return {
        str(w): (i, int(v))
        for i, (w, v) in enumerate(zip(response[WAVE_COLUMN], response[COMPLETE], strict=True))
    }


def response_hidden(response: pd.DataFrame, min_cell: int) -> dict[dc.Cell, str]:
    """Tabel 2's hidden count cells as notebook 10 publishes it (its first table, so the same
    protection recomputed here gives the same cells; nothing is written): notebook 20 runs in
    parallel and must not take a count Tabel 2 hides as known."""
    import tempfile

    from tpj_helpers.analysis.survey_outcomes import tables as st
    from tpj_helpers.publish.publisher import Publisher

    with tempfile.TemporaryDirectory() as tmp:
        scratch = Publisher(tmp, "scratch", min_cell)
        _, primary, secondary = scratch.protect(
            response, RESPONSE_FILE, st.RESPONSE_COUNTS, st.RESPONSE_LINKED, **st.RESPONSE_SUMS
        )
    out = {}
    for r, idx in enumerate(response.index):
        for col in st.RESPONSE_COUNTS:
            if bool(primary.at[idx, col]) or bool(secondary.at[idx, col]):
                v = float(response.at[idx, col])
                # a zero hidden with the whole table (the last resort) is «..» too: 0 or at
                # least min_cell, as the audit reads it
                out[dc.Cell(RESPONSE_FILE, r, col)] = (
                    dc.PRIMARY if 0 < v < min_cell else dc.BLOCKED if v == 0 else dc.SECONDARY
                )
    return out


def response_relations(response: pd.DataFrame) -> list[dc.Relation]:
    """Tabel 2's own sum (sent = fully submitted + missing), so that a relation of this
    notebook that pins a hidden "Fuldt besvaret" is seen to pin its «<5» missing too."""
    from tpj_helpers.analysis.survey_outcomes import tables as st

    sent, parts = st.RESPONSE_SUMS["col_sums"][0]
    return [
        dc.total_of(
            dc.Cell(RESPONSE_FILE, r, sent),
            [dc.Cell(RESPONSE_FILE, r, c) for c in parts],
            note=f"Tabel 2 row {r + 1}: sent = fully submitted + missing",
        )
        for r in range(len(response))
    ]


def known(response: pd.DataFrame, hidden: dict | None = None) -> dict[dc.Cell, float]:
    """Tabel 2's shown counts as `known=` values for this notebook's calls (not those it
    hides, `response_hidden`)."""
    from tpj_helpers.analysis.survey_outcomes import tables as st

    hidden = hidden or {}
    out = {}
    for r, idx in enumerate(response.index):
        for col in st.RESPONSE_COUNTS:
            cell = dc.Cell(RESPONSE_FILE, r, col)
            if cell not in hidden and pd.notna(response.at[idx, col]):
                out[cell] = float(response.at[idx, col])
    return out


def hidden_waves(response: pd.DataFrame, hidden: dict) -> set[str]:
    """Wave labels whose "Fuldt besvaret" Tabel 2 hides: every WHO-5 count of such a wave adds
    up to it (or to at most it), so the wave's WHO-5 data is left unpublished."""
    return {
        label
        for label, (row, _) in response_cells(response).items()
        if dc.Cell(RESPONSE_FILE, row, COMPLETE) in hidden
    }


def item_bases(items: pd.DataFrame, response: pd.DataFrame) -> dict[tuple[str, str], Base]:
    """{(item, wave): Base} for the statement-waves whose `n_item` is at most Tabel 2's count
    (a statement-wave with more answers than that has returns from persons not sent the
    questionnaire: nothing is declared)."""
    cells = response_cells(response)
    out = {}
    for (item, wave), g in items.groupby(["item", "wave"], sort=False):
        label = str(g["wave_label"].iloc[0])
        if label not in cells:
            continue
        n_item, value = int(g["n_item"].iloc[0]), cells[label][1]
        if n_item <= value:
            out[(str(item), str(wave))] = Base(value, n_item == value, wave_label=label)
    return out


def unpublished_items(
    items: pd.DataFrame, response: pd.DataFrame, min_cell: int, waves: set = frozenset()
) -> set[tuple[str, str]]:
    """The statement-waves whose small answers Tabel 2's count pins down whatever is hidden,
    and every statement-wave of the unpublished `waves` (labels, `unpublished_waves`)."""
    bases = item_bases(items, response)
    out = set()
    for (item, wave), g in items.groupby(["item", "wave"], sort=False):
        key = (str(item), str(wave))
        if str(g["wave_label"].iloc[0]) in waves or (
            key in bases and _unprotectable(g.reset_index(drop=True), bases[key], min_cell)
        ):
            out.add(key)
    return out


def item_relations(items: pd.DataFrame, response: pd.DataFrame) -> list[dc.Relation]:
    """Each statement-wave's `n_item` (its first row, cells of file "") against Tabel 2."""
    cells = response_cells(response)
    bases = item_bases(items, response)
    rels, seen = [], set()
    for i, (item, wave) in enumerate(zip(items["item"], items["wave"], strict=True)):
        key = (str(item), str(wave))
        if key in seen or key not in bases:
            continue
        seen.add(key)
        row = cells[bases[key].wave_label][0]
        rels.append(
            _tie(
                dc.Cell("", i, "n_item"),
                [dc.Cell(RESPONSE_FILE, row, COMPLETE)],
                bases[key].equal,
                f"WHO-5 {item} {wave}: answers at most the wave's questionnaires",
            )
        )
    return rels


def item_hidden(items: pd.DataFrame, keys: set, file: str = ITEMS_FIGURE) -> dict[dc.Cell, str]:
    """The cells of the unpublished statement-waves in the long item data (`file`)."""
    out = {}
    for i, (item, wave) in enumerate(zip(items["item"], items["wave"], strict=True)):
        if (str(item), str(wave)) in keys:
            for col in ("n", "n_item", "share"):
                out[dc.Cell(file, i, col)] = dc.UNPUBLISHED
    return out


def table_hidden(items: pd.DataFrame, table: pd.DataFrame, keys: set) -> dict[dc.Cell, str]:
    """The cells of the unpublished statement-waves in the wide table (`waves.item_table`: one
    row per statement and wave in the order of `items`): N and every share."""
    firsts = items.drop_duplicates(["item", "wave"])
    out = {}
    for r, (item, wave) in enumerate(zip(firsts["item"], firsts["wave"], strict=True)):
        if (str(item), str(wave)) in keys:
            for col in table.columns[2:]:
                out[dc.Cell(ITEMS_TABLE, r, str(col))] = dc.UNPUBLISHED
    return out


def drop_rows(plot, frame: pd.DataFrame, keys: set, by=("item", "wave")):
    """`plot` drawing `frame` without the rows of the unpublished `keys` (`plot` itself when
    there are none, or when nothing would be left)."""
    cols = list(by)
    rows = zip(*(frame[c].astype(str) for c in cols), strict=True)
    keep = np.array([(k if len(cols) > 1 else k[0]) not in keys for k in rows], dtype=bool)
    if keep.all() or not keep.any():
        return plot
    return lambda d: plot(d[keep])


# --------------------------------------------------------------------------- score waves


def unpublished_waves(means: pd.DataFrame, min_cell: int, hidden: set = frozenset()) -> set[str]:
    """Wave labels whose "Skemaer uden alle fem svar" is 1..min_cell-1 (Tabel 2's count minus
    the scores gives it back), and those whose Tabel 2 count is hidden (`hidden_waves`: the
    scores plus that count would give it back): the wave's WHO-5 data is not published."""
    n = means[N_INCOMPLETE].astype(int)
    small = {str(w) for w, v in zip(means["Måling"], n, strict=True) if 0 < v < min_cell}
    return small | {str(w) for w in means["Måling"] if str(w) in hidden}


def means_relations(means: pd.DataFrame, response: pd.DataFrame) -> list[dc.Relation]:
    """Scores + questionnaires without all five answers = Tabel 2's fully submitted, per wave."""
    cells = response_cells(response)
    rels = []
    for r, label in enumerate(means["Måling"]):
        if str(label) not in cells:
            continue
        rels.append(
            dc.total_of(
                dc.Cell(RESPONSE_FILE, cells[str(label)][0], COMPLETE),
                [dc.Cell("", r, N_SCORES), dc.Cell("", r, N_INCOMPLETE)],
                note=f"WHO-5 {label}: scores + without all five = fully submitted",
            )
        )
    return rels


def wave_hidden(frame: pd.DataFrame, labels: set, file: str, label_col: str, skip=0):
    """{Cell: UNPUBLISHED} for every column but the first `skip` (labels) of the rows of the
    unpublished waves (by `label_col`)."""
    out = {}
    for r, label in enumerate(frame[label_col]):
        if str(label) in labels:
            for col in frame.columns[skip:]:
                out[dc.Cell(file, r, str(col))] = dc.UNPUBLISHED
    return out


def means_hidden(means: pd.DataFrame, labels: set) -> dict[dc.Cell, str]:
    return wave_hidden(means, labels, MEANS_TABLE, "Måling", skip=1)


def distribution_hidden(dist: pd.DataFrame, labels: set) -> dict[dc.Cell, str]:
    out = {}
    for r, label in enumerate(dist["wave_label"]):
        if str(label) in labels:
            for col in ("n", "n_wave", "share"):
                out[dc.Cell(DISTRIBUTION_FIGURE, r, col)] = dc.UNPUBLISHED
    return out


def zones_hidden(zones: pd.DataFrame, labels: set) -> dict[dc.Cell, str]:
    return wave_hidden(zones, labels, ZONES_TABLE, "Måling", skip=1)


def wave_estimates(estimates: pd.DataFrame, means: pd.DataFrame, labels: set, waves: dict):
    """The estimate rows of the unpublished waves without numbers (`waves`: wave -> label)."""
    out = estimates.copy()
    gone = [f"wave:{w}" for w, label in waves.items() if str(label) in labels]
    rows = out["subgroup"].isin(gone)
    for col in ("estimate", "std_error", "conf_low", "conf_high", "p_value"):
        out.loc[rows, col] = np.nan
    for col in ("n_persons", "n_obs"):
        out.loc[rows, col] = pd.NA
    return out


def _wave_parts(labels_counts, gone: set, min_cell: int) -> str:
    from tpj_helpers.analysis.data_quality.enrolment import count_text

    return "; ".join(
        f"ikke offentliggjort {label.lower()}"
        if str(label) in gone
        else f"{count_text(int(n), min_cell)} {label.lower()}"
        for label, n in labels_counts
    )


def means_source(table: pd.DataFrame, min_cell: int, gone: set) -> str:
    """`waves.means_source` without the count of an unpublished wave."""
    pairs = zip(table["Måling"], table[N_SCORES], strict=True)
    return "Kursistspørgeskema, WHO-5-trivselsindeks. N = " + _wave_parts(pairs, gone, min_cell)


def distribution_source(dist: pd.DataFrame, min_cell: int, gone: set) -> str:
    """`waves.distribution_source` without the count of an unpublished wave."""
    per_wave = dist.groupby(["wave", "wave_label"], sort=False)["n_wave"].first()
    pairs = [(label, n) for (_, label), n in per_wave.items()]
    return "Kursistspørgeskema, WHO-5-trivselsindeks. N = " + _wave_parts(pairs, gone, min_cell)


# --------------------------------------------------------------------------- the weighted mean

IPW_WAVE = "3mdr"  # `weighting.ipw_mean` weights the three-month wave
IPW_KEEP = ("Beregning", "Inviterede")  # the label and the invitations (Tabel 2's "Udsendt")


def ipw_unpublished(gone: set, waves: dict) -> bool:
    """Whether the weighted table's wave (three months after) is left unpublished: its
    "Besvarelser med WHO-5-score" is the wave's scores, which Tabel 2 would give back."""
    return str(waves.get(IPW_WAVE, "")) in gone


def ipw_hidden(table: pd.DataFrame, gone: bool, file: str = "tables/who5-weighted.csv") -> dict:
    """Every cell but the label and the invitations of the weighted table, when `gone`."""
    if not gone:
        return {}
    return {
        dc.Cell(file, r, str(col)): dc.UNPUBLISHED
        for r in range(len(table))
        for col in table.columns
        if col not in IPW_KEEP
    }


def ipw_source(result, min_cell: int) -> str:
    """`weighting.ipw_source` without the number of scores."""
    from tpj_helpers.analysis.data_quality.enrolment import count_text

    return (
        "Kursistspørgeskema 3 måneder efter kurset og registreringsdata. N = ikke offentliggjort "
        f"(for få skemaer) af {count_text(result.n_invited, min_cell)} inviterede"
    )


IPW_NOTE = (
    "Ikke offentliggjort: for få skemaer. Målingen 3 måneder efter kurset har så få skemaer uden "
    "alle fem WHO-5-svar, at antallet af besvarelser med score ville afsløre dem."
)
