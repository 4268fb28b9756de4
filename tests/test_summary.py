"""The resumé (`tpj_helpers.analysis.summary.resume`, notebook 90_summary): its numbers are the run's numbers."""

from __future__ import annotations

import math
import re

import pandas as pd
import pytest
import yaml

from tpj_helpers.analysis.summary import findings
from tpj_helpers.analysis.summary import resume as summary
from tpj_helpers.paths import REPO_ROOT
from tpj_helpers.publish.publisher import ESTIMATE_COLUMNS
from tpj_helpers.run import runner
from tpj_helpers.synthetic.generate import generate_demo_data

MINUS, NBSP = "\u2212", "\u00a0"


def est_row(
    analysis,
    model,
    subgroup,
    term,
    estimate,
    low=math.nan,
    high=math.nan,
    p=math.nan,
    stars="",
    n=100,
):
    return {
        "analysis": analysis,
        "model": model,
        "subgroup": subgroup,
        "term": term,
        "estimate": estimate,
        "std_error": math.nan,
        "conf_low": low,
        "conf_high": high,
        "p_value": p,
        "stars": stars,
        "n_persons": n,
        "n_obs": 2 * n,
    }


ESTIMATES = [
    est_row("who5", "wave_mean", "wave:foer", "mean", 31.25, 28.0, 34.5, n=210),
    est_row("who5", "wave_mean", "wave:efter", "mean", 44.75, 41.0, 48.5, n=190),
    est_row("who5", "wave_mean", "wave:3mdr", "mean", 39.05, 33.0, 45.0, n=60),
    est_row(
        "who5",
        "paired_change",
        "wave:foer-efter",
        "mean_difference",
        12.34,
        8.76,
        15.92,
        p=0.0002,
        stars="***",
        n=151,
    ),
    est_row("who5", "paired_change", "wave:foer-efter", "share_left_high_risk", 0.4, n=80),
    est_row("who5", "ipw_mean", "wave:3mdr", "mean", 43.21, 36.54, 49.87, n=60),
    est_row(
        "register",
        "two_point_pre",
        "all",
        "change",
        -0.8125,
        -1.1111,
        -0.5139,
        p=0.00001,
        stars="***",
        n=250,
    ),
    est_row(
        "register",
        "two_point_post",
        "all",
        "change",
        1.2345,
        0.6789,
        1.7901,
        p=0.003,
        stars="**",
        n=248,
    ),
    est_row("register", "weekly_pre", "all", "slope", -0.0312, p=0.0001, stars="***", n=250),
    est_row("register", "weekly_post", "all", "slope", 0.0476, p=0.02, stars="*", n=250),
    est_row("register", "two_point_post", "gender:mand", "change", 9.99),  # not the overall row
    est_row("survey", "paired_wilcoxon", "wave:foer-efter", "a", 0.3, p=0.01),
    est_row("survey", "paired_wilcoxon", "wave:foer-efter", "b", 0.1, p=0.4),
    est_row("survey", "paired_wilcoxon", "wave:foer-efter", "c", -0.2, p=0.03),
]

TABLES = {
    "enrolment": pd.DataFrame(
        {
            "Opgørelse": [
                "Antal hold (afholdt)",
                "Tilmeldinger",
                "- heraf gennemført",
                "Personer (den tællende tilmelding)",
                "- heraf personer, der gennemførte",
            ],
            "I alt, antal": [27, 1210, 1000, 1203, 987],
            "I alt, pct.": [math.nan, 100.0, 82.6, 100.0, 987 / 1203 * 100],
        }
    ),
    "response": pd.DataFrame(
        {
            "Måling": ["Før kurset", "Lige efter kurset", "3 måneder efter kurset"],
            "Udsendt": [400, 330, 320],
            "Fuldt besvaret": [222, 231, 64],
            "Svarprocent": [55.5, 70.0, 20.0],
        }
    ),
    "consistency_checks": pd.DataFrame(
        {
            "Kontrol": ["A-1", "A-2", "B-1"],
            "Beskrivelse": ["x", "y", "z"],
            "Resultat": ["Bestået", "Bestået", "Bestået"],
        }
    ),
    "register_subgroup_interaction": pd.DataFrame(
        {
            "Dimension": ["Køn", "Aldersgruppe", "Projektfase"],
            "p-værdi": ["0,012", "0,345", "<0,001"],
        }
    ),
    "tabel3_tests": pd.DataFrame({"Variabel": ["Køn", "Aldersgruppe"], "p-værdi": [0.61, 0.27]}),
}


def make_run_folder(folder, estimates=ESTIMATES, tables=TABLES):
    (folder / "results").mkdir(parents=True)
    (folder / "tables").mkdir()
    pd.DataFrame(estimates, columns=ESTIMATE_COLUMNS).to_csv(
        folder / "results" / "estimates.csv", index=False
    )
    for name, df in tables.items():
        df.to_csv(folder / "tables" / f"{name}.csv", index=False)
    return folder


def numbers_in(text: str) -> list[float]:
    """The numbers of a Danish text, parsed back (1.234,5 / −0,5 / 12 %)."""
    found = re.findall(r"[+\u2212]?\d{1,3}(?:\.\d{3})*(?:,\d+)?", text)
    return [float(s.replace("\u2212", "-").replace(".", "").replace(",", ".")) for s in found]


# --------------------------------------------------------------------------- hand-made run folder


def test_the_resume_shows_the_inputs_numbers_in_danish(tmp_path):
    r = summary.build(make_run_folder(tmp_path / "run"))
    v, text = r.values, r.markdown
    assert list(r.paragraphs) == [
        "participation",
        "response",
        "who5",
        "survey",
        "register",
        "subgroups",
        "representativeness",
        "consistency",
    ]
    # the values are the inputs, read not recomputed
    assert v["persons"] == 1203 and v["completed"] == 987 and v["holds"] == 27
    assert v["completed_share"] == pytest.approx(987 / 1203)
    assert v["response_foer_answered"] == 222 and v["response_3mdr_share"] == pytest.approx(0.2)
    assert v["who5_mean_efter"] == 44.75 and v["who5_change_efter"] == 12.34
    assert (v["who5_change_efter_low"], v["who5_change_efter_high"]) == (8.76, 15.92)
    assert v["who5_ipw_3mdr"] == 43.21 and "who5_change_3mdr" not in v
    assert v["register_pre_change"] == -0.8125 and v["register_post_change"] == 1.2345
    assert v["register_pre_slope"] == -0.0312 and v["register_post_slope"] == 0.0476
    assert v["survey_efter_better"] == 1 and v["survey_efter_worse"] == 1
    assert v["subgroup_p_koen"] == 0.012 and v["subgroup_p_projektfase"] == pytest.approx(0.001)
    assert v["checks_total"] == 3 and v["checks_failed"] == 0
    # ... and are shown in Danish notation: decimal comma, true minus, no-break space before %
    for shown in (
        "1.203 personer",
        "27 hold",
        f"987 af dem (82{NBSP}%)",
        f"222 af 400 før kurset (56{NBSP}%)",
        "31,2 før kurset",
        "44,8 lige efter kurset",
        "+12,3 point",
        f"95{NBSP}%-KI 8,8 til 15,9",
        "p < 0,001",
        "43,2",
        f"{MINUS}0,81 (95{NBSP}%-KI {MINUS}1,11 til {MINUS}0,51)\\*\\*\\*",
        "+1,23 (95\u00a0%-KI 0,68 til 1,79)\\*\\*",
        f"{MINUS}0,031 pr. uge",
        "+0,048 pr. uge",
        "køn (p = 0,012)",
        "projektfase (p < 0,001)",
        "men ikke af aldersgruppe",
        "Alle 3 konsistenskontroller",
        "1 af 3 spørgsmål",
    ):
        assert shown in text, shown
    assert "9,99" not in text and not re.search(r"\d\.\d{1,2}(?!\d)", text)  # no decimal point
    assert not re.search(r"(?<![A-Za-z])-\d", text)  # no hyphen-minus before a number
    # every number of the text is a number of the inputs (or a fixed one of the wording)
    fixed = {0, 100, 5, 0.05, 0.001, 0.01, 1, 26, 95, 3}
    known = [x for x in v.values()] + [100 * x for x in v.values()]
    for x in numbers_in(text):
        assert abs(x) in fixed or any(
            math.isclose(abs(x), abs(k), rel_tol=0.06, abs_tol=0.006) for k in known
        ), x


def test_key_figures(tmp_path):
    r = summary.build(make_run_folder(tmp_path / "run"))
    lines = r.key_figures
    assert lines[0] == f"Deltagere: 1.203, heraf 82{NBSP}% gennemført"
    assert "+12,3 point" in r.key_figures_markdown and "3 af 3 bestået" in r.key_figures_markdown
    assert r.key_figures_markdown.startswith("- ")


def test_a_missing_input_leaves_its_paragraph_out(tmp_path):
    no_who5 = [e for e in ESTIMATES if e["analysis"] != "who5"]
    tables = {k: v for k, v in TABLES.items() if k not in ("response", "tabel3_tests")}
    r = summary.build(make_run_folder(tmp_path / "run", no_who5, tables))
    assert "who5" not in r.paragraphs and "response" not in r.paragraphs
    assert "representativeness" not in r.paragraphs and "register" in r.paragraphs
    assert not any(k.startswith(("who5", "response")) for k in r.values)
    assert "WHO-5" not in r.markdown + r.key_figures_markdown


def test_a_missing_interval_is_left_out_not_shown_empty(tmp_path):
    rows = [
        dict(e, conf_low=math.nan, conf_high=math.nan) if e["model"] == "ipw_mean" else e
        for e in ESTIMATES
    ]
    r = summary.build(make_run_folder(tmp_path / "run", rows))
    assert "gennemsnittet 43,2 mod 39,0 uvægtet" in r.paragraphs["who5"]
    assert "KI  til" not in r.markdown and "who5_ipw_3mdr_low" not in r.values


def test_failed_checks_and_significant_subgroups_are_named(tmp_path):
    tables = dict(TABLES)
    tables["consistency_checks"] = TABLES["consistency_checks"].assign(
        Resultat=["Bestået", "Fejl", "Bestået"]
    )
    tables["register_subgroup_interaction"] = TABLES["register_subgroup_interaction"].assign(
        **{"p-værdi": ["0,512", "0,345", "0,060"]}
    )
    r = summary.build(make_run_folder(tmp_path / "run", tables=tables))
    assert "1 af 3 konsistenskontroller fejlede (A-2)" in r.paragraphs["consistency"]
    assert "ikke signifikant af køn, aldersgruppe eller projektfase" in r.paragraphs["subgroups"]
    assert r.values["checks_failed"] == 1 and r.values["subgroup_significant"] == 0


def test_without_results_the_resume_asks_for_the_other_notebooks(tmp_path):
    with pytest.raises(summary.RunFolderError, match="run the other notebooks first"):
        summary.build(tmp_path / "output" / "dev")


# --------------------------------------------------------------------------- on real runs


def expected_values(run_dir) -> dict[str, float]:
    """What the resumé must show, looked up in the run's estimates.csv and tables."""
    est = pd.read_csv(run_dir / "results" / "estimates.csv")

    def get(model, subgroup, term, col="estimate", analysis=None):
        rows = est[(est["model"] == model) & (est["subgroup"] == subgroup) & (est["term"] == term)]
        if analysis:
            rows = rows[rows["analysis"] == analysis]
        assert len(rows) == 1, (model, subgroup, term)
        return float(rows.iloc[0][col])

    out = {
        f"who5_mean_{w}": get("wave_mean", f"wave:{w}", "mean") for w in ("foer", "efter", "3mdr")
    }
    for w in ("efter", "3mdr"):
        for key, col in (
            ("", "estimate"),
            ("_low", "conf_low"),
            ("_high", "conf_high"),
            ("_n", "n_persons"),
        ):
            out[f"who5_change_{w}{key}"] = get(
                "paired_change", f"wave:foer-{w}", "mean_difference", col
            )
    out["who5_ipw_3mdr"] = get("ipw_mean", "wave:3mdr", "mean")
    for k in ("pre", "post"):
        for key, col in (
            ("_change", "estimate"),
            ("_low", "conf_low"),
            ("_high", "conf_high"),
            ("_n", "n_persons"),
        ):
            out[f"register_{k}{key}"] = get(f"two_point_{k}", "all", "change", col)
        out[f"register_{k}_slope"] = get(f"weekly_{k}", "all", "slope")
    return out


def test_the_resume_of_a_full_run_shows_its_estimates(full_run):
    r = summary.build(full_run.run_dir)
    assert set(r.paragraphs) == set(summary.PARAGRAPHS)
    for key, value in expected_values(full_run.run_dir).items():
        assert r.values[key] == pytest.approx(value), key
    enrol = pd.read_csv(full_run.run_dir / "tables" / "enrolment.csv").set_index("Opgørelse")
    assert r.values["persons"] == enrol.loc["Personer (den tællende tilmelding)", "I alt, antal"]
    checks = pd.read_csv(full_run.run_dir / "tables" / "consistency_checks.csv")
    assert r.values["checks_total"] == len(checks)
    # the executed notebook shows the same text under the labels the report embeds
    import nbformat

    nb = nbformat.read(full_run.run_dir / "notebooks" / "90_summary.ipynb", as_version=4)
    shown = {
        c.source.splitlines()[0]: c.outputs[0]["data"]["text/markdown"]
        for c in nb.cells
        if c.cell_type == "code" and c.source.startswith("#| label:")
    }
    f = findings.build(full_run.run_dir)
    expected = {
        "#| label: txt-resume": f.resume_markdown,
        "#| label: txt-key-figures": r.key_figures_markdown,
    }
    expected |= {
        f"#| label: txt-finding-{k.replace('_', '-')}": f.section(k) for k in findings.SECTIONS
    }
    assert shown == expected


@pytest.fixture(scope="module")
def other_run(tmp_path_factory):
    """A second run on other demo data (seed 8): only the notebooks the WHO-5 and register
    paragraphs need, and no report, to keep it short."""
    tmp = tmp_path_factory.mktemp("run8")
    data = generate_demo_data(tmp / "demo", seed=8, scale=0.5)
    params = yaml.safe_load((REPO_ROOT / "params" / "default.yaml").read_text(encoding="utf-8"))
    params["notebooks"] = ["20_who5", "30_register_regressions", "40_subgroup_models"]
    (tmp / "params.yaml").write_text(yaml.safe_dump(params, allow_unicode=True), encoding="utf-8")
    return runner.run(
        tmp / "params.yaml", data_dir=str(data), out_root=tmp / "out", render=False, quiet=True
    )


def test_the_resume_follows_the_data(full_run, other_run):
    first, second = summary.build(full_run.run_dir), summary.build(other_run.run_dir)
    expected = expected_values(other_run.run_dir)
    for key, value in expected.items():
        assert second.values[key] == pytest.approx(value), key
    # no number is a literal: the results differ between the two data sets, except those the demo
    # generator calibrates to the published report whatever the seed (the WHO-5 wave means and the
    # completers' two-point register changes; tpj_helpers/synthetic/calibration.yaml)
    calibrated = {
        "who5_mean_foer",
        "who5_mean_efter",
        "who5_mean_3mdr",
        "register_pre_change",
        "register_post_change",
    }
    differ = [k for k in expected if k not in calibrated and not k.endswith("_n")]
    assert len(differ) >= 12
    for key in differ:
        assert second.values[key] != pytest.approx(first.values[key], rel=1e-6), key
    assert first.paragraphs["who5"] != second.paragraphs["who5"]
    assert first.paragraphs["register"] != second.paragraphs["register"]
    # a run without the data-quality and survey notebooks: those paragraphs are left out
    assert set(second.paragraphs) == {"who5", "register", "subgroups"}
