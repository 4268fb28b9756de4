"""The exclusions ledger: every person or row an analysis leaves out, with its reason and count.

Nothing is dropped silently: each step that leaves something out calls `Exclusions.add`, and the
data-quality notebook shows the ledger and writes it to `tables/`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

COLUMNS = ["source", "reason", "unit", "n", "detail"]


@dataclass
class Exclusions:
    rows: list[dict] = field(default_factory=list)

    def add(self, source: str, reason: str, unit: str, n: int, detail: str = "") -> None:
        """Record `n` units (persons, rows, person-weeks...) left out of `source` for `reason`.

        Zero counts are recorded too, so the ledger shows that a check ran and found nothing.
        """
        self.rows.append(
            {"source": source, "reason": reason, "unit": unit, "n": int(n), "detail": detail}
        )

    def extend(self, other: Exclusions) -> None:
        self.rows.extend(other.rows)

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=COLUMNS).astype({"n": "int64"})

    def count(self, source: str, reason: str) -> int:
        return sum(r["n"] for r in self.rows if r["source"] == source and r["reason"] == reason)
