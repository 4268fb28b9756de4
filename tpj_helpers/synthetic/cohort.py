"""Synthetic holds, enrolments and registrations, calibrated to the published counts.

Counts that the report states (enrolments per hold, completed and withdrawn by phase, persons
without registration, the register sample per hold and its composition) are reproduced exactly at
scale 1; which person gets which attribute is random (seeded).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

AGE_RANGES = {
    "Under 25": (18, 24),
    "25-35": (25, 35),
    "36-45": (36, 45),
    "46-55": (46, 55),
    "Over 55": (56, 64),
}
WITHDRAWAL_REASONS = np.array(
    [
        "Helbred",
        "Job, praktik eller uddannelse",
        "Passede ikke til situationen",
        "Ønskede ikke at fortsætte",
        "Ukendt",
    ]
)


def iso_monday(label: str) -> pd.Timestamp:
    return pd.Timestamp.fromisocalendar(int(label[:4]), int(label[-2:]), 1)


def scaled(counts, scale: float) -> np.ndarray:
    """Largest-remainder rounding of counts * scale (the total is rounded once)."""
    counts = np.asarray(counts, dtype=float)
    if scale == 1:
        return counts.astype(int)
    raw = counts * scale
    total = round(raw.sum())
    base = np.floor(raw).astype(int)
    rest = total - base.sum()
    order = np.argsort(-(raw - base), kind="stable")
    base[order[:rest]] += 1
    return base


def scaled_dict(d: dict, scale: float) -> dict:
    keys = list(d)
    return dict(zip(keys, scaled([d[k] for k in keys], scale).tolist(), strict=True))


@dataclass
class SyntheticCohort:
    holds: pd.DataFrame
    enrolments: pd.DataFrame
    registrations: pd.DataFrame
    persons: pd.DataFrame  # one row per person, the counted enrolment and all attributes


def make_holds(cal: dict) -> pd.DataFrame:
    h = cal["holds"]
    last_monday = iso_monday(cal["data_period"]["last_iso_week"])
    rows = []
    for i, iso in enumerate(h["pilot_starts_iso"], start=h["pilot"]["first"]):
        rows.append(("P", i, iso_monday(iso), h["pilot"]["n_weeks"], "pilot"))
    u = h["udbredelse"]
    latest = {int(k): v for k, v in h["latest_week_with_data"].items()}
    fixed = {k: last_monday - pd.Timedelta(weeks=v) for k, v in latest.items()}
    spread = [n for n in range(u["first"], min(fixed)) if n not in u["cancelled"]]
    first = iso_monday(h["udbredelse_first_start_iso"])
    until = iso_monday(h["udbredelse_spread_until_iso"])
    n_weeks_span = (until - first).days // 7
    for j, n in enumerate(spread):
        fixed[n] = first + pd.Timedelta(weeks=round(j * n_weeks_span / max(len(spread) - 1, 1)))
    for n in u["cancelled"]:  # a cancelled hold sits between its neighbours
        fixed[n] = fixed[n - 1] + (fixed[n + 1] - fixed[n - 1]) / 2
        fixed[n] -= pd.Timedelta(days=fixed[n].day_of_week)
    for n in range(u["first"], u["last"] + 1):
        rows.append(("U", n, fixed[n], u["n_weeks"], "udbredelse"))
    holds = pd.DataFrame(rows, columns=["prefix", "number", "start_date", "n_weeks", "phase"])
    holds["hold_id"] = holds["prefix"] + holds["number"].astype(str)
    cancelled = (holds["prefix"] == "U") & holds["number"].isin(u["cancelled"])
    holds["status"] = np.where(cancelled, "aflyst", "afholdt")
    holds["time_slot"] = np.array(h["time_slots"])[np.arange(len(holds)) % len(h["time_slots"])]
    return holds[["hold_id", "phase", "start_date", "n_weeks", "status", "time_slot"]]


def _municipality_weights(cal: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    m = cal["municipalities"]
    names = np.array(m["pilot"] + m["udbredelse_only"])
    # Rank order: deep-dive municipalities first, then the remaining pilot ones, then the rest.
    weights = 1.0 / np.arange(1, len(names) + 1) ** m["zipf_exponent"]
    in_pilot = np.isin(names, m["pilot"])
    return names, weights, in_pilot


def _hypergeometric(rng: np.random.Generator, capacity: np.ndarray, n: int) -> np.ndarray:
    capacity = np.maximum(np.asarray(capacity, dtype=np.int64), 0)
    if n > capacity.sum():
        raise ValueError(f"cannot allocate {n} into capacity {capacity.sum()}")
    if n == 0:
        return np.zeros_like(capacity)
    return rng.multivariate_hypergeometric(capacity, n)


def make_cohort(cal: dict, rng: np.random.Generator, scale: float = 1.0) -> SyntheticCohort:
    holds = make_holds(cal)
    held = holds[holds["status"] == "afholdt"].reset_index(drop=True)
    enrolled = scaled(cal["enrolled_per_hold"], scale)
    sample = np.minimum(scaled(cal["register_sample_per_hold"], scale), enrolled)
    phase = held["phase"].to_numpy()
    last_monday = iso_monday(cal["data_period"]["last_iso_week"])
    latest = ((last_monday - held["start_date"]).dt.days // 7).to_numpy()
    after = held["n_weeks"].to_numpy()

    # Register sample split into completers and withdrawn per hold, so that the completers with
    # data at each anchor match Tabel 6's N (268 / 268 / 240 / 197 at scale 1).
    reg = cal["registrations"]["register_sample"]
    comp_total = scaled([reg["status"]["gennemført"]], scale)[0]
    n_anchor = np.round(_anchor_n(cal) * scale).astype(int)
    groups = [latest < after, (latest >= after) & (latest < 26), latest >= 26]
    comp_target = [n_anchor[0] - n_anchor[2], n_anchor[2] - n_anchor[3], n_anchor[3]]
    comp_target[2] = comp_total - comp_target[0] - comp_target[1]
    s_comp = np.zeros(len(held), dtype=int)
    for g, target in zip(groups, comp_target, strict=True):
        idx = np.flatnonzero(g & (sample > 0))
        s_comp[idx] = _hypergeometric(rng, sample[idx], min(target, sample[idx].sum()))
    s_wd = sample - s_comp

    # Re-enrolments: first enrolment withdrawn on a pilot hold, the second completed on a later hold.
    re = cal["reenrolments"]
    n_pp, n_pu = scaled([re["pilot_to_pilot"], re["pilot_to_udbredelse"]], scale)
    pilot_idx, udb_idx = np.flatnonzero(phase == "pilot"), np.flatnonzero(phase == "udbredelse")
    room = enrolled - sample
    f_count = np.zeros(len(held), dtype=int)
    f_count[pilot_idx[:-1]] = _hypergeometric(rng, room[pilot_idx[:-1]] - 1, n_pp + n_pu)
    first_hold = np.repeat(np.arange(len(held)), f_count)
    rng.shuffle(first_hold)
    r2_count = np.zeros(len(held), dtype=int)
    for f in np.sort(first_hold[:n_pp]):  # a handful of pilot-to-pilot moves
        later = pilot_idx[
            (pilot_idx > f) & (room[pilot_idx] - f_count[pilot_idx] - r2_count[pilot_idx] > 1)
        ]
        r2_count[rng.choice(later)] += 1
    udb_ok = udb_idx[(latest[udb_idx] >= 0) & (room[udb_idx] > 1)]
    if n_pu <= len(udb_ok):  # one re-enrolment per hold while there are enough holds
        r2_count[rng.choice(udb_ok, size=n_pu, replace=False)] += 1
    else:  # large scales: several per hold, within each hold's room
        r2_count[udb_ok] += _hypergeometric(rng, room[udb_ok] - f_count[udb_ok] - 1, n_pu)

    # Withdrawn enrolment rows per hold: at least the register-sample withdrawn plus the first
    # enrolments of re-enrolled persons; the rest spread at random within each phase.
    wd_target = scaled_dict(cal["withdrawn"], scale)
    withdrawn = s_wd + f_count
    for ph in ("pilot", "udbredelse"):
        idx = np.flatnonzero(phase == ph)
        capacity = enrolled[idx] - s_comp[idx] - r2_count[idx] - withdrawn[idx]
        withdrawn[idx] += _hypergeometric(rng, capacity, wd_target[ph] - withdrawn[idx].sum())

    # Enrolment rows, hold by hold: role of each row.
    # roles: 0 completer in sample, 1 withdrawn in sample, 2 first enrolment of a re-enrolled
    # person (withdrawn), 3 second enrolment of a re-enrolled person (completed), 4 other completer,
    # 5 other withdrawn.
    counts = np.stack(
        [
            s_comp,
            s_wd,
            f_count,
            r2_count,
            enrolled - withdrawn - s_comp - r2_count,
            withdrawn - s_wd - f_count,
        ],
        axis=1,
    )
    if (counts < 0).any():
        raise ValueError("synthetic allocation failed: negative counts")
    hold_of_row = np.repeat(np.arange(len(held)), enrolled)
    role = np.concatenate([np.repeat(np.arange(6), c) for c in counts])
    n_rows = len(role)
    status = np.where(np.isin(role, [0, 3, 4]), "gennemført", "afmeldt")

    # Person ids: every row its own person except second enrolments, which reuse the id of a
    # first enrolment (matched in hold order so the first precedes the second).
    ids = np.char.add(
        "TPJ",
        np.char.zfill(rng.choice(_id_space(n_rows), size=n_rows, replace=False).astype(str), 6),
    )
    first_rows = np.flatnonzero(role == 2)
    second_rows = np.flatnonzero(role == 3)
    pair_first = first_rows[np.argsort(hold_of_row[first_rows], kind="stable")]
    pair_second = second_rows[np.argsort(hold_of_row[second_rows], kind="stable")]
    ids[pair_second] = ids[pair_first]

    rows = pd.DataFrame(
        {
            "person_id": ids,
            "hold_idx": hold_of_row,
            "role": role,
            "status": status,
        }
    )
    rows = rows.join(held[["hold_id", "phase", "start_date", "n_weeks"]], on="hold_idx")

    # Counted persons: all rows except first enrolments of re-enrolled persons.
    persons = rows[rows["role"] != 2].reset_index(drop=True)
    persons["in_sample"] = persons["role"].isin([0, 1])

    persons = _assign_registrations(cal, rng, persons, scale)
    persons = _assign_municipalities(cal, rng, persons)
    rows = rows.merge(persons[["person_id", "kommune"]], on="person_id", how="left")
    enrolments = _enrolment_table(rng, rows)
    registrations = _registration_table(rng, persons)
    holds_out = holds.assign(
        start_date=holds["start_date"].dt.strftime("%Y-%m-%d"), n_weeks=holds["n_weeks"].astype(str)
    )
    return SyntheticCohort(
        holds=holds_out, enrolments=enrolments, registrations=registrations, persons=persons
    )


def _id_space(n_rows: int) -> int:
    """Numbers to draw person ids from: 900,000 (six digits) up to scale 1000, more beyond."""
    return 900_000 if 2 * n_rows <= 900_000 else 10 ** len(str(2 * n_rows))


def _anchor_n(cal: dict) -> np.ndarray:
    comp = cal["register"]["completers"]
    return np.sum([comp[k] for k in comp], axis=0)


def _exact_labels(rng: np.random.Generator, counts: dict, n: int) -> np.ndarray:
    labels = np.repeat(np.array(list(counts)), list(counts.values()))
    if len(labels) != n:
        raise ValueError(f"label counts {len(labels)} do not match {n} persons")
    return rng.permutation(labels)


def _background(rng: np.random.Generator, spec: dict, n: int) -> pd.DataFrame:
    """Exact marginal counts of gender, age group and visitation for n persons.

    Uddannelseshjælp goes mostly to the younger persons (it is a benefit for people under 30
    without an education): it is assigned along a noisy ranking of age.
    """
    gender = _exact_labels(rng, spec["gender"], n)
    age_group = pd.Series(_exact_labels(rng, spec["age_group"], n))
    lo = age_group.map({g: r[0] for g, r in AGE_RANGES.items()}).to_numpy()
    hi = age_group.map({g: r[1] for g, r in AGE_RANGES.items()}).to_numpy()
    age = rng.integers(lo, hi + 1)
    vis = spec["visitation"]
    n_udd = vis.get("akt_uddannelseshjaelp", 0)
    others = np.repeat(
        [k for k in vis if k != "akt_uddannelseshjaelp"],
        [v for k, v in vis.items() if k != "akt_uddannelseshjaelp"],
    )
    youngest_first = np.argsort(age + rng.normal(0, 6, n))
    visitation = np.empty(n, dtype=object)
    visitation[youngest_first[:n_udd]] = "akt_uddannelseshjaelp"
    visitation[youngest_first[n_udd:]] = rng.permutation(others)
    return pd.DataFrame(
        {"gender": gender, "age_group": age_group.to_numpy(), "age": age, "visitation": visitation}
    )


def _completers_only(bg: pd.DataFrame, status: np.ndarray, age_groups: list[str]) -> pd.DataFrame:
    """Move the whole background of withdrawn persons in `age_groups` to completers.

    A withdrawn person's background row is swapped with that of a completer outside those groups
    (the first such completers, in row order: no draw, so the random stream is unchanged). Every
    margin stays exact; only the cross with status changes.
    """
    bg = bg.reset_index(drop=True)
    inside = bg["age_group"].isin(age_groups).to_numpy()
    movers = np.flatnonzero(inside & (status != "gennemført"))
    takers = np.flatnonzero(~inside & (status == "gennemført"))[: len(movers)]
    if len(takers) < len(movers):
        raise ValueError(f"too few completers to hold the age groups {age_groups}")
    rows = bg.to_numpy(copy=True)
    rows[movers], rows[takers] = bg.to_numpy()[takers], bg.to_numpy()[movers]
    return pd.DataFrame(rows, columns=bg.columns)


def _assign_registrations(
    cal: dict, rng: np.random.Generator, persons: pd.DataFrame, scale: float
) -> pd.DataFrame:
    r = cal["registrations"]
    allc, sam = r["all_complete"], r["register_sample"]
    n = len(persons)
    persons = persons.assign(registered=False, consent_register=False, complete_background=False)
    sample_idx = np.flatnonzero(persons["in_sample"].to_numpy())
    persons.loc[sample_idx, ["registered", "consent_register", "complete_background"]] = True

    # Registered without register consent, complete background: the difference of Tabel 3's columns.
    rest_status = {k: allc["status"][k] - sam["status"][k] for k in allc["status"]}
    rest_status = scaled_dict(rest_status, scale)
    weight = persons["phase"].map(r["registration_weight"]).to_numpy(dtype=float)
    chosen = []
    for st, k in rest_status.items():
        pool = np.flatnonzero(
            ~persons["in_sample"].to_numpy() & (persons["status"].to_numpy() == st)
        )
        p = weight[pool] / weight[pool].sum()
        chosen.append(rng.choice(pool, size=k, replace=False, p=p))
    nonconsent_idx = np.concatenate(chosen)
    persons.loc[nonconsent_idx, ["registered", "complete_background"]] = True

    # Registered with incomplete background.
    pool = np.flatnonzero(~persons["registered"].to_numpy())
    k_incomplete = scaled([r["incomplete_background"]], scale)[0]
    incomplete_idx = rng.choice(
        pool, size=k_incomplete, replace=False, p=weight[pool] / weight[pool].sum()
    )
    persons.loc[incomplete_idx, "registered"] = True
    # At scale 1 the persons left over are exactly the report's unregistered persons (159); at
    # other scales rounding may move one person either way.
    n_unreg = int((~persons["registered"]).sum())
    if scale == 1 and n_unreg != r["without_registration"]:
        raise ValueError(f"unregistered persons {n_unreg} != {r['without_registration']}")

    # Background: exact margins for the sample and for the other complete registrations.
    bg = pd.DataFrame(
        index=range(n), columns=["gender", "age_group", "age", "visitation"], dtype=object
    )
    sample_bg = _background(
        rng,
        {k: scaled_dict(sam[k], scale) for k in ("gender", "age_group", "visitation")},
        len(sample_idx),
    )
    sample_bg = _completers_only(
        sample_bg, persons["status"].to_numpy()[sample_idx], r.get("completers_only_age_groups", [])
    )
    bg.iloc[sample_idx] = sample_bg.to_numpy()
    rest_spec = {
        k: scaled_dict({c: allc[k][c] - sam[k][c] for c in allc[k]}, scale)
        for k in ("gender", "age_group", "visitation")
    }
    bg.iloc[nonconsent_idx] = _background(rng, rest_spec, len(nonconsent_idx)).to_numpy()
    persons = pd.concat([persons, bg], axis=1)
    persons["birth_year"] = (persons["start_date"].dt.year - pd.to_numeric(persons["age"])).astype(
        "Int64"
    )

    # Survey consent: "nej" for a few later-phase completers (Tabel 2's 329 -> 324).
    persons["consent_survey"] = persons["registered"]
    udb_comp = np.flatnonzero(
        persons["registered"].to_numpy()
        & (persons["phase"] == "udbredelse").to_numpy()
        & (persons["status"] == "gennemført").to_numpy()
    )
    k_no = scaled([r["no_survey_consent_udbredelse_completers"]], scale)[0]
    persons.loc[rng.choice(udb_comp, size=k_no, replace=False), "consent_survey"] = False
    return persons


def _assign_municipalities(
    cal: dict, rng: np.random.Generator, persons: pd.DataFrame
) -> pd.DataFrame:
    names, weights, in_pilot = _municipality_weights(cal)
    n = len(persons)
    pilot = (persons["phase"] == "pilot").to_numpy()
    kommune = np.empty(n, dtype=object)
    wp = np.where(in_pilot, weights, 0)
    kommune[pilot] = rng.choice(names, size=pilot.sum(), p=wp / wp.sum())
    later = np.flatnonzero(~pilot)
    kommune[later] = rng.choice(names, size=len(later), p=weights / weights.sum())
    # Every municipality refers at least one person in the later phase.
    missing = np.setdiff1d(names, kommune[later])
    kommune[rng.choice(later, size=len(missing), replace=False)] = missing
    return persons.assign(kommune=kommune)


def _enrolment_table(rng: np.random.Generator, rows: pd.DataFrame) -> pd.DataFrame:
    n = len(rows)
    start = rows["start_date"]
    enrolled = start - pd.to_timedelta(rng.integers(3, 29, n), unit="D")
    course_days = rows["n_weeks"].to_numpy() * 7 - 3
    wd_offset = rng.integers(-5, course_days)
    withdrawn_date = (start + pd.to_timedelta(wd_offset, unit="D")).where(
        rows["status"] == "afmeldt"
    )
    # Never before the enrolment (a plausibility rule of the data contract checks it).
    withdrawn_date = withdrawn_date.mask(withdrawn_date < enrolled, enrolled)
    reason = np.where(
        rng.random(n) < 0.15,
        "",
        rng.choice(WITHDRAWAL_REASONS, size=n, p=[0.4, 0.15, 0.2, 0.1, 0.15]),
    )
    reason = np.where(rows["status"] == "afmeldt", reason, "")
    out = pd.DataFrame(
        {
            "person_id": rows["person_id"],
            "hold_id": rows["hold_id"],
            "kommune": rows["kommune"],
            "enrolled_date": enrolled.dt.strftime("%Y-%m-%d"),
            "status": rows["status"],
            "withdrawn_date": withdrawn_date.dt.strftime("%Y-%m-%d").fillna(""),
            "withdrawal_reason": reason,
        }
    )
    return out.sample(frac=1, random_state=rng.integers(2**31)).reset_index(drop=True)


def _registration_table(rng: np.random.Generator, persons: pd.DataFrame) -> pd.DataFrame:
    reg = persons[persons["registered"]].copy()
    complete = reg["complete_background"].to_numpy(dtype=bool)
    registered_date = reg["start_date"] - pd.to_timedelta(rng.integers(7, 40, len(reg)), unit="D")
    out = pd.DataFrame(
        {
            "person_id": reg["person_id"],
            "kommune": reg["kommune"],
            "visitation": np.where(complete, reg["visitation"].astype(str), ""),
            "gender": np.where(complete, reg["gender"].astype(str), ""),
            "birth_year": np.where(complete, reg["birth_year"].astype(str), ""),
            "consent_register": np.where(reg["consent_register"], "ja", "nej"),
            "consent_survey": np.where(reg["consent_survey"], "ja", "nej"),
            "registered_date": registered_date.dt.strftime("%Y-%m-%d"),
        }
    )
    return out.sample(frac=1, random_state=rng.integers(2**31)).reset_index(drop=True)
