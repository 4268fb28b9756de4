"""The run parameters as a checked model: every parameter typed and ranged before any work.

`check_params(values, user_keys)` validates the merged parameters (the documented defaults of
`params/default.yaml` overlaid by the run's file and the command line) with the pydantic model
`RunParameters` and returns them as a plain dict. A bad value stops the run at once with a
`ParameterError` naming the parameter, the value and what was expected (`min_cell: five` does
not reach a notebook); an unknown name gets a "did you mean" from the known ones.

Paths: a parameter the run sets itself (its file or the command line) that is a relative path is
resolved against the current directory, the way a shell user means it; a value left at its
documented default keeps its meaning (a file of this repository). Files and folders must exist.

Adding a parameter: document it with its default in `params/default.yaml`, and add one field to
`RunParameters` with its type and range (`Field(ge=..., le=...)`); a path parameter also goes in
`FILE_PARAMS` (or `FOLDER_PARAMS`). A parameter of default.yaml without a field is accepted
untyped, so a new parameter never breaks a run before its field is written.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError

from tpj_helpers.paths import REPO_ROOT
from tpj_helpers.run.errors import ParameterError

Phase = Literal["pilot", "udbredelse"]
DEMO = "demo"
# Parameters naming a file, resolved and checked to exist.
FILE_PARAMS = (
    "dream_score_map",
    "survey_codebook",
    "triangulation",
    "recommendations",
    "survey_indicators",
    "kommuner_regioner",
)
FOLDER_PARAMS = ("data_dir",)  # besides the value 'demo'


class RunParameters(BaseModel):
    """One field per parameter of params/default.yaml (the defaults live there, not here)."""

    model_config = ConfigDict(extra="allow", strict=False)

    data_dir: str
    demo_seed: int = Field(ge=0)
    demo_scale: float = Field(gt=0, le=100)
    phases: list[Phase] = Field(min_length=1)
    survey_phase: Phase
    min_cell: int = Field(ge=1, le=1000)
    min_group_size: int = Field(ge=1)
    dream_score_map: str
    survey_codebook: str
    deep_dive_municipalities: list[str] = Field(default_factory=list)
    triangulation: str | None = None
    recommendations: str | None = None
    survey_indicators: str | None = None
    quotes_per_theme: int = Field(default=2, ge=0, le=100)
    notebooks: list[str] = Field(min_length=1)
    final_notebooks: list[str] | None = None
    allow_missing_waves: StrictBool = False
    kommuner: list[str] | None = Field(default=None, min_length=1)
    qualifying_categories: list[str] = Field(default_factory=list, min_length=1)
    matching_method: Literal["cem"] = "cem"
    event_window: list[int] = Field(default_factory=lambda: [-52, 26], min_length=2, max_length=2)
    effect_max_controls: int = Field(default=10, ge=1, le=1000)
    effect_min_pool: int = Field(default=50, ge=0)
    kommuner_regioner: str | None = None
    quotes_require_approval: Literal["auto"] | StrictBool = "auto"
    quotes_approved: str = ""


def did_you_mean(name: str, known) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def check_names(names, known, where: str) -> None:
    """Unknown parameter names -> ParameterError, each with its closest known name."""
    unknown = sorted(set(names) - set(known))
    if unknown:
        lines = [f"'{n}'{did_you_mean(n, known)}" for n in unknown]
        raise ParameterError(
            f"{where}: unknown parameter(s) "
            + ", ".join(lines)
            + f"; known: {', '.join(sorted(known))}"
        )


def known_names(defaults: dict) -> set[str]:
    return set(RunParameters.model_fields) | set(defaults)


def _resolve_path(value: str, user_set: bool, default: object) -> Path:
    p = Path(value).expanduser()
    if p.is_absolute():
        return p
    if user_set and value != default:
        return Path.cwd() / p
    return REPO_ROOT / p


def check_params(values: dict, defaults: dict, user_keys=(), where: str = "parameters") -> dict:
    """The merged parameters, typed and checked; paths set by the run made absolute."""
    check_names(values, known_names(defaults), where)
    try:
        model = RunParameters.model_validate(values)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            name = ".".join(str(x) for x in err["loc"])
            lines.append(f"  - {name}: {err['msg']} (found {err.get('input')!r})")
        raise ParameterError(f"{where}: invalid parameter value(s):\n" + "\n".join(lines)) from None
    out = dict(values)
    out.update(model.model_dump(include=set(RunParameters.model_fields) & set(values)))
    user_keys = set(user_keys)
    problems = []
    for key in (*FOLDER_PARAMS, *FILE_PARAMS):
        value = out.get(key)
        if value is None or (key == "data_dir" and value == DEMO):
            continue
        path = _resolve_path(str(value), key in user_keys, defaults.get(key))
        exists = path.is_dir() if key in FOLDER_PARAMS else path.is_file()
        if not exists:
            kind = "data folder" if key == "data_dir" else "file"
            base = "" if Path(str(value)).is_absolute() else f" (resolved to {path})"
            problems.append(f"  - {key}: the {kind} {value}{base} does not exist")
            continue
        if path != REPO_ROOT / str(value):
            out[key] = str(path)  # made absolute: notebooks resolve against the repository
    if problems:
        raise ParameterError(f"{where}:\n" + "\n".join(problems))
    return out
