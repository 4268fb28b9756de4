"""The quote review sheet: rules catch much, an evaluator reads the rest.

Every candidate quote of the quote bank (already pseudonymised by `pseudonymise`) becomes a row of
`tables/quotes_review.csv`: a stable `quote_id` (a hash of segment and theme, no interview or
person id), theme, role label, the pseudonymised quote, what the rules replaced (placeholder kinds
with counts), what a reader should look at (`flags`: capitalised words inside a sentence that no
rule knew, digits left in the text) and an empty `approved` column.

With approval required (`quotes_require_approval`; by default whenever the data are not synthetic)
only the quotes whose `quote_id` is marked approved ("ja", "yes", "x", "1", "true") in the
evaluator's copy of the sheet (`quotes_approved`, a CSV path) are published; the report says how
many candidates await review. The sheet shows no text the rules did not already pass; it is for
the evaluator, who compares it with the transcripts.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from pathlib import Path

import pandas as pd

from tpj_helpers.publish.present import num

REVIEW_FILE = "tables/quotes_review.csv"
REVIEW_COLUMNS = ["quote_id", "theme", "label", "quote", "replaced", "flags", "approved"]
APPROVED = {"ja", "j", "yes", "y", "x", "1", "true", "godkendt"}
_PLACEHOLDER = re.compile(r"\[([^\]]+)\]")
_CAPITAL_INSIDE = re.compile(r"(?<=[a-zæøå,;] )[A-ZÆØÅ][a-zæøåé]+")


def quote_id(segment_id, theme) -> str:
    return hashlib.sha1(f"{segment_id}|{theme}".encode()).hexdigest()[:10]


def _replaced(quote: str) -> str:
    counts = Counter(_PLACEHOLDER.findall(quote))
    return "; ".join(f"{k} x{v}" for k, v in sorted(counts.items()))


def _flags(quote: str) -> str:
    text = _PLACEHOLDER.sub("", quote)
    flags = []
    caps = sorted(set(_CAPITAL_INSIDE.findall(text)))
    if caps:
        flags.append("ukendte ord med stort: " + ", ".join(caps))
    if re.search(r"\d", text):
        flags.append("tal i teksten")
    return "; ".join(flags)


def review_sheet(bank: pd.DataFrame) -> pd.DataFrame:
    """One row per candidate quote (the bank's columns theme, quote, label, segment_id)."""
    if bank is None or bank.empty:
        return pd.DataFrame(columns=REVIEW_COLUMNS)
    return pd.DataFrame(
        {
            "quote_id": [
                quote_id(s, t) for s, t in zip(bank["segment_id"], bank["theme"], strict=True)
            ],
            "theme": bank["theme"].to_numpy(),
            "label": bank["label"].to_numpy(),
            "quote": bank["quote"].to_numpy(),
            "replaced": bank["quote"].map(_replaced).to_numpy(),
            "flags": bank["quote"].map(_flags).to_numpy(),
            "approved": "",
        }
    )[REVIEW_COLUMNS]


def approved_ids(path: Path | str | None) -> set[str]:
    """The quote ids marked approved in the evaluator's sheet (none without a sheet)."""
    if not path:
        return set()
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(
            f"quotes_approved: no file {path} (the evaluator's copy of {REVIEW_FILE})"
        )
    sheet = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in ("quote_id", "approved") if c not in sheet.columns]
    if missing:
        raise ValueError(
            f"{path}: column(s) {missing} missing; expected the columns of {REVIEW_FILE}"
        )
    ok = sheet["approved"].str.strip().str.lower().isin(APPROVED)
    return set(sheet.loc[ok, "quote_id"].str.strip())


def requires_approval(setting, synthetic: bool) -> bool:
    """`quotes_require_approval`: true/false, or "auto"/None = required unless the data are synthetic."""
    if setting is None or str(setting).lower() == "auto":
        return not synthetic
    if isinstance(setting, bool):
        return setting
    return str(setting).strip().lower() in {"true", "yes", "1", "ja"}


def select(
    bank: pd.DataFrame, sheet: pd.DataFrame, required: bool, approved: set[str]
) -> pd.DataFrame:
    """The bank's quotes to publish: all without required approval, else the approved ones."""
    if not required or bank is None or bank.empty:
        return bank
    keep = sheet["quote_id"].isin(approved).to_numpy()
    return bank[keep].reset_index(drop=True)


def pending_note(sheet: pd.DataFrame, required: bool, approved: set[str]) -> str:
    """Danish sentence for the report: how many candidate quotes await the evaluator's review."""
    if not required:
        return (
            "Citaterne er ikke gennemgået af en evaluator (syntetiske data); "
            f"gennemgangsarket ligger i {REVIEW_FILE}."
        )
    waiting = int((~sheet["quote_id"].isin(approved)).sum())
    return (
        f"Kun citater, som en evaluator har godkendt i gennemgangsarket ({REVIEW_FILE}), "
        f"vises: {num(len(sheet) - waiting)} af {num(len(sheet))} kandidater er godkendt, "
        f"{num(waiting)} afventer gennemgang."
    )
