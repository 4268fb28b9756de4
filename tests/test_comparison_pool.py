"""The synthetic comparison pool (issue 14, data side): contract, ids, known truth, reader, scale."""

from __future__ import annotations

import csv
import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tpj_helpers.data import comparison as cmp
from tpj_helpers.data.contract import ContractError
from tpj_helpers.synthetic.cohort import make_cohort
from tpj_helpers.synthetic.comparison import (
    make_comparison,
    pool_spec,
    true_att_0_26,
    true_effect_path,
)
from tpj_helpers.synthetic.generate import MARKER, generate_demo_data, load_calibration

SEED = 2025
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    return generate_demo_data(tmp_path_factory.mktemp("demo"), seed=SEED)


def rows_of(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        return header, list(reader)


def score_map_rows() -> list[dict]:
    with (REPO / "params" / "dream_score_map.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(line for line in fh if not line.startswith("#")))


# --------------------------------------------------------------------------- the demo pool


def participant_digest(folder: Path) -> str:
    """sha256 over (relative path, bytes) of every participant file: all but SYNTHETIC and comparison/."""
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder)
        if p.is_file() and p.name != MARKER and rel.parts[0] != "comparison":
            h.update(str(rel).encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def test_participant_files_are_unchanged(demo, tmp_path):
    # The same seed without a pool: the pool draws on its own random stream, so adding it leaves
    # every participant file byte for byte as it was.
    without = generate_demo_data(tmp_path / "nopool", seed=SEED, comparison_ratio=0)
    assert not (without / "comparison").exists()
    assert (demo / "comparison" / "dream.csv").is_file()
    assert participant_digest(demo) == participant_digest(without)


def test_pool_files_follow_the_contract(demo):
    part_header, _ = rows_of(demo / "dream.csv")
    header, rows = rows_of(demo / "comparison" / "dream.csv")
    assert header == part_header  # the same weeks and months, in the same order
    weeks = [i for i, c in enumerate(header) if re.fullmatch(r"y_\d{4}", c)]
    grads = [i for i, c in enumerate(header) if re.fullmatch(r"grad_\d{4}_\d{2}", c)]
    assert len(weeks) == 161 and len(weeks) + len(grads) + 1 == len(header)
    for r in rows:
        assert len(r) == len(header)
        assert all(r[i] == "" or re.fullmatch(r"\d{3}", r[i]) for i in weeks)
        assert all(r[i] == "" or 0 < float(r[i]) <= 1 for i in grads)
    bg_header, bg = rows_of(demo / "comparison" / "background.csv")
    assert bg_header == ["person_id", "gender", "birth_year", "kommune", "region"]
    regions = {"Hovedstaden", "Sjælland", "Syddanmark", "Midtjylland", "Nordjylland"}
    for _person_id, gender, birth_year, kommune, region in bg:
        assert gender in ("kvinde", "mand") and re.fullmatch(r"(19|20)\d{2}", birth_year)
        assert kommune and region in regions
    ids = [r[0] for r in rows]
    assert len(set(ids)) == len(ids) == len(bg) == 6060  # 20 x the 303 of the register sample
    assert set(ids) == {r[0] for r in bg}


def test_pool_ids_never_meet_participants(demo):
    theirs = set()
    for name in ("enrolments.csv", "registrations.csv", "dream.csv"):
        header, rows = rows_of(demo / name)
        theirs |= {r[header.index("person_id")] for r in rows}
    _, pool = rows_of(demo / "comparison" / "background.csv")
    assert theirs and not theirs & {r[0] for r in pool}


def test_marker_carries_the_true_effect(demo, tmp_path):
    info = json.loads((demo / MARKER).read_text(encoding="utf-8"))["comparison"]
    assert info["true_effect"] == 0.5 and info["true_att_26"] == 0.5
    assert info["persons"] == 6060 and info["twins"] == 3030
    # By hand: 7-week holds ramp 0.5 * (1..7)/7 over weeks 0..6, then 0.5 for 20 weeks.
    assert true_att_0_26(0.5, np.array([7])) == pytest.approx(0.5 * (28 / 7 + 20) / 27)
    assert true_att_0_26(0.5, np.array([8])) == pytest.approx(0.5 * (36 / 8 + 19) / 27)
    other = generate_demo_data(tmp_path / "e", seed=5, scale=0.5, pool_size=40, true_effect=0.8)
    assert (
        json.loads((other / MARKER).read_text(encoding="utf-8"))["comparison"]["true_effect"] == 0.8
    )
    none = generate_demo_data(tmp_path / "e", seed=5, scale=0.5, comparison_ratio=0)
    assert not (none / "comparison").exists()  # a pool written before is removed, not left stale
    assert "comparison" not in json.loads((none / MARKER).read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- the construction


def _pool(tmp_path: Path, name: str, size: int, twin_share: float, effect: float, fmt: str = "csv"):
    cal = load_calibration()
    cohort = make_cohort(cal, np.random.default_rng(11), 1.0)
    spec = pool_spec(
        cal,
        int(cohort.persons["consent_register"].sum()),
        size=size,
        true_effect=effect,
        pool_format=fmt,
    )
    spec.twin_share = twin_share
    truth: list = []
    (tmp_path / name).mkdir()
    make_comparison(cal, cohort.persons, tmp_path / name, 11, spec, truth=truth)
    return tmp_path / name / "comparison", pd.concat(truth, ignore_index=True)


def test_twins_carry_exactly_the_true_effect(tmp_path):
    """The same twins with and without the course effect: before week 0 identical, from week 0
    lower by e(t) on average (e(26) = 0.5; the mean over weeks 0..26 as `true_att_0_26`)."""
    with_course, truth = _pool(tmp_path, "zero", 3000, 1.0, 0.0)
    without, _ = _pool(tmp_path, "half", 3000, 1.0, 0.5)
    a = cmp.read_scores(with_course / "dream.csv")
    b = cmp.read_scores(without / "dream.csv")
    assert (a.person_id == b.person_id).all() and (
        a.person_id == truth["person_id"].to_numpy()
    ).all()
    start = a.week_index(truth["would_be_start"])
    rel = np.arange(a.score.shape[1])[None, :] - start[:, None]
    valid = (a.score >= 0) & (b.score >= 0)
    diff = a.score.astype(float) - b.score
    assert (diff[(rel < 0) & (rel >= -104) & valid] == 0).all()
    at26 = diff[(rel == 26) & valid]
    assert len(at26) > 2000 and at26.mean() == pytest.approx(0.5, abs=0.04)
    weekly = [diff[(rel == t) & valid].mean() for t in range(27)]
    n_weeks = np.where(
        truth["would_be_start"] < pd.Timestamp("2023-07-01"), 8, 7
    )  # pilot holds: 8 weeks
    assert np.mean(weekly) == pytest.approx(true_att_0_26(0.5, n_weeks), abs=0.03)
    assert weekly[0] == pytest.approx(np.mean(true_effect_path(0.5, n_weeks, 0)), abs=0.03)


def test_others_qualifying_share(tmp_path):
    """Persons outside the dip process: the share of person-weeks on a qualifying benefit is what
    the spell states and the score map give: P(score 1) * 2/3 (ressourceforløb, not fleksydelse)
    + P(score 2) + P(score 3), with the calibration's weights."""
    folder, truth = _pool(tmp_path, "others", 4000, 0.0, 0.5)
    w = load_calibration()["comparison"]["others"]["state_weights"]
    expected = (w[1] * 2 / 3 + w[2] + w[3]) / sum(w.values())
    qualifying = {
        r["code"]
        for r in score_map_rows()
        if r["category"]
        in ("kontanthjaelp", "uddannelseshjaelp", "ressourceforloeb", "jobafklaring")
    }
    header, rows = rows_of(folder / "dream.csv")
    weeks = [i for i, c in enumerate(header) if c.startswith("y_")]
    share = np.mean([[r[i] in qualifying for i in weeks] for r in rows])
    assert not truth["twin"].any()
    assert share == pytest.approx(expected, abs=0.015)


def test_parquet_and_csv_pools_hold_the_same_data(tmp_path):
    a, _ = _pool(tmp_path, "csv", 300, 0.5, 0.5)
    b, _ = _pool(tmp_path, "pq", 300, 0.5, 0.5, fmt="parquet")
    ma, mb = cmp.read_scores(a / "dream.csv"), cmp.read_scores(b / "dream.parquet", batch_rows=64)
    assert (ma.person_id == mb.person_id).all()
    assert (ma.score == mb.score).all() and (ma.category == mb.category).all()


def test_scale_above_five(tmp_path):
    out = generate_demo_data(tmp_path / "big", seed=3, scale=12, comparison_ratio=0)
    enrol = pd.read_csv(out / "enrolments.csv", dtype=str)
    assert len(enrol) == 524 * 12
    assert enrol["person_id"].str.fullmatch(r"TPJ\d{6,}").all()
    with pytest.raises(ValueError, match=r"scale 0\.1 is too small"):
        generate_demo_data(tmp_path / "tiny", seed=3, scale=0.1, comparison_ratio=0)


# --------------------------------------------------------------------------- the reader


def test_read_pool_matches_the_files(demo):
    from tpj_helpers.data import dream

    ext = dream.read_dream(demo)
    pool = cmp.read_pool(demo, participant_ids=ext.person_id, week_monday=ext.week_monday)
    assert pool.scores.score.shape == (6060, 161)
    assert (pool.background["person_id"].to_numpy() == pool.scores.person_id).all()
    # One cell by the csv module and the score map, independently of the reader.
    header, rows = rows_of(demo / "comparison" / "dream.csv")
    smap = {r["code"]: r for r in score_map_rows()}
    col = header.index("y_2401")
    for r in rows[:200]:
        i = int(np.flatnonzero(pool.scores.person_id == r[0])[0])
        code = r[col]
        got = pool.scores.score[i, col - 1]
        if code:
            assert got == (int(smap[code]["score"]) if smap[code]["score"] else cmp.CODED_OUT)
        else:
            assert got in (10, cmp.NO_SCORE)


def _copy(demo: Path, tmp_path: Path) -> Path:
    import shutil

    out = tmp_path / "data"
    shutil.copytree(demo, out)
    return out


def test_reader_names_bad_cells_and_colliding_ids(demo, tmp_path):
    data = _copy(demo, tmp_path)
    path = data / "comparison" / "dream.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    cells = lines[3].split(",")
    cells[5] = "13"  # row 4 in spreadsheet numbering, a 2-digit code
    lines[3] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    week = lines[0].split(",")[5]
    with pytest.raises(ContractError) as err:
        cmp.read_pool(data)
    text = str(err.value)
    assert (
        "comparison/dream.csv" in text
        and f"column '{week}'" in text
        and "rows 4" in text
        and "'13'" in text
    )

    data2 = _copy(demo, tmp_path / "two")
    bg = data2 / "comparison" / "background.csv"
    header, rows = rows_of(bg)
    participant = rows_of(demo / "registrations.csv")[1][0][0]
    rows[1][0] = participant
    with bg.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([header, *rows])
    with pytest.raises(ContractError) as err:
        cmp.read_pool(data2, participant_ids=[participant])
    assert participant in str(err.value) and "rows 3" in str(err.value)


def _matrix() -> cmp.ScoreMatrix:
    """Three persons x 120 weeks, built by hand."""
    W = 120
    monday = np.datetime64("2022-03-07") + np.arange(W) * np.timedelta64(7, "D")
    cats = ("dagpenge", "kontanthjaelp", "pension")
    score = np.full((3, W), cmp.NO_SCORE, dtype=np.int8)
    category = np.full((3, W), -1, dtype=np.int8)
    score[0, :] = 2
    category[0, :] = 1  # kontanthjælp throughout
    score[1, :100] = 5
    category[1, :100] = 0  # dagpenge (not qualifying) until week 100, then kontanthjælp
    score[1, 100:] = 2
    category[1, 100:] = 1
    score[2, :] = 0
    category[2, :] = 2  # pension
    return cmp.ScoreMatrix(np.array(["a", "b", "c"]), monday, score, category, cats)


def test_history_covariates_by_hand():
    m = _matrix()
    cov = cmp.history_covariates(m, np.array([110, 110, 30]))
    assert cov["score_m1"].tolist() == [2, 2, 0]
    assert cov["score_m13"].tolist() == [2, 5, 0]
    assert cov["score_m52"].tolist() == [
        2,
        5,
        cmp.NOT_REACHED,
    ]  # week -52 of person c: before the data
    assert cov["weeks_on_benefit_52"].tolist() == [52, 10, -1]  # b: weeks 100..109 only
    assert cov["weeks_on_benefit_104"].tolist() == [104, 10, -1]
    assert cov["qualifying_m1"].tolist() == [True, True, False]
    assert cov["category_m1"].astype(str).tolist() == ["kontanthjaelp", "kontanthjaelp", "pension"]
    starts = pd.DataFrame(
        {"hold_id": ["H1", "H2"], "start_date": [m.week_monday[110], m.week_monday[50]]}
    )
    rs = cmp.risk_sets(m, starts)
    assert rs.groupby("hold_id", observed=True)["row"].apply(list).to_dict() == {
        "H1": [0, 1],
        "H2": [0],
    }
    out = cmp.outcomes(m, rows=[1], start_idx=[110], weeks=range(-12, 12))
    assert out["week_rel"].tolist() == list(range(-12, 10))  # weeks 10, 11 lie after the data
    assert out["score"].tolist() == [5.0, 5.0] + [2.0] * 20


@pytest.mark.parametrize("kind", ["semicolon", "cp1252", "spss", "stata"])
def test_pool_in_every_contract_format_reads_as_the_csv(tmp_path, kind):
    """The streaming reader takes the formats the contract allows for the pool too (a semicolon
    file with decimal commas in grad, Windows-1252, SPSS, Stata): the same scores as the CSV."""
    from tpj_helpers.synthetic.export_formats import convert_folder

    a, _ = _pool(tmp_path, "csv", 300, 0.5, 0.5)
    b = convert_folder(a, tmp_path / kind, kind)
    (path,) = [p for p in b.iterdir() if p.stem == "dream"]
    if kind == "semicolon":
        text = path.read_text(encoding="utf-8")
        assert ";" in text.splitlines()[0] and re.search(r";0,\d", text)  # decimal commas in grad
    ma, mb = cmp.read_scores(a / "dream.csv"), cmp.read_scores(path, batch_rows=64)
    assert (ma.person_id == mb.person_id).all()
    assert (ma.score == mb.score).all() and (ma.category == mb.category).all()
