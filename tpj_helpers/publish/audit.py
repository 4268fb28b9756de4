"""The disclosure audit: attack a run's published files as an output checker would.

`audit_run(run_dir)` reads every published CSV that has a disclosure sidecar
(`results/disclosure/*.json`, written by `Publisher`), takes every shown number as known and
every hidden count cell as unknown (a «<5» cell in 1..min_cell-1, a «..» cell at least min_cell,
all integers), adds every declared relation (within and across files) and computes for each hidden
cell the smallest and largest value consistent with all of it (`disclosure.intervals`, HiGHS).
A primary cell narrower than 1..min_cell-1 is a breach, and so is an unpublished cell («i.o.») that
the published files put within 1..min_cell-1 (a small count, certainly not 0). It also checks that every cell a sidecar
declares hidden really is empty in its CSV.

Writes `results/disclosure_audit.csv` (table, row, column, kind, lower, upper, ok) and
`notebooks/95_disclosure_audit.ipynb`, a notebook whose one cell (`tbl-disclosure-audit`) holds
the summary table the report's appendix embeds. Messages name cells, never a hidden value.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pandas as pd

from tpj_helpers.publish import disclosure as dc
from tpj_helpers.publish import withhold
from tpj_helpers.publish.hidden_marks import UNPUBLISHED_MARK
from tpj_helpers.publish.present import num

AUDIT_FILE = "results/disclosure_audit.csv"
AUDIT_NOTEBOOK = "95_disclosure_audit"
AUDIT_LABEL = "tbl-disclosure-audit"
AUDIT_CAPTION = "Diskretionskontrol: skjulte celler og det snævreste interval, de kan regnes ud til"
AUDIT_COLUMNS = ["table", "row", "column", "kind", "lower", "upper", "ok"]


# Files another notebook publishes, named by a relation of a notebook that may run without it
# (notebook 20 declares WHO-5's counts against Tabel 2 of notebook 10, `analysis/who5/unpublished`):
# absent from a run that did not execute their notebook, their cells are unknown (as withheld).
NOT_RUN_OK = frozenset({"tables/response.csv"})


class AuditError(ValueError):
    """The published files pin down a hidden cell more narrowly than the rule allows."""


@dataclass
class AuditResult:
    cells: pd.DataFrame  # AUDIT_COLUMNS, one row per hidden cell
    min_cell: int

    @property
    def breaches(self) -> pd.DataFrame:
        return self.cells[~self.cells["ok"]]

    def summary(self) -> dict:
        c = self.cells
        width = c["upper"] - c["lower"]
        prim = c[c["kind"] == dc.PRIMARY]
        narrowest = (
            prim.iloc[int((prim["upper"] - prim["lower"]).to_numpy().argmin())]
            if len(prim)
            else None
        )
        return {
            "hidden": int((c["kind"] != dc.UNPUBLISHED).sum()),  # the unpublished apart
            "primary": int((c["kind"] == dc.PRIMARY).sum()),
            "secondary": int((c["kind"] == dc.SECONDARY).sum()),
            "blocked": int((c["kind"] == dc.BLOCKED).sum()),
            "unpublished": int((c["kind"] == dc.UNPUBLISHED).sum()),
            "breaches": int((~c["ok"]).sum()),
            "narrowest_primary": None
            if narrowest is None
            else [float(narrowest["lower"]), float(narrowest["upper"])],
            "narrowest_width": None if not len(c) else float(width.min()),
        }

    def message(self) -> str:
        b = self.breaches
        head = "; ".join(
            f"{r.table} row {r.row + 1}, column '{r.column}'" for r in b.head(5).itertuples()
        )
        return (
            f"disclosure audit: {len(b)} hidden cell(s) can be worked out more narrowly than "
            f"1..{self.min_cell - 1} from what the run publishes: {head}"
            + (" ..." if len(b) > 5 else "")
        )


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError:  # a table with no columns (e.g. "no qual/ folder")
        return pd.DataFrame()


def _number(v: str) -> float | None:
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def load_model(run_dir: Path | str) -> dc.Model:
    """The attacker's view of a run: shown numbers, hidden cells and relations."""
    run_dir = Path(run_dir)
    sidecars = sorted((run_dir / dc.SIDECAR_DIR).glob("*.json"))
    docs = [json.loads(p.read_text(encoding="utf-8")) for p in sidecars]
    min_cells = {d["min_cell"] for d in docs}
    if len(min_cells) > 1:
        raise AuditError(
            f"disclosure audit: the files of one run use different min_cell {sorted(min_cells)}"
        )
    model = dc.Model(min_cells.pop() if min_cells else 5)
    files = {d["file"] for d in docs}
    for d in docs:
        for h in d["hidden"]:
            model.hidden[(d["file"], int(h["row"]), str(h["column"]))] = h["kind"]
        model.relations += [dc.Relation.from_json(r) for r in d["relations"]]
    referenced = {t.cell.file for r in model.relations for t in r.terms} | {
        t.factor.file for r in model.relations for t in r.terms if t.factor
    }
    withheld = withhold.withheld_files(run_dir)
    for file in sorted(files | referenced):
        path = run_dir / file
        if not path.exists() and (file in withheld or file in NOT_RUN_OK - files):
            # left out by its notebook (nothing of it published), or published by a notebook
            # this run did not execute (`notebooks:` of the parameters): its cells are unknown
            for r in model.relations:
                for t in r.terms:
                    for c in (t.cell, t.factor):
                        if c is not None and c.file == file:
                            model.hidden.setdefault(c.key(), dc.FREE)
            continue
        if not path.exists():
            raise AuditError(
                f"disclosure audit: a relation names {file}, which the run did not publish"
            )
        df = _read_csv(path)
        for i, row in enumerate(df.itertuples(index=False)):
            for col, v in zip(df.columns, row, strict=True):
                key = (file, i, str(col))
                x = _number(v)
                if key in model.hidden:
                    # a cell left unpublished on purpose carries its marker, any other is empty
                    marks = ("", UNPUBLISHED_MARK) if model.hidden[key] == dc.UNPUBLISHED else ("",)
                    if v.strip() not in marks:
                        raise AuditError(
                            f"disclosure audit: {file} row {i + 1}, column '{col}' is "
                            "declared hidden but is not empty"
                        )
                elif x is not None:
                    model.shown[key] = x
    return model


def audit_run(run_dir: Path | str, write: bool = True) -> AuditResult:
    """Audit a run folder; writes the audit CSV and the appendix notebook when `write`."""
    run_dir = Path(run_dir)
    model = load_model(run_dir)
    found = dc.intervals(model)
    bad = set(dc.breaches(model, found)) | set(dc.unpublished_breaches(model, found))
    rows = [
        (f, r, c, kind, found[(f, r, c)][0], found[(f, r, c)][1], (f, r, c) not in bad)
        for (f, r, c), kind in model.hidden.items()
        if kind != dc.FREE  # a cell of a withheld file: unpublished, not a hidden cell
    ]
    cells = (
        pd.DataFrame(rows, columns=AUDIT_COLUMNS)
        .sort_values(["table", "row", "column"], kind="stable")
        .reset_index(drop=True)
    )
    cells = cells.astype({"row": "int64", "lower": "float64", "upper": "float64", "ok": "bool"})
    result = AuditResult(cells, model.min_cell)
    if write:
        out = cells.assign(
            lower=cells["lower"].astype("int64"),
            upper=cells["upper"].map(lambda u: "" if u >= dc.BIG else str(int(u))),
        )
        (run_dir / "results").mkdir(parents=True, exist_ok=True)
        out.to_csv(run_dir / AUDIT_FILE, index=False)
        write_appendix(run_dir, result)
    return result


def summary_table(result: AuditResult) -> pd.DataFrame:
    """Per kind of hidden cell: how many, and the narrowest interval the published files allow."""
    c = result.cells
    rows = []
    for kind, label in (
        (dc.PRIMARY, f"Skjult, under {result.min_cell} («<{result.min_cell}»)"),
        (dc.SECONDARY, "Skjult for at beskytte en anden celle («..»)"),
        (dc.BLOCKED, "Skjult med hele tabellen, nuller medregnet («..»)"),
        (dc.UNPUBLISHED, f"Ikke offentliggjort, nuller medregnet («{UNPUBLISHED_MARK}»)"),
    ):
        k = c[c["kind"] == kind]
        if kind in (dc.BLOCKED, dc.UNPUBLISHED) and not len(k):
            continue  # a row only where a whole table had to be hidden (or a cell left out)
        if len(k):
            i = int((k["upper"] - k["lower"]).to_numpy().argmin())
            lo, hi = k.iloc[i]["lower"], k.iloc[i]["upper"]
            narrow = (
                f"{num(int(lo))} til {num(int(hi))}" if hi < dc.BIG else f"mindst {num(int(lo))}"
            )
        else:
            narrow = ""
        rows.append(
            {
                "Celler": label,
                "Antal": num(len(k)),
                "Tabeller og figurer": num(k["table"].nunique()),
                "Snævreste interval": narrow,
            }
        )
    return pd.DataFrame(rows)


def appendix_markdown(result: AuditResult) -> str:
    from tpj_helpers.publish.publisher import to_pipe_table

    s = result.summary()
    verdict = (
        "Ingen skjult celle kan regnes ud snævrere end reglen tillader."
        if not s["breaches"]
        else f"{num(s['breaches'])} skjulte celler kan regnes ud snævrere end reglen tillader."
    )
    return (
        to_pipe_table(summary_table(result)) + "\n\n"
        f"*Kilde: kørslens offentliggjorte tabeller og figurdata. For hver skjult celle er "
        f"det mindste og største heltal beregnet, som alle offentliggjorte tal og deres "
        f"sammenhænge (summer, gennemsnit, andele, samme tal i flere tabeller) tillader "
        f"(heltalsprogrammering). Reglen: en celle skjult som «<{result.min_cell}» skal "
        f"stadig kunne være både 1 og {result.min_cell - 1}. {verdict} "
        f"Alle celler: results/disclosure_audit.csv.*"
    )


def write_appendix(run_dir: Path, result: AuditResult) -> Path:
    """A notebook with one labelled cell holding the summary table, for the report to embed."""
    cell = nbformat.v4.new_code_cell(
        f'#| label: {AUDIT_LABEL}\n#| tbl-cap: "{AUDIT_CAPTION}"\n'
        "# written by tpj_helpers.publish.audit"
    )
    cell.id = "disclosure-audit"  # fixed, so that the same audit writes the same notebook
    cell.outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={
                "text/markdown": appendix_markdown(result),
                "text/html": summary_table(result).to_html(index=False, border=0),
            },
        )
    ]
    nb = nbformat.v4.new_notebook(cells=[cell])
    path = Path(run_dir) / "notebooks" / f"{AUDIT_NOTEBOOK}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path
