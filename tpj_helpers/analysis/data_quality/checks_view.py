"""The consistency checks as the report shows them: failures first, one row each, and the passed
checks summarised in one row per run, with the tables they concern as live cross-references.

The full list (one row per check) is still published as `tables/consistency_checks.csv` by the
data-quality notebook; this is the reader's view (`tables/consistency_checks_shown.csv`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

import pandas as pd

from tpj_helpers.analysis.data_quality.consistency import (
    CHECK_COLUMNS,
    FAILED_TEXT,
    PASSED_TEXT,
    CheckResult,
)
from tpj_helpers.publish.present import num

# The checks name the tables by the published evaluation's numbering ("Tabel 4"); in this report
# those are the tables with these labels (the renderer turns `@tbl-x` into "Tabel N" links).
TABLE_REFS = {
    "Tabel 2": "@tbl-response",
    "Tabel 4": "@tbl-enrolment",
    "Tabel 6": "@tbl-tabel6",
}
_NAME = re.compile(r"(Tabel [246])(?: \([^)]*\))?")


def live_refs(text: str, refs: dict[str, str] = TABLE_REFS) -> str:
    """'Tabel 4 (hold, ...), kolonne ...' -> '@tbl-enrolment, kolonne ...'."""
    return _NAME.sub(lambda m: refs.get(m.group(1), m.group(0)), text)


def _table_of(r: CheckResult) -> str:
    m = _NAME.match(r.description)
    return TABLE_REFS.get(m.group(1), "") if m else ""


def compact_table(results: Sequence[CheckResult]) -> pd.DataFrame:
    """Kontrol, Beskrivelse, Resultat: one row per failed check, then one row for all passed."""
    rows = [
        {
            CHECK_COLUMNS["id"]: r.id,
            CHECK_COLUMNS["description"]: live_refs(r.description),
            CHECK_COLUMNS["result"]: f"{FAILED_TEXT}: {live_refs(r.message)}",
        }
        for r in results
        if not r.passed
    ]
    passed = [r for r in results if r.passed]
    if passed:
        by_table = Counter(_table_of(r) or "kildedata og øvrige tabeller" for r in passed)
        parts = [f"{num(n)} om {t}" for t, n in by_table.items()]
        what = parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} og {parts[-1]}"
        rows.append(
            {
                CHECK_COLUMNS["id"]: f"{num(len(passed))} kontroller",
                CHECK_COLUMNS["description"]: f"Summer, procenter og N: {what}",
                CHECK_COLUMNS["result"]: f"Alle {PASSED_TEXT.lower()}",
            }
        )
    return pd.DataFrame(rows, columns=list(CHECK_COLUMNS.values()))
