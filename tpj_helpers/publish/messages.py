"""Counts in running text, notes and messages under disclosure control (issue 12, part 4).

A message, a note under a table or a sentence of the report never prints a count of persons that
disclosure control would hide in a table: a count from 1 to `min_cell - 1` is written
"færre end <min_cell>" (0 and counts from `min_cell` on are written as numbers, Danish style).
"""

from __future__ import annotations

from tpj_helpers.publish.present import num


def count_text(n, min_cell: int) -> str:
    """'færre end <min_cell>' for a count 1..min_cell-1, else the count in Danish notation."""
    n = int(n)
    return f"færre end {min_cell}" if 0 < n < min_cell else num(n)
