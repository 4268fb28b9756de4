"""Publishing tables, figures, text and estimates from a notebook into the run folder.

Every published table and figure passes `Publisher`, which applies disclosure control first:
counts between 1 and `min_cell - 1` are suppressed (shown as "<5" for min_cell 5) and the
percentages and means computed from them are suppressed too; complementary cells («..») are then
hidden until no declared relation (sums, a mean beside its count, the same count in two files, a
group beside the total: `tpj_helpers/publish/disclosure.py`) pins a hidden count down more narrowly
than 1..min_cell-1. Each file's hidden cells and relations go to `results/disclosure/`, for the
run's audit (`tpj_helpers/publish/audit.py`). The machine-readable CSV written to `tables/` is the
suppressed table, never the raw one.

Conventions the report renderer relies on (see `tpj_helpers/report/embeds.py`): a table is displayed as
a bundle with `text/markdown` (pipe table plus source line) and `text/html`; a figure as a PNG
followed by a Markdown source line; text as Markdown. The table bundle and the figure's image
carry the path of the CSV they were published as in their output metadata (`PUBLISHED_KEY`), so
the report can link each table and figure to its CSV (see `tpj_helpers/report/trace.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Image, Markdown, display

from tpj_helpers.publish import disclosure as dc
from tpj_helpers.publish import hidden_marks, withhold
from tpj_helpers.publish.estimates import ESTIMATE_COLUMNS
from tpj_helpers.publish.precision import ESTIMATE_VALUES, round_columns
from tpj_helpers.publish.present import DPI, num

# Output metadata key: the CSV (relative to the run folder) a displayed table or figure was
# published as. Read by tpj_helpers.report.trace (same literal: the renderer imports no pandas).
PUBLISHED_KEY = "tpj_published"
SECONDARY_MARK = ".."  # a cell hidden because it could be worked out from the table's sums


class CannotPublish(ValueError):
    """No complementary suppression protects the file: `table`/`figure` withhold it (`withhold`)."""


def suppress_small(*args, **kwargs) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`suppress_cells` with one mask of every suppressed cell (primary or complementary)."""
    out, primary, secondary = suppress_cells(*args, **kwargs)
    return out, primary | secondary


def linked_hidden(mask: pd.DataFrame, base, data: pd.DataFrame) -> pd.Series:
    """The rows where what a linked column (share, mean) rests on is hidden in `mask`. `base`: a
    count column; a tuple of columns (hidden when any of them is: a share beside its count and
    its base); or a function (mask, data) -> boolean Series, for a base that differs by row."""
    if callable(base):
        return pd.Series(base(mask, data), index=mask.index).astype(bool)
    cols = [base] if isinstance(base, str) else list(base)
    out = mask[cols[0]].copy()
    for col in cols[1:]:
        out = out | mask[col]
    return out


def suppress_cells(
    df: pd.DataFrame,
    count_cols: Iterable[str],
    min_cell: int,
    linked: dict[str, str] | None = None,
    col_sums: Iterable[tuple[str, list[str]]] = (),
    row_sums: Iterable[tuple[str, list[str] | None]] = (),
    label_col: str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Suppress counts 1..min_cell-1 (and the columns linked to them), then their complements.

    Primary suppression hides every count from 1 to min_cell-1. Zero is not suppressed: it
    discloses nothing about a person. Secondary (complementary) suppression then protects the
    table's sums: where a total and its parts are all shown but one, the hidden one could be
    worked out by subtraction, so the smallest other non-zero cell of that sum is hidden too
    (repeated until no sum has exactly one hidden cell). The sums are
    - `col_sums`: (total column, part columns), holding in every row;
    - `row_sums`: (total row, part rows or None for all other rows), rows named by their value in
      `label_col` (default: the first column), holding in every count column.
    `linked` maps a dependent column (a percentage, a mean) to the count column it rests on.
    Returns the suppressed frame (NA where suppressed) and two boolean masks: the cells hidden
    because they are small (and what is linked to them), and the cells hidden to protect a sum.
    """
    count_cols = list(count_cols)
    out = df.copy()
    mask = pd.DataFrame(False, index=df.index, columns=df.columns)
    secondary = mask.copy()
    values = pd.DataFrame(
        {c: pd.to_numeric(df[c], errors="coerce").astype("float64") for c in count_cols},
        index=df.index,
    )  # NA -> NaN: never > 0
    for col in count_cols:
        small = (values[col] > 0) & (values[col] < min_cell)
        mask[col] = small.fillna(False).to_numpy()
    groups = _sum_groups(df, count_cols, col_sums, row_sums, label_col)
    changed = True
    while changed:
        changed = False
        for group in groups:
            hidden = [cell for cell in group if mask.at[cell]]
            if len(hidden) != 1:
                continue
            shown = [cell for cell in group if not mask.at[cell] and values.at[cell] > 0]
            if shown:
                cell = min(shown, key=lambda cell: values.at[cell])
                mask.at[cell] = secondary.at[cell] = True
                changed = True
    primary = mask & ~secondary
    for dep, base in (linked or {}).items():
        primary[dep] = primary[dep] | linked_hidden(primary, base, df)
        secondary[dep] = secondary[dep] | (linked_hidden(secondary, base, df) & ~primary[dep])
    hidden = primary | secondary
    for col in hidden.columns[hidden.any()]:
        out[col] = out[col].astype(object).where(~hidden[col], None)
    return out, primary, secondary


def _sum_groups(df, count_cols, col_sums, row_sums, label_col) -> list[list[tuple]]:
    """The cells (row index, column) of every sum: a total and its parts."""
    groups = []
    for total, parts in col_sums:
        missing = [c for c in (total, *parts) if c not in count_cols]
        if missing:
            raise ValueError(f"column sum over non-count column(s) {missing}")
        groups += [[(i, total), *((i, p) for p in parts)] for i in df.index]
    row_sums = list(row_sums)
    labels = df[label_col or df.columns[0]].astype(str) if row_sums else None
    for total, parts in row_sums:
        rows = df.index[labels == total]
        if len(rows) != 1:
            raise ValueError(f"row sum: no single row labelled {total!r}")
        part_rows = (
            df.index[labels != total] if parts is None else df.index[labels.isin(list(parts))]
        )
        groups += [[(rows[0], c), *((i, c) for i in part_rows)] for c in count_cols]
    return groups


def shown_parts(df: pd.DataFrame, group: list[tuple]) -> list[tuple]:
    """A sum's total and its parts without the blank parts (NA: not applicable, e.g. the survey
    columns of the pilot holds). A blank reads as 'none' in the report (it carries no marker);
    left in, it made the model drop the whole sum, so its hidden cells went unprotected."""
    return group[:1] + [cell for cell in group[1:] if not pd.isna(df.at[cell])]


def _format_cell(value, decimals: int) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return ""
    if isinstance(value, (int, np.integer)):
        return num(int(value))
    if isinstance(value, (float, np.floating)):
        return num(float(value), decimals)
    return str(value)


def _format_p(v) -> str:
    if isinstance(v, (int, float, np.floating)) and not isinstance(v, bool):
        if np.isnan(v):
            return ""
        return "<0,001" if v < 0.001 else num(float(v), 3)
    return "" if v is None else str(v)


def format_table(
    df: pd.DataFrame,
    mask: pd.DataFrame,
    min_cell: int,
    decimals: dict[str, int] | None = None,
    secondary: pd.DataFrame | None = None,
    unpublished: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Danish display strings; suppressed cells read '<min_cell'. Numeric p-value columns (named
    'p-værdi...') read '<0,001' below 0.001, else three decimals. `unpublished`: cells left out on
    purpose, read «i.o.» (`hidden_marks.UNPUBLISHED_MARK`)."""
    decimals = decimals or {}
    shown = pd.DataFrame(index=df.index)
    for col in df.columns:
        d = decimals.get(col, 1)
        if str(col).lower().startswith("p-værdi"):
            s = df[col].map(_format_p)
        else:
            s = df[col].map(lambda v, d=d: _format_cell(v, d))
        shown[col] = s.where(~mask[col], f"<{min_cell}")
        if secondary is not None:
            shown[col] = shown[col].where(~secondary[col], SECONDARY_MARK)
        if unpublished is not None:
            shown[col] = shown[col].where(~unpublished[col], hidden_marks.UNPUBLISHED_MARK)
    return shown


NUMBER_START = tuple("0123456789-+\u2212<\u00ab.")


def numeric_columns(shown: pd.DataFrame) -> list[bool]:
    """Per column: True when every non-empty shown value reads as a number (digits, a sign, a
    suppressed '<5', an interval '1,2 til 3,4', a share '12 %'), so that it is right-aligned."""
    out = []
    for _, col in shown.items():
        values = [str(v).strip() for v in col if str(v).strip() not in ("", "nan")]
        out.append(bool(values) and all(v.startswith(NUMBER_START) for v in values))
    return out


PIPE_MIN_WIDTH, PIPE_MAX_WIDTH = 4, 24
PIPE_PADDING = 3  # a cell's padding, in characters, so that short columns are not squeezed


def column_widths(shown: pd.DataFrame) -> list[int]:
    """Relative column widths for pandoc: the longest cell, at least the longest header word,
    within [PIPE_MIN_WIDTH, PIPE_MAX_WIDTH], plus PIPE_PADDING.

    A pipe table too wide for one line takes the full text width, its columns sized in proportion
    to the dashes of the separator line: long text columns get room, short number columns little.
    """
    widths = []
    for name, col in shown.items():
        longest = max((len(str(v)) for v in col), default=0)
        word = max((len(w) for w in str(name).split()), default=0)
        widths.append(min(max(longest, word, PIPE_MIN_WIDTH), PIPE_MAX_WIDTH) + PIPE_PADDING)
    return widths


def to_pipe_table(shown: pd.DataFrame) -> str:
    """A pandoc pipe table: number columns right-aligned, text columns (and the first) left;
    column widths from the content (`column_widths`)."""
    cols = [str(c) for c in shown.columns]
    esc = lambda v: str(v).replace("|", "\\|")  # noqa: E731
    header = "| " + " | ".join(esc(c) for c in cols) + " |"
    numeric = numeric_columns(shown)
    widths = column_widths(shown)
    align = (
        "|"
        + "|".join(
            ("-" * (w - 1) + ":") if numeric[i] and i > 0 else (":" + "-" * (w - 1))
            for i, w in enumerate(widths)
        )
        + "|"
    )
    body = ["| " + " | ".join(esc(v) for v in row) + " |" for row in shown.itertuples(index=False)]
    return "\n".join([header, align, *body])


@dataclass
class Publisher:
    """One per notebook: writes into `output_dir` and displays what the report embeds."""

    output_dir: Path | str
    notebook: str
    min_cell: int = 5
    synthetic: bool = False
    published: list[str] = field(default_factory=list)
    _estimates_started: bool = field(default=False, init=False, repr=False)
    # what this notebook published so far (cell key -> value, cell key -> primary/secondary), so
    # that a later table's relations to an earlier one are checked against what is really shown
    _shown: dict = field(default_factory=dict, repr=False)
    _hidden: dict = field(default_factory=dict, repr=False)
    # cells of files not yet published that an earlier table's protection hid (secondary): the
    # file, when published, shows them hidden (e.g. Tabel 6's means protecting Tabel 6)
    _pending: dict = field(default_factory=dict, repr=False)
    _files: set = field(default_factory=set, repr=False)
    # (file, column) -> count column of the same row, for the shares and means published so far
    _linked: dict = field(default_factory=dict, repr=False)
    # the relations of the files published so far (and the other files' values they used)
    _relations: list = field(default_factory=list, repr=False)
    _relations_keys: set = field(default_factory=set, repr=False)
    _known: dict = field(default_factory=dict, repr=False)
    _foreign: dict = field(default_factory=dict, repr=False)  # `hidden` cells passed so far
    _later: set = field(default_factory=set, repr=False)  # `hide_later` files not yet published
    withheld: list = field(default_factory=list)  # files left out: no protection held (`withhold`)
    # file -> (row position, column) of its cells left unpublished on purpose (`dc.UNPUBLISHED`)
    _unpublished: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.output_dir = Path(self.output_dir)
        for sub in ("tables", "figures", "results"):
            (self.output_dir / sub).mkdir(parents=True, exist_ok=True)

    def _source_line(self, source: str) -> str:
        extra = " Syntetiske data." if self.synthetic else ""
        source = withhold.mask_small_counts(source, self.min_cell)  # never a hidden count
        return f"*Kilde: {source}.{extra}*"

    def table(
        self,
        df: pd.DataFrame,
        name: str,
        source: str,
        count_cols: Iterable[str] = (),
        linked: dict[str, str] | None = None,
        decimals: dict[str, int] | None = None,
        note: str = "",
        transpose: str | None = None,
        col_sums: Iterable[tuple[str, list[str]]] = (),
        row_sums: Iterable[tuple[str, list[str] | None]] = (),
        label_col: str | None = None,
        relations: Iterable[dc.Relation] = (),
        known: dict[dc.Cell, float] | None = None,
        hide_cols: Iterable[str] | None = None,
        hidden: dict[dc.Cell, str] | None = None,
        hide_later: Iterable[str] = (),
    ) -> pd.DataFrame:
        """Suppress, write `tables/<name>.csv`, display; returns the suppressed table.

        `transpose`: show a wide table of few rows turned on its side (its first column becomes
        the header, the other column names the rows, under this heading). The CSV keeps the
        original layout; suppression happens before, on the original columns.
        `col_sums`, `row_sums`, `label_col`: the table's sums; `relations`: further relations of
        its count cells (to other tables too), `known`: the values of other tables' cells they
        use that this notebook did not publish (see `protect`).
        """
        count_cols = list(count_cols)
        file = f"tables/{name}.csv"
        args = (linked, col_sums, row_sums, label_col, relations, known, hide_cols, hidden)
        protected = self._protect_or_withhold(df, file, count_cols, *args, hide_later)
        if protected is None:
            return withhold.blank(df, count_cols)
        safe, mask, secondary = protected
        unpub = self.unpublished_mask(safe, file)
        with_marks(safe, unpub).to_csv(self.output_dir / "tables" / f"{name}.csv", index=False)
        shown = format_table(safe, mask, self.min_cell, decimals, secondary, unpub)
        if transpose is not None:
            shown = shown.set_index(shown.columns[0]).T.rename_axis(None, axis=1)
            shown = shown.reset_index(names=transpose)
        md = to_pipe_table(shown) + "\n\n" + self._source_line(source)
        if mask.to_numpy().any():
            md += f" *Celler med færre end {self.min_cell} personer er skjult (\u00ab<{self.min_cell}\u00bb).*"
        if secondary.to_numpy().any():
            md += (
                f" *\u00ab{SECONDARY_MARK}\u00bb: skjult, fordi tallet ellers kunne regnes ud fra "
                "tabellens øvrige tal.*"
            )
        if all_hidden(df, safe, count_cols):
            md += f" *{ALL_HIDDEN_NOTE}*"
        if unpub.to_numpy().any():
            md += f" *{hidden_marks.UNPUBLISHED_NOTE}*"
        if note:
            md += f"\n\n*{note}*"
        html = (
            shown.to_html(index=False, border=0)
            + f"<p><em>{self._source_line(source)[1:-1]}</em></p>"
        )
        display(
            {"text/markdown": md, "text/html": html},
            raw=True,
            metadata={PUBLISHED_KEY: f"tables/{name}.csv"},
        )
        self.published.append(f"tables/{name}.csv")
        return safe

    def _protect_or_withhold(self, df: pd.DataFrame, file: str, count_cols: list, *args):
        """`protect` (written), or None when no suppression protects the file: it is withheld
        with its Danish note (`_withhold`)."""
        try:
            return self.protect(df, file, count_cols, *args, write=True)
        except (CannotPublish, dc.Infeasible) as exc:
            self._withhold(file, exc)
            return None

    def figure(
        self,
        data: pd.DataFrame,
        name: str,
        source: str,
        plot: Callable[[pd.DataFrame], plt.Figure],
        count_cols: Iterable[str] = (),
        linked: dict[str, str] | None = None,
        relations: Iterable[dc.Relation] = (),
        known: dict[dc.Cell, float] | None = None,
        col_sums: Iterable[tuple[str, list[str]]] = (),
        row_sums: Iterable[tuple[str, list[str] | None]] = (),
        label_col: str | None = None,
        hide_cols: Iterable[str] | None = None,
        hidden: dict[dc.Cell, str] | None = None,
        note: str = "",
    ) -> Path:
        """Suppress the figure's data (as `table`), draw it with `plot`, save PNG + data CSV, display.
        `note`: a Danish note after the source line."""
        count_cols = list(count_cols)
        file = f"figures/{name}.csv"
        args = (linked, col_sums, row_sums, label_col, relations, known, hide_cols, hidden)
        protected = self._protect_or_withhold(data, file, count_cols, *args)
        if protected is None:
            return None
        safe = protected[0]
        fig = plot(safe)
        path = self.output_dir / "figures" / f"{name}.png"
        fig.savefig(path, dpi=DPI, bbox_inches="tight")
        plt.close(fig)
        unpub = self.unpublished_mask(safe, file)
        with_marks(safe, unpub).to_csv(self.output_dir / "figures" / f"{name}.csv", index=False)
        if unpub.to_numpy().any() and not note:
            note = hidden_marks.UNPUBLISHED_FIGURE_NOTE
        display(Image(filename=str(path)), metadata={PUBLISHED_KEY: f"figures/{name}.csv"})
        line = self._source_line(source)
        if all_hidden(data, safe, count_cols):
            line += f" *{ALL_HIDDEN_NOTE}*"
        if note:
            line += f" *{note}*"
        display(Markdown(line))
        self.published.append(f"figures/{name}.png")
        return path

    def unpublished_mask(self, df: pd.DataFrame, file: str) -> pd.DataFrame:
        """The cells of `file` (as published from `df`) left unpublished on purpose."""
        mask = pd.DataFrame(False, index=df.index, columns=df.columns)
        col_of = {str(c): c for c in df.columns}
        for row, col in self._unpublished.get(file, ()):
            if col in col_of and row < len(df):
                mask.at[df.index[row], col_of[col]] = True
        return mask

    def _withhold(self, file: str, exc: Exception) -> None:
        """Publish nothing of `file`; show the Danish note in its place and record it for the
        audit (`tpj_helpers.publish.withhold`)."""
        self.withheld.append(file)
        withhold.record(self.output_dir, file, self.notebook, str(exc))
        md = f"*{withhold.note(file, self.min_cell)}*"
        display({"text/markdown": md}, raw=True, metadata={withhold.WITHHELD_KEY: file})

    def protect(
        self,
        df: pd.DataFrame,
        file: str,
        count_cols: Iterable[str] = (),
        linked: dict[str, str] | None = None,
        col_sums: Iterable[tuple[str, list[str]]] = (),
        row_sums: Iterable[tuple[str, list[str] | None]] = (),
        label_col: str | None = None,
        relations: Iterable[dc.Relation] = (),
        known: dict[dc.Cell, float] | None = None,
        hide_cols: Iterable[str] | None = None,
        hidden: dict[dc.Cell, str] | None = None,
        hide_later: Iterable[str] = (),
        write: bool = False,
    ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        """Primary suppression, then complementary suppression against every relation.

        `hidden`: cells of files another notebook publishes that it hides (primary/secondary),
        so that this file protects them too (a primary among them is a cell to protect).
        `hide_later`: files this notebook publishes later; when this file's own cells cannot
        protect a hidden cell, a count of theirs (value in `known`) is hidden there. As a mapping
        `{file: {column: count column}}` it also names their means and shares, withheld with
        the count they rest on. Earlier calls of this Publisher count too (their relations,
        values and `hidden`); the last resort, when no cell is left, hides the whole file (see
        the README's "Small populations") and a file that would still leak raises ValueError.

        The relations are the table's sums (`col_sums`, `row_sums`) and `relations` (cells with
        file "" are this table's; others name another published file, whose cells count as
        known: shown or hidden as this notebook published them, else their value in `known`).
        Secondary cells are added (`disclosure.protect`) until every primary cell still allows
        1..min_cell-1, chosen among the count columns `hide_cols` (default: all; leave out
        columns that repeat one count on several rows). A linked column (share, mean) is hidden with its count. `write=True`
        records the result and writes the sidecar `results/disclosure/<file>.json` that the
        audit reads. Deterministic: the same call gives the same cells (e.g. a table built from
        a figure's data before that figure is published).
        """
        count_cols = [c for c in count_cols if c in df.columns]
        safe, primary, _ = suppress_cells(df, count_cols, self.min_cell, None)
        pos = {idx: i for i, idx in enumerate(df.index)}
        rels = [_local(r, file) for r in relations]
        for group in _sum_groups(df, count_cols, col_sums, row_sums, label_col):
            group = shown_parts(df, group)
            cells = [dc.Cell(file, pos[i], str(c)) for i, c in group]
            rels.append(dc.total_of(cells[0], cells[1:], note=f"sum in {file}"))
        model = dc.Model(self.min_cell)
        model.shown.update(self._shown)
        model.hidden.update(self._hidden)
        foreign = {**self._foreign, **{c.key(): kind for c, kind in (hidden or {}).items()}}
        for key, kind in foreign.items():  # other files' hidden cells (another notebook's)
            model.hidden.setdefault(key, kind)
        for cell, value in (known or {}).items():
            if cell.key() not in model.hidden:
                model.shown.setdefault(cell.key(), float(value))
        # cells of this file left unpublished on purpose (`hidden=` of kind UNPUBLISHED): no value
        unpub = {k for k, kind in foreign.items() if k[0] == file and kind == dc.UNPUBLISHED}
        own_shown = {}
        for col in df.columns:
            values = (
                pd.to_numeric(df[col], errors="coerce")
                if col in count_cols or pd.api.types.is_numeric_dtype(df[col])
                else None
            )
            if values is None:
                continue
            for idx, v in values.items():
                key = (file, pos[idx], str(col))
                if key in unpub:
                    model.hidden[key] = dc.UNPUBLISHED
                elif col in count_cols and bool(primary.at[idx, col]):
                    model.hidden[key] = dc.PRIMARY
                elif pd.notna(v):
                    own_shown[key] = float(v)
        for key in [k for k in self._pending if k[0] == file]:
            if key in own_shown:
                model.hidden[key] = dc.SECONDARY
                own_shown.pop(key)
        model.shown.update(own_shown)
        for key, kind in self._pending.items():  # hidden in a file not yet published
            if key[0] != file:
                model.hidden.setdefault(key, kind)
        terms = {t.cell.key() for r in self._relations for t in r.terms}  # counts, not factors
        for key, value in self._known.items():  # other files' values an earlier call passed
            if key[0] in self._later and 0 < value < self.min_cell and key in terms:
                model.hidden.setdefault(key, dc.PRIMARY)  # that file will hide it itself
            if key not in model.hidden:
                model.shown.setdefault(key, value)
        # this file's relations and those of the files this notebook published before it: an
        # attacker combines them (two figures' groups adding up to the same hidden total line)
        seen = {_rel_key(r) for r in rels}
        earlier = [r for r in self._relations if _rel_key(r) not in seen]
        model.relations = rels + earlier
        model.linked.update(self._linked)
        model.linked.update({(file, str(dep)): str(base) for dep, base in (linked or {}).items()})
        if isinstance(hide_later, dict):  # {later file: {dependent column: its count column}}
            for later_file, links in hide_later.items():
                model.linked.update({(later_file, dep): base for dep, base in links.items()})
        for rel in rels:
            for t in rel.terms:
                for c in (t.cell, t.factor):
                    if c is not None and c.file in self.withheld:  # not published: unknown
                        model.shown.pop(c.key(), None)
                        model.hidden.setdefault(c.key(), dc.FREE)
                    if (
                        c is not None
                        and c.file != file
                        and c.key() not in model.shown
                        and c.key() not in model.hidden
                    ):
                        raise ValueError(
                            f"disclosure: relation '{rel.note}' of {file} uses "
                            f"{c.file} row {c.row + 1}, column '{c.column}', "
                            "which is neither published nor given in `known`"
                        )
        hide_cols = count_cols if hide_cols is None else [c for c in hide_cols if c in count_cols]
        candidates = [
            (file, pos[i], str(c))
            for i in df.index
            for c in hide_cols
            if (file, pos[i], str(c)) in own_shown and own_shown[(file, pos[i], str(c))] > 0
        ]
        fallback = [
            (file, pos[i], str(c))
            for i in df.index
            for c in count_cols
            if own_shown.get((file, pos[i], str(c)), 0) > 0
        ]
        own_counts = [
            (file, pos[i], str(c))
            for i in df.index
            for c in count_cols
            if (file, pos[i], str(c)) in own_shown
        ]
        # then a count of a file this notebook publishes later (`hide_later`, values in `known`);
        # that file then shows it hidden
        counted = {t.cell for r in rels for t in r.terms}  # not the factors (means, shares)
        later_files = set(hide_later) - self._files - {file}
        for c, v in (known or {}).items():  # a later file hides its own small counts
            if c in counted and c.file in later_files and 0 < float(v) < self.min_cell:
                model.hidden.setdefault(c.key(), dc.PRIMARY)
        later = [
            c.key()
            for c, v in (known or {}).items()
            if c in counted
            and c.file in later_files
            and float(v) > 0
            and c.key() not in model.hidden
        ]
        before = set(model.hidden)
        try:
            dc.protect(model, candidates, fallback, later)
        except ValueError:
            # No cell of any tier takes part in what pins a hidden cell down any more (a very
            # small group, e.g. one municipality of a batch): as a last resort the file shows none
            # of its non-zero counts (the shares and means linked to them go with them), and the
            # result is checked against the audit's own intervals before anything is written.
            dc.hide_all(model, fallback)
            left = dc.breaches(model)
            if left:
                # the zeros pin it down (a category that is the whole total): the whole block,
                # every count of the file, zeros included, goes
                dc.hide_all(model, own_counts, dc.BLOCKED)
                for key in own_counts:  # «..» may then be a zero: no longer known to be >= 5
                    if model.hidden.get(key) == dc.SECONDARY:
                        model.hidden[key] = dc.BLOCKED
                left = dc.breaches(model)
            if left:
                where, row, col = left[0]
                raise CannotPublish(
                    f"disclosure: {file} cannot be published: the hidden cell of {where} in row "
                    f"{row + 1}, column '{col}' can be worked out from cells this table cannot hide "
                    f"({len(left)} such cell(s)); declare the other file in `hide_later` or "
                    "leave the table out"
                ) from None
        added = [k for k in model.hidden if k not in before]
        secondary = pd.DataFrame(False, index=df.index, columns=df.columns)
        col_of = {str(c): c for c in df.columns}
        for _f, row, col in [
            k
            for k, kind in model.hidden.items()
            if k[0] == file and kind in (dc.SECONDARY, dc.BLOCKED)
        ]:
            secondary.at[df.index[row], col_of[col]] = True
        if write:
            self._pending.update({k: dc.SECONDARY for k in added if k[0] != file})
        for dep, base in (linked or {}).items():
            primary[dep] = primary[dep] | linked_hidden(primary, base, df)
            secondary[dep] = secondary[dep] | (linked_hidden(secondary, base, df) & ~primary[dep])
        unpublished = pd.DataFrame(False, index=df.index, columns=df.columns)
        for _f, row, col in unpub:
            if col in col_of:
                unpublished.at[df.index[row], col_of[col]] = True
        primary, secondary = primary & ~unpublished, secondary & ~unpublished
        hidden = primary | secondary | unpublished
        safe = df.copy()
        for col in hidden.columns[hidden.any()]:
            safe[col] = safe[col].astype(object).where(~hidden[col], None)
        if write:
            if unpub:
                self._unpublished[file] = {(row, col) for _f, row, col in unpub}
            mine = {k: v for k, v in model.hidden.items() if k[0] == file}
            for k in mine:
                own_shown.pop(k, None)
            self._shown.update(own_shown)
            self._hidden.update(mine)
            self._files.add(file)
            for r in rels:
                if _rel_key(r) not in self._relations_keys:
                    self._relations.append(r)
                    self._relations_keys.add(_rel_key(r))
            for cell, value in (known or {}).items():
                self._known.setdefault(cell.key(), float(value))
            self._foreign.update(foreign)
            self._later |= later_files
            self._later -= self._files
            self._linked.update(
                {(file, str(dep)): str(base) for dep, base in (linked or {}).items()}
            )
            if isinstance(hide_later, dict):
                for later_file, links in hide_later.items():
                    self._linked.update({(later_file, d): b for d, b in links.items()})
            dc.write_sidecar(self.output_dir, file, self.min_cell, mine, rels)
        return safe, primary, secondary

    def text(self, markdown: str) -> None:
        display(Markdown(markdown))

    def estimates(self, rows: pd.DataFrame) -> Path:
        """Write estimate rows (the columns of outputs.md) to this notebook's estimates file.

        The first call of a Publisher replaces the file, later calls append: a notebook run
        again (interactively, with papermill, into output/dev) replaces its own estimates
        instead of adding them a second time."""
        missing = [c for c in ESTIMATE_COLUMNS if c not in rows.columns]
        if missing:
            raise ValueError(f"estimates lack columns {missing}")
        path = self.output_dir / "results" / f"estimates_{self.notebook}.csv"
        first = not self._estimates_started
        self._estimates_started = True
        # significant digits that do not give the counts behind an estimate back (precision.py)
        rows = round_columns(few_persons_left_out(rows, self.min_cell), ESTIMATE_VALUES)
        rows.to_csv(path, mode="w" if first else "a", header=first, index=False)
        return path


def few_persons_left_out(rows: pd.DataFrame, min_cell: int) -> pd.DataFrame:
    """The estimate rows as published: no estimate resting on 1..min_cell-1 persons (a paired
    change of two persons is their mean); the chapters say "for få personer" where they would
    have reported one."""
    n = pd.to_numeric(rows["n_persons"], errors="coerce")
    return rows.loc[~((n > 0) & (n < min_cell)), ESTIMATE_COLUMNS]


ALL_HIDDEN_NOTE = (
    "For få personer til at vise tallene: alle antal er skjult, så ingen enkeltperson kan "
    "genkendes."
)


def all_hidden(df: pd.DataFrame, safe: pd.DataFrame, count_cols: Iterable[str]) -> bool:
    """True when the table has non-zero counts and every one of them is hidden (the last resort
    of the protection, or a group so small that all its counts are below min_cell)."""
    cols = [c for c in count_cols if c in df.columns]
    values = df[cols].apply(pd.to_numeric, errors="coerce")
    nonzero = values.fillna(0).to_numpy() != 0
    return bool(nonzero.any()) and bool(safe[cols].isna().to_numpy()[nonzero].all())


def with_marks(safe: pd.DataFrame, unpublished: pd.DataFrame) -> pd.DataFrame:
    """The frame as written to CSV: a cell left unpublished on purpose holds «i.o.», so that a
    reader of the CSV alone tells it from a hidden count (an empty cell, at least 1)."""
    if not unpublished.to_numpy().any():
        return safe
    out = safe.copy()
    for col in unpublished.columns[unpublished.any()]:
        out[col] = out[col].astype(object).where(~unpublished[col], hidden_marks.UNPUBLISHED_MARK)
    return out


def _rel_key(rel: dc.Relation) -> str:
    return repr(rel.to_json())


def _local(rel: dc.Relation, file: str) -> dc.Relation:
    """The relation with this table's cells (file "") named by `file`."""
    fix = lambda c: c if c is None or c.file else dc.Cell(file, c.row, c.column)  # noqa: E731
    return dc.Relation(
        [dc.Term(t.coef, fix(t.cell), fix(t.factor)) for t in rel.terms], rel.lo, rel.hi, rel.note
    )


def stars(p: float | None) -> str:
    """*** p<0.001, ** p<0.01, * p<0.05, empty otherwise."""
    if p is None or (isinstance(p, float) and np.isnan(p)):
        return ""
    return "***" if p < 0.001 else "**" if p < 0.01 else "*" if p < 0.05 else ""
