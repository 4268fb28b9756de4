"""Published precision (issue 12, engineer B): estimates.csv keeps three significant digits, so
that an estimate no longer gives the count behind it back (`tpj_helpers/publish/precision.py`)."""

from __future__ import annotations

import importlib.util
import math
import sys
from fractions import Fraction
from pathlib import Path

import pandas as pd

from tpj_helpers.publish.estimates import ESTIMATE_COLUMNS
from tpj_helpers.publish.precision import round_columns, significant
from tpj_helpers.publish.publisher import Publisher

_SPEC = importlib.util.spec_from_file_location(
    "rational_reconstruction",
    Path(__file__).resolve().parents[1] / "benchmarks" / "rational_reconstruction.py",
)
rr = importlib.util.module_from_spec(_SPEC)
sys.modules["rational_reconstruction"] = rr
_SPEC.loader.exec_module(rr)


def test_significant_digits_by_hand():
    assert significant(2.1358490566037736) == 2.14
    assert significant(0.008433048433048478) == 0.00843
    assert significant(-0.3943994601889351) == -0.394
    assert significant(40.30769230769231) == 40.3
    assert significant(1234.5678) == 1230.0
    assert significant(0.0) == 0.0
    assert math.isnan(significant(float("nan")))
    assert significant(None) is None


def test_round_columns_leaves_other_columns_and_blanks():
    df = pd.DataFrame({"estimate": [3.0625, None], "p_value": [0.0123456, 0.5], "term": ["a", "b"]})
    out = round_columns(df, ["estimate", "std_error"])
    assert out["estimate"].iloc[0] == 3.06
    assert pd.isna(out["estimate"].iloc[1])
    assert out["p_value"].tolist() == [0.0123456, 0.5]  # not asked for: as it was
    assert df["estimate"].iloc[0] == 3.0625  # a copy


def _row(**kw) -> dict:
    row = dict.fromkeys(ESTIMATE_COLUMNS, "")
    row.update(analysis="register", model="two_point_pre", subgroup="phase:udbredelse")
    row.update(kw)
    return row


def test_estimates_csv_is_written_rounded(tmp_path):
    # the Frederikshavn leak: the intercept 49/16 = 3.0625 (the mean score of the 16 persons of
    # one phase at week -26) gave the hidden 16 of the weekly figure back, and the other phase's
    # 4 with it; printed as 3.06 it fits 16 and 17 persons alike
    pub = Publisher(tmp_path, "t", min_cell=5)
    rows = pd.DataFrame(
        [
            _row(term="intercept", estimate=49 / 16, std_error=0.1234567, p_value=1e-9),
            _row(term="change", estimate=-0.394399460188935, conf_low=-0.81234, conf_high=0.0234),
        ]
    )
    path = pub.estimates(rows)
    text = path.read_text(encoding="utf-8")
    assert "3.0625" not in text and "0.1234567" not in text
    got = pd.read_csv(path)
    assert got["estimate"].tolist() == [3.06, -0.394]
    assert got["std_error"].iloc[0] == 0.123
    assert got[["conf_low", "conf_high"]].iloc[1].tolist() == [-0.812, 0.0234]
    assert got["p_value"].iloc[0] == 1e-9  # p-values as computed
    # full precision pins 16 (and its multiples); rounded, 16 and 17 both fit in 1..19
    assert Fraction(49 / 16).limit_denominator(1000) == Fraction(49, 16)
    fits = rr.fitting_denominators(3.06, 0.005, 19).tolist()
    assert 16 in fits and 17 in fits
    assert rr.pinned_denominators(3.06, 0.005, 1115) is None


def test_no_estimate_of_fewer_than_min_cell_persons_is_published(tmp_path):
    # a paired change of two persons is their mean difference: it rests on 2 persons (found on a
    # delivery of 2 completers); 5 persons and a row without a person count stay
    rows = pd.DataFrame(
        {
            c: [None] * 3
            for c in ESTIMATE_COLUMNS
            if c not in ("model", "term", "estimate", "n_persons")
        }
    ).assign(
        model=["paired_wilcoxon", "paired_change", "two_point_post"],
        term=["a", "b", "c"],
        estimate=[1.5, -2.0, 1.4610095821396811],
        n_persons=[2, 5, None],
    )[ESTIMATE_COLUMNS]
    pub = Publisher(tmp_path, "10_survey_outcomes", min_cell=5)
    got = pd.read_csv(pub.estimates(rows))
    assert got["model"].tolist() == ["paired_change", "two_point_post"]
    assert got["estimate"].tolist() == [-2.0, 1.46]
