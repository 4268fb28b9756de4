"""The effect chapter (notebook 35): estimates rows, tables, figure and Danish text from a run.

With a comparison pool the chapter shows the matched design's event study, ATT and balance;
without, it says which data an effect estimate needs and quantifies the participants' dip.
Every sentence is built from the run's numbers.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from tpj_helpers.analysis.effect.design import EffectResult
from tpj_helpers.publish.estimates import ESTIMATE_COLUMNS
from tpj_helpers.publish.present import PALETTE, danish_axis, num, signed
from tpj_helpers.publish.publisher import stars

ANALYSIS = "effect"
COVARIATE_LABELS = {
    "score_m1": "Score uge −1",
    "score_m4": "Score uge −4",
    "score_m13": "Score uge −13",
    "score_m26": "Score uge −26",
    "score_m52": "Score uge −52",
    "benefit_52": "Uger på ydelse, seneste 52",
    "benefit_104": "Uger på ydelse, seneste 104",
    "kvinde": "Andel kvinder",
    "age": "Alder",
}
TERM_LABELS = {"att_26": "Effekt i uge 26", "att_0_26": "Gennemsnitlig effekt, uge 0-26"}


# --------------------------------------------------------------------------- estimates


def estimate_rows(res: EffectResult, subgroup: str = "all") -> pd.DataFrame:
    """The rows of outputs.md: event_study week:<k>, att, att_cs, balance smd:<covariate>."""
    rows = []

    def add(model, term, r, n_persons=res.n_persons, n_obs=res.n_obs):
        p = r.get("p_value", np.nan)
        rows.append(
            {
                "analysis": ANALYSIS,
                "model": model,
                "subgroup": subgroup,
                "term": term,
                "estimate": r["estimate"],
                "std_error": r.get("std_error", np.nan),
                "conf_low": r.get("conf_low", np.nan),
                "conf_high": r.get("conf_high", np.nan),
                "p_value": p,
                "stars": stars(p) if np.isfinite(p) else "",
                "n_persons": n_persons,
                "n_obs": n_obs,
            }
        )

    for _, r in res.event_study.iterrows():
        add("event_study", f"week:{int(r['week'])}", r)
    for _, r in res.att.iterrows():
        add("att", r["term"], r)
    for _, r in res.att_cs.iterrows():
        add("att_cs", r["term"], r)
    for _, r in res.balance.iterrows():
        add("balance", f"smd:{r['covariate']}", {"estimate": r["smd_after"]}, n_obs=np.nan)
    out = pd.DataFrame(rows, columns=ESTIMATE_COLUMNS)
    return out.astype({"n_persons": "Int64", "n_obs": "Int64"})  # balance rows have no n_obs


# --------------------------------------------------------------------------- tables


def att_table(res: EffectResult) -> pd.DataFrame:
    rows = []
    for label, frame in (("Event study (stablet)", res.att), ("Callaway-Sant'Anna", res.att_cs)):
        for _, r in frame.iterrows():
            rows.append(
                {
                    "Estimat": TERM_LABELS.get(r["term"], r["term"]),
                    "Metode": label,
                    "Effekt (point)": r["estimate"],
                    "Standardfejl": r["std_error"],
                    "95 %-konfidensinterval": f"{num(r['conf_low'], 2)} til {num(r['conf_high'], 2)}",
                    "p-værdi": r["p_value"],
                    "Kursister": res.n_persons,
                }
            )
    ba = res.before_after
    rows.append(
        {
            "Estimat": "Udvikling uge −1 til 26 (kun kursister)",
            "Metode": "Før/efter",
            "Effekt (point)": ba.get("estimate", np.nan),
            "Standardfejl": np.nan,
            "95 %-konfidensinterval": "",
            "p-værdi": np.nan,
            "Kursister": ba.get("n_persons", 0),
        }
    )
    return pd.DataFrame(rows)


def balance_table(res: EffectResult) -> pd.DataFrame:
    b = res.balance
    return pd.DataFrame(
        {
            "Variabel": [
                COVARIATE_LABELS.get(c, c.replace("region:", "Region ")) for c in b["covariate"]
            ],
            "Kursister (gns.)": b["mean_treated"],
            "Matchede (vægtet gns.)": b["mean_controls"],
            "SMD før matchning": b["smd_before"],
            "SMD efter matchning": b["smd_after"],
        }
    )


def plot_event_study(es: pd.DataFrame) -> plt.Figure:
    fig, ax = plt.subplots()
    ax.fill_between(
        es["week"],
        es["conf_low"],
        es["conf_high"],
        color=PALETTE[0],
        alpha=0.2,
        label="95 %-konfidensbånd",
    )
    ax.plot(
        es["week"],
        es["estimate"],
        color=PALETTE[0],
        marker="o",
        markersize=2.5,
        label="Forskel til matchet sammenligningsgruppe",
    )
    ax.axhline(0, color="black", linewidth=0.8)
    ax.axvline(-0.5, color="grey", linestyle="--", linewidth=0.8)
    ax.set_xlabel("Uger i forhold til kursusstart (reference: uge −1)")
    ax.set_ylabel("Forskel i beskæftigelsesscore")
    danish_axis(ax, "y", 1)
    danish_axis(ax, "x", 0)
    ax.legend(loc="upper left")
    return fig


def plot_participants_weekly(weekly: pd.DataFrame) -> plt.Figure:
    fig, ax = plt.subplots()
    ax.plot(
        weekly["week"],
        weekly["mean"],
        color=PALETTE[0],
        marker="o",
        markersize=2.5,
        label="Kursister, gennemsnitlig score",
    )
    ax.axvline(-0.5, color="grey", linestyle="--", linewidth=0.8)
    ax.set_xlabel("Uger i forhold til kursusstart")
    ax.set_ylabel("Beskæftigelsesscore (0-10)")
    danish_axis(ax, "y", 1)
    danish_axis(ax, "x", 0)
    ax.legend(loc="upper left")
    return fig


def participants_weekly(cohort, weeks=range(-52, 27)) -> pd.DataFrame:
    from tpj_helpers.analysis.effect.participants import scores_at

    rows = []
    for w in weeks:
        s = scores_at(cohort, w)
        ok = ~np.isnan(s)
        rows.append(
            {"week": w, "n": int(ok.sum()), "mean": float(s[ok].mean()) if ok.any() else np.nan}
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- text


def headline(res: EffectResult | None, dev: pd.DataFrame | None = None) -> str:
    """The effect headline sentence for the resumé (one sentence, from the run's numbers)."""
    if res is None:
        if dev is None:
            return ""
        r = dev.set_index("measure").loc["mean"]
        return (
            f"Uden en sammenligningsgruppe kan kursets effekt på beskæftigelsen ikke måles: "
            f"kursisternes score steg {signed(r['change_from_m1'], 2)} point fra ugen før kurset "
            f"til uge 26, men de startede i bunden af et fald på {signed(r['dip'], 2)} point, "
            "så en del af stigningen ville være kommet uden kurset."
        )
    return headline_from_estimates(estimate_rows(res))


def _part_of(part: int, whole: int, min_cell: int) -> str:
    """A count of some of `whole` persons for running text: hidden when small, and written as
    "alle på nær færre end <min_cell>" when the rest of `whole` is small (the rest would follow
    from the two numbers)."""
    from tpj_helpers.publish.messages import count_text

    rest = int(whole) - int(part)
    if int(part) >= min_cell and 0 < rest < min_cell:
        return f"alle på nær færre end {min_cell}"
    return count_text(part, min_cell)


def reading(res: EffectResult, dev: pd.DataFrame | None = None, min_cell: int = 5) -> str:
    """What the estimate means and what it rests on, in plain Danish. The counts of persons left
    out are written 'færre end <min_cell>' when disclosure control would hide them."""
    from tpj_helpers.publish.messages import count_text

    a_avg = res.att.iloc[1]  # the average over weeks 0..last (att_0_26 by default)
    c = res.counts
    pl, se = res.placebo, res.sensitivity
    ba = res.before_after
    bal = res.balance["smd_after"].abs()
    worst = res.balance.loc[bal.idxmax(), "covariate"] if len(bal) and bal.notna().any() else ""
    parts = [
        headline(res),
        (
            f"Gennemsnitligt over ugerne 0-26 er forskellen {signed(a_avg['estimate'], 2)} point "
            f"({num(a_avg['conf_low'], 2)} til {num(a_avg['conf_high'], 2)}). Til sammenligning steg "
            f"de samme kursisters score {signed(ba.get('estimate'), 2)} point fra ugen før kurset til uge "
            "26; forskellen mellem de to tal er den del af før/efter-udviklingen, som også "
            "sammenligningsgruppen havde, dvs. den udvikling, der var kommet uden kurset."
        ),
        (
            f"Estimatet bygger på {num(c['matched'])} kursister på {num(c['stacks'])} holdstarter, "
            f"hvis uge 26 ligger inden for data, og som var på en kvalificerende ydelse i ugen før "
            f"kurset og fandt mindst én sammenlignelig ikke-deltager; "
            f"{count_text(c['unmatched'], min_cell)} kursister fandt ingen, "
            f"{count_text(c['not_qualifying'], min_cell)} var ikke på en kvalificerende ydelse i "
            f"ugen før, og {count_text(c['week_26_outside'], min_cell)} startede så sent, at uge 26 "
            f"ligger efter data. For {_part_of(c['history_104_missing'], c['matched'], min_cell)} af de "
            "matchede lå de 104 ugers historik delvis før "
            "udtrækket; manglende historik er matchet som sin egen kategori."
        ),
        (
            "Det hviler på, at kursister og matchede ikke-deltagere ville have udviklet sig ens uden "
            "kurset. "
            + placebo_sentence(pl)
            + " Den største standardiserede forskel efter matchning er "
            f"{num(float(bal.max()), 2)} ({COVARIATE_LABELS.get(worst, worst)}). Hvis forskellen i "
            f"udvikling efter kursusstart kan være lige så stor som den største forskel før "
            f"({num(se['max_abs_pre'], 2)} point), ligger effekten i uge 26 mellem "
            f"{num(se['conf_low'], 2)} og {num(se['conf_high'], 2)}"
            + (
                f"; konklusionen holder, indtil afvigelsen er {num(se['breakdown_m'], 1)} gange den største "
                "før kurset."
                if np.isfinite(se.get("breakdown_m", np.nan)) and se["breakdown_m"] > 0
                else "."
            )
        ),
    ]
    return "\n\n".join(parts)


def placebo_sentence(pl: dict) -> str:
    """What the placebo test is and what its result means (`pretrend.placebo_test`)."""
    p = pl.get("p_value", np.nan)
    what = (
        "Antagelsen kan ikke efterprøves efter kursusstart, men før kurset kan den: "
        "placebotesten sammenligner hver kursists udvikling fra ugen før kurset (uge −1) til "
        f"hver af {num(pl.get('n_blocks', 0))} perioder på op til {num(pl.get('bin_weeks', 0))} uger "
        f"mellem uge {str(pl.get('first_week', -52)).replace('-', '−')} og uge −2 med udviklingen "
        "hos de ikke-deltagere, kursisten er matchet med, "
        "og tester samlet, om forskellene er nul"
    )
    if not np.isfinite(p):
        return (
            "Placebotesten, der sammenligner kursisternes udvikling før kurset med de matchede "
            "ikke-deltageres, kunne ikke beregnes: der er for få matchningsgrupper."
        )
    if p >= 0.05:
        verdict = (
            "Forskellene før kurset er ikke større, end tilfældigheder kan forklare. Det støtter "
            "antagelsen, men beviser den ikke: testen kan ikke se forskelle, der først opstår ved "
            "kursusstart."
        )
    else:
        verdict = (
            "Forskellene før kurset er større, end tilfældigheder kan forklare: kursister og "
            "sammenligningsgruppe udviklede sig forskelligt allerede før kurset, så en del af "
            "forskellen efter kursusstart kan skyldes andet end kurset, og følsomhedsgrænsen "
            "nedenfor vejer tungere end konfidensintervallet."
        )
    return f"{what} (F-test, p = {num(p, 3)}). {verdict}"


def no_pool_text(dev: pd.DataFrame, pool_size: int | None = None, min_pool: int = 0) -> str:
    from tpj_helpers.analysis.effect.participants import dip_sentence

    why = (
        "Datamappen har ingen sammenligningsgruppe (mappen `comparison/`)"
        if pool_size is None
        else f"Sammenligningsgruppen i `comparison/` har kun {num(pool_size)} personer (kræver "
        f"mindst {num(min_pool)}, parameteren effect_min_pool)"
    )
    return (
        why + ", så rapporten kan ikke "
        "måle kursets effekt, kun kursisternes egen udvikling. En effektmåling kræver et udtræk fra "
        "DREAM for personer, der ikke har taget kurset, men som var på de samme ydelser "
        "(aktivitetsparat kontanthjælp eller uddannelseshjælp, ressourceforløb, jobafklaring) i "
        "evalueringsperioden: `comparison/dream.csv` med de samme ugekolonner som kursisternes "
        "udtræk og `comparison/background.csv` med køn, fødselsår og kommune. Med det matches hver "
        "kursist med ikke-deltagere med samme ydelse, køn, aldersgruppe, region og ydelseshistorik "
        "(datakontraktens afsnit 7).\n\n" + dip_sentence(dev)
    )


def design_text(params: dict) -> str:
    """The method section's account of the design (parameters from the run)."""
    lo, hi = params["event_window"]
    return (
        "**Design.** For hver holdstart dannes en risikomængde af ikke-deltagere, der var på en "
        f"kvalificerende ydelse ({', '.join(params['qualifying_categories'])}) i ugen før kurset. "
        "Kursister og ikke-deltagere matches eksakt på ydelseskategori i uge −1, køn, aldersgruppe og "
        "region og med grovmasket eksakt matchning (coarsened exact matching, CEM) på ydelseshistorikken: "
        f"scoren i uge {', '.join(str(w).replace('-', '−') for w in params['history_weeks'])} og antal uger "
        "på ydelse de seneste 52 og 104 uger, inddelt i grupper; historik, som udtrækket ikke når, er "
        "sin egen gruppe. CEM er valgt frem for propensity score-matchning, fordi balancen på hver "
        "variabel er sikret inden for de valgte grupper uden en model for deltagelsen, fordi de "
        "grupper, der ikke kan matches, er synlige og tælles, og fordi metoden kan køres på en pulje "
        "på en million personer som én gruppering. Ikke-deltagerne vægtes, så de i hver gruppe tæller "
        f"som kursisterne (højst {params['max_controls']} pr. kursist). Sammenligningsgruppen består af "
        "personer, der aldrig tager kurset; personer, der tager det senere, mangler derfor blandt "
        "kontrollerne. Det kan skævvride estimatet, når kursisterne er en stor del af dem, der "
        "kommer på ydelse efter et fald, men næppe, når puljen er et landsudtræk. Effekten estimeres i en stablet "
        f"event study over uge {lo} til {hi} (pyfixest) med faste effekter for person × holdstart og "
        "uge × holdstart, matchningsvægte og standardfejl klynget på person; uge −1 er reference. "
        "Som robusthedstjek beregnes Callaway-Sant'Anna-estimatet direkte (gruppe-tid-effekter for hver "
        "holdstart mod uge −1, vægtet med antal kursister). Placebotesten sammenligner før kurset "
        "hver kursists udvikling fra uge −1 med udviklingen hos ikke-deltagerne i samme "
        f"matchningsgruppe, i perioder på {params.get('placebo_bin_weeks', 13)} uger, og tester "
        "samlet, om forskellene er nul (Hotellings F-test med matchningsgrupperne som klynger); en samlet test af "
        "de enkelte ugekoefficienter før kurset afviste i simulerede data uden forskelle langt "
        "oftere end 5 %, fordi matchningen på historikken gør kursister og kontroller ens før "
        "kurset, hvilket ugekoefficienternes standardfejl ikke tager højde for. En "
        "følsomhedsgrænse i stil med Rambachan og Roths "
        "*relative magnitudes* tillader, at afvigelsen fra parallelle forløb efter kursusstart er op "
        "til M gange den største forskel før kurset (beregnet direkte, ikke med pakken honestdid). "
        "Det primære effektmål er effekten i uge 26; uden sammenligningsgruppe er det primære mål "
        "udviklingen fra uge −1 til uge 26, som ikke er en effekt."
    )


ATT_NOTE = (
    "Effekt = forskellen i beskæftigelsesscore mellem kursister og den matchede "
    "sammenligningsgruppe, målt i forhold til ugen før kurset. Standardfejl klynget på person; "
    "95 %-konfidensinterval med t-fordeling. Før/efter = kursisternes egen udvikling fra uge −1 "
    "til uge 26, uden sammenligningsgruppe (ikke en effekt)."
)
NO_POOL_ATT_NOTE = (
    "Uden sammenligningsgruppe: kursisternes egen udvikling (gennemsnit af den personlige ændring "
    "for kursister med en score i alle tre uger, standardfejl på personniveau). Det er ikke en effekt."
)
BALANCE_NOTE = (
    "SMD = forskel i gennemsnit mellem kursister og sammenligningsgruppe divideret med den samlede "
    "standardafvigelse før matchning; før matchning: alle ikke-deltagere i risikomængden, efter: de "
    "matchede med matchningsvægte. Målet er |SMD| under 0,1 for alle variable. Scorer, der mangler, "
    "indgår ikke i gennemsnittet (de matches som egen gruppe)."
)
MULTIPLE_TESTING = (
    "**Primært effektmål og multiple test.** Det primære mål er effekten i uge 26 mod den matchede "
    "sammenligningsgruppe; uden sammenligningsgruppe er det kursisternes udvikling fra ugen før "
    "kurset til uge 26, som ikke er en effekt. Det primære mål justeres ikke. Alle andre test er "
    "sekundære: p-værdier for forskelle mellem undergrupper (samme model og led) og for "
    "spørgeskemaets udsagn (samme sammenligning) er Holm-justeret inden for hver sådan familie "
    "(kolonnen `p_holm` i `results/estimates.csv`)."
)


def design_summary(res: EffectResult) -> str:
    c = res.counts
    return (
        f"Sammenligningsgruppen er matchet for {num(c['matched'])} kursister på "
        f"{num(c['stacks'])} holdstarter med i alt {num(c['controls'])} matchede ikke-deltagere "
        "(en ikke-deltager kan indgå ved flere holdstarter). Designet er beskrevet under "
        "*Metode og forbehold*."
    )


def no_pool_att_table(dev: pd.DataFrame) -> pd.DataFrame:
    r = dev.set_index("measure").loc["mean"]
    return pd.DataFrame(
        [
            {
                "Udvikling": "Fald før kurset (uge −26 til −1)",
                "Udvikling (point)": r["dip"],
                "Standardfejl": np.nan,
                "Kursister": r["n"],
            },
            {
                "Udvikling": "Efter kurset, fra uge −1 til 26",
                "Udvikling (point)": r["change_from_m1"],
                "Standardfejl": r["se_m1"],
                "Kursister": r["n"],
            },
            {
                "Udvikling": "Efter kurset, fra uge −26 til 26",
                "Udvikling (point)": r["change_from_m26"],
                "Standardfejl": r["se_m26"],
                "Kursister": r["n"],
            },
        ]
    )


def headline_from_estimates(estimates: pd.DataFrame) -> str:
    """The effect headline for the resumé, from a run's `results/estimates.csv` (the resumé is a
    final notebook and reads the run folder): empty when the run has no effect estimate."""
    e = estimates[
        (estimates["analysis"] == ANALYSIS)
        & (estimates["model"] == "att")
        & (estimates["subgroup"] == "all")
    ]
    point = e[~e["term"].astype(str).str.startswith("att_0_")]
    if point.empty:
        return ""
    a = point.iloc[0]
    sig = float(a["p_value"]) < 0.05
    verb = ("hævede" if a["estimate"] > 0 else "sænkede") if sig else "ændrede ikke målbart"
    return (
        f"Sammenlignet med en matchet gruppe af ikke-deltagere med samme ydelseshistorik "
        f"{verb} kurset beskæftigelsesscoren 26 uger efter kursusstart: effekten er "
        f"{signed(float(a['estimate']), 2)} point (95 %-konfidensinterval "
        f"{num(float(a['conf_low']), 2)} til {num(float(a['conf_high']), 2)}; "
        f"{num(int(a['n_persons']))} kursister)."
    )
