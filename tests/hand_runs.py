"""Hand-made inputs shared by test modules: run folders for the output checker, and Tabel 6 with
its means table from counts typed in by hand."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from tpj_helpers.analysis.register_regressions.models import N_LABEL, NA_LABEL, SCORE_LABELS, SCORES
from tpj_helpers.analysis.survey_outcomes import tables as st

TABEL6_COLUMNS = [
    "26 uger før kursus",
    "Ugen før kursus",
    "Lige efter kurset",
    "26 uger efter kursusstart",
]


def write_run(run: Path, files: dict[str, str]) -> Path:
    """A run folder holding `files` (path relative to the run -> text), with `tables/` and
    `figures/` present even when empty."""
    for name, text in files.items():
        p = run / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    (run / "tables").mkdir(parents=True, exist_ok=True)
    (run / "figures").mkdir(parents=True, exist_ok=True)
    return run


def tabel6_and_means(
    counts: dict[int, list[int]], na: list[int], columns: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Tabel 6 (score rows 10..0, NA, N) and its means table from persons per score and the NA
    row, one value per timepoint column."""
    k = len(columns)
    rows = [[f"{s} {SCORE_LABELS[s]}", *counts.get(s, [0] * k)] for s in SCORES]
    scored = [sum(counts[s][j] for s in counts) for j in range(k)]
    n = [scored[j] + na[j] for j in range(k)]
    sums = [sum(s * counts[s][j] for s in counts) for j in range(k)]
    table = pd.DataFrame(
        [*rows, [NA_LABEL, *na], [N_LABEL, *n]], columns=["Beskæftigelsesscore", *columns]
    )
    means = pd.DataFrame(
        {
            "Tidspunkt": columns,
            "Kursister med data": n,
            "Heraf med en score": scored,
            "Gennemsnitlig score": [sums[j] / scored[j] for j in range(k)],
        }
    )
    return table, means


def response_frame(wave: str, complete: int, sent: int, partial: int = 0) -> pd.DataFrame:
    """One wave of Tabel 2 (`tables/response.csv`): sent, fully submitted and the rest."""
    c = st.RESPONSE_COLUMNS
    return pd.DataFrame(
        {
            st.WAVE_COLUMN: [wave],
            c["sent"]: [sent],
            c["complete"]: [complete],
            c["rate"]: [100 * complete / sent],
            c["missing"]: [sent - complete],
            c["missing_rate"]: [100 * (sent - complete) / sent],
            c["partial"]: [partial],
        }
    )


def publish_response(pub, response: pd.DataFrame) -> None:
    """Tabel 2 published as notebook 10 publishes it."""
    pub.table(
        response,
        "response",
        source="x",
        count_cols=st.RESPONSE_COUNTS,
        linked=st.RESPONSE_LINKED,
        **st.RESPONSE_SUMS,
    )
