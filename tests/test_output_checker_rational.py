"""The output checker's rational reconstruction (issue 12, engineer B): a mean or share printed
in full gives back the count it rests on (`benchmarks/rational_reconstruction.py`).

Hand-made run folders whose hidden cells can be worked out on paper; the denominators are
checked against `fractions.Fraction.limit_denominator`, an independent route from the attack's
own search over q.
"""

from __future__ import annotations

import importlib.util
import sys
from fractions import Fraction
from pathlib import Path

from tests.hand_runs import write_run

_BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, _BENCH / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


oc = _load("output_checker")
rr = _load("rational_reconstruction")


_write = write_run


def _candidates(run: Path, min_cell: int = 5) -> dict[tuple, float]:
    findings, _ = oc.check(run, min_cell)
    return {
        (f["file"], f["row"], f["column"]): f["value"] for f in findings if f["kind"] == "candidate"
    }


# Group B: 3 persons with scores 2, 2, 3 -> mean 7/3 printed in full; C: 2 persons.
COUNTS = "Gruppe,Antal\nA,40\nB,\nC,\nI alt,45\n"
MEAN_B = repr(7 / 3)  # '2.3333333333333335'


def test_a_full_precision_mean_in_another_file_gives_its_hidden_count_back(tmp_path):
    # B + C = 5 with each >= 1: B is 1..4, which the rule allows; the mean of B printed in full
    # in the figure data says B's count is a multiple of 3, and 3 is the only one in 1..4.
    run = _write(
        tmp_path,
        {"tables/t.csv": COUNTS, "figures/f.csv": f"Gruppe,mean\nA,2.125\nB,{MEAN_B}\n"},
    )
    got = _candidates(run)
    assert got[("tables/t.csv", 1, "Antal")] == 3
    # C's mean is not published, but with B = 3 the total gives C = 45 - 40 - 3
    assert got[("tables/t.csv", 2, "Antal")] == 2
    # without the attack the checker knew no more than 1..4 of B
    _, sys_ = oc.check(run, 5)
    cell = ("tables/t.csv", 1, "Antal")
    assert (sys_.lo[cell], sys_.hi[cell]) == (1, 4)


def test_a_mean_beside_its_hidden_count_gives_it_back(tmp_path):
    run = _write(
        tmp_path,
        {"tables/t.csv": f'Gruppe,Antal,"Score, gns."\nA,40,2.125\nB,,{MEAN_B}\nC,,\nI alt,45,\n'},
    )
    assert _candidates(run)[("tables/t.csv", 1, "Antal")] == 3


def test_the_truth_run_marks_the_candidate_real(tmp_path):
    run = _write(
        tmp_path / "run",
        {"tables/t.csv": COUNTS, "figures/f.csv": f"Gruppe,mean\nA,2.125\nB,{MEAN_B}\n"},
    )
    truth = _write(
        tmp_path / "truth",
        {
            "tables/t.csv": "Gruppe,Antal\nA,40\nB,3\nC,2\nI alt,45\n",
            "figures/f.csv": f"Gruppe,mean\nA,2.125\nB,{MEAN_B}\n",
        },
    )
    findings, _ = oc.check(run, 5)
    oc.judge(findings, truth)
    got = {f["row"]: (f["value"], f["verdict"]) for f in findings if f["kind"] == "candidate"}
    assert got == {1: (3.0, "real"), 2: (2.0, "real")}


def test_a_mean_rounded_to_two_decimals_gives_nothing_back(tmp_path):
    # 2.33 may be 7/3, 100/43, 233/100, ...: with counts up to 45 not only multiples of 3 fit
    run = _write(
        tmp_path, {"tables/t.csv": COUNTS, "figures/f.csv": "Gruppe,mean\nA,2.13\nB,2.33\n"}
    )
    assert _candidates(run) == {}


def test_a_mean_its_own_shown_count_explains_is_left_alone(tmp_path):
    # B's mean rests on the 6 persons shown beside it; the hidden count of another file with the
    # same label is not taken for its denominator
    run = _write(
        tmp_path,
        {
            "tables/t.csv": COUNTS,
            "figures/f.csv": f"Gruppe,n,mean\nA,40,2.125\nB,6,{MEAN_B}\n",
        },
    )
    assert _candidates(run) == {}


def test_denominators_agree_with_limit_denominator():
    # Tabel 6's mean 566/265 printed in full: only multiples of 265 fit (up to 1,000)
    x = float("2.1358490566037736")
    assert Fraction(x).limit_denominator(1000) == Fraction(566, 265)
    fits = rr.fitting_denominators(x, rr.column_tolerances(["2.1358490566037736"], [x])[0], 1000)
    assert fits.tolist() == [265, 530, 795]
    assert rr.pinned_denominators(x, 1e-12 * x, 1000).tolist() == [265, 530, 795]
    # a share of 2 in 7 printed in full
    y = 2 / 7
    assert Fraction(y).limit_denominator(500) == Fraction(2, 7)
    assert rr.pinned_denominators(y, 1e-12, 20).tolist() == [7, 14]


def test_rounding_to_d_decimals_leaves_every_denominator_from_ten_to_the_d_open():
    # the rounding rule the published files follow: every q >= 10^d fits a value rounded to d
    # decimals (an interval of width q x 10^-d holds an integer)
    for text in ("2.14", "0.07", "1.5"):
        d = len(text.split(".")[1])
        tol = rr.column_tolerances([text], [float(text)])[0]
        assert tol == 0.5 * 10.0**-d
        fits = set(rr.fitting_denominators(float(text), tol, 3000).tolist())
        assert set(range(10**d, 3001)) <= fits
        assert rr.pinned_denominators(float(text), tol, 3000) is None


def test_significant_digits_as_printed():
    assert rr.significant_digits("2.1358490566037736") == 17
    assert rr.significant_digits("0.05963302752293578") == 16
    assert rr.significant_digits("27.0") == 3
    assert rr.significant_digits("-0.0709273182957364") == 15
    assert rr.significant_digits("1e-05") == 1
