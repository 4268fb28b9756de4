"""Special answers against the wave's questionnaires (issue 12): what an item's N gives away.

The leak. Every fully submitted questionnaire answers every item it is asked (the item's
`n_answered` is the wave's "Fuldt besvaret" of Tabel 2, `tables/response.csv`; an item asked only
after a filter question, `parent` in the codebook, is answered by those whose parent answer
triggers it: the parent's counts of its `parent_codes`). The special answers («Ved ikke», «Ikke
relevant», «Ønsker ikke at svare») of an item and wave are therefore that base minus the answers
on the scale (`n_scale`, shown as the figures' "N = 218", in the indicator table and as the sum of
the scale counts). A special answer of 1..min_cell-1 persons came back exactly.

The rule (`plan`, applied to `survey-items.csv`, every distribution figure's data and the
indicator table alike):

- **Declared.** Every item and wave's `n_answered` is tied to its base: equal to it where every
  questionnaire asked answered the item (as on the demo), at most the base otherwise
  (`base_relations`). The audit and every later table's protection see it.
- **Affected item-waves** (a special answer of 1..min_cell-1): the answers' N on the scale
  (`n_scale`; `n_answered` too unless it is its base, which is published) and every non-zero
  count of the item and wave are taken out of view («..»), and
  the shares are shown rounded to whole percent (as the figures and the report print them). A
  rounded share leaves every count a range; the ranges are declared to the disclosure model as
  linear inequalities ((share - 0.005) x N <= count <= (share + 0.005) x N, `rounding_relations`),
  which the audit's integer programme checks.
- **Checked.** Before anything is published, each affected item-wave is attacked alone, with its
  base known, every rounded share of the item-wave and of the indicators built on it
  (`indicator_codes`); where the rounded shares still pin a special answer more narrowly than
  1..min_cell-1 (at small N a whole percent is less than one person), its shares are withheld
  too (`Plan.withdrawn`): the figure then shows the item-wave's answers hidden.

What a reader loses: the N and counts of the affected item-waves (the percentages stay, as whole
percent), and every value of the withdrawn ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal

import numpy as np
import pandas as pd

from tpj_helpers.publish import disclosure as dc

RESPONSE_FILE = "tables/response.csv"
UNPUBLISHED_COLUMNS = ("n", "n_scale", "n_answered")  # and the share, of an unpublished item-wave
ITEMS_FILE = "tables/survey-items.csv"
COMPLETE = "Fuldt besvaret"
WAVE_COLUMN = "Måling"
HALF = 0.005  # half a percentage point, as a share 0-1: the rounding's half-width
OPEN = float("inf")  # an open side of an inequality
Key = tuple[str, str]  # (item, wave)


def whole_percent(share: float) -> float:
    """A share 0-1 rounded to whole percent as `present.pct` prints it (half to even)."""
    if share is None or pd.isna(share):
        return np.nan
    d = (Decimal(repr(float(share))) * 100).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
    return float(d) / 100


@dataclass
class Base:
    """What an item and wave's `n_answered` is tied to: a cell of Tabel 2 or the parent item's
    counts of the triggering codes; `value` its count, `equal` whether n_answered equals it."""

    value: int
    equal: bool
    wave_label: str | None = None  # Tabel 2's row (unconditional items)
    parent: str | None = None
    parent_codes: tuple[int, ...] = ()


@dataclass
class Plan:
    min_cell: int
    bases: dict[Key, Base] = field(default_factory=dict)
    affected: set[Key] = field(default_factory=set)
    withdrawn: set[Key] = field(default_factory=set)
    response_rows: dict[str, int] = field(default_factory=dict)  # wave label -> Tabel 2 row
    # (item, wave, code) -> the cell of its count in survey-items.csv (the parents' counts)
    parents: dict = field(default_factory=dict)
    # shares withheld in a rounded item-wave, where the others still pin a special answer down:
    # (item, wave, code) of survey-items and the figures, (item, wave, codes) of an indicator
    hidden_shares: set = field(default_factory=set)
    hidden_indicators: set = field(default_factory=set)
    # item-waves whose small counts the base pins down whatever this table hides (a wave of a
    # few questionnaires: five answers of 1-2 persons adding up to Tabel 2's 7, where the markers
    # «<5» and «..» alone say which answers are small): left unpublished in every file that
    # shows them (N, counts and shares, zeros included, marked «i.o.», any value from 0), and
    # their base relation declared like every other item-wave's
    unpublished: set = field(default_factory=set)

    def rounded(self, key: Key) -> bool:
        """Shares of this item-wave are shown rounded beside hidden counts."""
        return key in self.affected and key not in self.withdrawn and key not in self.unpublished

    def shown_with_n(self, key: Key) -> bool:
        """The item-wave's N is published (neither hidden by the plan nor left unpublished)."""
        return key not in self.affected and key not in self.unpublished


def _keys(dist: pd.DataFrame) -> list[Key]:
    return list(zip(dist["item"].astype(str), dist["wave"].astype(str), strict=True))


def bases(dist: pd.DataFrame, response: pd.DataFrame, codebook) -> tuple[dict, dict]:
    """({(item, wave): Base}, {wave label: Tabel 2 row}) for the items of `dist` (the long table
    of every item, `change.all_items_distribution`). An item-wave whose n_answered exceeds its
    base (returns from persons not sent the questionnaire) gets none: nothing is declared."""
    rows = {str(w): i for i, w in enumerate(response[WAVE_COLUMN])}
    complete = {
        str(w): int(v) for w, v in zip(response[WAVE_COLUMN], response[COMPLETE], strict=True)
    }
    out: dict[Key, Base] = {}
    for (item, wave), g in dist.groupby(["item", "wave"], sort=False):
        n_answered = int(g["n_answered"].iloc[0])
        it = codebook.item(item)
        if it.parent:
            p = dist[
                (dist["item"] == it.parent)
                & (dist["wave"] == wave)
                & ~dist["special"].astype(bool)
                & dist["code"].isin(list(it.parent_codes))
            ]
            if p.empty:
                continue
            value = int(p["n"].sum())
            base = Base(value, n_answered == value, parent=it.parent, parent_codes=it.parent_codes)
        else:
            label = str(g["wave_label"].iloc[0])
            if label not in complete:
                continue
            value = complete[label]
            base = Base(value, n_answered == value, wave_label=label)
        if n_answered <= base.value:
            out[(str(item), str(wave))] = base
    return out, rows


def indicator_codes(indicators: list[dict]) -> dict[str, list[tuple[int, ...]]]:
    """{item: [codes of each indicator on it]} (`change.load_indicators`)."""
    out: dict[str, list[tuple[int, ...]]] = {}
    for ind in indicators:
        out.setdefault(str(ind["item"]), []).append(tuple(int(c) for c in ind["codes"]))
    return out


def plan(
    dist: pd.DataFrame, response: pd.DataFrame, codebook, min_cell: int, indicators=()
) -> Plan:
    """Which item-waves are affected and which of them must withhold their shares too (each
    attacked alone: its base known, its rounded shares and its indicators' rounded shares)."""
    b, rows = bases(dist, response, codebook)
    out = Plan(min_cell, b, response_rows=rows, parents=parent_cells(dist, ITEMS_FILE))
    codes_of = indicator_codes(list(indicators))
    for key, g in dist.groupby(["item", "wave"], sort=False):
        key = (str(key[0]), str(key[1]))
        if key in b and _unprotectable(g.reset_index(drop=True), b[key], min_cell):
            out.unpublished.add(key)
            continue
        special = g[g["special"].astype(bool)]
        if not ((special["n"] > 0) & (special["n"] < min_cell)).any():
            continue
        out.affected.add(key)
        base = b.get(key)
        g = g.reset_index(drop=True)
        codes = codes_of.get(key[0], [])
        removed = _withhold_shares(_group_model(g, base, codes, min_cell))
        if removed is None:
            out.withdrawn.add(key)
            continue
        for _f, i, col in removed:
            if col == "share":
                out.hidden_shares.add((*key, int(g["code"].iloc[i])))
            else:
                out.hidden_indicators.add((*key, codes[i]))
    return out


def _unprotectable(g: pd.DataFrame, base: Base, min_cell: int) -> bool:
    """Whether the base pins a small count of the item-wave even with every count hidden."""
    n = g["n"].astype(int).to_numpy()
    if not ((n > 0) & (n < min_cell)).any():
        return False
    m = dc.Model(min_cell)
    for i, v in enumerate(n):
        if v:
            m.hidden[("g", i, "n")] = _kind(v, min_cell)
        else:
            m.shown[("g", i, "n")] = 0.0
    m.shown[("g", 0, "base")] = float(base.value)
    cells = [dc.Cell("g", i, "n") for i in range(len(g))]
    m.relations = [_tie(dc.Cell("g", 0, "base"), cells, True, "base")]
    if not base.equal:  # n_answered <= base: sum of the counts at most the base
        m.relations[0].hi = OPEN
    return bool(dc.breaches(m))


def _withhold_shares(model: dc.Model) -> list | None:
    """The shares to withhold so that no special answer (or other small count) of the item-wave
    is pinned down: while a primary cell breaches the rule, the smallest shown share (answers on
    the scale before the indicators) whose removal widens its interval goes; None when no share
    widens it (the item-wave's shares are then withheld altogether)."""
    removed: list = []
    while True:
        bad = dc.breaches(model)
        if not bad:
            return removed
        k = bad[0]
        width = _width(model, k)
        pool = sorted(
            (
                c
                for c in model.shown
                if (c[2] == "share" and (c[0], c[1], "n") in model.hidden) or c[2] == "indicator"
            ),
            key=lambda c: (c[2] == "indicator", model.shown[c], c[1]),
        )
        pick = None
        for c in pool:
            v = model.shown.pop(c)
            wider = _width(model, k) > width
            model.shown[c] = v
            if wider:
                pick = c
                break
        if pick is None:
            return None
        model.shown.pop(pick)
        removed.append(pick)


def _width(model: dc.Model, k: tuple) -> float:
    lo, hi = dc.intervals(model, only={k}, primary_only=True)[k]
    return hi - lo


def _hide_row(n: int, special: bool, min_cell: int) -> bool:
    """In an affected item-wave: every non-zero answer on the scale, and the small special ones."""
    return n > 0 and (not special or n < min_cell)


def _kind(n: int, min_cell: int) -> str:
    return dc.PRIMARY if 0 < n < min_cell else dc.SECONDARY


def _group_model(g: pd.DataFrame, base: Base | None, codes: list, min_cell: int) -> dc.Model:
    """One affected item-wave as published with rounded shares (cells of file 'g')."""
    f = "g"
    m = dc.Model(min_cell)
    special = g["special"].astype(bool).to_numpy()
    n = g["n"].astype(int).to_numpy()
    for i in range(len(g)):
        if _hide_row(n[i], special[i], min_cell):
            m.hidden[(f, i, "n")] = _kind(n[i], min_cell)
        else:
            m.shown[(f, i, "n")] = float(n[i])
        if not (0 < n[i] < min_cell):
            base_col = "n_answered" if special[i] else "n_scale"
            total = int(g[base_col].iloc[0])
            if total:
                m.shown[(f, i, "share")] = whole_percent(n[i] / total)
    for col in ("n_scale", "n_answered"):
        v = int(g[col].iloc[0])
        if v:
            m.hidden[(f, 0, col)] = _kind(v, min_cell)
        else:
            m.shown[(f, 0, col)] = 0.0
    cell = lambda i, c: dc.Cell(f, i, c)  # noqa: E731
    rels = [
        dc.total_of(cell(0, "n_answered"), [cell(i, "n") for i in range(len(g))]),
        dc.total_of(cell(0, "n_scale"), [cell(i, "n") for i in range(len(g)) if not special[i]]),
    ]
    if base is not None:
        m.shown[(f, 0, "base")] = float(base.value)
        rels.append(_tie(cell(0, "n_answered"), [cell(0, "base")], base.equal, "base"))
    for i in range(len(g)):
        if (f, i, "share") in m.shown:
            total = cell(0, "n_answered" if special[i] else "n_scale")
            rels += rounding_relations(cell(i, "n"), total, cell(i, "share"), "share")
    scale_rows = {int(c): i for i, c in enumerate(g["code"]) if not special[i]}
    n_scale = int(g["n_scale"].iloc[0])
    for k, cs in enumerate(codes):
        parts = [scale_rows[c] for c in cs if c in scale_rows]
        count = int(sum(n[i] for i in parts))
        if not parts or not n_scale or 0 < count < min_cell:
            continue
        m.shown[(f, k, "indicator")] = whole_percent(count / n_scale)
        rels += _rounded_sum(
            [cell(i, "n") for i in parts], cell(0, "n_scale"), cell(k, "indicator")
        )
    m.relations = rels
    return m


def _tie(n_answered: dc.Cell, base_parts: list[dc.Cell], equal: bool, note: str) -> dc.Relation:
    """n_answered = the base (sum of `base_parts`), or at most it."""
    rel = dc.total_of(n_answered, base_parts, note=note)
    if not equal:
        rel.lo, rel.note = -OPEN, note + " (at most)"
    return rel


def rounding_relations(count: dc.Cell, total: dc.Cell, share: dc.Cell, note: str) -> list:
    """(share - 0.005) x total <= count <= (share + 0.005) x total: a share 0-1 shown rounded to
    whole percent beside its hidden count and base."""
    return _rounded_sum([count], total, share, note)


def _rounded_sum(parts: list[dc.Cell], total: dc.Cell, share: dc.Cell, note: str = "indicator"):
    terms = [dc.Term(1.0, p) for p in parts] + [dc.Term(-1.0, total, share)]
    return [
        dc.Relation([*terms, dc.Term(HALF, total)], 0.0, OPEN, note=f"{note}: rounded share, low"),
        dc.Relation(
            [*terms, dc.Term(-HALF, total)], -OPEN, 0.0, note=f"{note}: rounded share, high"
        ),
    ]


# --------------------------------------------------------------------------- applying the plan


def parent_cells(dist: pd.DataFrame, file: str = "") -> dict[tuple[str, str, int], dc.Cell]:
    """{(item, wave, code): the cell of its count `n`} of the answers on the scale of `dist`
    (published as `file`; "" for the table being published)."""
    scale = ~dist["special"].astype(bool).to_numpy()
    return {
        (str(it), str(w), int(c)): dc.Cell(file, i, "n")
        for i, (it, w, c) in enumerate(zip(dist["item"], dist["wave"], dist["code"], strict=True))
        if scale[i]
    }


def base_relations(dist: pd.DataFrame, p: Plan) -> list[dc.Relation]:
    """Each item-wave's n_answered (its first row) against its base: Tabel 2's fully submitted
    questionnaires of the wave, or the parent item's counts of the triggering codes (`parents`,
    in survey-items.csv, `Plan.parents`); equal where it holds, at most otherwise."""
    rels = []
    first: dict[Key, int] = {}
    for i, key in enumerate(_keys(dist)):
        first.setdefault(key, i)
    for key, i in first.items():
        base = p.bases.get(key)
        if base is None:
            continue
        if base.parent is None:
            row = p.response_rows.get(base.wave_label)
            if row is None:
                continue
            parts = [dc.Cell(RESPONSE_FILE, row, COMPLETE)]
        else:
            parts = [
                p.parents[(base.parent, key[1], c)]
                for c in base.parent_codes
                if (base.parent, key[1], c) in p.parents
            ]
            if not parts:
                continue
        note = f"answered {key[0]} {key[1]}: the wave's questionnaires" + (
            f" answering {base.parent} {list(base.parent_codes)}" if base.parent else ""
        )
        rels.append(_tie(dc.Cell("", i, "n_answered"), parts, base.equal, note))
    return rels


def view(dist: pd.DataFrame, p: Plan) -> tuple[pd.DataFrame, dict, list[dc.Relation], dict]:
    """What to publish for an item distribution (`survey-items.csv` or a figure's data):
    (the frame with the affected item-waves' shares rounded to whole percent, `hidden=` cells for
    `Publisher` (file "" is filled in by `for_file`), the base and rounding relations, `linked=`)."""
    from tpj_helpers.analysis.survey_outcomes.tables import share_base_hidden

    keys = _keys(dist)
    special = dist["special"].astype(bool).to_numpy()
    n = dist["n"].astype(int).to_numpy()
    rounded = np.array([p.rounded(k) for k in keys], dtype=bool)
    withheld = np.array(
        [(*k, int(c)) in p.hidden_shares for k, c in zip(keys, dist["code"], strict=True)],
        dtype=bool,
    )
    out = dist.copy()
    out.loc[rounded, "share"] = [whole_percent(s) for s in dist.loc[rounded, "share"]]
    hidden: dict[dc.Cell, str] = {}
    rels = base_relations(dist, p)
    first: dict[Key, int] = {}
    for i, key in enumerate(keys):
        first.setdefault(key, i)
        if key in p.unpublished:  # nothing of it published: any value from 0
            for col in (*UNPUBLISHED_COLUMNS, "share"):
                hidden[dc.Cell("", i, col)] = dc.UNPUBLISHED
            continue
        if key not in p.affected:
            continue
        if _hide_row(n[i], special[i], p.min_cell):
            hidden[dc.Cell("", i, "n")] = _kind(n[i], p.min_cell)
        base = p.bases.get(key)
        # n_answered equal to its base is known from it (Tabel 2): it stays shown (the
        # protection hides it where its base is hidden)
        for col in ("n_scale",) if base is not None and base.equal else ("n_scale", "n_answered"):
            v = int(dist[col].iloc[i])
            if v:
                hidden[dc.Cell("", i, col)] = _kind(v, p.min_cell)
        if rounded[i] and not withheld[i] and n[i] > 0 and not (0 < n[i] < p.min_cell):
            total = dc.Cell("", first[key], "n_answered" if special[i] else "n_scale")
            rels += rounding_relations(
                dc.Cell("", i, "n"), total, dc.Cell("", i, "share"), f"{key[0]} {key[1]}"
            )
    small = pd.Series((n > 0) & (n < p.min_cell), index=dist.index)
    flag = pd.Series(rounded, index=dist.index)
    held = pd.Series(withheld, index=dist.index)

    def share_hidden(mask: pd.DataFrame, d: pd.DataFrame) -> pd.Series:
        # a rounded share goes with a count hidden for its own size, or when withheld (`plan`)
        mine = flag & mask["n"] & (small | held)
        return mine | (~flag & share_base_hidden(mask, d))

    return out, hidden, rels, {"share": share_hidden}


def for_file(hidden: dict[dc.Cell, str], file: str) -> dict[dc.Cell, str]:
    """`view`'s hidden cells named by the file they are published as."""
    return {dc.Cell(file, c.row, c.column): k for c, k in hidden.items()}


def publish_items(
    pub, dist: pd.DataFrame, p: Plan, name: str, source: str, plot=None, note: str = ""
):
    """Publish an item distribution with the plan's hidden cells, rounded shares and relations:
    `tables/<name>.csv` (decimals of the share: 3; `note` under it), or, with `plot`, the figure
    and its data."""
    from tpj_helpers.analysis.survey_outcomes import disclosure, tables

    frame, hidden, rels, linked = view(dist, p)
    file = f"{'tables' if plot is None else 'figures'}/{name}.csv"
    common = dict(
        count_cols=tables.DIST_COUNTS,
        linked=linked,
        relations=disclosure.distribution_relations(frame) + rels,
        hide_cols=disclosure.HIDE_COLS,
        hidden=for_file(hidden, file),
    )
    if plot is None:
        return pub.table(frame, name, source=source, note=note, decimals={"share": 3}, **common)
    return pub.figure(
        frame, name, source=source, plot=without_unpublished(plot, frame, p), **common
    )


def without_unpublished(plot, frame: pd.DataFrame, p: Plan):
    """`plot` drawing the figure without the bars of the unpublished item-waves (the figure's
    note says so); `plot` itself when there are none, or when nothing would be left."""
    from tpj_helpers.analysis.survey_outcomes.tables import UNPUBLISHED_ATTR, UNPUBLISHED_WAVES

    keys = _keys(frame)
    keep = np.array([k not in p.unpublished for k in keys], dtype=bool)
    if keep.all() or not keep.any():
        return plot
    labels = dict(zip(keys, frame["wave_label"].astype(str), strict=True))
    gone = [(*k, labels[k]) for k in dict.fromkeys(keys) if k in p.unpublished]
    waves = list(dict.fromkeys(frame["wave"].astype(str)))

    def draw(d: pd.DataFrame):
        shown = d[keep].copy()
        shown.attrs[UNPUBLISHED_ATTR] = gone
        shown.attrs[UNPUBLISHED_WAVES] = waves
        return plot(shown)

    return draw


# --------------------------------------------------------------------------- indicator table


def indicator_view(table: pd.DataFrame, shares: pd.DataFrame, p: Plan, file: str, indicators=()):
    """The indicator table (`change.indicator_table`) under the plan: (table with the affected
    rows' `Andel (%)` rounded to whole percent, hidden cells {Cell(file,..): kind} (their
    `Antal` and `N`), rows shown rounded, `linked=`)."""
    keys = list(zip(shares["item"].astype(str), shares["wave"].astype(str), strict=True))
    out = table.copy()
    hidden: dict[dc.Cell, str] = {}
    rounded_rows = set()
    held_rows = set()
    codes_of = {str(i["id"]): tuple(int(c) for c in i["codes"]) for i in indicators}
    antal = out["Antal"].astype(int).to_numpy()
    for r, key in enumerate(keys):
        if key in p.unpublished:
            for col in ("Antal", "N", "Andel (%)"):
                hidden[dc.Cell(file, r, col)] = dc.UNPUBLISHED
            continue
        if key not in p.affected:
            continue
        for col in ("Antal", "N"):
            v = int(out[col].iloc[r])
            if v:
                hidden[dc.Cell(file, r, col)] = _kind(v, p.min_cell)
        if p.rounded(key):
            out.loc[out.index[r], "Andel (%)"] = float(
                round(100 * whole_percent(shares["share"].iloc[r]))
            )
            codes = codes_of.get(str(shares["id"].iloc[r]))
            if (*key, codes) in p.hidden_indicators:
                held_rows.add(r)
            else:
                rounded_rows.add(r)
    flag = pd.Series([r in rounded_rows for r in range(len(out))], index=out.index)
    small = pd.Series((antal > 0) & (antal < p.min_cell), index=out.index)

    def share_hidden(mask: pd.DataFrame, d: pd.DataFrame) -> pd.Series:
        return (flag & mask["Antal"] & small) | (~flag & mask["Antal"])

    return out, hidden, rounded_rows, {"Andel (%)": share_hidden}


def indicator_rounding(rows: set[int]) -> list[dc.Relation]:
    """The rounded share of the indicator rows `rows` (0-100 in `Andel (%)`) against its hidden
    `Antal` and `N`: (share/100 - 0.005) x N <= Antal <= (share/100 + 0.005) x N."""
    rels = []
    for r in sorted(rows):
        terms = [
            dc.Term(1.0, dc.Cell("", r, "Antal")),
            dc.Term(-0.01, dc.Cell("", r, "N"), dc.Cell("", r, "Andel (%)")),
        ]
        rels += [
            dc.Relation(
                [*terms, dc.Term(HALF, dc.Cell("", r, "N"))],
                0.0,
                OPEN,
                note=f"indicator row {r + 1}: rounded share, low",
            ),
            dc.Relation(
                [*terms, dc.Term(-HALF, dc.Cell("", r, "N"))],
                -OPEN,
                0.0,
                note=f"indicator row {r + 1}: rounded share, high",
            ),
        ]
    return rels


def indicator_protection(pub, table, shares, indicators, items, count_cols, p: Plan):
    """`disclosure.indicator_protection` under the plan: (the table to publish, relations,
    hidden cells, the share relations for the sidecar, `linked=`). The affected rows show their
    share rounded beside a hidden `Antal` and `N` and carry the rounding inequalities instead of
    share x N = Antal."""
    from tpj_helpers.analysis.survey_outcomes import disclosure as sd
    from tpj_helpers.publish.disclosure import SECONDARY, Cell
    from tpj_helpers.publish.sidecars import declared

    file = sd.INDICATOR_FILE
    table, pre, rounded_rows, linked = indicator_view(table, shares, p, file, indicators)
    rels = sd.indicator_relations(shares, indicators, items, share_rows=set()) + declared(
        pub.output_dir, sd.ITEMS_FILE
    )
    first = pub.protect(table, file, count_cols, linked, relations=rels, hidden=pre, write=False)[0]
    hidden = dict(pre)
    for i in range(len(first)):
        # a count beside a hidden N gives N back as count / share; a zero count does not (and,
        # as every zero, is shown: hidden as «..» it would read as at least min_cell)
        count = first["Antal"].iloc[i]
        if pd.isna(first["N"].iloc[i]) and pd.notna(count) and float(count) > 0:
            hidden.setdefault(Cell(file, i, "Antal"), SECONDARY)
    exact = set(range(len(table))) - rounded_rows
    share = [
        r
        for r in sd.indicator_relations(shares, indicators, items, share_rows=exact)
        if r.note.endswith("share x N = count")
    ] + indicator_rounding(rounded_rows)
    return table, rels, hidden, share, linked


def visible_bases(dist: pd.DataFrame, p: Plan) -> pd.DataFrame:
    """`dist` for a source line that counts respondents by `n_answered`: an affected item-wave's
    (hidden) n_answered is replaced by Tabel 2's fully submitted questionnaires where it equals
    them (published there), else the item-wave is left out of the count."""
    keys = _keys(dist)
    keep, values = [], []
    for key, v in zip(keys, dist["n_answered"], strict=True):
        base = p.bases.get(key)
        if p.shown_with_n(key):
            keep.append(True)
            values.append(v)
        elif base is not None and base.parent is None and base.equal:
            keep.append(True)
            values.append(base.value)
        else:
            keep.append(False)
            values.append(v)
    out = dist.assign(n_answered=values)
    return out[np.array(keep, dtype=bool)]


def visible_shares(shares: pd.DataFrame, p: Plan) -> pd.DataFrame:
    """The indicator rows (`change.indicator_shares`) whose N is shown: for the source line."""
    keys = zip(shares["item"].astype(str), shares["wave"].astype(str), strict=True)
    return shares[[p.shown_with_n(k) for k in keys]]
