"""The live progress line: what it says, and that it appears only on a terminal."""

from __future__ import annotations

import io

from tpj_helpers.run import progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_line_names_the_running_notebooks_and_counts_the_done_ones():
    out = Terminal()
    with progress.LiveProgress(3, stream=out) as live:
        live.start("10_survey_outcomes")
        live.start("20_who5")
        assert live.describe() == "10_survey_outcomes 0 s, 20_who5 0 s"
        live.done("20_who5")
        assert live.describe() == "10_survey_outcomes 0 s" and live.bar.n == 1
        live.write("tpj: [1/3] 20_who5 ok (3.0 s)\n")
    assert "tpj: [1/3] 20_who5 ok (3.0 s)\n" in out.getvalue()


def test_only_on_a_terminal_and_not_when_quiet():
    assert progress.wanted(False, Terminal())
    assert not progress.wanted(True, Terminal())
    assert not progress.wanted(False, io.StringIO())  # a log file, CI
