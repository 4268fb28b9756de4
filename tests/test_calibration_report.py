"""The published-beside-demo table used in notes (needs the workplace's report-figures.yaml)."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from tpj_helpers.data.study import load_data
from tpj_helpers.synthetic.calibration_report import DEFAULT_REFERENCE, calibration_rows, markdown

pytestmark = pytest.mark.skipif(
    not DEFAULT_REFERENCE.is_file(), reason="shared/reference not beside the repository"
)


def test_rows_put_the_reference_beside_the_run(full_run, small_demo):
    ref = yaml.safe_load(DEFAULT_REFERENCE.read_text(encoding="utf-8"))
    rows = {
        figure: (published, demo)
        for figure, published, demo in calibration_rows(
            load_data(small_demo), full_run.run_dir, ref
        )
    }
    assert rows["Tilmeldinger (pilot/udbredelse/i alt)"][0] == "131/393/524"
    assert rows["Tabel 6: gennemsnit"][0] == "2.81/2.14/2.51/3.60"
    response = pd.read_csv(full_run.run_dir / "tables" / "response.csv")
    assert rows["Tabel 2: udsendt (før/efter/3 mdr)"][1] == "/".join(map(str, response["Udsendt"]))
    est = pd.read_csv(full_run.run_dir / "results" / "estimates.csv", dtype={"stars": str})
    post = est[
        (est["subgroup"] == "all") & (est["model"] == "two_point_post") & (est["term"] == "change")
    ].iloc[0]
    demo_post = rows["To-punkt all_completers: ændring før / efter"][1].split(" / ")[1]
    assert (
        demo_post
        == f"{post['estimate']:.2f}{post['stars'] if isinstance(post['stars'], str) else ''}"
    )
    assert markdown([("a", "1", "2")]).splitlines()[2] == "| a | 1 | 2 |"
