"""The participant surveys: codebook, file schemas, typed loading, tidy answers and WHO-5.

Data contract section 5: `survey_dispatch` (who was invited to which wave) and one file per wave
(`survey_foer`, `survey_efter`, `survey_3mdr`) with one row per returned questionnaire. The
codebook (`params/survey_codebook.yaml`) carries the wording, the answer labels, the codes each
item allows and which way each scale runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
import yaml

from tpj_helpers.data.contract import (
    ContractError,
    Problem,
    find_source,
    read_table,
    require_rows,
    validate,
)
from tpj_helpers.data.exclusions import Exclusions
from tpj_helpers.data.identifiers import refuse_cpr
from tpj_helpers.paths import PARAMS_DIR

DEFAULT_CODEBOOK = PARAMS_DIR / "survey_codebook.yaml"

ITEM_TYPES = ("ordinal", "nominal", "multi", "count", "numeric", "text", "who5")
ORDERS = ("positive_first", "negative_first", "none")
CODED_TYPES = ("ordinal", "nominal", "multi", "count", "who5")  # answers are codes with labels
SCALED_TYPES = ("ordinal", "count", "who5")  # answers run in an order: they get a position
SPECIAL_CODES = (97, 98, 99)
ID_COLUMNS = ("person_id", "submitted_at", "complete")
DISPATCH_STEM = "survey_dispatch"

WHO5_ITEMS = ("who5_1", "who5_2", "who5_3", "who5_4", "who5_5")
WHO5_ZONES = ("Høj risiko", "Risiko", "Ingen forhøjet risiko")
# Sundhedsstyrelsen's guide: 0-35 high risk, 36-50 risk, above 50 no increased risk.
WHO5_ZONE_EDGES = (-np.inf, 35, 50, np.inf)

TIDY_COLUMNS = ["person_id", "wave", "item", "code", "label", "position", "complete"]

# Exclusions ledger (source "survey", unit "questionnaires", detail = the wave's label): what the
# survey analyses leave out of each returned wave file.
PARTIAL_REASON = "partial questionnaire (complete = 0): left out of the answer tables"
NO_WHO5_REASON = (
    "fully submitted questionnaire without a WHO-5 score (not all five items answered 0-5)"
)
# A wave with invitations in survey_dispatch but no file: its invitations have no returns to
# count (the run stops unless the parameter allow_missing_waves is true).
MISSING_WAVE_REASON = "wave with invitations but no survey file: no response rate"


class CodebookError(ValueError):
    """The codebook YAML itself is broken."""


# --------------------------------------------------------------------------- codebook


@dataclass(frozen=True)
class Item:
    """One survey item (one column of a wave file)."""

    id: str
    waves: tuple[str, ...]
    group: str
    question: str
    short_label: str
    type: str
    order: str
    answers: tuple[str, ...]
    codes: tuple[int, ...]  # substantive codes, aligned with `answers`
    special: tuple[int, ...]
    special_labels: Mapping[int, str] = field(compare=False, repr=False)
    section: str = ""
    stem: str = ""
    option: str = ""
    parent: str | None = None
    parent_codes: tuple[int, ...] = ()
    value_range: tuple[int, int] | None = None
    note: str = ""

    @property
    def k(self) -> int:
        """Number of substantive answers."""
        return len(self.codes)

    @property
    def allowed_codes(self) -> tuple[int, ...]:
        """Substantive codes followed by the special codes the item allows."""
        return self.codes + self.special

    def label(self, code: int) -> str | None:
        """Danish label of a code (special codes included); None for an unknown code."""
        if code in self.codes:
            return self.answers[self.codes.index(code)]
        return self.special_labels.get(code)

    def position(self, code: int) -> int | None:
        """1..k with k the most positive answer, for ordered items; None otherwise."""
        if self.type not in SCALED_TYPES or code not in self.codes:
            return None
        i = self.codes.index(code)
        return self.k - i if self.order == "positive_first" else i + 1


@dataclass(frozen=True)
class Codebook:
    """The survey codebook: waves, groups, special codes and items in questionnaire order."""

    special_codes: Mapping[int, str]
    waves: Mapping[str, str]  # wave id -> Danish label
    groups: Mapping[str, str]  # group id -> Danish label
    items: tuple[Item, ...]
    path: Path | None = None
    _by_id: Mapping[str, Item] = field(default_factory=dict, repr=False, compare=False)

    def item(self, item_id: str) -> Item:
        try:
            return self._by_id[item_id]
        except KeyError:
            raise KeyError(f"no survey item '{item_id}' in the codebook") from None

    def item_ids(self) -> tuple[str, ...]:
        return tuple(i.id for i in self.items)

    def items_for_wave(self, wave: str) -> tuple[Item, ...]:
        if wave not in self.waves:
            raise KeyError(f"unknown survey wave '{wave}' (known: {', '.join(self.waves)})")
        return tuple(i for i in self.items if wave in i.waves)

    def label(self, item_id: str, code: int) -> str | None:
        return self.item(item_id).label(code)

    def position(self, item_id: str, code: int) -> int | None:
        return self.item(item_id).position(code)

    def code_table(self) -> pd.DataFrame:
        """One row per (item, allowed code): label and position, for vectorised lookups."""
        rows = [
            (it.id, code, it.label(code), it.position(code))
            for it in self.items
            if it.type in CODED_TYPES
            for code in it.allowed_codes
        ]
        df = pd.DataFrame(rows, columns=["item", "code", "label", "position"])
        return df.astype(
            {"item": "string", "code": "Int64", "label": "string", "position": "Int64"}
        )


def _fail(where: str, message: str) -> CodebookError:
    return CodebookError(f"survey codebook: {where}: {message}")


def _require(entry: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if key not in entry:
        raise _fail(where, f"missing field '{key}'")
    value = entry[key]
    if not isinstance(value, kind):
        raise _fail(where, f"field '{key}' should be {kind}, got {type(value).__name__}")
    return value


def _int_list(values: Any, where: str, key: str) -> tuple[int, ...]:
    if not isinstance(values, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) for v in values
    ):
        raise _fail(where, f"field '{key}' should be a list of whole numbers")
    return tuple(values)


def _labelled_mapping(raw: Any, name: str) -> dict[str, str]:
    if not isinstance(raw, dict) or not raw:
        raise _fail(name, "should be a non-empty mapping")
    out = {}
    for key, value in raw.items():
        label = value.get("label") if isinstance(value, dict) else None
        if not isinstance(label, str) or not label:
            raise _fail(f"{name}.{key}", "needs a non-empty 'label'")
        out[str(key)] = label
    return out


def _parse_item(
    entry: Any, specials: Mapping[int, str], waves: Mapping[str, str], groups: Mapping[str, str]
) -> Item:
    if not isinstance(entry, dict):
        raise _fail("items", f"each item should be a mapping, got {entry!r}")
    item_id = _require(entry, "id", str, "items")
    where = f"item '{item_id}'"
    item_waves = tuple(_require(entry, "waves", list, where))
    unknown = [w for w in item_waves if w not in waves]
    if not item_waves or unknown:
        raise _fail(where, f"waves should be a non-empty subset of {list(waves)}, got {item_waves}")
    group = _require(entry, "group", str, where)
    if group not in groups:
        raise _fail(where, f"group '{group}' is not defined under 'groups'")
    item_type = _require(entry, "type", str, where)
    order = _require(entry, "order", str, where)
    if item_type not in ITEM_TYPES:
        raise _fail(where, f"type should be one of {ITEM_TYPES}, got '{item_type}'")
    if order not in ORDERS:
        raise _fail(where, f"order should be one of {ORDERS}, got '{order}'")
    if (item_type in SCALED_TYPES) != (order != "none"):
        raise _fail(where, f"a '{item_type}' item cannot have order '{order}'")
    answers = tuple(_require(entry, "answers", list, where))
    if not all(isinstance(a, str) and a for a in answers):
        raise _fail(where, "answers should be non-empty strings")
    if (item_type in CODED_TYPES) != bool(answers):
        raise _fail(
            where, f"a '{item_type}' item {'needs' if answers == () else 'takes no'} answers"
        )
    codes = _int_list(entry.get("codes", list(range(1, len(answers) + 1))), where, "codes")
    if len(codes) != len(answers) or len(set(codes)) != len(codes):
        raise _fail(where, "codes should be distinct and as many as the answers")
    if item_type == "who5" and sorted(codes) != list(range(6)):
        raise _fail(where, "WHO-5 items are coded 0..5")
    if item_type == "multi" and codes != (0, 1):
        raise _fail(where, "multi-select options are coded 0 (not chosen) / 1 (chosen)")
    special = _int_list(entry.get("special", []), where, "special")
    if any(s not in specials for s in special) or set(special) & set(codes):
        raise _fail(
            where, f"special codes should come from {sorted(specials)} and differ from codes"
        )
    value_range = entry.get("range")
    if item_type == "numeric":
        value_range = _int_list(value_range, where, "range")
        if len(value_range) != 2 or value_range[0] > value_range[1]:
            raise _fail(where, "a numeric item needs range: [min, max]")
    parent_codes = _int_list(entry.get("parent_codes", []), where, "parent_codes")
    return Item(
        id=item_id,
        waves=item_waves,
        group=group,
        question=" ".join(str(_require(entry, "question", str, where)).split()),
        short_label=_require(entry, "short_label", str, where),
        type=item_type,
        order=order,
        answers=answers,
        codes=codes,
        special=special,
        special_labels=MappingProxyType({s: specials[s] for s in special}),
        section=str(entry.get("section", "")),
        stem=str(entry.get("stem", "")),
        option=str(entry.get("option", "")),
        parent=entry.get("parent"),
        parent_codes=parent_codes,
        value_range=tuple(value_range) if value_range is not None else None,
        note=" ".join(str(entry.get("note", "")).split()),
    )


def parse_codebook(raw: Any, path: Path | None = None) -> Codebook:
    """Build a Codebook from the parsed YAML, checking its structure."""
    if not isinstance(raw, dict):
        raise _fail("top level", "should be a mapping")
    specials_raw = _require(raw, "special_codes", dict, "top level")
    specials = {int(k): str(v) for k, v in specials_raw.items()}
    if set(specials) != set(SPECIAL_CODES):
        raise _fail("special_codes", f"should define exactly {SPECIAL_CODES}")
    waves = _labelled_mapping(raw.get("waves"), "waves")
    groups = _labelled_mapping(raw.get("groups"), "groups")
    entries = _require(raw, "items", list, "top level")
    items = tuple(_parse_item(e, specials, waves, groups) for e in entries)
    by_id: dict[str, Item] = {}
    for it in items:
        if it.id in by_id or it.id in ID_COLUMNS:
            raise _fail(f"item '{it.id}'", "duplicate or reserved item id")
        by_id[it.id] = it
    for it in items:
        if it.parent is None:
            continue
        parent = by_id.get(it.parent)
        if parent is None or not set(it.waves) <= set(parent.waves):
            raise _fail(f"item '{it.id}'", f"parent '{it.parent}' is not an item of the same waves")
        if not set(it.parent_codes) <= set(parent.codes):
            raise _fail(f"item '{it.id}'", f"parent_codes are not codes of '{it.parent}'")
    return Codebook(
        special_codes=MappingProxyType(specials),
        waves=MappingProxyType(waves),
        groups=MappingProxyType(groups),
        items=items,
        path=path,
        _by_id=MappingProxyType(by_id),
    )


def load_codebook(path: Path | str | None = None) -> Codebook:
    """Read and check the survey codebook (default: params/survey_codebook.yaml of the repo)."""
    path = Path(path) if path is not None else DEFAULT_CODEBOOK
    try:
        raw = yaml.load(
            path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        )
    except (OSError, yaml.YAMLError) as exc:
        raise CodebookError(f"survey codebook {path}: cannot be read: {exc}") from None
    try:
        return parse_codebook(raw, path)
    except CodebookError as exc:
        raise CodebookError(f"{path}: {exc}") from None


# --------------------------------------------------------------------------- schemas


def _codes_text(codes: tuple[int, ...]) -> str:
    """'1..5, 98' for a run of codes plus specials; explicit list otherwise."""
    runs: list[str] = []
    start = prev = None
    for c in sorted(codes):
        if prev is not None and c == prev + 1:
            prev = c
            continue
        if start is not None:
            runs.append(f"{start}..{prev}" if prev - start >= 2 else _pair(start, prev))
        start = prev = c
    if start is not None:
        runs.append(f"{start}..{prev}" if prev - start >= 2 else _pair(start, prev))
    return ", ".join(runs)


def _pair(a: int, b: int) -> str:
    return str(a) if a == b else f"{a}, {b}"


def _codes_check(item: Item) -> pa.Check:
    # The special codes 97/98/99 are valid on every coded item, also where the questionnaire did
    # not offer them (data contract section 5); they are counted, never substantive.
    codes = tuple(dict.fromkeys(item.codes + SPECIAL_CODES))
    allowed = [str(c) for c in codes]
    text = f"one of {_codes_text(codes)} (codes of '{item.id}')"
    return pa.Check(lambda s: s.isna() | s.isin(allowed), error=text)


def _year_check(item: Item) -> pa.Check:
    lo, hi = item.value_range or (1900, 2100)

    def ok(s: pd.Series) -> pd.Series:
        digits = s.str.fullmatch(r"\d{4}").fillna(False).astype(bool)
        year = pd.to_numeric(s.where(digits), errors="coerce")
        return s.isna() | (digits & year.between(lo, hi))

    return pa.Check(ok, error=f"a year {lo}-{hi} written with four digits (values of '{item.id}')")


def _item_column(item: Item) -> pa.Column:
    if item.type == "text":
        checks: list[pa.Check] = []
    elif item.type == "numeric":
        checks = [_year_check(item)]
    else:
        checks = [_codes_check(item)]
    return pa.Column("string", nullable=True, checks=checks)


def _non_empty_check() -> pa.Check:
    return pa.Check(lambda s: s.str.strip().str.len().fillna(0) > 0, error="a non-empty person_id")


def _timestamp_check() -> pa.Check:
    def ok(s: pd.Series) -> pd.Series:
        return s.isna() | pd.to_datetime(s, errors="coerce", format="ISO8601").notna()

    return pa.Check(ok, error="a timestamp such as 2024-03-04 10:15:00 (ISO format)")


def survey_schema(codebook: Codebook, wave: str) -> pa.DataFrameSchema:
    """Schema of `survey_<wave>` as read (all columns strings, missing = NA)."""
    columns: dict[str, pa.Column] = {
        "person_id": pa.Column(
            "string",
            nullable=False,
            unique=True,
            report_duplicates="exclude_first",
            checks=[_non_empty_check()],
        ),
        "submitted_at": pa.Column("string", nullable=False, checks=[_timestamp_check()]),
        "complete": pa.Column(
            "string",
            nullable=False,
            checks=[pa.Check(lambda s: s.isin(["0", "1"]), error="0 (partial) or 1 (complete)")],
        ),
    }
    columns.update({it.id: _item_column(it) for it in codebook.items_for_wave(wave)})
    return pa.DataFrameSchema(columns, strict=False, name=f"survey_{wave}")


def dispatch_schema(codebook: Codebook) -> pa.DataFrameSchema:
    """Schema of `survey_dispatch` as read: person_id, wave, sent_date; (person_id, wave) unique."""
    waves = list(codebook.waves)

    def iso_date(s: pd.Series) -> pd.Series:
        shape = s.str.fullmatch(r"\d{4}-\d{2}-\d{2}").fillna(False).astype(bool)
        parsed = pd.to_datetime(s.where(shape), format="%Y-%m-%d", errors="coerce")
        return shape & parsed.notna()

    return pa.DataFrameSchema(
        {
            "person_id": pa.Column("string", nullable=False, checks=[_non_empty_check()]),
            "wave": pa.Column(
                "string",
                nullable=False,
                checks=[pa.Check(lambda s: s.isin(waves), error="one of " + ", ".join(waves))],
            ),
            "sent_date": pa.Column(
                "string",
                nullable=False,
                checks=[pa.Check(iso_date, error="an ISO date YYYY-MM-DD (e.g. 2024-03-04)")],
            ),
        },
        unique=["person_id", "wave"],
        report_duplicates="exclude_first",
        strict=False,
        name=DISPATCH_STEM,
    )


# --------------------------------------------------------------------------- loading


@dataclass(frozen=True)
class SurveyData:
    """Typed survey files. `responses[wave]`: codes as Int64, `complete` bool, `submitted_at`
    datetime, free text as string. Waves whose file is absent are in `missing_files` (no
    returns) and have no entry in `responses`."""

    dispatch: pd.DataFrame
    responses: dict[str, pd.DataFrame]
    codebook: Codebook
    missing_files: tuple[str, ...] = ()
    extra_columns: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _typed_wave(df: pd.DataFrame, items: tuple[Item, ...]) -> pd.DataFrame:
    out = {
        "person_id": df["person_id"].astype("string"),
        "submitted_at": pd.to_datetime(df["submitted_at"], format="ISO8601"),
        "complete": df["complete"] == "1",
    }
    for it in items:
        col = df[it.id]
        out[it.id] = (
            col.astype("string") if it.type == "text" else pd.to_numeric(col).astype("Int64")
        )
    return pd.DataFrame(out, index=pd.RangeIndex(len(df)))


def _check_invited(df: pd.DataFrame, dispatch: pd.DataFrame, wave: str, path: Path) -> None:
    invited = dispatch.loc[dispatch["wave"] == wave, "person_id"]
    bad = ~df["person_id"].isin(invited)
    if bad.any():
        rows = (np.flatnonzero(bad.to_numpy()) + 2).tolist()
        raise ContractError(
            path,
            [
                Problem(
                    "person_id",
                    rows=rows[:5],
                    expected=f"a person invited to wave '{wave}' in {DISPATCH_STEM}",
                    found=df.loc[bad, "person_id"].head(5).tolist(),
                    n_rows=len(rows),
                )
            ],
        )


def load_dispatch(data_dir: Path | str, codebook: Codebook) -> pd.DataFrame:
    """survey_dispatch, typed: person_id, wave, sent_date (datetime)."""
    path = find_source(data_dir, DISPATCH_STEM, required=True)
    assert path is not None
    raw = read_table(path)  # a header only is valid: no surveys were sent
    refuse_cpr(raw, path)
    df = validate(raw, dispatch_schema(codebook), path)
    return pd.DataFrame(
        {
            "person_id": df["person_id"].astype("string"),
            "wave": df["wave"].astype("string"),
            "sent_date": pd.to_datetime(df["sent_date"], format="%Y-%m-%d"),
        }
    )


def load_surveys(
    data_dir: Path | str, codebook: Codebook | None = None, exclusions: Exclusions | None = None
) -> SurveyData:
    """Read the dispatch file (required) and every wave file present, validated and typed.

    With `exclusions`, what the analyses leave out is recorded per wave file present
    (`record_exclusions`)."""
    codebook = codebook if codebook is not None else load_codebook()
    dispatch = load_dispatch(data_dir, codebook)
    responses: dict[str, pd.DataFrame] = {}
    missing: list[str] = []
    extra: dict[str, tuple[str, ...]] = {}
    for wave in codebook.waves:
        path = find_source(data_dir, f"survey_{wave}", required=False)
        if path is None:
            missing.append(wave)
            continue
        items = codebook.items_for_wave(wave)
        raw = read_table(path)
        refuse_cpr(raw, path)
        require_rows(raw, path)  # a wave without returns is a missing file, not a 0 % wave
        check_value_labels(path, codebook, wave)
        df = validate(raw, survey_schema(codebook, wave), path)
        _check_invited(df, dispatch, wave, path)
        known = set(ID_COLUMNS) | {it.id for it in items}
        extra[wave] = tuple(c for c in df.columns if c not in known)
        responses[wave] = _typed_wave(df, items)
    if exclusions is not None:
        from tpj_helpers.data.plausibility import far_submissions

        responses = far_submissions(responses, dispatch, dict(codebook.waves), exclusions)
    out = SurveyData(dispatch, responses, codebook, tuple(missing), extra)
    if exclusions is not None:
        record_exclusions(out, exclusions)
        for wave, n in missing_wave_invitations(out).items():
            exclusions.add(
                "survey",
                MISSING_WAVE_REASON,
                "invitations",
                n,
                f"{codebook.waves[wave]} (survey_{wave})",
            )
    return out


def missing_wave_invitations(survey_data: SurveyData) -> dict[str, int]:
    """Waves without a file that have invitations in survey_dispatch: wave -> invitations."""
    sent = survey_data.dispatch["wave"].value_counts()
    return {w: int(sent.get(w, 0)) for w in survey_data.missing_files if sent.get(w, 0)}


# SPSS keeps at most 120 bytes of a value label: a long codebook label arrives cut short.
SPSS_LABEL_BYTES = 120


def _same_label(spss: str, book: str) -> bool:
    """Equal up to case and spacing; a label at SPSS's length limit may be the codebook's cut."""
    a, b = (" ".join(str(x).split()).casefold() for x in (spss, book))
    at_limit = len(str(spss).encode("utf-8")) >= SPSS_LABEL_BYTES - 4
    return a == b or (at_limit and b.startswith(a))


def check_value_labels(path: Path, codebook: Codebook, wave: str) -> None:
    """SPSS value labels, where present, agree with the codebook's answer list (special codes
    with the codebook's special labels); a disagreement names item, code and both labels."""
    from tpj_helpers.data.formats import value_labels

    labels = value_labels(path)
    problems = []
    for it in codebook.items_for_wave(wave):
        if it.type not in CODED_TYPES or it.id not in labels:
            continue
        for code, spss in sorted(labels[it.id].items()):
            book = it.label(code) if code in it.codes else codebook.special_codes.get(code)
            if book is None or not _same_label(spss, book):
                problems.append(
                    Problem(
                        it.id,
                        expected=f"value labels as in the codebook: code {code} = "
                        + (repr(book) if book is not None else "no such code in the codebook"),
                        found=[f"code {code} = {spss!r} in the SPSS file"],
                    )
                )
    if problems:
        raise ContractError(path, problems)


def record_exclusions(survey_data: SurveyData, exclusions: Exclusions) -> None:
    """Per wave with a file, in the codebook's wave order: the partial questionnaires (left out
    of Tabel 2's fully submitted and of the answer distributions) and the fully submitted ones
    without a WHO-5 score (left out of the WHO-5 analysis: not all five items answered 0-5).
    Zero counts are recorded too. Counts cover every returned questionnaire of the file (all
    phases); the tables of one phase show their own counts."""
    scores = who5_scores(survey_data)
    for wave, label in survey_data.codebook.waves.items():
        df = survey_data.responses.get(wave)
        if df is None:
            continue
        exclusions.add(
            "survey", PARTIAL_REASON, "questionnaires", int((~df["complete"]).sum()), label
        )
        mine = scores[(scores["wave"] == wave) & scores["complete"]]
        exclusions.add(
            "survey", NO_WHO5_REASON, "questionnaires", int(mine["who5_score"].isna().sum()), label
        )


# --------------------------------------------------------------------------- tidy answers


def tidy_responses(survey_data: SurveyData, codebook: Codebook | None = None) -> pd.DataFrame:
    """Long format, one row per answered coded cell (free text is left out):
    person_id, wave, item, code, label, position, complete.

    `position` runs 1..k with k the most positive answer for ordinal, count and WHO-5 items; it
    is NA for special codes and for nominal, multi and numeric items. `label` is NA for numeric
    items (birth_year), whose code is the value itself.
    """
    codebook = codebook if codebook is not None else survey_data.codebook
    frames = []
    for wave, df in survey_data.responses.items():
        ids = [it.id for it in codebook.items_for_wave(wave) if it.type != "text"]
        long = df.melt(
            id_vars=["person_id", "complete"], value_vars=ids, var_name="item", value_name="code"
        )
        frames.append(long[long["code"].notna()].assign(wave=wave))
    if not frames:
        return _empty_tidy()
    long = pd.concat(frames, ignore_index=True)
    long = long.astype({"item": "string", "code": "Int64", "wave": "string"})
    out = long.merge(codebook.code_table(), on=["item", "code"], how="left", validate="m:1")
    return out[TIDY_COLUMNS].reset_index(drop=True)


def _empty_tidy() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "person_id": pd.Series(dtype="string"),
            "wave": pd.Series(dtype="string"),
            "item": pd.Series(dtype="string"),
            "code": pd.Series(dtype="Int64"),
            "label": pd.Series(dtype="string"),
            "position": pd.Series(dtype="Int64"),
            "complete": pd.Series(dtype="bool"),
        }
    )


# --------------------------------------------------------------------------- WHO-5


def who5_zone(score: pd.Series) -> pd.Series:
    """WHO-5 score (0-100) -> risk zone: 0-35 'Høj risiko', 36-50 'Risiko', above 50 none."""
    return pd.cut(score.astype("Float64"), bins=WHO5_ZONE_EDGES, labels=WHO5_ZONES, right=True)


def who5_scores(survey_data: SurveyData) -> pd.DataFrame:
    """One row per returned questionnaire: person_id, wave, complete, n_items_answered,
    who5_score (4 x sum of the five items, 0-100; NA unless all five are answered), who5_zone."""
    frames = []
    for wave, df in survey_data.responses.items():
        items = df[list(WHO5_ITEMS)].astype("Int64")
        valid = items.notna() & items.isin(range(6)).fillna(False)
        n = valid.sum(axis=1).astype("int64")
        total = items.where(valid).sum(axis=1, skipna=True).astype("Int64")
        score = (4 * total).where(n == len(WHO5_ITEMS)).astype("Int64")
        frames.append(
            pd.DataFrame(
                {
                    "person_id": df["person_id"].astype("string"),
                    "wave": pd.Series(wave, index=df.index, dtype="string"),
                    "complete": df["complete"].astype(bool),
                    "n_items_answered": n,
                    "who5_score": score,
                }
            )
        )
    if frames:
        out = pd.concat(frames, ignore_index=True)
    else:
        out = pd.DataFrame(
            {
                "person_id": pd.Series(dtype="string"),
                "wave": pd.Series(dtype="string"),
                "complete": pd.Series(dtype="bool"),
                "n_items_answered": pd.Series(dtype="int64"),
                "who5_score": pd.Series(dtype="Int64"),
            }
        )
    return out.assign(who5_zone=who5_zone(out["who5_score"]))
