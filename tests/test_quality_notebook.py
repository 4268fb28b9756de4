"""The data-quality notebook end to end on a hand-made folder full of edge cases.

The folder is the one of `test_coverage.py` (its docstring counts every number): a re-enrolled
person, a withdrawn one, a cancelled hold, a hold that starts after the DREAM extract ends, persons
without registration or without register consent, a pilot person with a survey return, partial
survey returns, questionnaires without WHO-5 answers and a wave without a file. The notebook runs
through `tpj run` (Papermill) with `min_cell: 1`, so that no count is suppressed, and its published
tables are compared with the hand counts.
"""

from __future__ import annotations

import pandas as pd
import pytest
from helpers import run_notebooks_on
from test_coverage import write_study


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("qnb")
    data = write_study(tmp / "data")
    result = run_notebooks_on(data, tmp, ["00_data_quality"], min_cell=1)
    assert result.ok and result.manifest["synthetic"] is False
    return result.run_dir


def table(run_dir, name: str) -> pd.DataFrame:
    return pd.read_csv(run_dir / "tables" / f"{name}.csv")


def test_enrolment_table_by_hand(run_dir):
    t = table(run_dir, "enrolment").set_index("Opgørelse")
    # Enrolments: P1 4 (2 completed / 2 withdrawn), U1 4 (3 / 1), U2 2 (1 / 1), U3 2 (2 / 0).
    assert t.loc[
        "Tilmeldinger", ["Pilot, antal", "Udbredelse, antal", "I alt, antal"]
    ].tolist() == [4, 8, 12]
    assert t.loc["- heraf gennemført", "I alt, antal"] == 8
    assert t.loc["- heraf afmeldt", "I alt, antal"] == 4
    # Persons: 11 (b4 is enrolled twice and counts on U1, where it completed).
    assert t.loc[
        "Personer (den tællende tilmelding)", ["Pilot, antal", "Udbredelse, antal"]
    ].tolist() == [3, 8]
    assert t.loc["Personer tilmeldt mere end én gang", "I alt, antal"] == 1
    assert t.loc["Antal hold (afholdt)", "I alt, antal"] == 4  # U4 is cancelled


def test_bilag_1_by_hand(run_dir):
    t = table(run_dir, "bilag1_per_hold")
    hold_col = t.columns[1]
    rows = t.set_index(hold_col)
    assert rows.loc["P1"].iloc[1:5].tolist() == [
        4,
        2,
        2,
        2,
    ]  # enrolled, completed, withdrawn, register
    assert rows.loc["U1"].iloc[1:5].tolist() == [4, 3, 1, 3]  # b1, b2, b4 in the register analysis
    assert rows.loc["U3"].iloc[1:5].tolist() == [2, 2, 0, 0]  # d1 left out: no data from week 0


def test_register_coverage_names_the_hold_without_data(run_dir):
    t = table(run_dir, "register_coverage")
    u3 = t[t["Hold"] == "U3"].iloc[0]
    assert u3["Indgår i registeranalysen"] == "Nej"
    assert u3["Seneste uge med data ift. kursusstart"] == -2


def test_exclusions_ledger_by_hand(run_dir):
    t = table(run_dir, "exclusions")
    n = dict(zip(t["Årsag"], t["Antal"], strict=True))
    assert (
        n["Ingen registrering: ingen baggrundsoplysninger og intet registersamtykke"] == 2
    )  # a3, c2
    assert n["Holdet har ingen registerdata fra kursusstart (uge 0)"] == 1  # d1
    assert n["Registreret uden registersamtykke: indgår ikke i registeranalysen"] == 3  # b3, c1, d2
    partial = t[t["Årsag"].str.contains("delvist", case=False)]
    assert partial["Antal"].sum() == 2  # b3 before, c1 after the course


def test_every_consistency_check_passes_on_a_sound_folder(run_dir):
    t = table(run_dir, "consistency_checks")
    assert len(t) > 20 and (t["Resultat"] == "Bestået").all(), t[t["Resultat"] != "Bestået"]
    nb = (run_dir / "notebooks" / "00_data_quality.ipynb").read_text(encoding="utf-8")
    assert "Datakvalitet: advarsler" not in nb and "kontroller bestået" in nb
