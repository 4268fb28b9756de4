"""The deep-dive chapter withholds indicator values that their own chapter hides (issue 12)."""

from __future__ import annotations

import pandas as pd

from tpj_helpers.analysis.deep_dive_synthesis import withheld


def _values():
    return pd.DataFrame(
        {
            "id": ["share", "test", "shown", "elsewhere"],
            "label": ["a", "b", "c", "d"],
            "value": [0.75, 0.687, 0.5, 0.1],
            "n": [218, 264, 220, 30],
            "text": ["75 %", "p = 0,687", "50 %", "10 %"],
            "source": ["", "", "", ""],
            "where": [
                withheld.where(
                    withheld.SURVEY_INDICATORS,
                    {"Indikator": "Tilfreds", "Måling": "Lige efter kurset"},
                    ["Andel (%)", "Antal", "N"],
                ),
                withheld.where(
                    withheld.INTERACTION, {"Dimension": "Visitationskategori"}, ["Kursister"], False
                ),
                withheld.where(
                    withheld.SURVEY_INDICATORS,
                    {"Indikator": "Nemt", "Måling": "Lige efter kurset"},
                    ["Andel (%)", "Antal", "N"],
                ),
                withheld.where("tables/not-published.csv", {"x": "y"}, ["z"]),
            ],
        }
    )


def test_a_value_hidden_in_its_source_table_is_withheld(tmp_path):
    (tmp_path / "tables").mkdir()
    # the survey table hides the satisfaction item's count and N (as the Publisher writes them:
    # empty), the interaction table the persons of the visitation test (266 - 264 = 2 otherwise)
    (tmp_path / withheld.SURVEY_INDICATORS).write_text(
        "Gruppe,Indikator,Måling,Andel (%),Antal,N\n"
        "G,Tilfreds,Lige efter kurset,,,\n"
        "G,Tilfreds,Før kurset,70.0,150,214\n"
        "G,Nemt,Lige efter kurset,50.0,110,220\n",
        encoding="utf-8",
    )
    (tmp_path / withheld.INTERACTION).write_text(
        'Dimension,Kursister,p-værdi\nKøn,266,"0,939"\nVisitationskategori,,"0,687"\n',
        encoding="utf-8",
    )
    ids = withheld.withheld_ids(tmp_path, _values())
    assert ids == {"share": True, "test": False}
    masked = withheld.mask(_values(), ids)
    assert masked["text"].tolist() == [withheld.WITHHELD, "p = 0,687", "50 %", "10 %"]
    assert masked["n_withheld"].tolist() == [True, True, False, False]


def test_nothing_is_withheld_when_the_sources_are_not_published(tmp_path):
    assert withheld.withheld_ids(tmp_path, _values()) == {}
