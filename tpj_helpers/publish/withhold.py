"""Withholding a table or figure that cannot be protected (small populations, issue 12 part 4).

When no complementary suppression protects a file (the protection's last resort still leaves a
hidden cell pinned down by cells of other files: `publisher.CannotPublish`), or the published
values contradict the declared relations (`disclosure.Infeasible`, which a small population can
reach through relations that only hold in general), the Publisher does not stop the run: it
publishes nothing of that file and shows a Danish note in its place ("For få personer til at vise
..."), naming the rule and never a count. Leaving a file out never tells more than publishing it.

The run records each withheld file in `results/disclosure/withheld/<file>.json` (the file and the
reason, no values). The audit reads these: a relation of another file that names a withheld
file's cell takes that cell as unknown (any count from 0 up), instead of stopping because the run
"did not publish" it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

WITHHELD_DIR = "results/disclosure/withheld"
# Output metadata key of the note shown in place of a withheld file (its path): the report shows
# a withheld figure's caption and this note (tpj_helpers.report.embeds, same literal).
WITHHELD_KEY = "tpj_withheld"

WHAT = {"tables": "tabellen", "figures": "figuren"}


def note(file: str, min_cell: int) -> str:
    """The Danish note shown instead of a withheld table or figure (the rule, no count)."""
    what = WHAT.get(file.split("/", 1)[0], "tallene")
    return (
        f"For få personer til at vise {what}: nogle grupper har færre end {min_cell} personer, "
        f"og deres tal kunne regnes ud fra rapportens øvrige tal, uanset hvilke celler der "
        f"skjules. Derfor er {what} udeladt."
    )


def _path(run_dir: Path | str, file: str) -> Path:
    return Path(run_dir) / WITHHELD_DIR / (file.replace("/", "__").removesuffix(".csv") + ".json")


def record(run_dir: Path | str, file: str, notebook: str, reason: str) -> Path:
    """Write the marker of a withheld file (no values: `reason` is the protection's message)."""
    path = _path(run_dir, file)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {"file": file, "notebook": notebook, "reason": reason}
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def withheld_files(run_dir: Path | str) -> dict[str, dict]:
    """{file: its marker} for every file the run withheld."""
    folder = Path(run_dir) / WITHHELD_DIR
    docs = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))]
    return {d["file"]: d for d in docs}


def blank(df: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    """The frame with every value of `columns` and every numeric column emptied: what a caller
    gets back for a withheld file (nothing of it is published)."""
    out = df.copy()
    cols = set(columns) | {c for c in df.columns if pd.api.types.is_numeric_dtype(df[c])}
    for col in [c for c in df.columns if c in cols]:
        out[col] = pd.Series([None] * len(df), index=df.index, dtype=object)
    return out


# Words after a count of persons in the source lines under tables and figures ("N = 3 udsendte og
# 3 fuldt besvarede", "1 i registerudsnittet, 1 registrerede kursister", "N = 1 kursister").
_PERSON_WORDS = (
    "tilmeldinger",
    "tilmelding",
    "personer",
    "person",
    "kursister",
    "kursist",
    "udsendte",
    "fuldt",
    "registrerede",
    "afmeldte",
    "i registerudsnittet",
    "i registeranalysen",
)
_SMALL_COUNT = re.compile(
    r"(?<![\w,.\-−])(\d+)(?= (?:" + "|".join(re.escape(w) for w in _PERSON_WORDS) + r")\b)"
)


def mask_small_counts(text: str, min_cell: int) -> str:
    """A source line with every count of persons from 1 to `min_cell` - 1 written «færre end
    <min_cell>»: a message never prints a count that the table beside it hides («<5»)."""

    def repl(m: re.Match) -> str:
        n = int(m.group(1))
        return f"færre end {min_cell}" if 0 < n < min_cell else m.group(1)

    return _SMALL_COUNT.sub(repl, text)


def show(markdown: str, file: str = "") -> None:
    """Show a Danish note in place of a figure a chapter does not draw (too few persons): the
    report shows the figure's caption and this note (a figure cell must otherwise show an
    image). `file`: the figure's data file, when there is one."""
    from IPython.display import display

    display({"text/markdown": f"*{markdown}*"}, raw=True, metadata={WITHHELD_KEY: file})
