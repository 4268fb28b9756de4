"""A tiny, hand-made data folder in the shape of the data contract, and tools to break it.

The folder is small enough to check every derived number by hand (see the comments). It is used by
`test_loaders.py` and `test_dream.py`.

Holds (all Mondays): P1 2024-03-04 (pilot), P2 2024-04-08 (cancelled), U1 2024-08-05 (= 2024-W32),
U2 2025-01-06 (after the end of the DREAM extract), U3 2024-08-12 (= 2024-W33, the last extract
week).

Persons:
    p01  U1, completed, born 2000 (age 24 in 2024 -> "Under 25"), consents
    p02  withdrawn on P1, then completed on U1 -> counts on U1; born 1969 (55 -> "46-55")
    p03  P1, completed, born 1989 (35 -> "25-35")
    p04  U1, completed, born 1968 (56 -> "Over 55"), NO register consent
    p05  in the DREAM extract only: never enrolled
    p06  U2 (starts 2025, after the extract), born 2000: age 25 at the hold's start year
         (2025 -> "25-35"; registration and enrolment are in 2024, where the age would be 24)
    p07  withdrawn on P1, withdrawn again on U3 -> counts on U3 (the latest); born 1988 (36)
    p08  U1, completed, consents, no birth year; not in the DREAM extract
    p09  U1, withdrawn, no registration at all
    p10  registered but never enrolled
"""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

HOLDS = """\
hold_id,phase,start_date,n_weeks,status,time_slot
P1,pilot,2024-03-04,8,afholdt,11:00
P2,pilot,2024-04-08,8,aflyst,14:00
U1,udbredelse,2024-08-05,7,afholdt,11:00
U2,udbredelse,2025-01-06,7,afholdt,14:00
U3,udbredelse,2024-08-12,7,afholdt,11:00
"""

ENROLMENTS = """\
person_id,hold_id,kommune,enrolled_date,status,withdrawn_date,withdrawal_reason
p01,U1,Aalborg,2024-07-01,gennemført,,
p02,P1,Aarhus,2024-02-19,afmeldt,2024-03-11,sygdom
p02,U1,Aarhus,2024-07-02,gennemført,,
p03,P1,Odense,2024-02-20,gennemført,,
p04,U1,Aalborg,2024-07-03,gennemført,,
p06,U2,Næstved,2024-08-01,gennemført,,
p07,P1,Næstved,2024-02-21,afmeldt,2024-03-04,job
p07,U3,Næstved,2024-07-04,afmeldt,2024-08-19,sygdom
p08,U1,Odense,2024-07-05,gennemført,,
p09,U1,Odense,2024-07-05,afmeldt,2024-07-20,andet
"""

REGISTRATIONS = """\
person_id,kommune,visitation,gender,birth_year,consent_register,consent_survey,registered_date
p01,Aalborg,akt_kontanthjaelp,kvinde,2000,ja,ja,2024-07-01
p02,Aarhus,ressourceforloeb,mand,1969,ja,nej,2024-02-19
p03,Odense,akt_uddannelseshjaelp,kvinde,1989,ja,ja,2024-02-20
p04,Aalborg,andet,mand,1968,nej,ja,2024-07-03
p06,Næstved,,,2000,ja,ja,2024-08-01
p07,Næstved,akt_kontanthjaelp,,1988,ja,nej,2024-02-21
p08,Odense,akt_kontanthjaelp,kvinde,,ja,ja,2024-07-05
p10,Aarhus,andet,mand,1980,ja,ja,2024-06-01
"""

# Weeks 2024-W28 .. 2024-W33 (Mondays 07-08, 07-15, 07-22, 07-29, 08-05, 08-12). The week of
# 2024-W31 starts on Monday 29 July but its Thursday is 1 August: it belongs to August.
DREAM = """\
person_id,y_2428,y_2429,y_2430,y_2431,y_2432,y_2433,grad_2024_07,grad_2024_08
p01,130,130,710,,,210,,0.5
p02,999,999,,,720,111,0.3,0
p03,135,140,,510,610,320,,
p04,888,888,130,130,130,130,,
p05,130,130,130,130,130,130,,
p06,777,,,,,,,
p07,,,,,130,220,,
"""

FILES = {
    "holds": HOLDS,
    "enrolments": ENROLMENTS,
    "registrations": REGISTRATIONS,
    "dream": DREAM,
}


def write_folder(folder: Path, **overrides: str) -> Path:
    """Write the minimal valid folder (CSV) into `folder`; `overrides` replace files by stem.

    `write_folder(tmp_path, holds=edit(HOLDS, 3, "n_weeks", "syv"))` writes a folder whose
    holds.csv has "syv" in row 3 (spreadsheet numbering, header = row 1).
    """
    folder.mkdir(parents=True, exist_ok=True)
    for stem, text in {**FILES, **overrides}.items():
        (folder / f"{stem}.csv").write_text(text, encoding="utf-8")
    return folder


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def to_text(rows: list[list[str]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


def edit(text: str, row: int, column: str, value: str) -> str:
    """Set one cell of a CSV text; `row` in spreadsheet numbering (the header is row 1)."""
    rows = rows_of(text)
    rows[row - 1][rows[0].index(column)] = value
    return to_text(rows)


def drop_column(text: str, column: str) -> str:
    rows = rows_of(text)
    i = rows[0].index(column)
    return to_text([r[:i] + r[i + 1 :] for r in rows])


def add_row(text: str, line: str) -> str:
    return text + line.rstrip("\n") + "\n"


def fingerprint(folder: Path) -> dict[str, tuple[int, str]]:
    """mtime (ns) and sha256 of every file under `folder`."""
    return {
        str(p.relative_to(folder)): (
            p.stat().st_mtime_ns,
            hashlib.sha256(p.read_bytes()).hexdigest(),
        )
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def write_survey_wave(folder: Path, wave: str, rows: list[dict], codebook) -> None:
    """A survey wave file with every item column of the wave in `codebook` (empty unless given)."""
    header = [
        "person_id",
        "submitted_at",
        "complete",
        *(it.id for it in codebook.items_for_wave(wave)),
    ]
    with (folder / f"survey_{wave}.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=header, restval="")
        writer.writeheader()
        sent = _sent_dates(folder, wave)
        for row in rows:
            # on the day of the person's invitation when the dispatch is known (questionnaires far
            # from their dispatch are left out, issue 13)
            at = (
                f"{sent[row['person_id']]} 10:00:00"
                if row.get("person_id") in sent
                else "2024-08-04 10:00:00"
            )
            writer.writerow({"submitted_at": at, **row})


def _sent_dates(folder: Path, wave: str) -> dict[str, str]:
    path = folder / "survey_dispatch.csv"
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8", newline="") as fh:
        return {r["person_id"]: r["sent_date"] for r in csv.DictReader(fh) if r["wave"] == wave}


def run_notebooks_on(data_dir: Path, tmp: Path, notebooks: list[str], **overrides):
    """`tpj run` (no render) of `notebooks` on `data_dir` with the default parameters and
    `overrides`; no final notebooks unless asked. Returns the runner's RunResult."""
    import yaml

    from tpj_helpers.paths import REPO_ROOT
    from tpj_helpers.run import runner

    params = yaml.safe_load((REPO_ROOT / "params" / "default.yaml").read_text(encoding="utf-8"))
    if "final_notebooks" in params:
        params["final_notebooks"] = []
    # notebook tests may leave out a wave file on purpose (the gate is tested in test_adversarial)
    params.update(
        data_dir=str(data_dir), notebooks=notebooks, allow_missing_waves=True, **overrides
    )
    path = tmp / "params.yaml"
    path.write_text(yaml.safe_dump(params, allow_unicode=True), encoding="utf-8")
    return runner.run(path, out_root=tmp / "out", render=False, quiet=True)


def write_survey_dispatch(folder: Path, rows) -> None:
    """`survey_dispatch.csv` from (person_id, wave, sent_date) rows."""
    with (folder / "survey_dispatch.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([("person_id", "wave", "sent_date"), *rows])
