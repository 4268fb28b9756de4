"""The demo data beside the published evaluation: a Markdown table for notes and reviews.

    .venv/bin/python -m tpj_helpers.synthetic.calibration_report [--run output/latest]
        [--reference ../shared/reference/report-figures.yaml]

Published values come from the transcribed figures (`report-figures.yaml`, outside this
repository), demo values from the demo data through the project's own loaders
(`load_data("demo")`) and from a run folder's `tables/response.csv` and `results/estimates.csv`.
Nothing here is used by a report; the calibration tests are in `tests/test_synthetic.py`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
import yaml

from tpj_helpers.data.study import REPO_ROOT, load_data

DEFAULT_REFERENCE = REPO_ROOT.parent / "shared" / "reference" / "report-figures.yaml"
AGE_GROUPS = {
    "under 25": "Under 25",
    "26-35": "25-35",
    "36-45": "36-45",
    "46-55": "46-55",
    "over 55": "Over 55",
}
VISITATION = ("akt_kontanthjaelp", "akt_uddannelseshjaelp", "ressourceforloeb", "andet")
SUBGROUPS = {  # report-figures.yaml key -> estimates.csv subgroup
    "all_completers": "all",
    "kvinde": "gender:kvinde",
    "mand": "gender:mand",
    "under 25": "age_group:Under 25",
    "25-35": "age_group:25-35",
    "36-45": "age_group:36-45",
    "46-55": "age_group:46-55",
    "over 55": "age_group:Over 55",
    "akt_kontanthjaelp": "visitation:akt_kontanthjaelp",
    "akt_uddannelseshjaelp": "visitation:akt_uddannelseshjaelp",
    "ressourceforloeb": "visitation:ressourceforloeb",
    "pilot": "phase:pilot",
    "udbredelse": "phase:udbredelse",
    "dropped": "status:afmeldt",
}


def _join(values) -> str:
    return "/".join(str(v) for v in values)


def calibration_rows(data, run_dir: Path, ref: dict) -> list[tuple[str, str, str]]:
    """(figure, published, demo) rows."""
    rows: list[tuple[str, str, str]] = []
    h, p = data.holds, data.persons
    held = h[h["status"] == "afholdt"]
    enr = data.enrolments.merge(h[["hold_id", "phase"]], on="hold_id")
    phases = ("pilot", "udbredelse")
    e = ref["enrolment"]
    rows.append(
        (
            "Hold afholdt (pilot/udbredelse)",
            _join(e["holds"][k] for k in phases),
            _join((held["phase"] == k).sum() for k in phases),
        )
    )
    rows.append(
        ("Aflyste hold", str(len(e["cancelled_holds"])), str((h["status"] == "aflyst").sum()))
    )
    rows.append(
        (
            "Tilmeldinger (pilot/udbredelse/i alt)",
            _join([*(e["participants"][k] for k in phases), e["participants"]["total"]]),
            _join([*((enr["phase"] == k).sum() for k in phases), len(enr)]),
        )
    )
    for key, status in (("completed", "gennemført"), ("dropped", "afmeldt")):
        rows.append(
            (
                f"{status.capitalize()} (pilot/udbredelse)",
                _join(e[key][k] for k in phases),
                _join(((enr["phase"] == k) & (enr["status"] == status)).sum() for k in phases),
            )
        )
    per_hold = enr.groupby("hold_id").size()
    order = held.sort_values(["start_date", "hold_id"])["hold_id"]
    demo = [int(per_hold.get(x, 0)) for x in order]
    rows.append(
        (
            "Tilmeldte pr. hold (Bilag 1, i holdrækkefølge)",
            f"{len(demo)} hold",
            "identiske" if demo == e["enrolled_per_hold"] else _join(demo),
        )
    )
    r = ref["registrations"]
    rows.append(
        ("Uden registrering", str(r["without_registration"]), str((~p["registered"]).sum()))
    )
    reg = r["with_registration"]
    rows.append(
        (
            "Registrerede",
            f"{reg['tabel_3']} / {reg['tabel_5']} (uoverensstemmende)",
            str(p["registered"].sum()),
        )
    )
    s = ref["register_sample"]
    consent = p[p["consent_register"]]
    rows.append(
        (
            "Registersamtykke (gennemført/afmeldt)",
            f"{s['n']} ({s['completed']}/{s['dropped']})",
            f"{len(consent)} ({(consent['status'] == 'gennemført').sum()}/"
            f"{(consent['status'] == 'afmeldt').sum()})",
        )
    )
    rows.append(
        (
            "Samtykke: køn (mand/kvinde)",
            _join(s["gender"][k] for k in ("mand", "kvinde")),
            _join((consent["gender"] == k).sum() for k in ("mand", "kvinde")),
        )
    )
    rows.append(
        (
            "Samtykke: alder",
            _join(s["age_group"][k] for k in AGE_GROUPS),
            _join((consent["age_group"] == v).sum() for v in AGE_GROUPS.values()),
        )
    )
    rows.append(
        (
            "Samtykke: visitation",
            _join(s["visitation"][k] for k in VISITATION),
            _join((consent["visitation"] == k).sum() for k in VISITATION),
        )
    )
    rows.append(
        ("Kommuner", str(ref["programme"]["municipalities_total"]), str(p["kommune"].nunique()))
    )

    from tpj_helpers.analysis.register_regressions import models as register

    t6, g = register.tabel6(data), ref["register"]
    rows.append(
        (
            "Tabel 6: N med data (-26/-1/efter/26)",
            _join(g["n_with_data"]),
            _join(int(x) for x in t6.n),
        )
    )
    rows.append(
        (
            "Tabel 6: gennemsnit",
            _join(f"{x:.2f}" for x in g["mean_score"]),
            _join(f"{x:.2f}" for x in t6.mean),
        )
    )
    same = all([int(x) for x in t6.counts.loc[k]] == v for k, v in g["distribution"].items())
    rows.append(
        (
            "Tabel 6: fordeling (12 scorer x 4 tidspunkter)",
            "48 celler",
            "identiske" if same else "afviger",
        )
    )
    response = pd.read_csv(run_dir / "tables" / "response.csv")
    waves = ("before", "after", "three_months")
    rows.append(
        (
            "Tabel 2: udsendt (før/efter/3 mdr)",
            _join(ref["survey"]["sent"][w] for w in waves),
            _join(response["Udsendt"]),
        )
    )
    rows.append(
        (
            "Tabel 2: fuldt besvaret",
            _join(ref["survey"]["completed"][w] for w in waves),
            _join(response["Fuldt besvaret"]),
        )
    )

    est = pd.read_csv(run_dir / "results" / "estimates.csv", dtype={"stars": str})

    def estimate(sub: str, model: str, term: str, decimals: int = 2) -> str:
        hit = est[(est["subgroup"] == sub) & (est["model"] == model) & (est["term"] == term)]
        if hit.empty:
            return "-"
        stars = hit["stars"].fillna("").iloc[0]
        return f"{hit['estimate'].iloc[0]:.{decimals}f}{stars}"

    for key, sub in SUBGROUPS.items():
        pre, post = g["two_point_models"][key]["pre"], g["two_point_models"][key]["post"]
        rows.append(
            (
                f"To-punkt {key}: ændring før / efter",
                f"{pre[2]:.2f}{pre[3]} / {post[2]:.2f}{post[3]}",
                f"{estimate(sub, 'two_point_pre', 'change')} / "
                f"{estimate(sub, 'two_point_post', 'change')}",
            )
        )
    for side in ("pre", "post"):
        w = g["weekly_models"][side]
        rows.append(
            (
                f"Ugemodel {side}: skæring / hældning",
                f"{w['intercept']} / {w['slope']}",
                f"{estimate('all', f'weekly_{side}', 'intercept')} / "
                f"{estimate('all', f'weekly_{side}', 'slope', 3)}",
            )
        )
    m = ref["who5"]["mean"]
    rows.append(
        (
            "WHO-5 gennemsnit (før/efter/3 mdr)",
            _join(m[k] for k in ("before", "after", "three_months")),
            _join(estimate(f"wave:{w}", "wave_mean", "mean") for w in ("foer", "efter", "3mdr")),
        )
    )
    return rows


def markdown(rows: list[tuple[str, str, str]]) -> str:
    lines = ["| figure | published | demo |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--run",
        type=Path,
        default=REPO_ROOT / "output" / "latest",
        help="a run folder on the demo data (default output/latest)",
    )
    ap.add_argument("--reference", type=Path, default=DEFAULT_REFERENCE)
    ap.add_argument("--seed", type=int, default=2025)
    args = ap.parse_args(argv)
    ref = yaml.safe_load(args.reference.read_text(encoding="utf-8"))
    print(markdown(calibration_rows(load_data("demo", demo_seed=args.seed), args.run, ref)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
