"""Reading the qualitative material (contract section 6) into frames, checked against the contract.

`load_qual(data_dir)` reads `data_dir/qual/`:

- `interviews/*.md`: one transcript per interview, a YAML front matter (`interview_id`, `role`,
  `kommune` or empty, `date`, `deep_dive`) and the speaker turns as body;
- the coding, either `codebook.yaml` (a list `codes:` of entries with `code`, `label`,
  `definition` and nested `children`; a child's full code is `parent/child`) plus
  `segments.csv` (`interview_id`, `segment_id`, `text`, `codes` `;`-separated), or one REFI-QDA
  project export `*.qdpx` (the exchange standard 1.0: a zip holding `project.qde`, XML in the
  namespace `urn:QDA-XML:project:1.0`, and the plain texts under `sources/`). From a `.qdpx` the
  code of a `<Code>` is the path of names from the top (`format/online`), its label the name and
  its definition the `<Description>`; a `<TextSource>` is matched to an interview by its name
  (without extension), and each `<PlainTextSelection>` is a segment whose text is the selected
  span `[startPosition, endPosition)` of the plain text, coded by its `<CodeRef>`s.

Everything that breaks the contract raises `ContractError` naming the file, the field or column,
the first offending rows or values and what was expected. Nothing here writes to the data folder.
"""

from __future__ import annotations

import contextlib
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree as ET

import pandas as pd
import yaml

from tpj_helpers.data.contract import (
    ContractError,
    Problem,
    find_source,
    problem_from_mask,
    raise_if_problems,
    read_table,
)

ROLES = ("kursist", "koordinator", "instruktoer", "sagsbehandler", "leder", "fokusgruppe")
FRONT_FIELDS = ("interview_id", "role", "kommune", "date", "deep_dive")
SEGMENT_COLUMNS = ("interview_id", "segment_id", "text", "codes")
QDA_NS = "urn:QDA-XML:project:1.0"
_FRONT = re.compile(r"\A\ufeff?---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)


@dataclass
class QualData:
    interviews: pd.DataFrame  # interview_id, role, kommune, date, deep_dive, text, path
    codebook: pd.DataFrame  # code, parent, label, definition
    segments: pd.DataFrame  # interview_id, segment_id, text, codes (list[str])
    source: str  # "markdown" or "qdpx"


# --------------------------------------------------------------------------- interviews


def _front_matter(path: Path) -> tuple[dict, str]:
    try:
        raw = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ContractError(path, [Problem("", expected="UTF-8 text")]) from None
    m = _FRONT.match(raw)
    if not m:
        raise ContractError(
            path,
            [
                Problem(
                    "",
                    expected="a YAML front matter between two '---' lines at the top of the file",
                )
            ],
        )
    try:
        front = yaml.safe_load(m.group(1))
    except yaml.YAMLError as exc:
        raise ContractError(
            path,
            [
                Problem(
                    "", expected="valid YAML in the front matter", found=[str(exc).splitlines()[0]]
                )
            ],
        ) from None
    if not isinstance(front, dict):
        raise ContractError(
            path, [Problem("", expected="a YAML mapping of fields in the front matter")]
        )
    return front, raw[m.end() :].strip()


def _check_front(path: Path, front: dict) -> dict:
    problems: list[Problem] = []
    for f in FRONT_FIELDS:
        if f not in front:
            problems.append(Problem(f, expected=f"the front matter field '{f}'"))
    raise_if_problems(path, problems)
    iid, role, kommune, day, deep = (front[f] for f in FRONT_FIELDS)
    if not isinstance(iid, str) or not iid.strip():
        problems.append(Problem("interview_id", expected="a non-empty text", found=[str(iid)]))
    if role not in ROLES:
        problems.append(Problem("role", expected="one of " + ", ".join(ROLES), found=[str(role)]))
    if kommune is not None and not isinstance(kommune, str):
        problems.append(
            Problem("kommune", expected="a municipality name or empty", found=[str(kommune)])
        )
    if isinstance(day, datetime):
        day = day.date()
    if isinstance(day, str):
        with contextlib.suppress(ValueError):
            day = date.fromisoformat(day.strip())
    if not isinstance(day, date):
        problems.append(Problem("date", expected="a date YYYY-MM-DD", found=[str(day)]))
    if not isinstance(deep, bool):
        problems.append(Problem("deep_dive", expected="true or false", found=[str(deep)]))
    raise_if_problems(path, problems)
    return {
        "interview_id": iid.strip(),
        "role": role,
        "kommune": (kommune or "").strip(),
        "date": pd.Timestamp(day),
        "deep_dive": deep,
    }


def read_interviews(folder: Path) -> pd.DataFrame:
    """The transcripts in `folder/*.md`, front matter checked, ids unique."""
    files = sorted(folder.glob("*.md")) if folder.is_dir() else []
    if not files:
        raise ContractError(
            folder, [Problem("", expected="one Markdown transcript (*.md) per interview")]
        )
    rows = []
    for path in files:
        front, body = _front_matter(path)
        rows.append({**_check_front(path, front), "text": body, "path": str(path)})
    df = pd.DataFrame(rows)
    dup = df["interview_id"].duplicated(keep=False)
    if dup.any():
        files_ = [Path(p).name for p in df.loc[dup, "path"]]
        raise ContractError(
            folder,
            [
                Problem(
                    "interview_id",
                    expected="a unique interview_id per transcript",
                    found=[
                        f"{i} ({f})"
                        for i, f in zip(df.loc[dup, "interview_id"], files_, strict=True)
                    ],
                )
            ],
        )
    df["date"] = pd.to_datetime(df["date"])
    df["deep_dive"] = df["deep_dive"].astype(bool)
    return df[["interview_id", "role", "kommune", "date", "deep_dive", "text", "path"]]


# --------------------------------------------------------------------------- codebook.yaml


def _flatten(entries, parent: str, path: Path, out: list[dict], problems: list[Problem]) -> None:
    if not isinstance(entries, list):
        problems.append(
            Problem(
                "children" if parent else "codes",
                expected="a list of code entries",
                found=[f"under '{parent or 'codes'}': {type(entries).__name__}"],
            )
        )
        return
    for e in entries:
        where = f"under '{parent}'" if parent else "at the top level"
        if not isinstance(e, dict):
            problems.append(
                Problem(
                    "code",
                    expected="an entry with code, label and definition",
                    found=[f"{where}: {e!r}"],
                )
            )
            continue
        name = e.get("code")
        if not isinstance(name, str | int) or not str(name).strip() or ";" in str(name):
            problems.append(
                Problem(
                    "code", expected="a non-empty code without ';'", found=[f"{where}: {name!r}"]
                )
            )
            continue
        name = str(name).strip().strip("/")
        code = f"{parent}/{name}" if parent else name
        # Older exports call the label `name`: both spellings are valid (data contract section 6).
        e = {**e, "label": e["label"] if "label" in e else e.get("name")}
        for f in ("label", "definition"):
            if not isinstance(e.get(f), str) or not e[f].strip():
                problems.append(
                    Problem(
                        f,
                        expected=f"a Danish {f} (or name) for every code"
                        if f == "label"
                        else f"a Danish {f} for every code",
                        found=[code],
                    )
                )
        out.append(
            {
                "code": code,
                "parent": code.rsplit("/", 1)[0] if "/" in code else "",
                "label": str(e.get("label") or "").strip(),
                "definition": str(e.get("definition") or "").strip(),
            }
        )
        if e.get("children") is not None:
            _flatten(e["children"], code, path, out, problems)


def read_codebook(path: Path) -> pd.DataFrame:
    """`codebook.yaml` as one row per code (nested codes flattened to `parent/child`)."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ContractError(
            path, [Problem("", expected="a UTF-8 YAML file", found=[str(exc).splitlines()[0]])]
        ) from None
    # `codes:` or, in older exports, `themes:` (both valid; both at once is ambiguous).
    entries = doc.get("codes", doc.get("themes")) if isinstance(doc, dict) else doc
    rows: list[dict] = []
    problems: list[Problem] = []
    if isinstance(doc, dict) and "codes" in doc and "themes" in doc:
        problems.append(
            Problem("codes", expected="one list of code entries, 'codes:' or 'themes:', not both")
        )
    elif entries is None:
        problems.append(Problem("codes", expected="a list 'codes:' (or 'themes:') of code entries"))
    else:
        _flatten(entries, "", path, rows, problems)
    book = pd.DataFrame(rows, columns=["code", "parent", "label", "definition"])
    dup = book["code"].duplicated()
    if dup.any():
        problems.append(
            Problem("code", expected="unique codes", found=book.loc[dup, "code"].tolist())
        )
    raise_if_problems(path, problems)
    return book


# --------------------------------------------------------------------------- segments.csv


def _split_codes(value) -> list[str]:
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return []
    return [c.strip() for c in str(value).split(";") if c.strip()]


def read_segments(path: Path) -> pd.DataFrame:
    df = read_table(path)
    missing = [c for c in SEGMENT_COLUMNS if c not in df.columns]
    raise_if_problems(path, [Problem(c, expected="the column to be present") for c in missing])
    raise_if_problems(
        path,
        [
            problem_from_mask(df, df[c].isna(), c, "a value in every row (no empty cells)")
            for c in ("interview_id", "segment_id", "text")
        ],
    )
    out = df[list(SEGMENT_COLUMNS)].astype(object)
    out["codes"] = [_split_codes(v) for v in out["codes"]]
    return out


# --------------------------------------------------------------------------- REFI-QDA (.qdpx)


def _tag(name: str) -> str:
    return f"{{{QDA_NS}}}{name}"


def read_qdpx(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A REFI-QDA project export as (codebook, segments); source names are the interview ids."""
    qde = f"{path}:project.qde"
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise ContractError(
            path, [Problem("", expected="a REFI-QDA project export (a zip archive)")]
        ) from None
    with zf:
        names = {n.lower(): n for n in zf.namelist()}
        if "project.qde" not in names:
            raise ContractError(path, [Problem("", expected="a file project.qde in the archive")])
        try:
            root = ET.fromstring(zf.read(names["project.qde"]))
        except ET.ParseError as exc:
            raise ContractError(
                qde, [Problem("", expected="well-formed XML", found=[str(exc)])]
            ) from None
        if root.tag != _tag("Project"):
            raise ContractError(
                qde,
                [Problem("", expected=f"a <Project> in the namespace {QDA_NS}", found=[root.tag])],
            )
        codes: list[dict] = []
        by_guid: dict[str, str] = {}
        problems: list[Problem] = []

        def walk(elem, parent: str) -> None:
            for c in elem.findall(_tag("Code")):
                name, guid = (c.get("name") or "").strip(), c.get("guid")
                if not name or not guid:
                    problems.append(
                        Problem(
                            "Code",
                            expected="a guid and a name on every <Code>",
                            found=[f"guid={guid!r} name={name!r}"],
                        )
                    )
                    continue
                code = f"{parent}/{name}" if parent else name
                desc = c.find(_tag("Description"))
                codes.append(
                    {
                        "code": code,
                        "parent": parent,
                        "label": name,
                        "definition": (desc.text or "").strip() if desc is not None else "",
                    }
                )
                by_guid[guid] = code
                walk(c, code)

        codes_elem = root.find(f"{_tag('CodeBook')}/{_tag('Codes')}")
        if codes_elem is None:
            problems.append(Problem("CodeBook", expected="<CodeBook><Codes>...</Codes></CodeBook>"))
        else:
            walk(codes_elem, "")
        segments: list[dict] = []
        for src in root.iter(_tag("TextSource")):
            sname = (src.get("name") or "").strip()
            interview_id = PurePosixPath(sname).stem if "." in sname else sname
            content = src.find(_tag("PlainTextContent"))
            text_path = src.get("plainTextPath") or ""
            if content is not None:
                text = content.text or ""
            elif text_path.startswith("internal://"):
                inner = "sources/" + text_path.removeprefix("internal://")
                if inner.lower() not in names:
                    problems.append(
                        Problem(
                            "plainTextPath",
                            expected="a plain text under sources/ in the archive",
                            found=[f"{sname}: {text_path}"],
                        )
                    )
                    continue
                text = zf.read(names[inner.lower()]).decode("utf-8-sig")
            else:
                problems.append(
                    Problem(
                        "plainTextPath",
                        expected="an internal:// plain text of the source",
                        found=[f"{sname}: {text_path!r}"],
                    )
                )
                continue
            for sel in src.findall(_tag("PlainTextSelection")):
                try:
                    start, end = int(sel.get("startPosition")), int(sel.get("endPosition"))
                except (TypeError, ValueError):
                    start = end = -1
                if not 0 <= start < end <= len(text):
                    problems.append(
                        Problem(
                            "PlainTextSelection",
                            expected="0 <= startPosition < endPosition "
                            "<= the length of the source text",
                            found=[f"{sname}: {sel.get('startPosition')}-{sel.get('endPosition')}"],
                        )
                    )
                    continue
                refs = [
                    r.get("targetGUID")
                    for cod in sel.findall(_tag("Coding"))
                    for r in cod.findall(_tag("CodeRef"))
                ]
                unknown = [g for g in refs if g not in by_guid]
                if unknown:
                    problems.append(
                        Problem(
                            "CodeRef targetGUID",
                            expected="the guid of a <Code> in the CodeBook",
                            found=[f"{sname}: {g}" for g in unknown],
                        )
                    )
                segments.append(
                    {
                        "interview_id": interview_id,
                        "segment_id": sel.get("guid") or f"{sname}:{start}",
                        "text": text[start:end].strip(),
                        "codes": list(dict.fromkeys(by_guid[g] for g in refs if g in by_guid)),
                    }
                )
        raise_if_problems(qde, problems)
    return (
        pd.DataFrame(codes, columns=["code", "parent", "label", "definition"]),
        pd.DataFrame(segments, columns=list(SEGMENT_COLUMNS)),
    )


# --------------------------------------------------------------------------- together


def _check_links(
    where: Path | str, interviews: pd.DataFrame, codebook: pd.DataFrame, segments: pd.DataFrame
) -> None:
    ids = set(interviews["interview_id"])
    known = set(codebook["code"])
    bad_code = segments["codes"].map(lambda cs: any(c not in known for c in cs))
    shown = segments.assign(
        unknown=segments["codes"].map(lambda cs: ";".join(c for c in cs if c not in known))
    )
    raise_if_problems(
        where,
        [
            problem_from_mask(
                segments,
                segments["segment_id"].duplicated(keep=False),
                "segment_id",
                "unique segment ids",
            ),
            problem_from_mask(
                segments,
                ~segments["interview_id"].isin(ids),
                "interview_id",
                "the interview_id of a transcript in qual/interviews/",
            ),
            problem_from_mask(
                shown, bad_code, "codes", "codes that are in the codebook", show="unknown"
            ),
        ],
    )


def load_qual(data_dir: Path | str) -> QualData | None:
    """The qualitative material of `data_dir/qual`, or None when the folder is absent."""
    folder = Path(data_dir) / "qual"
    if not folder.is_dir():
        return None
    interviews = read_interviews(folder / "interviews")
    qdpx = sorted(folder.glob("*.qdpx"))
    # segments may come in any tabular format of the contract (segments.csv, .xlsx, .sav, ...)
    segments_path = find_source(folder, "segments", required=False) or folder / "segments.csv"
    md_coding = [p for p in (folder / "codebook.yaml", segments_path) if p.is_file()]
    if qdpx and md_coding:
        raise ContractError(
            folder,
            [
                Problem(
                    "",
                    expected="either codebook.yaml + segments.csv or one "
                    "REFI-QDA export (*.qdpx), not both",
                    found=[p.name for p in md_coding + qdpx],
                )
            ],
        )
    if len(qdpx) > 1:
        raise ContractError(
            folder,
            [
                Problem(
                    "",
                    expected="at most one REFI-QDA export (*.qdpx)",
                    found=[p.name for p in qdpx],
                )
            ],
        )
    if qdpx:
        codebook, segments = read_qdpx(qdpx[0])
        _check_links(f"{qdpx[0]}:project.qde", interviews, codebook, segments)
        source = "qdpx"
    else:
        for p in (folder / "codebook.yaml", segments_path):
            if not p.is_file():
                raise ContractError(
                    p, [Problem("", expected="the file (or a REFI-QDA export *.qdpx instead)")]
                )
        codebook = read_codebook(folder / "codebook.yaml")
        segments = read_segments(segments_path)
        _check_links(segments_path, interviews, codebook, segments)
        source = "markdown"
    return QualData(
        interviews=interviews.reset_index(drop=True),
        codebook=codebook.reset_index(drop=True),
        segments=segments.reset_index(drop=True),
        source=source,
    )


__all__ = [
    "ROLES",
    "QualData",
    "load_qual",
    "read_codebook",
    "read_interviews",
    "read_qdpx",
    "read_segments",
]
