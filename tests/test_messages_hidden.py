"""Messages and notes never print a count that disclosure control would hide (issue 12, part 4).

Found by running the demo with `min_cell: 10` and reading every note, log and message of the run
for counts from 1 to 9 (the procedure and its results: README, "Messages"): the note of Tabel 3
printed the registered persons left out for an incomplete background as a plain number.
"""

from __future__ import annotations

import pytest
from test_coverage import write_study

from tpj_helpers.analysis.data_quality import representativeness as rep
from tpj_helpers.data.study import load_data
from tpj_helpers.publish.messages import count_text


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    # The hand-made folder of test_coverage.py: of the 9 registered persons one (d2) has no
    # visitation category, so Tabel 3 leaves exactly 1 person out.
    return load_data(write_study(tmp_path_factory.mktemp("msg")), cache=False)


def test_tabel3_note_hides_a_small_number_left_out(data):
    note = rep.tabel3(data, min_cell=5).note
    assert "færre end 5 registrerede kursister med ufuldstændige" in note
    assert "; 1 registrerede" not in note


def test_tabel3_note_shows_the_number_when_it_is_not_hidden(data):
    assert "; 1 registrerede kursister med ufuldstændige" in rep.tabel3(data, min_cell=1).note


@pytest.mark.parametrize(
    "n, min_cell, text",
    [
        (0, 5, "0"),
        (1, 5, "færre end 5"),
        (4, 5, "færre end 5"),
        (5, 5, "5"),
        (9, 10, "færre end 10"),
        (1234, 5, "1.234"),
    ],
)
def test_count_text(n, min_cell, text):
    assert count_text(n, min_cell) == text


def test_missing_wave_box_hides_a_small_number_of_invitations(monkeypatch):
    from types import SimpleNamespace

    from tpj_helpers.analysis.data_quality import special_codes
    from tpj_helpers.data import survey

    data = SimpleNamespace(
        surveys=SimpleNamespace(codebook=SimpleNamespace(waves={"3mdr": "3 mdr. efter"}))
    )
    monkeypatch.setattr(survey, "missing_wave_invitations", lambda s: {"3mdr": 3})
    box = special_codes.missing_waves_box(data, min_cell=5)
    assert "færre end 5 invitationer" in box and ": 3 invitationer" not in box
    monkeypatch.setattr(survey, "missing_wave_invitations", lambda s: {"3mdr": 12})
    assert "(survey_3mdr): 12 invitationer" in special_codes.missing_waves_box(data, min_cell=5)


@pytest.mark.parametrize(
    "part, whole, text",
    [(3, 30, "færre end 5"), (27, 30, "alle på nær færre end 5"), (20, 30, "20"), (30, 30, "30")],
)
def test_effect_part_of_the_matched(part, whole, text):
    from tpj_helpers.analysis.effect.chapter import _part_of

    assert _part_of(part, whole, 5) == text


def test_effect_reading_hides_small_counts_of_left_out_persons():
    import warnings

    from tests.test_effect import PARAMS, _random_pair
    from tpj_helpers.analysis.effect import chapter, design

    part, pool = _random_pair(3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = design.estimate(part, pool, {**PARAMS, "score_bins": [0, 100]})
    res.counts.update(
        matched=40, unmatched=3, not_qualifying=7, week_26_outside=0, history_104_missing=38
    )
    text = chapter.reading(res, min_cell=5)
    assert "færre end 5 kursister fandt ingen, 7 var ikke" in text
    assert "og 0 startede så sent" in text
    assert "For alle på nær færre end 5 af de matchede" in text
    assert "; 3 kursister" not in text and "38 af de matchede" not in text
    assert "; 3 kursister fandt ingen" in chapter.reading(res, min_cell=1)


def test_register_reading_leaves_out_a_hidden_n_at_week_26(tmp_path):
    """With min_cell 10 on the demo, Tabel 6's means table hid 'Kursister med data' 26 weeks
    after course start (secondary), while the reading wrote 'for 197 af de 268 kursister': with
    'Heraf med en score' (191) shown, the hidden count without a score (6) followed."""
    import dataclasses

    from tests.test_register import weekly_study
    from tpj_helpers.analysis.register_regressions import models as register
    from tpj_helpers.publish.publisher import Publisher

    study = weekly_study()
    persons = register.analysis_persons(study)
    est = register.register_models(study, persons)
    t6 = register.tabel6(study, persons)
    n = t6.n.copy()
    n["26"] = n["-1"] - 1  # the extract does not reach week 26 for one person
    t6 = dataclasses.replace(t6, n=n)
    assert f"for {n['26']} af de {n['-1']} kursister" in register.register_reading(est, t6)
    table = register.tabel6_means_table(t6)
    shown = Publisher(tmp_path, "x", min_cell=10, synthetic=True).table(
        table, "means", "kilde", count_cols=["Kursister med data", "Heraf med en score"]
    )
    assert not register._n_shown(shown, "26")  # every count of this tiny table is below 10
    text = register.register_reading(est, t6, shown=shown)
    assert "registerudtrækket rækker ikke til 26 uger efter kursusstart for alle kursister" in text
    assert f"for {n['26']} af de" not in text
