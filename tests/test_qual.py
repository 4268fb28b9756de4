"""The qualitative material (contract section 6): the reader, its contract checks, REFI-QDA, demo."""

from __future__ import annotations

import csv
import re
import zipfile
from collections import Counter
from pathlib import Path
from xml.etree import ElementTree as ET

import pandas as pd
import pytest
import yaml

from tpj_helpers.data.contract import ContractError
from tpj_helpers.data.qual import QDA_NS, ROLES, load_qual
from tpj_helpers.synthetic.generate import generate_demo_data
from tpj_helpers.synthetic.qual import make_qual

SEED = 2025
DEEP = ("Aalborg", "Frederikshavn", "Stevns", "Viborg")

# --------------------------------------------------------------------------- a hand-made folder

KURSIST = """\
---
interview_id: k1
role: kursist
kommune: Viborg
date: 2024-11-05
deep_dive: false
---

I: Hvordan var det at være med online?

R: Det var trygt hjemmefra.

I: Og handleplanerne?

R: Dem bruger jeg stadig.
"""

LEDER = """\
---
interview_id: l1
role: leder
kommune:
date: '2025-01-20'
deep_dive: true
---
I: Hvad er succes?

R: Job eller uddannelse.
"""

CODEBOOK = """\
codes:
  - code: format
    label: Format
    definition: Kursets format.
    children:
      - code: online
        label: Onlineformat
        definition: Deltagelse hjemmefra.
  - code: redskaber
    label: Redskaber
    definition: Mestringsredskaber.
    children:
      - code: handleplaner
        label: Handleplaner
        definition: Små konkrete mål.
"""

SEGMENTS = """\
interview_id,segment_id,text,codes
k1,k1-1,Det var trygt hjemmefra.,format/online
k1,k1-2,Dem bruger jeg stadig.,redskaber/handleplaner;format
l1,l1-1,Job eller uddannelse.,
"""


def write_folder(
    root: Path,
    interviews: dict[str, str] | None = None,
    codebook: str = CODEBOOK,
    segments: str = SEGMENTS,
) -> Path:
    folder = root / "qual" / "interviews"
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in (interviews or {"k1.md": KURSIST, "l1.md": LEDER}).items():
        (folder / name).write_text(text, encoding="utf-8")
    if codebook is not None:
        (root / "qual" / "codebook.yaml").write_text(codebook, encoding="utf-8")
    if segments is not None:
        (root / "qual" / "segments.csv").write_text(segments, encoding="utf-8")
    return root


def test_absent_folder_gives_none(tmp_path):
    assert load_qual(tmp_path) is None


def test_reads_a_markdown_folder(tmp_path):
    q = load_qual(write_folder(tmp_path))
    assert q.source == "markdown"
    iv = q.interviews.set_index("interview_id")
    assert list(q.interviews.columns) == [
        "interview_id",
        "role",
        "kommune",
        "date",
        "deep_dive",
        "text",
        "path",
    ]
    assert iv.loc["k1", "role"] == "kursist" and iv.loc["k1", "kommune"] == "Viborg"
    assert iv.loc["l1", "kommune"] == ""  # empty front matter value
    assert pd.api.types.is_datetime64_any_dtype(q.interviews["date"])
    assert iv.loc["k1", "date"] == pd.Timestamp("2024-11-05")
    assert iv.loc["l1", "date"] == pd.Timestamp("2025-01-20")  # a quoted ISO date works too
    assert q.interviews["deep_dive"].dtype == bool
    assert not iv.loc["k1", "deep_dive"] and iv.loc["l1", "deep_dive"]
    assert iv.loc["k1", "text"].startswith("I: Hvordan var det") and iv.loc["k1", "text"].endswith(
        "stadig."
    )
    assert "---" not in iv.loc["l1", "text"] and Path(iv.loc["l1", "path"]).name == "l1.md"

    book = q.codebook.set_index("code")
    assert list(book.index) == ["format", "format/online", "redskaber", "redskaber/handleplaner"]
    assert book.loc["format/online", "parent"] == "format" and book.loc["format", "parent"] == ""
    assert book.loc["redskaber/handleplaner", "label"] == "Handleplaner"
    assert book.loc["format/online", "definition"] == "Deltagelse hjemmefra."

    seg = q.segments.set_index("segment_id")
    assert list(q.segments.columns) == ["interview_id", "segment_id", "text", "codes"]
    assert seg.loc["k1-2", "codes"] == ["redskaber/handleplaner", "format"]
    assert seg.loc["k1-1", "text"] == "Det var trygt hjemmefra."
    assert seg.loc["l1-1", "codes"] == []


# --------------------------------------------------------------------------- contract violations


def _broken(field: str, old: str, new: str) -> dict[str, str]:
    return {"k1.md": KURSIST.replace(old, new), "l1.md": LEDER}


@pytest.mark.parametrize(
    ("interviews", "codebook", "segments", "file", "field"),
    [
        (_broken("date", "date: 2024-11-05\n", ""), CODEBOOK, SEGMENTS, "k1.md", "date"),
        (_broken("date", "2024-11-05", "5. november"), CODEBOOK, SEGMENTS, "k1.md", "date"),
        (_broken("role", "role: kursist", "role: borger"), CODEBOOK, SEGMENTS, "k1.md", "role"),
        (
            _broken("deep_dive", "deep_dive: false", "deep_dive: måske"),
            CODEBOOK,
            SEGMENTS,
            "k1.md",
            "deep_dive",
        ),
        (
            _broken("interview_id", "interview_id: k1", "interview_id: 17"),
            CODEBOOK,
            SEGMENTS,
            "k1.md",
            "interview_id",
        ),
        (
            {"k1.md": KURSIST, "l1.md": LEDER.replace("interview_id: l1", "interview_id: k1")},
            CODEBOOK,
            SEGMENTS,
            "interviews",
            "interview_id",
        ),
        (None, CODEBOOK, SEGMENTS.replace("l1,l1-1", "x9,l1-1"), "segments.csv", "interview_id"),
        (
            None,
            CODEBOOK,
            SEGMENTS.replace("format/online", "format/video"),
            "segments.csv",
            "codes",
        ),
        (None, CODEBOOK, SEGMENTS.replace("k1-2", "k1-1"), "segments.csv", "segment_id"),
        (
            None,
            CODEBOOK,
            SEGMENTS.replace("interview_id,", "interview,"),
            "segments.csv",
            "interview_id",
        ),
        (None, CODEBOOK.replace("    label: Format\n", ""), SEGMENTS, "codebook.yaml", "label"),
        (
            None,
            CODEBOOK.replace("        definition: Små konkrete mål.\n", ""),
            SEGMENTS,
            "codebook.yaml",
            "definition",
        ),
        (None, CODEBOOK + CODEBOOK.replace("codes:\n", ""), SEGMENTS, "codebook.yaml", "code"),
    ],
)
def test_contract_violations_name_file_and_field(
    tmp_path, interviews, codebook, segments, file, field
):
    write_folder(tmp_path, interviews, codebook, segments)
    with pytest.raises(ContractError) as err:
        load_qual(tmp_path)
    msg = str(err.value)
    assert file in msg and f"'{field}'" in msg, msg


def test_missing_front_matter(tmp_path):
    write_folder(tmp_path, {"k1.md": "I: Hej\n\nR: Hej\n", "l1.md": LEDER})
    with pytest.raises(ContractError, match=r"k1\.md.*\n.*front matter"):
        load_qual(tmp_path)


def test_missing_codebook(tmp_path):
    write_folder(tmp_path, codebook=None)
    with pytest.raises(ContractError, match=r"codebook\.yaml"):
        load_qual(tmp_path)


# --------------------------------------------------------------------------- REFI-QDA


TEXT_K1 = "I: Hvordan var det?\nR: Det var trygt hjemmefra, og så bruger jeg handleplanerne."
TEXT_L1 = "I: Hvad er succes?\nR: Job eller uddannelse. Og at koordinatoren driver det."


def _q(tag: str) -> str:
    return f"{{{QDA_NS}}}{tag}"


def build_qdpx(path: Path, bad_ref: bool = False) -> Path:
    """A small REFI-QDA project (standard 1.0): nested codes, two sources, coded selections."""
    ET.register_namespace("", QDA_NS)
    project = ET.Element(_q("Project"), {"name": "TPJ test", "origin": "test"})
    codes = ET.SubElement(ET.SubElement(project, _q("CodeBook")), _q("Codes"))
    fmt = ET.SubElement(
        codes, _q("Code"), {"guid": "c-format", "name": "format", "isCodable": "true"}
    )
    ET.SubElement(fmt, _q("Description")).text = "Kursets format."
    online = ET.SubElement(
        fmt, _q("Code"), {"guid": "c-online", "name": "online", "isCodable": "true"}
    )
    ET.SubElement(online, _q("Description")).text = "Deltagelse hjemmefra."
    ET.SubElement(
        codes, _q("Code"), {"guid": "c-plan", "name": "handleplaner", "isCodable": "true"}
    )
    org = ET.SubElement(
        codes, _q("Code"), {"guid": "c-org", "name": "organisering", "isCodable": "false"}
    )
    ET.SubElement(org, _q("Code"), {"guid": "c-koord", "name": "koordinator", "isCodable": "true"})
    sources = ET.SubElement(project, _q("Sources"))

    def source(
        guid: str, name: str, text: str, selections: list[tuple[str, str, list[str]]]
    ) -> None:
        src = ET.SubElement(
            sources,
            _q("TextSource"),
            {"guid": guid, "name": name, "plainTextPath": f"internal://{guid}.txt"},
        )
        for sel_guid, span, refs in selections:
            start = text.index(span)
            sel = ET.SubElement(
                src,
                _q("PlainTextSelection"),
                {
                    "guid": sel_guid,
                    "name": span[:20],
                    "startPosition": str(start),
                    "endPosition": str(start + len(span)),
                },
            )
            for ref in refs:
                coding = ET.SubElement(sel, _q("Coding"), {"guid": f"{sel_guid}-{ref}"})
                ET.SubElement(coding, _q("CodeRef"), {"targetGUID": ref})

    source(
        "s-k1",
        "k1.txt",
        TEXT_K1,
        [
            ("sel-1", "Det var trygt hjemmefra", ["c-online"]),
            ("sel-2", "så bruger jeg handleplanerne.", ["c-plan", "c-format"]),
        ],
    )
    source(
        "s-l1",
        "l1",
        TEXT_L1,
        [("sel-3", "koordinatoren driver det", ["nope" if bad_ref else "c-koord"])],
    )
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("project.qde", ET.tostring(project, encoding="utf-8", xml_declaration=True))
        zf.writestr("sources/s-k1.txt", TEXT_K1.encode("utf-8"))
        zf.writestr("sources/s-l1.txt", TEXT_L1.encode("utf-8"))
    return path


def test_reads_a_refi_qda_export(tmp_path):
    write_folder(tmp_path, codebook=None, segments=None)
    build_qdpx(tmp_path / "qual" / "projekt.qdpx")
    q = load_qual(tmp_path)
    assert q.source == "qdpx"
    book = q.codebook.set_index("code")
    assert list(book.index) == [
        "format",
        "format/online",
        "handleplaner",
        "organisering",
        "organisering/koordinator",
    ]
    assert book.loc["format/online", "parent"] == "format"
    assert book.loc["format/online", "label"] == "online"
    assert book.loc["format/online", "definition"] == "Deltagelse hjemmefra."
    assert book.loc["handleplaner", "definition"] == ""
    seg = q.segments.set_index("segment_id")
    assert list(seg.index) == ["sel-1", "sel-2", "sel-3"]
    assert seg.loc["sel-1", "interview_id"] == "k1" and seg.loc["sel-3", "interview_id"] == "l1"
    assert seg.loc["sel-1", "text"] == "Det var trygt hjemmefra"
    assert seg.loc["sel-2", "text"] == "så bruger jeg handleplanerne."
    assert seg.loc["sel-2", "codes"] == ["handleplaner", "format"]
    assert seg.loc["sel-3", "codes"] == ["organisering/koordinator"]
    assert set(q.interviews["interview_id"]) == {"k1", "l1"}


def test_refi_qda_unknown_code_reference(tmp_path):
    write_folder(tmp_path, codebook=None, segments=None)
    build_qdpx(tmp_path / "qual" / "projekt.qdpx", bad_ref=True)
    with pytest.raises(ContractError, match=r"project\.qde(.|\n)*'CodeRef targetGUID'(.|\n)*nope"):
        load_qual(tmp_path)


def test_refi_qda_and_segments_together_is_an_error(tmp_path):
    write_folder(tmp_path)
    build_qdpx(tmp_path / "qual" / "projekt.qdpx")
    with pytest.raises(ContractError, match="not both"):
        load_qual(tmp_path)


# --------------------------------------------------------------------------- the demo material


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    return generate_demo_data(tmp_path_factory.mktemp("demo"), seed=SEED)


def _front(path: Path) -> tuple[dict, str]:
    _, head, body = path.read_text(encoding="utf-8").split("---\n", 2)
    return yaml.safe_load(head), body


def _codes(entries, parent=""):
    for e in entries:
        code = f"{parent}/{e['code']}" if parent else str(e["code"])
        assert e["label"].strip() and e["definition"].strip(), code
        yield code
        yield from _codes(e.get("children", []), code)


def test_demo_material_follows_the_contract(demo):
    folder = demo / "qual"
    fronts = {}
    for path in sorted((folder / "interviews").glob("*.md")):
        front, body = _front(path)
        assert set(front) == {"interview_id", "role", "kommune", "date", "deep_dive"}
        assert front["role"] in ROLES
        assert isinstance(front["deep_dive"], bool)
        assert front["kommune"] is None or isinstance(front["kommune"], str)
        assert hasattr(front["date"], "isoformat")
        assert front["interview_id"] not in fronts
        fronts[front["interview_id"]] = (front, body)
        assert body.lstrip().startswith("I: ")
        assert 250 <= len(body.split()) <= 520, (path.name, len(body.split()))
    book = yaml.safe_load((folder / "codebook.yaml").read_text(encoding="utf-8"))
    codes = list(_codes(book["codes"]))
    assert len(codes) == len(set(codes))
    for axis in ("naerhed", "relevans", "udbytte"):
        assert {f"persona/{axis}/{n}" for n in range(1, 6)} <= set(codes)
    with (folder / "segments.csv").open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == ["interview_id", "segment_id", "text", "codes"]
        rows = list(reader)
    assert len({r["segment_id"] for r in rows}) == len(rows)
    for r in rows:
        assert r["interview_id"] in fronts
        assert r["text"] and r["text"] in fronts[r["interview_id"]][1]  # a turn of the transcript
        assert r["codes"] and set(r["codes"].split(";")) <= set(codes)
    # one persona rating per axis for every coordinator, leader and participant interview
    persona = Counter()
    for r in rows:
        for c in r["codes"].split(";"):
            if c.startswith("persona/"):
                persona[(r["interview_id"], c.split("/")[1])] += 1
    for iid, (front, _) in fronts.items():
        for axis in ("naerhed", "relevans", "udbytte"):
            expected = 1 if front["role"] in {"kursist", "koordinator", "leder"} else 0
            assert persona[(iid, axis)] == expected, (iid, axis)


def test_demo_counts_per_role_and_municipality(demo):
    fronts = [_front(p)[0] for p in (demo / "qual" / "interviews").glob("*.md")]
    roles = Counter(f["role"] for f in fronts)
    assert roles == {
        "kursist": 10,
        "koordinator": 10,
        "instruktoer": 4,
        "fokusgruppe": 4,
        "leder": 4,
    }
    deep = [f for f in fronts if f["deep_dive"]]
    assert Counter((f["kommune"], f["role"]) for f in deep) == {
        (k, r): 1 for k in DEEP for r in ("fokusgruppe", "leder")
    }
    assert all(
        not f["deep_dive"] for f in fronts if f["role"] in {"kursist", "koordinator", "instruktoer"}
    )
    assert all(f["kommune"] for f in fronts if f["role"] != "instruktoer")


def test_demo_transcripts_read_like_interviews_with_identifying_details(demo):
    bodies = [_front(p)[1] for p in sorted((demo / "qual" / "interviews").glob("*.md"))]
    assert len(set(bodies)) == len(bodies)
    text = "\n".join(bodies)
    assert re.search(r"\b\d{2} \d{2} \d{2} \d{2}\b", text)  # a phone number
    assert re.search(r"\b\w+(vej|gade|stræde) \d+", text)  # a street address
    assert re.search(r"\b\d{2} år\b", text)  # an age
    for filler in ("øhm", "altså", "hvad skal man sige"):
        assert filler in text.lower()
    focus = _front(demo / "qual" / "interviews" / "fokusgruppe_aalborg.md")[1]
    assert "\nK: " in focus and "\nS1: " in focus


def test_demo_reads_with_the_reader_and_shows_the_pattern(demo):
    q = load_qual(demo)
    assert q.source == "markdown" and len(q.interviews) == 32
    seg = q.segments.merge(q.interviews[["interview_id", "role"]]).explode("codes")
    by_role = seg.groupby(["codes", "role"]).size()
    # participants talk about the format and the peer instructors, coordinators about registration
    assert by_role.get(("format/online", "kursist"), 0) >= 8
    assert by_role.get(("instruktoer/egen_erfaring", "kursist"), 0) >= 8
    assert by_role.get(("organisering/registrering", "koordinator"), 0) >= 8
    assert by_role.get(("organisering/registrering", "kursist"), 0) == 0
    assert by_role.get(("beskaeftigelse/succeskriterier", "leder"), 0) == 4


def test_demo_material_is_deterministic_by_seed(tmp_path, demo):
    again = make_qual(tmp_path / "again", SEED)
    for p in sorted((demo / "qual").rglob("*.*")):
        assert (again / p.relative_to(demo / "qual")).read_bytes() == p.read_bytes(), p.name
    other = make_qual(tmp_path / "other", SEED + 1)
    assert (other / "segments.csv").read_bytes() != (demo / "qual" / "segments.csv").read_bytes()
