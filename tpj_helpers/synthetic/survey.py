"""Synthetic participant surveys for the demo data (data contract, section 5).

Who is invited, who answers and how they answer are calibrated to the published evaluation
(Tabel 2 and the survey chapters); the targets live in `survey_targets.yaml` next to this module.

Answers come from a Gaussian copula: each person has a latent `eta` per wave (correlated across
waves), and an item's answer is the target distribution's inverse CDF at
`u = F(rho * eta + sqrt(1 - rho^2) * eps)`, with categories ordered from the most negative to the
most positive answer. With `marginals: exact` F is the empirical CDF (ranks) among the wave's
respondents, so the realised distribution matches the target up to rounding even at small n;
with `marginals: sampled` F is the standard normal CDF.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from scipy.stats import norm

from tpj_helpers.data.survey import Codebook, Item, load_codebook

TARGETS_PATH = Path(__file__).with_name("survey_targets.yaml")
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S"
GENDER_CODES = {"kvinde": 1, "mand": 2}


def load_targets(path: Path | str | None = None) -> dict[str, Any]:
    """The calibration targets (package data)."""
    return yaml.safe_load(Path(path or TARGETS_PATH).read_text(encoding="utf-8"))


def _round_half_up(x: float) -> int:
    return int(np.floor(x + 0.5))


def _wave_items(codebook: Codebook, wave: str) -> list[Item]:
    """Items in the order the wave's questionnaire asks them: the wave-specific questions first
    (Bilag 16: they were placed before the questions common to all waves)."""
    return sorted(codebook.items_for_wave(wave), key=lambda it: len(it.waves) > 1)


def check_targets(codebook: Codebook, targets: Mapping[str, Any]) -> None:
    """Every item of every wave needs a target of the right shape; fail naming the gaps."""
    problems = []
    for it in codebook.items:
        t = targets["items"].get(it.id)
        if t is None:
            problems.append(f"{it.id}: no target")
        elif it.type == "text":
            if not t.get("texts") or "fill_share" not in t:
                problems.append(f"{it.id}: needs texts and fill_share")
        elif it.type == "multi":
            if "pct_chosen" not in t:
                problems.append(f"{it.id}: needs pct_chosen")
        elif it.type == "numeric":
            if not {"age_mean", "age_sd", "age_min", "age_max"} <= set(t):
                problems.append(f"{it.id}: needs age_mean, age_sd, age_min, age_max")
        else:
            for wave in it.waves:
                pct = t.get("pct", {}).get(wave)
                if pct is None or len(pct) != it.k:
                    problems.append(f"{it.id}: needs pct for wave {wave} with {it.k} values")
    if problems:
        raise ValueError("survey targets incomplete: " + "; ".join(problems))


# --------------------------------------------------------------------------- persons

PERSON_COLUMNS = ("person_id", "phase", "status", "start_date", "n_weeks", "consent_survey")


def survey_consent(persons: pd.DataFrame) -> pd.Series:
    """`consent_survey` as 'ja' / 'nej' / NA (unregistered).

    Accepted inputs: the strings 'ja' / 'nej' with NA for unregistered persons; or booleans
    together with a boolean `registered` column (unregistered -> NA, else True -> 'ja',
    False -> 'nej'). Anything else is rejected, since it would silently change who is invited.
    """
    consent = persons["consent_survey"]
    if pd.api.types.is_bool_dtype(consent):
        if "registered" not in persons or not pd.api.types.is_bool_dtype(persons["registered"]):
            raise ValueError(
                "persons.consent_survey is boolean: a boolean 'registered' column is needed to "
                "tell 'nej' from unregistered (or pass 'ja' / 'nej' / NA)"
            )
        as_text = pd.Series(np.where(consent, "ja", "nej"), index=persons.index, dtype="string")
        return as_text.where(persons["registered"].astype(bool))
    as_text = consent.astype("string")
    bad = as_text.notna() & ~as_text.isin(["ja", "nej"])
    if bad.any():
        found = sorted(set(as_text[bad].tolist()))[:5]
        raise ValueError(f"persons.consent_survey should be 'ja', 'nej' or NA; found {found}")
    return as_text


def _check_persons(persons: pd.DataFrame) -> None:
    missing = [c for c in PERSON_COLUMNS if c not in persons.columns]
    if missing:
        raise ValueError(f"persons lacks column(s) {missing} needed for the surveys")
    if persons["person_id"].duplicated().any():
        raise ValueError("persons should have one row per person_id")


# --------------------------------------------------------------------------- dispatch


def _dispatch(
    people: pd.DataFrame, rng: np.random.Generator, dt: Mapping[str, Any]
) -> pd.DataFrame:
    """Invitations per wave (long): person row index, person_id, wave, sent_date."""
    start = people["start_date"]
    last_friday = start + pd.to_timedelta(7 * (people["n_weeks"].astype(int) - 1) + 4, unit="D")
    said_no = (people["consent_survey"] == "nej").fillna(False).to_numpy(dtype=bool)
    efter = np.flatnonzero((people["status"] == "gennemført").to_numpy(dtype=bool) & ~said_no)
    n_drop = _round_half_up(dt["three_month_not_sent"] * len(efter) / dt["sent_published"]["efter"])
    dropped = rng.choice(efter, size=min(n_drop, len(efter)), replace=False)
    three = np.setdiff1d(efter, dropped)
    offset = pd.Timedelta(days=int(dt["three_month_offset_days"]))
    parts = [
        ("foer", people.index.to_numpy(), start - pd.Timedelta(days=1)),
        ("efter", efter, last_friday),
        ("3mdr", three, last_friday + offset),
    ]
    frames = [
        pd.DataFrame(
            {
                "row": idx,
                "person_id": people["person_id"].to_numpy()[idx],
                "wave": wave,
                "sent_date": dates.to_numpy()[idx],
            }
        )
        for wave, idx, dates in parts
    ]
    return pd.concat(frames, ignore_index=True)


# --------------------------------------------------------------------------- who returns


def _correlated_normals(
    n: int, waves: list[str], stability: float, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """One standard normal per person and wave, correlated `stability` between waves."""
    base = rng.standard_normal(n)
    a, b = np.sqrt(stability), np.sqrt(1.0 - stability)
    return {w: a * base + b * rng.standard_normal(n) for w in waves}


def _returns(
    propensity: np.ndarray, rate: float, partial_share: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Positions (within the invited) of complete and partial returns."""
    n = len(propensity)
    n_complete = min(_round_half_up(n * rate), n)
    ranked = np.argsort(-propensity, kind="stable")
    complete, rest = ranked[:n_complete], ranked[n_complete:]
    n_partial = min(_round_half_up(n * partial_share), len(rest))
    partial = rng.choice(rest, size=n_partial, replace=False)
    return np.sort(complete), np.sort(partial)


def _submitted_at(sent: pd.Series, rng: np.random.Generator, resp: Mapping[str, Any]) -> pd.Series:
    n = len(sent)
    days = np.minimum(np.floor(rng.exponential(resp["delay_days_mean"], n)), resp["delay_days_max"])
    lo, hi = resp["hours"]
    seconds = np.floor(rng.uniform(lo * 3600, hi * 3600, n))
    ts = (
        pd.to_datetime(sent).reset_index(drop=True)
        + pd.to_timedelta(days, unit="D")
        + pd.to_timedelta(seconds, unit="s")
    )
    return ts


# --------------------------------------------------------------------------- answers


def _uniforms(z: np.ndarray, strata: np.ndarray, exact: bool) -> np.ndarray:
    """Phi(z), or (exact) the mid-rank of z within its stratum divided by the stratum size."""
    if not exact:
        return norm.cdf(z)
    u = np.empty(len(z))
    for s in np.unique(strata):
        idx = np.flatnonzero(strata == s)
        ranks = np.empty(len(idx))
        ranks[np.argsort(z[idx], kind="stable")] = np.arange(1, len(idx) + 1)
        u[idx] = (ranks - 0.5) / len(idx)
    return u


def _copula_codes(
    it: Item,
    pct: list[float],
    eta: np.ndarray,
    eligible: np.ndarray,
    strata: np.ndarray,
    rho: float,
    exact: bool,
    rng: np.random.Generator,
) -> np.ndarray:
    """Codes (float, NaN where not eligible) from the target distribution, through the copula.

    With exact marginals the ranks are taken within each stratum (complete / partial returns),
    so that the complete returns, on which published figures rest, match the target."""
    out = np.full(len(eta), np.nan)
    n = int(eligible.sum())
    if n == 0:
        return out
    probs = np.asarray(pct, dtype=float)
    codes = np.asarray(it.codes, dtype=float)
    if it.order == "positive_first":  # categories from the most negative to the most positive
        probs, codes = probs[::-1], codes[::-1]
    cum = np.cumsum(probs / probs.sum())
    cum[-1] = 1.0
    z = rho * eta[eligible] + np.sqrt(1.0 - rho**2) * rng.standard_normal(n)
    u = _uniforms(z, strata[eligible], exact)
    out[eligible] = codes[np.minimum(np.searchsorted(cum, u, side="left"), len(codes) - 1)]
    return out


def _inject_special(
    values: np.ndarray,
    it: Item,
    t: Mapping[str, Any],
    default_share: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """Replace a few answered cells by the special codes the item allows."""
    if not it.special:
        return values
    shares = t.get("special_pct")
    shares = (
        {int(k): v / 100 for k, v in shares.items()}
        if shares
        else {c: default_share / len(it.special) for c in it.special}
    )
    answered = np.flatnonzero(~np.isnan(values))
    out = values.copy()
    for code, share in shares.items():
        n = min(_round_half_up(len(answered) * share), len(answered))
        chosen = rng.choice(answered, size=n, replace=False)
        out[chosen] = code
        answered = np.setdiff1d(answered, chosen)
    return out


def _eligible(it: Item, values: Mapping[str, np.ndarray], n: int) -> np.ndarray:
    if it.parent is None:
        return np.ones(n, dtype=bool)
    return np.isin(values[it.parent], it.parent_codes)


def _multi_groups(items: list[Item]) -> list[list[Item]]:
    """The options of each multi-select question (same parent and question)."""
    by_group: dict[tuple[str | None, str], list[Item]] = {}
    for it in items:
        if it.type == "multi":
            by_group.setdefault((it.parent, it.question), []).append(it)
    return list(by_group.values())


def _multi_probs(items: list[Item], targets: Mapping[str, Any]) -> dict[str, float]:
    """Per-option probabilities such that, after giving respondents who ticked nothing one option
    (drawn by weight), each option's share is its target."""
    probs: dict[str, float] = {}
    for group in _multi_groups(items):
        p = np.array([targets[it.id]["pct_chosen"] / 100 for it in group])
        q = p.copy()
        for _ in range(50):
            q = p / (1.0 + np.prod(1.0 - q) / q.sum())
        probs.update({it.id: float(v) for it, v in zip(group, q, strict=True)})
    return probs


def _ticks(eligible: np.ndarray, p: float, exact: bool, rng: np.random.Generator) -> np.ndarray:
    """0/1 for one multi-select option among those asked (NaN for the others): exactly
    round(p x asked) ticks with exact marginals, else independent draws."""
    if exact:
        asked = np.flatnonzero(eligible)
        ticked = rng.choice(asked, size=_round_half_up(len(asked) * p), replace=False)
        out = np.where(eligible, 0.0, np.nan)
        out[ticked] = 1.0
        return out
    return np.where(eligible, (rng.random(len(eligible)) < p).astype(float), np.nan)


def _fill_empty_multi(
    items: list[Item],
    values: dict[str, np.ndarray],
    targets: Mapping[str, Any],
    rng: np.random.Generator,
) -> None:
    """A respondent who was asked a multi-select question ticks at least one option."""
    for group in _multi_groups(items):
        mat = np.column_stack([values[it.id] for it in group])
        none = np.flatnonzero((np.nansum(mat, axis=1) == 0) & ~np.isnan(mat[:, 0]))
        w = np.array([targets[it.id]["pct_chosen"] for it in group], dtype=float)
        pick = rng.choice(len(group), size=len(none), p=w / w.sum())
        mat[none, pick] = 1.0
        for j, it in enumerate(group):
            values[it.id] = mat[:, j]


def _birth_years(resp: pd.DataFrame, t: Mapping[str, Any], rng: np.random.Generator) -> np.ndarray:
    known = pd.to_numeric(resp["birth_year"], errors="coerce").to_numpy(
        dtype=float, na_value=np.nan
    )
    age = np.clip(rng.normal(t["age_mean"], t["age_sd"], len(resp)), t["age_min"], t["age_max"])
    drawn = resp["start_date"].dt.year.to_numpy() - np.round(age)
    years = np.where(np.isnan(known), drawn, known)
    years[rng.random(len(resp)) < t.get("missing_share", 0.0)] = np.nan
    return years


def _texts(eligible: np.ndarray, t: Mapping[str, Any], rng: np.random.Generator) -> np.ndarray:
    out = np.full(len(eligible), None, dtype=object)
    fill = eligible & (rng.random(len(eligible)) < t["fill_share"])
    out[fill] = rng.choice(np.asarray(t["texts"], dtype=object), size=int(fill.sum()))
    return out


def _answers(
    items: list[Item],
    resp: pd.DataFrame,
    eta: np.ndarray,
    strata: np.ndarray,
    wave: str,
    targets: Mapping[str, Any],
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """All answers of the respondents `resp` (one row each) in wave `wave`."""
    lat, t_items = targets["latent"], targets["items"]
    exact = lat["marginals"] == "exact"
    multi_p = _multi_probs(items, t_items)
    n = len(resp)
    values: dict[str, np.ndarray] = {}
    for it in items:
        t = t_items[it.id]
        eligible = _eligible(it, values, n)
        if it.type == "text":
            values[it.id] = _texts(eligible, t, rng)
            continue
        if it.type == "numeric":
            values[it.id] = _birth_years(resp, t, rng)
            continue
        if it.type == "multi":
            values[it.id] = _ticks(eligible, multi_p[it.id], exact, rng)
            continue
        rho = t.get("rho", lat["rho_nominal"] if it.type == "nominal" else lat["rho_default"])
        codes = _copula_codes(it, t["pct"][wave], eta, eligible, strata, rho, exact, rng)
        if it.id == "gender":
            registered = resp["gender"].map(GENDER_CODES).to_numpy(dtype=float, na_value=np.nan)
            codes = np.where(np.isnan(registered), codes, registered)
        values[it.id] = _inject_special(codes, it, t, targets["special_share_default"], rng)
    _fill_empty_multi(items, values, t_items, rng)
    return values


def _break_off(
    values: dict[str, np.ndarray], items: list[Item], partial: np.ndarray, rng: np.random.Generator
) -> None:
    """Partial returns stop somewhere: every item from a random point on is left empty."""
    k = len(items)
    stop = np.full(len(partial), k)
    stop[partial] = rng.integers(1, k, size=int(partial.sum()))
    for j, it in enumerate(items):
        cut = stop <= j
        col = values[it.id]
        values[it.id] = (
            np.where(cut, None, col) if col.dtype == object else np.where(cut, np.nan, col)
        )


def _as_strings(values: np.ndarray) -> pd.Series:
    if values.dtype == object:
        return pd.Series(values, dtype="string")
    return pd.Series(values).astype("Int64").astype("string")


def _wave_frame(
    people: pd.DataFrame,
    sent: pd.DataFrame,
    eta: np.ndarray,
    propensity: np.ndarray,
    wave: str,
    codebook: Codebook,
    targets: Mapping[str, Any],
    rng: np.random.Generator,
) -> pd.DataFrame:
    dt, resp_t = targets["dispatch"], targets["response"]
    rate = dt["completed_published"][wave] / dt["sent_published"][wave]
    rows = sent["row"].to_numpy()
    complete, partial = _returns(propensity[rows], rate, resp_t["partial_share"], rng)
    picked = np.concatenate([complete, partial])
    is_complete = np.r_[np.ones(len(complete), bool), np.zeros(len(partial), bool)]
    resp = people.iloc[rows[picked]].reset_index(drop=True)
    items = _wave_items(codebook, wave)
    values = _answers(items, resp, eta[rows[picked]], is_complete, wave, targets, rng)
    _break_off(values, items, ~is_complete, rng)
    submitted = _submitted_at(sent["sent_date"].iloc[picked], rng, resp_t)
    frame = pd.DataFrame(
        {
            "person_id": resp["person_id"].astype("string"),
            "submitted_at": submitted.dt.strftime(TIMESTAMP_FORMAT).astype("string"),
            "complete": pd.Series(np.where(is_complete, "1", "0"), dtype="string"),
            **{it.id: _as_strings(values[it.id]) for it in items},
        }
    )
    return frame.sort_values(["submitted_at", "person_id"], kind="stable").reset_index(drop=True)


def generate_surveys(
    persons: pd.DataFrame,
    rng: np.random.Generator,
    codebook: Codebook | None = None,
    targets: Mapping[str, Any] | None = None,
) -> dict[str, pd.DataFrame]:
    """Synthetic `survey_dispatch` and `survey_<wave>` frames, all values strings (NA = empty).

    `persons`: one row per person with person_id, phase, status, hold_id, start_date (Monday),
    n_weeks, consent_survey, gender, birth_year, visitation. Only the udbredelse phase is surveyed.
    """
    codebook = codebook if codebook is not None else load_codebook()
    targets = targets if targets is not None else load_targets()
    check_targets(codebook, targets)
    waves = list(codebook.waves)
    _check_persons(persons)
    people = (
        persons.assign(consent_survey=survey_consent(persons))
        .loc[lambda d: d["phase"] == "udbredelse"]
        .sort_values("person_id", kind="stable")
        .reset_index(drop=True)
        .assign(start_date=lambda d: pd.to_datetime(d["start_date"]))
    )
    dispatch = _dispatch(people, rng, targets["dispatch"])
    eta = _correlated_normals(len(people), waves, targets["latent"]["stability"], rng)
    propensity = _correlated_normals(len(people), waves, targets["response"]["stability"], rng)
    out = {
        "survey_dispatch": pd.DataFrame(
            {
                "person_id": dispatch["person_id"].astype("string"),
                "wave": dispatch["wave"].astype("string"),
                "sent_date": pd.to_datetime(dispatch["sent_date"])
                .dt.strftime("%Y-%m-%d")
                .astype("string"),
            }
        )
    }
    for wave in waves:
        sent = dispatch[dispatch["wave"] == wave].reset_index(drop=True)
        out[f"survey_{wave}"] = _wave_frame(
            people, sent, eta[wave], propensity[wave], wave, codebook, targets, rng
        )
    return out
