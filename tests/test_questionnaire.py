"""The questionnaire appendix (`survey_outcomes.questionnaire`): every question and answer of the
codebook, in the reader's words."""

from __future__ import annotations

from tpj_helpers.analysis.survey_outcomes.questionnaire import questionnaire_text
from tpj_helpers.data.survey import load_codebook


def test_every_question_and_answer_is_in_the_appendix():
    cb = load_codebook()
    text = questionnaire_text(cb)
    for it in cb.items:
        assert it.question in text, it.id
        for a in it.answers if it.type != "multi" else ():
            assert f"»{a}«" in text, (it.id, a)
        if it.type == "multi":
            assert f"    - {it.option}" in text, it.id
    # a battery's lead-in once, the special codes after the answers
    assert text.count("*I de sidste to uger...*") == 1
    assert "»Ved ikke«" in text
    # all-wave questions first, then the others
    assert text.index("**Spørgsmål i alle målinger**") < text.index(
        "**Spørgsmål i nogle målinger**"
    )
    assert text.index("Hvordan synes du, at dit helbred er alt i alt?") < text.index(
        "**Spørgsmål i nogle målinger**"
    )
    assert "_" not in text.replace("\\_", "")  # no internal item ids
