"""Is a sample like the group it is drawn from? Tabel 3 (register sample vs all registered
participants) and the nonresponse check of the surveys (respondents vs non-respondents).

Rules (what a reviewer should check):

- **Tabel 3 groups**: *Registerudsnit* = the persons in the register analysis
  (`data.panel.persons`: register consent, in the DREAM extract, hold with data from week 0);
  *Alle registrerede* = every person with a registration (`persons.registered`). With
  `complete_background=True` (default, as the published Tabel 3, whose breakdowns all sum to the
  same N) both groups keep only persons whose gender, age group and referral category are all
  known; the number left out is written in the note. Otherwise unknown values are shown as
  'Uoplyst' (count only) and left out of the percentages and the tests.
- **Percentages** are column percentages (0-100) of the persons with a known value of the
  variable.
- **The test** compares the sample with the registered persons *not* in the sample: the sample is
  a subset of the registered, so sample vs all registered would not be two independent groups.
  Per variable a 2 x k table (group x category, categories nobody has are dropped):
  Pearson's chi-square test without continuity correction when every expected count is at least
  5; otherwise an exact test: Fisher's exact test (two-sided) for a 2 x 2 table, and for larger
  tables a Monte Carlo exact test conditional on the margins (`chi2_contingency` with
  `scipy.stats.MonteCarloMethod`: random tables with the observed margins, Pearson's statistic,
  `n_resamples` tables, fixed seed), so that the p-values are reproducible.
- **Nonresponse** (beside Tabel 2): per wave of the survey phase, the invited persons
  (`survey_dispatch`) split into respondents (a fully submitted questionnaire, as Tabel 2) and
  non-respondents (no return or only a partial one). Gender, age group and referral category as
  above (unknown values, e.g. persons without a registration, are shown as 'Uoplyst' and left out
  of shares and tests), and the mean employment score in week `week_rel` (-1: the week before the
  course) for the invited persons in the register analysis with a score that week, compared with
  Welch's t-test.
- **Verdict**: significant means p < `alpha` (0.05).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from scipy.stats.contingency import expected_freq

from tpj_helpers.data.cohort import AGE_GROUPS
from tpj_helpers.data.dream import score_at
from tpj_helpers.publish.present import num

ALPHA = 0.05
N_RESAMPLES = 9999
SEED = 20250401
MIN_EXPECTED = 5

VARIABLES = ("status", "gender", "age_group", "visitation")
BACKGROUND = ("gender", "age_group", "visitation")
VARIABLE_LABELS = {
    "status": "Gennemførsel",
    "gender": "Køn",
    "age_group": "Aldersgruppe",
    "visitation": "Visitationskategori",
    "score": "Beskæftigelsesscore",
}
# How a variable is named inside a sentence (the verdict).
VARIABLE_WORDS = {
    "status": "gennemførsel",
    "gender": "køn",
    "age_group": "alder",
    "visitation": "visitationskategori",
    "score": "beskæftigelsesscore før kurset",
}
VERDICT_ORDER = ("gender", "age_group", "visitation", "status", "score")
CATEGORIES = {
    "status": ("gennemført", "afmeldt"),
    "gender": ("mand", "kvinde"),
    "age_group": AGE_GROUPS,
    "visitation": ("akt_kontanthjaelp", "akt_uddannelseshjaelp", "ressourceforloeb", "andet"),
}
VALUE_LABELS = {
    "status": {"gennemført": "Gennemført kursus", "afmeldt": "Afmeldt"},
    "gender": {"mand": "Mænd", "kvinde": "Kvinder"},
    "age_group": {g: f"{g} år" for g in AGE_GROUPS},
    "visitation": {
        "akt_kontanthjaelp": "Akt. kontanthjælp",
        "akt_uddannelseshjaelp": "Akt. uddannelseshjælp",
        "ressourceforloeb": "Ressourceforløb",
        "andet": "Andet",
    },
}
UNKNOWN_LABEL = "Uoplyst"
TOTAL_VARIABLE = "I alt"
TOTAL_CATEGORY = "N (personer)"
VARIABLE_COLUMN = "Variabel"
CATEGORY_COLUMN = "Kategori"
SAMPLE_LABEL = "Registerudsnit"
REGISTERED_LABEL = "Alle registrerede"
RESPONDENT_LABEL = "Besvaret"
NONRESPONDENT_LABEL = "Ikke besvaret"
WAVE_COLUMN = "Måling"

TEST_NAMES = {
    "chi2": "Pearsons chi²-test",
    "fisher": "Fishers eksakte test",
    "monte_carlo": "Eksakt test (Monte Carlo)",
    "welch": "Welchs t-test",
    "none": "Ingen test",
}
TEST_COLUMNS = {
    "variable": "Variabel",
    "test": "Test",
    "statistic": "Teststørrelse",
    "dof": "Frihedsgrader",
    "p_value": "p-værdi",
    "min_expected": "Mindste forventede antal",
}

TABEL3_NOTE = (
    "Testen sammenligner registerudsnittet med de registrerede kursister, der ikke er i udsnittet "
    "(udsnittet er en delmængde af de registrerede, så de to kolonner er ikke uafhængige grupper). "
    "Pearsons chi²-test, når alle forventede antal er mindst 5; ellers en eksakt test (Fishers "
    "eksakte test for 2 x 2-tabeller, ellers en Monte Carlo-udgave af den eksakte test med "
    "{n} tabeller og fast startværdi). Procenter er af personer med oplyst værdi."
)


# --------------------------------------------------------------------------- the test


@dataclass(frozen=True)
class TestResult:
    """One test of difference: `test` is a key of TEST_NAMES; statistic is Pearson's chi²
    (chi2, monte_carlo), the odds ratio (fisher) or t (welch); NaN where there is none."""

    test: str
    statistic: float
    dof: float
    p_value: float
    min_expected: float


def contingency(a: pd.Series, b: pd.Series, categories) -> np.ndarray:
    """2 x k counts of groups a and b over `categories` (missing values and categories that
    neither group has are left out)."""
    ca = a.value_counts().reindex(list(categories), fill_value=0).to_numpy()
    cb = b.value_counts().reindex(list(categories), fill_value=0).to_numpy()
    table = np.vstack([ca, cb]).astype(np.int64)
    return table[:, table.sum(axis=0) > 0]


def test_table(table: np.ndarray, n_resamples: int = N_RESAMPLES, seed: int = SEED) -> TestResult:
    """Test of independence of a 2 x k table (rows: the two groups).

    Pearson's chi-square (no continuity correction) when every expected count is >= 5; otherwise
    Fisher's exact test for 2 x 2 and a Monte Carlo exact test (random tables with the observed
    margins, `n_resamples`, seeded) for 2 x k. Categories (columns) nobody has are dropped
    first. No test when a group is empty or fewer than two
    categories occur.
    """
    table = np.asarray(table, dtype=np.int64)
    table = table[:, table.sum(axis=0) > 0]  # categories neither group has
    if table.shape[1] < 2 or (table.sum(axis=1) == 0).any():
        return TestResult("none", np.nan, np.nan, np.nan, np.nan)
    expected = expected_freq(table)
    min_exp = float(expected.min())
    if min_exp >= MIN_EXPECTED:
        res = stats.chi2_contingency(table, correction=False)
        return TestResult("chi2", float(res.statistic), float(res.dof), float(res.pvalue), min_exp)
    if table.shape == (2, 2):
        res = stats.fisher_exact(table, alternative="two-sided")
        return TestResult("fisher", float(res.statistic), np.nan, float(res.pvalue), min_exp)
    method = stats.MonteCarloMethod(n_resamples=n_resamples, rng=np.random.default_rng(seed))
    res = stats.chi2_contingency(table, correction=False, method=method)
    return TestResult(
        "monte_carlo", float(res.statistic), float(table.shape[1] - 1), float(res.pvalue), min_exp
    )


def test_means(a: pd.Series, b: pd.Series) -> TestResult:
    """Welch's t-test of two means (missing values left out); no test with < 2 values a side."""
    a, b = a.dropna().astype(float), b.dropna().astype(float)
    if len(a) < 2 or len(b) < 2:
        return TestResult("none", np.nan, np.nan, np.nan, np.nan)
    res = stats.ttest_ind(a, b, equal_var=False)
    return TestResult("welch", float(res.statistic), float(res.df), float(res.pvalue), np.nan)


def test_label(result: TestResult, n_resamples: int = N_RESAMPLES) -> str:
    name = TEST_NAMES[result.test]
    if result.test == "monte_carlo":
        return f"{name}, {num(n_resamples)} tabeller"
    if result.test == "fisher":
        return f"{name} (teststørrelse: oddsratio)"
    return name


def p_text(p: float) -> str:
    """'p < 0,001' or 'p = 0,034' (Danish decimal comma)."""
    if p is None or np.isnan(p):
        return "ikke testet"
    return "p < 0,001" if p < 0.001 else f"p = {num(p, 3)}"


# --------------------------------------------------------------------------- tables


def _distribution(groups: dict[str, pd.DataFrame], variables) -> pd.DataFrame:
    """Counts and column percentages per variable and category for each group (long rows)."""
    rows = [
        {
            VARIABLE_COLUMN: TOTAL_VARIABLE,
            CATEGORY_COLUMN: TOTAL_CATEGORY,
            **{
                k: v
                for g, df in groups.items()
                for k, v in ((f"{g}, antal", len(df)), (f"{g}, pct.", 100.0 if len(df) else np.nan))
            },
        }
    ]
    for var in variables:
        cats = list(CATEGORIES[var])
        counts, known = {}, {}
        for g, df in groups.items():
            values = df[var].astype(object).where(df[var].notna(), None)
            counts[g] = values.value_counts().reindex(cats, fill_value=0)
            known[g] = int(counts[g].sum())
            counts[g][UNKNOWN_LABEL] = len(df) - known[g]
        show_unknown = any(counts[g][UNKNOWN_LABEL] > 0 for g in groups)
        for cat in cats + ([UNKNOWN_LABEL] if show_unknown else []):
            row = {
                VARIABLE_COLUMN: VARIABLE_LABELS[var],
                CATEGORY_COLUMN: VALUE_LABELS[var].get(cat, cat),
            }
            for g in groups:
                n = int(counts[g][cat])
                row[f"{g}, antal"] = n
                share = 100.0 * n / known[g] if known[g] and cat != UNKNOWN_LABEL else np.nan
                row[f"{g}, pct."] = share
            rows.append(row)
    out = pd.DataFrame(rows)
    for g in groups:
        out[f"{g}, antal"] = out[f"{g}, antal"].astype("int64")
        out[f"{g}, pct."] = out[f"{g}, pct."].astype("float64")
    return out


def _tests(
    a: pd.DataFrame, b: pd.DataFrame, variables, n_resamples: int, seed: int
) -> pd.DataFrame:
    rows = []
    for var in variables:
        res = test_table(
            contingency(a[var].astype(object), b[var].astype(object), CATEGORIES[var]),
            n_resamples,
            seed,
        )
        rows.append({"variable": var, **res.__dict__})
    return pd.DataFrame(rows)


def tests_table(tests: pd.DataFrame, n_resamples: int = N_RESAMPLES) -> pd.DataFrame:
    """Danish display of a tests frame (one row per variable)."""
    out = pd.DataFrame(
        {
            TEST_COLUMNS["variable"]: tests["variable"]
            .map(VARIABLE_LABELS)
            .fillna(tests["variable"]),
            TEST_COLUMNS["test"]: [
                test_label(
                    TestResult(r.test, r.statistic, r.dof, r.p_value, r.min_expected), n_resamples
                )
                for r in tests.itertuples()
            ],
            TEST_COLUMNS["statistic"]: tests["statistic"].astype(float),
            TEST_COLUMNS["dof"]: tests["dof"].astype(float),
            TEST_COLUMNS["p_value"]: tests["p_value"].astype(float),
            TEST_COLUMNS["min_expected"]: tests["min_expected"].astype(float),
        }
    )
    if WAVE_COLUMN in tests.columns:
        out.insert(0, WAVE_COLUMN, tests[WAVE_COLUMN].to_numpy())
    return out


def verdict(
    tests: pd.DataFrame,
    subject: str = "Registerudsnittet",
    other: str = "de øvrige registrerede kursister",
    alpha: float = ALPHA,
) -> str:
    """One Danish sentence on which variables differ significantly (p < alpha)."""
    order = {v: i for i, v in enumerate(VERDICT_ORDER)}
    t = tests.assign(_o=tests["variable"].map(order).fillna(len(order))).sort_values("_o")
    word = lambda v: VARIABLE_WORDS.get(v, str(v))  # noqa: E731
    tested = t[t["p_value"].notna()]
    differ = tested[tested["p_value"] < alpha]
    same = tested[tested["p_value"] >= alpha]
    untested = t[t["p_value"].isna()]
    a = num(alpha, 2)
    if tested.empty:
        return f"{subject} kunne ikke testes mod {other} (for få personer)."
    if differ.empty:
        sign = ">" if (same["p_value"] > alpha).all() else "≥"
        text = (
            f"{subject} adskiller sig ikke signifikant fra {other} på "
            f"{_join([word(v) for v in same['variable']], 'eller')} "
            f"(alle p {sign} {a})."
        )
    else:
        named = [f"{word(r.variable)} ({p_text(r.p_value)})" for r in differ.itertuples()]
        text = f"{subject} adskiller sig signifikant fra {other} på {_join(named, 'og')}"
        if len(same):
            text += f", men ikke på {_join([word(v) for v in same['variable']], 'eller')} (p ≥ {a})"
        text += "."
    if len(untested):
        text += f" Ikke testet: {_join([word(v) for v in untested['variable']], 'og')}."
    return text


def _join(words: list[str], last: str) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + f" {last} " + words[-1]


@dataclass
class Comparison:
    """A sample beside its population: `table` (counts and percentages), `tests` (one row per
    variable: variable, test, statistic, dof, p_value, min_expected), `verdict`, `note`."""

    table: pd.DataFrame
    tests: pd.DataFrame
    verdict: str
    note: str


def tabel3(
    data,
    complete_background: bool = True,
    n_resamples: int = N_RESAMPLES,
    seed: int = SEED,
    alpha: float = ALPHA,
    min_cell: int = 5,
) -> Comparison:
    """Tabel 3: the register sample beside all registered participants, with a test per variable
    of the sample against the registered persons not in it (see the module docstring). The note
    writes the persons left out for an incomplete background as 'færre end <min_cell>' when they
    are 1 to min_cell - 1 (a message never prints a count disclosure control would hide)."""
    from tpj_helpers.publish.messages import count_text

    p = data.persons
    registered = p[p["registered"]]
    left_out = 0
    if complete_background:
        full = registered[list(BACKGROUND)].notna().all(axis=1)
        left_out = int((~full).sum())
        registered = registered[full]
    in_sample = registered["person_id"].isin(set(data.panel.persons["person_id"].astype(str)))
    sample, rest = registered[in_sample], registered[~in_sample]
    table = _distribution({SAMPLE_LABEL: sample, REGISTERED_LABEL: registered}, VARIABLES)
    tests = _tests(sample, rest, VARIABLES, n_resamples, seed)
    note = TABEL3_NOTE.format(n=num(n_resamples))
    if complete_background:
        note += (
            f" Kun kursister med oplyst køn, alder og visitationskategori indgår; "
            f"{count_text(left_out, min_cell)} registrerede kursister med ufuldstændige "
            "baggrundsoplysninger er udeladt."
        )
    text = verdict(tests, "Registerudsnittet", "de øvrige registrerede kursister", alpha)
    return Comparison(table=table, tests=tests, verdict=text, note=note)


def count_columns(table: pd.DataFrame) -> list[str]:
    """The count columns of a comparison table (what disclosure control checks)."""
    return [c for c in table.columns if c.endswith(", antal")]


def linked_columns(table: pd.DataFrame) -> dict[str, str]:
    """Each percentage (or mean) column mapped to the count column it rests on."""
    out = {c: c.replace(", pct.", ", antal") for c in table.columns if c.endswith(", pct.")}
    out.update({c: c.replace(", gns.", ", antal") for c in table.columns if c.endswith(", gns.")})
    return out


def tabel3_source(data, comparison: Comparison) -> str:
    t = comparison.table
    row = t[t[VARIABLE_COLUMN] == TOTAL_VARIABLE].iloc[0]
    return (
        f"Kommunernes registreringer og DREAM-udtrækket. N = "
        f"{num(int(row[f'{SAMPLE_LABEL}, antal']))} i registerudsnittet, "
        f"{num(int(row[f'{REGISTERED_LABEL}, antal']))} registrerede kursister"
    )


# --------------------------------------------------------------------------- nonresponse


NONRESPONSE_NOTE = (
    "Inviterede kursister (udsendte spørgeskemaer) fordelt på dem, der besvarede spørgeskemaet "
    "fuldt ud, og dem, der ikke gjorde (heriblandt delvise besvarelser). Procenter er af personer "
    "med oplyst værdi; 'Uoplyst' er især kursister uden registrering. Beskæftigelsesscoren i uge "
    "{week} ift. kursusstart er gennemsnittet for de inviterede i registeranalysen med en score i "
    "ugen. Test som i @tbl-representativeness (chi²-test eller eksakt test); gennemsnit med "
    "Welchs t-test."
)
SCORE_LABEL = "Beskæftigelsesscore, uge {week}"


@dataclass
class Nonresponse:
    """Respondents vs non-respondents per wave: `table` (shares, long, with a 'Måling' column),
    `means` (mean employment score per wave), `tests` (per wave and variable, the score test
    under variable 'score'), `verdicts` (wave label -> sentence), `note`."""

    table: pd.DataFrame
    means: pd.DataFrame
    tests: pd.DataFrame
    verdicts: dict[str, str]
    note: str


def nonresponse(
    data,
    phase: str | None = "udbredelse",
    week_rel: int = -1,
    n_resamples: int = N_RESAMPLES,
    seed: int = SEED,
    alpha: float = ALPHA,
) -> Nonresponse:
    """The nonresponse check beside Tabel 2 (see the module docstring for the rules)."""
    persons = data.persons
    if phase is not None:
        persons = persons[persons["phase"] == phase]
    persons = persons.assign(person_id=persons["person_id"].astype(str))
    scores = score_at(data.panel, week_rel)
    scores = scores[scores["covered"]].assign(person_id=lambda d: d["person_id"].astype(str))
    score_of = scores.set_index("person_id")["score"].astype(float)
    dispatch = data.surveys.dispatch
    tables, means, tests, verdicts = [], [], [], {}
    score_label = SCORE_LABEL.format(week=week_rel)
    for wave, label in dict(data.surveys.codebook.waves).items():
        invited_ids = set(dispatch.loc[dispatch["wave"] == wave, "person_id"].astype(str))
        invited = persons[persons["person_id"].isin(invited_ids)]
        returns = data.surveys.responses.get(wave)
        done: set[str] = set()
        if returns is not None:
            done = set(returns.loc[returns["complete"].astype(bool), "person_id"].astype(str))
        is_resp = invited["person_id"].isin(done)
        resp, nonresp = invited[is_resp], invited[~is_resp]
        dist = _distribution({RESPONDENT_LABEL: resp, NONRESPONDENT_LABEL: nonresp}, BACKGROUND)
        dist.insert(0, WAVE_COLUMN, label)
        tables.append(dist)
        t = _tests(resp, nonresp, BACKGROUND, n_resamples, seed)
        s_resp = score_of.reindex(resp["person_id"]).dropna()
        s_non = score_of.reindex(nonresp["person_id"]).dropna()
        mt = test_means(s_resp, s_non)
        t = pd.concat([t, pd.DataFrame([{"variable": "score", **mt.__dict__}])], ignore_index=True)
        t.insert(0, WAVE_COLUMN, label)
        tests.append(t)
        means.append(
            {
                WAVE_COLUMN: label,
                f"{RESPONDENT_LABEL}, antal": len(s_resp),
                f"{RESPONDENT_LABEL}, gns.": float(s_resp.mean()) if len(s_resp) else np.nan,
                f"{NONRESPONDENT_LABEL}, antal": len(s_non),
                f"{NONRESPONDENT_LABEL}, gns.": float(s_non.mean()) if len(s_non) else np.nan,
                TEST_COLUMNS["test"]: test_label(mt),
                TEST_COLUMNS["p_value"]: mt.p_value,
            }
        )
        verdicts[label] = verdict(t, f"{label}: De, der svarede,", "dem, der ikke svarede,", alpha)
    means_df = pd.DataFrame(means)
    for g in (RESPONDENT_LABEL, NONRESPONDENT_LABEL):
        means_df[f"{g}, antal"] = means_df[f"{g}, antal"].astype("int64")
    means_df.insert(1, VARIABLE_COLUMN, score_label)
    return Nonresponse(
        table=pd.concat(tables, ignore_index=True),
        means=means_df,
        tests=pd.concat(tests, ignore_index=True),
        verdicts=verdicts,
        note=NONRESPONSE_NOTE.format(week=week_rel),
    )
