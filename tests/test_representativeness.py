"""Tabel 3 and the nonresponse check on the hand-made folder of `test_coverage.py`, and the test
machinery (chi-square vs exact) against values computed independently.

Registered persons with complete background: a1 a2 b1 b2 b3 b4 c1 d1 (d2 has no visitation).
Register sample (the analysis): a1 a2 b1 b2 b4; the rest: b3 c1 d1. Ages in the hold's start year:
a1 34, a2 39, b1 24, b2 54, b4 29, b3 44, c1 64, d1 25.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from test_coverage import write_study

from tpj_helpers.analysis.data_quality import representativeness as rep
from tpj_helpers.data.study import load_data


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return load_data(write_study(tmp_path_factory.mktemp("repr")), cache=False)


def cell(table: pd.DataFrame, variable: str, category: str, column: str):
    sel = (table["Variabel"] == variable) & (table["Kategori"] == category)
    return table.loc[sel, column].item()


def test_tabel_3_counts_by_hand(data):
    t = rep.tabel3(data).table
    expected = {  # (variable, category): (sample, registered)
        ("I alt", "N (personer)"): (5, 8),
        ("Gennemførsel", "Gennemført kursus"): (4, 6),
        ("Gennemførsel", "Afmeldt"): (1, 2),
        ("Køn", "Mænd"): (2, 3),
        ("Køn", "Kvinder"): (3, 5),
        ("Aldersgruppe", "Under 25 år"): (1, 1),
        ("Aldersgruppe", "25-35 år"): (2, 3),
        ("Aldersgruppe", "36-45 år"): (1, 2),
        ("Aldersgruppe", "46-55 år"): (1, 1),
        ("Aldersgruppe", "Over 55 år"): (0, 1),
        ("Visitationskategori", "Akt. kontanthjælp"): (2, 4),
        ("Visitationskategori", "Akt. uddannelseshjælp"): (1, 1),
        ("Visitationskategori", "Ressourceforløb"): (2, 2),
        ("Visitationskategori", "Andet"): (0, 1),
    }
    got = {(r.Variabel, r.Kategori): (r[2], r[4]) for r in t.itertuples(index=False)}
    assert got == expected
    assert cell(t, "Køn", "Kvinder", "Registerudsnit, pct.") == pytest.approx(60.0)
    assert cell(t, "Visitationskategori", "Akt. kontanthjælp", "Alle registrerede, pct.") == 50.0
    assert rep.count_columns(t) == ["Registerudsnit, antal", "Alle registrerede, antal"]
    assert rep.linked_columns(t) == {
        "Registerudsnit, pct.": "Registerudsnit, antal",
        "Alle registrerede, pct.": "Alle registrerede, antal",
    }


def test_tabel_3_with_incomplete_background_shows_unknown(data):
    c = rep.tabel3(data, complete_background=False)
    t = c.table
    assert cell(t, "I alt", "N (personer)", "Alle registrerede, antal") == 9
    assert cell(t, "Visitationskategori", "Uoplyst", "Alle registrerede, antal") == 1
    assert np.isnan(cell(t, "Visitationskategori", "Uoplyst", "Alle registrerede, pct."))
    # Shares of the known values: 4 of 8 registered with a known referral category.
    assert cell(t, "Visitationskategori", "Akt. kontanthjælp", "Alle registrerede, pct.") == 50.0
    assert "Uoplyst" not in t.loc[t["Variabel"] == "Køn", "Kategori"].tolist()


def test_tabel_3_tests_sample_against_the_rest(data):
    c = rep.tabel3(data)
    tests = c.tests.set_index("variable")
    # Gender: sample 3 women / 2 men, the rest (b3 c1 d1) 2 / 1: expected counts < 5 -> Fisher.
    # Hypergeometric by hand (N 8, 5 women, 5 in the sample): P(x) = C(5,x) C(3,5-x) / 56 with
    # x = 2..5 -> 10, 30, 15, 1 (/56); observed x = 3 is the most likely table: p = 1.
    assert tests.loc["gender", "test"] == "fisher"
    assert tests.loc["gender", "p_value"] == pytest.approx(1.0)
    assert tests.loc["status", "test"] == "fisher"
    # Age: a 2 x 5 table with small counts -> the Monte Carlo exact test, reproducible.
    assert tests.loc["age_group", "test"] == "monte_carlo"
    again = rep.tabel3(data).tests.set_index("variable")
    assert again.loc["age_group", "p_value"] == tests.loc["age_group", "p_value"]
    assert "ikke er i udsnittet" in c.note and "færre end 5 registrerede kursister" in c.note


def test_fisher_on_a_textbook_table():
    # Fisher's tea-tasting table: two-sided p = (1 + 16 + 1 + 16) / 70 = 34 / 70.
    res = rep.test_table(np.array([[3, 1], [1, 3]]))
    assert res.test == "fisher"
    assert res.p_value == pytest.approx(34 / 70)
    assert res.min_expected == 2


def test_chi_square_against_the_hand_formula():
    a, b, c, d = 30, 10, 20, 40
    n = a + b + c + d
    chi2 = n * (a * d - b * c) ** 2 / ((a + b) * (c + d) * (a + c) * (b + d))  # 16.667
    res = rep.test_table(np.array([[a, b], [c, d]]))
    assert res.test == "chi2"
    assert res.statistic == pytest.approx(chi2)
    assert res.p_value == pytest.approx(math.erfc(math.sqrt(chi2 / 2)))  # chi-square, 1 df
    assert res.dof == 1


def test_monte_carlo_close_to_the_exact_enumeration():
    # 2 x 3 table with small expected counts; the exact conditional p-value by enumerating every
    # table with the same margins (rows 6 and 6, columns 4, 4, 4).
    table = np.array([[4, 2, 0], [0, 2, 4]])
    res = rep.test_table(table)
    assert res.test == "monte_carlo"

    def prob(x1, x2):
        x3 = 6 - x1 - x2
        return math.comb(4, x1) * math.comb(4, x2) * math.comb(4, x3) / math.comb(12, 6)

    def stat(x1, x2):
        obs = np.array([[x1, x2, 6 - x1 - x2], [4 - x1, 4 - x2, x1 + x2 - 2]])
        exp = np.full((2, 3), 2.0)
        return ((obs - exp) ** 2 / exp).sum()

    observed = stat(4, 2)
    exact = sum(
        prob(x1, x2)
        for x1 in range(5)
        for x2 in range(5)
        if 0 <= 6 - x1 - x2 <= 4 and stat(x1, x2) >= observed - 1e-9
    )
    assert res.statistic == pytest.approx(observed)
    assert res.p_value == pytest.approx(exact, abs=0.01)


def test_no_test_with_one_category():
    assert rep.test_table(np.array([[3, 0], [2, 0]])).test == "none"


def test_verdict_sentences():
    same = pd.DataFrame(
        {
            "variable": ["status", "gender", "age_group", "visitation"],
            "p_value": [0.40, 0.30, 0.20, 0.90],
        }
    )
    assert rep.verdict(same) == (
        "Registerudsnittet adskiller sig ikke signifikant fra de øvrige registrerede kursister "
        "på køn, alder, visitationskategori eller gennemførsel (alle p > 0,05)."
    )
    some = same.assign(p_value=[0.0001, 0.30, 0.012, 0.90])
    assert rep.verdict(some) == (
        "Registerudsnittet adskiller sig signifikant fra de øvrige registrerede kursister på "
        "alder (p = 0,012) og gennemførsel (p < 0,001), men ikke på køn eller "
        "visitationskategori (p ≥ 0,05)."
    )


def test_nonresponse_by_hand(data):
    nr = rep.nonresponse(data)
    t = nr.table[nr.table["Måling"] == "Før kurset"]
    # Invited b1 b2 b3 b4 c1 c2 d1 d2; complete b1 b2 b4 c1 d1; not: b3 (partial), c2, d2.
    assert cell(t, "I alt", "N (personer)", "Besvaret, antal") == 5
    assert cell(t, "I alt", "N (personer)", "Ikke besvaret, antal") == 3
    assert cell(t, "Køn", "Mænd", "Besvaret, antal") == 2  # b2, c1
    assert cell(t, "Køn", "Kvinder", "Besvaret, pct.") == pytest.approx(60.0)
    assert cell(t, "Køn", "Uoplyst", "Ikke besvaret, antal") == 1  # c2: no registration
    assert cell(t, "Køn", "Kvinder", "Ikke besvaret, pct.") == 100.0  # b3, d2 of 2 known
    assert cell(t, "Visitationskategori", "Uoplyst", "Ikke besvaret, antal") == 2  # c2, d2
    m = nr.means.set_index("Måling")
    # Week -1 scores of the invited in the analysis (U1): b1 3 (135), b2 2 (130), b4 7 (220).
    assert m.loc["Før kurset", "Besvaret, antal"] == 3
    assert m.loc["Før kurset", "Besvaret, gns."] == pytest.approx(4.0)
    assert m.loc["Før kurset", "Ikke besvaret, antal"] == 0
    # After: complete b1 b4 d2; not b2, c1 (partial), d1 -> scores 3, 7 vs 2.
    assert m.loc["Lige efter kurset", "Besvaret, gns."] == pytest.approx(5.0)
    assert m.loc["Lige efter kurset", "Ikke besvaret, gns."] == pytest.approx(2.0)
    tests = nr.tests.set_index(["Måling", "variable"])
    assert tests.loc[("Før kurset", "score"), "test"] == "none"  # no non-respondent score
    assert tests.loc[("Før kurset", "gender"), "test"] == "fisher"
    assert set(nr.verdicts) == {"Før kurset", "Lige efter kurset", "3 måneder efter kurset"}
    assert nr.verdicts["Før kurset"].startswith("Før kurset: De, der svarede,")


def test_welch_against_the_formula():
    a, b = pd.Series([1.0, 2.0, 3.0, 4.0]), pd.Series([2.0, 4.0, 6.0])
    va, vb = a.var() / len(a), b.var() / len(b)
    t = (a.mean() - b.mean()) / math.sqrt(va + vb)
    res = rep.test_means(a, b)
    assert res.test == "welch" and res.statistic == pytest.approx(t)
    dof = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    assert res.dof == pytest.approx(dof)
