"""The deep-dive municipalities: quantitative context and the status of the qualitative material.

The qualitative material (contract section 6: `qual/interviews/*.md`, `qual/codebook.yaml`,
`qual/segments.csv` or a REFI-QDA `*.qdpx` export) is optional in a data folder. Until it is
there, the synthesis notebook says so plainly and shows what it can: participation and
completion per deep-dive municipality beside all other municipalities, from the person table
(one row per person, the counted enrolment) and the DREAM panel.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from tpj_helpers.publish import hidden_marks as hm
from tpj_helpers.publish.present import PALETTE, danish_axis, num, pct

OTHERS = "Øvrige kommuner"
TOTAL = "I alt"
COLUMNS = {
    "kommune": "Kommune",
    "participants": "Deltagere",
    "completed": "Gennemført",
    "completion_rate": "Gennemført, %",
    "in_register": "I registeranalysen",
}


def municipality_overview(data, municipalities) -> pd.DataFrame:
    """Participants, completed, completion rate and persons in the register analysis.

    One row per deep-dive municipality (in the order given; a municipality without participants
    gets zeros), then all other municipalities together, then the total. Participants are persons
    (the counted enrolment, so a re-enrolled person counts once, in the municipality of that
    enrolment); `in_register` counts the persons of the register analysis (the DREAM panel:
    register consent, in the extract, hold with data from week 0), completers and withdrawn.
    """
    municipalities = list(municipalities)
    persons = data.persons[["person_id", "kommune", "status"]].astype({"person_id": str})
    in_panel = set(data.panel.persons["person_id"].astype(str))
    df = persons.assign(
        completed=(persons["status"] == "gennemført").astype(int),
        in_register=persons["person_id"].isin(in_panel).astype(int),
        group=np.where(persons["kommune"].isin(municipalities), persons["kommune"], OTHERS),
    )
    agg = df.groupby("group").agg(
        participants=("person_id", "size"),
        completed=("completed", "sum"),
        in_register=("in_register", "sum"),
    )
    order = [*municipalities, OTHERS]
    agg = agg.reindex(order, fill_value=0)
    agg.loc[TOTAL] = agg.sum()
    agg = agg.astype(int)
    rate = agg["completed"] / agg["participants"].where(agg["participants"] > 0)
    out = agg.assign(completion_rate=rate).reset_index(names="kommune")
    out["deep_dive"] = out["kommune"].isin(municipalities)
    return out[
        ["kommune", "deep_dive", "participants", "completed", "completion_rate", "in_register"]
    ]


def overview_table(overview: pd.DataFrame) -> pd.DataFrame:
    """Danish display columns; the completion rate in per cent (0-100)."""
    out = overview.drop(columns="deep_dive").assign(
        completion_rate=overview["completion_rate"] * 100
    )
    return out.rename(columns=COLUMNS)


def source_line(data) -> str:
    return (
        "Kursusudbyderens tilmeldinger, kommunernes registreringer og DREAM-registeret. "
        f"N = {num(len(data.persons))} kursister"
    )


def plot_overview(df: pd.DataFrame) -> plt.Figure:
    """Grouped horizontal bars: participants, completed and in the register analysis per row.

    `df` is the (suppressed) overview without the total row; a suppressed count is the hatched
    marker of `hidden_marks` with «skjult».
    """
    measures = [
        ("participants", "Deltagere"),
        ("completed", "Gennemført"),
        ("in_register", "I registeranalysen"),
    ]
    rate = pd.to_numeric(
        df.get("completion_rate", pd.Series(np.nan, index=df.index)), errors="coerce"
    ).to_numpy(dtype=float)
    labels = [
        k if np.isnan(r) else f"{k}\n{pct(r)} gennemført"
        for k, r in zip(df["kommune"], rate, strict=True)
    ]
    y = np.arange(len(labels))
    height = 0.26
    fig, ax = plt.subplots(figsize=(7.5, 0.9 + 0.75 * len(labels)))
    shown = df[[c for c, _ in measures]].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    top = float(np.nanmax(shown)) if np.isfinite(shown).any() else 1.0
    for i, (col, label) in enumerate(measures):
        values = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float)
        pos = y + (i - 1) * height
        ax.barh(pos, np.nan_to_num(values), height=height, color=PALETTE[i], label=label)
        for yy, v in zip(pos, values, strict=True):
            if np.isnan(v):  # hidden: the marker and «skjult», not an empty place
                hm.mark_barh(ax, yy, span=max(top, 1.0) * 1.12, height=height)
                continue
            ax.text(v + 1, yy, num(v), va="center", fontsize=7)
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set_xlabel("Antal personer")
    danish_axis(ax, "x")
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, fontsize=8)
    ax.set_xlim(0, max(top, 1.0) * 1.12)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- qualitative status


@dataclass
class QualStatus:
    folder: Path
    present: bool
    interviews: int
    deep_dive_interviews: int
    codebook: bool
    segments: bool
    qdpx: int


def qual_status(data_dir: Path | str) -> QualStatus:
    """What of the qualitative material (contract section 6) the data folder holds."""
    from tpj_helpers.data.formats import SUFFIXES

    folder = Path(data_dir) / "qual"
    interviews = sorted((folder / "interviews").glob("*.md")) if folder.is_dir() else []
    deep = 0
    for path in interviews:
        head = path.read_text(encoding="utf-8").split("---")
        front = head[1] if len(head) > 2 else ""
        if any(
            line.strip().replace(" ", "").lower() == "deep_dive:true" for line in front.splitlines()
        ):
            deep += 1
    return QualStatus(
        folder=folder,
        present=folder.is_dir(),
        interviews=len(interviews),
        deep_dive_interviews=deep,
        codebook=(folder / "codebook.yaml").is_file(),
        # segments.csv, or the same table in another format of the contract (.xlsx, .sav, ...)
        segments=any((folder / f"segments{suffix}").is_file() for suffix in SUFFIXES),
        qdpx=len(list(folder.glob("*.qdpx"))) if folder.is_dir() else 0,
    )


def _municipality_list(municipalities) -> str:
    names = list(municipalities)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " og " + names[-1]


def qual_status_text(status: QualStatus, municipalities) -> str:
    """A Danish Markdown box: is the qualitative material there, and what the chapter would show."""
    would_show = (
        "Når materialet foreligger, skal kapitlet vise: interviews fordelt på rolle (kursister, koordinatorer, "
        "instruktører, sagsbehandlere, ledere, fokusgrupper) og kommune; temaerne fra kodebogen "
        "med antal kodede uddrag pr. tema; pseudonymiserede citater pr. tema (kun rolle og "
        "eventuelt kommunetype, aldrig navne eller genkendelige detaljer); og en syntese for hver "
        f"af deep dive-kommunerne {_municipality_list(municipalities)}."
    )
    if not status.present:
        body = (
            "**Det kvalitative materiale er ikke i datamappen.** Mappen `qual/` (interviews, "
            "kodebog og kodede uddrag, eller en REFI-QDA-eksport) findes ikke, så dette afsnit "
            "indeholder ingen kvalitative fund. " + would_show + " Indtil da vises nedenfor kun "
            "kvantitative nøgletal for deep dive-kommunerne."
        )
    else:
        coded = status.segments and status.codebook
        found = [
            f"{num(status.interviews)} interviewudskrifter "
            f"(heraf {num(status.deep_dive_interviews)} fra deep dives)",
            "kodebog" if status.codebook else "ingen kodebog",
            "kodede uddrag" if status.segments else "ingen kodede uddrag",
        ]
        if status.qdpx:
            found.append(f"{num(status.qdpx)} REFI-QDA-eksport(er)")
        body = f"**Det kvalitative materiale er i datamappen:** {', '.join(found)}. " + (
            "Syntesen nedenfor bygger på dette materiale: temaer fordelt på rolle og kommune, "
            "pseudonymiserede citater, personaer, triangulering med de kvantitative "
            "indikatorer og anbefalingernes grundlag."
            if coded or status.qdpx
            else "Kodningen mangler, så temaer og citater kan ikke opgøres endnu. " + would_show
        )
    return "\n".join("> " + line for line in body.splitlines())
