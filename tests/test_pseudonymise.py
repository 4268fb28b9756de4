"""Pseudonymising quotes: adversarial text for every rule, and no over-removal of ordinary words."""

from __future__ import annotations

import pandas as pd
import pytest

from tpj_helpers.publish import pseudonymise as ps
from tpj_helpers.publish.pseudonymise import pseudonymise


@pytest.mark.parametrize(
    "text", ["Mette sagde det", "mette sagde det", "METTE sagde det", "Mettes bog", "Mette's bog"]
)
def test_first_name_in_several_spellings(text):
    out = pseudonymise(text)
    assert "[navn]" in out and "ette" not in out.lower()


def test_ascii_spellings_and_full_names():
    out = pseudonymise("Søren, Soeren og Soren; Aase og Åse; Mette Hansen og Jørgen Kjærgaard.")
    assert out == "[navn], [navn] og [navn]; [navn] og [navn]; [navn] og [navn]."


def test_names_after_titles_and_unknown_names():
    out = pseudonymise(
        "Min sagsbehandler Karoline Nygaard ringede, og fru Berg var med. Koordinatoren Yrsa også."
    )
    assert (
        out == "Min sagsbehandler [navn] ringede, og fru [navn] var med. Koordinatoren [navn] også."
    )


def test_extra_names_from_the_material():
    assert (
        pseudonymise("Spørg Zenobia eller zenobias mor.", extra_names=["Zenobia"])
        == "Spørg [navn] eller [navn] mor."
    )


def test_ambiguous_names_only_inside_a_sentence():
    assert (
        pseudonymise("Per uge bruger jeg en time. Jeg ringede til Per.")
        == "Per uge bruger jeg en time. Jeg ringede til [navn]."
    )
    assert pseudonymise("Jeg bor i byen og går i skoven.") == "Jeg bor i byen og går i skoven."


@pytest.mark.parametrize(
    "text",
    [
        "Ring på 12345678.",
        "Ring på 12 34 56 78.",
        "Ring på +45 12 34 56 78.",
        "Ring på +4512345678.",
        "Ring på 1234 5678.",
        "Ring på 0045 12345678.",
    ],
)
def test_phone_numbers(text):
    assert pseudonymise(text) == "Ring på [telefon]."


def test_addresses_and_email():
    out = pseudonymise(
        "Jeg bor på Østergade 12, 2. tv. og før på Skolevej 3b og Hans Tavsens Allé 7. "
        "Skriv til kursist.1@mail.dk"
    )
    assert out == "Jeg bor på [adresse] og før på [adresse] og [adresse]. Skriv til [e-mail]"


def test_ages_but_not_durations():
    out = pseudonymise(
        "Jeg er 34 og min søn er 12 år. Hun er 45-årig. Jeg har været syg i 20 år, "
        "og for 3 år siden stoppede jeg. En 52 år gammel mand."
    )
    assert out == (
        "Jeg er [alder] og min søn er [alder]. Hun er [alder]. Jeg har været syg i 20 år, "
        "og for 3 år siden stoppede jeg. En [alder] mand."
    )


def test_employers():
    out = pseudonymise(
        "Jeg var ansat hos Hansen Byg ApS, så hos Novo Nordisk og i Netto, og "
        "til sidst hos Østjysk Rengøring A/S."
    )
    assert out == (
        "Jeg var ansat hos [arbejdsplads], så hos [arbejdsplads] og i [arbejdsplads], og "
        "til sidst hos [arbejdsplads]."
    )


@pytest.mark.parametrize(
    "place",
    [
        "Aalborg",
        "Frederikshavn",
        "Frederikshavn Kommune",
        "Aalborgs",
        "Lolland-Falster",
        "Ringkøbing-Skjern",
        "Københavns Kommune",
        "AALBORG",
        "Høje-Taastrup",
        "Skagen",
    ],
)
def test_municipalities(place):
    assert (
        pseudonymise(f"Jeg kommer fra {place} og kan lide det.")
        == "Jeg kommer fra [kommune] og kan lide det."
    )


def test_municipality_by_kind():
    assert (
        pseudonymise("I Stevns gør vi det anderledes.", kinds={"Stevns": "en landkommune"})
        == "I [en landkommune] gør vi det anderledes."
    )


def test_all_98_municipalities_are_listed_and_caught():
    assert len(set(ps.MUNICIPALITIES)) == 98
    for m in ps.MUNICIPALITIES:
        assert pseudonymise(f"Jeg bor i {m}.") == "Jeg bor i [kommune].", m


def test_no_over_removal_of_ordinary_words():
    text = (
        "Job er det vigtigste. Kursus var godt. Vejen til job er lang, men på vejen lærte jeg "
        "meget. Odder og greve er dyr og titler. Arbejde, Praktik og Handleplan hjalp. "
        "Koordinatoren fortalte om kurset i 7 uger, og 3 ud af 10 kom igen. "
        "Jeg er glad. Jeg er ikke klar. Vi mødes kl. 10.30 i uge 12."
    )
    assert pseudonymise(text) == text


def test_quote_bank_labels_by_role_only():
    iv = pd.DataFrame({"interview_id": ["a", "b"], "role": ["koordinator", "kursist"]})
    seg = pd.DataFrame(
        {
            "interview_id": ["a", "b", "b"],
            "segment_id": [1, 1, 2],
            "text": [
                "K: Mette fra Viborg ringer altid til mig, når der er et nyt hold på vej.",
                "Kort.",
                "Jeg er 29 år og bor på Skovvej 4, og kurset gav mig ro i hverdagen.",
            ],
            "codes": [["tema"], ["tema"], ["tema", "andet"]],
        }
    )
    bank = ps.quote_bank(seg, iv, lambda c: c, per_theme=3)
    tema = bank[bank["theme"] == "tema"]
    assert tema["interview_id"].tolist() == ["a", "b"]  # "Kort." is too short
    assert tema["quote"].tolist() == [
        "[navn] fra [kommune] ringer altid til mig, når der er et nyt hold på vej.",
        "Jeg er [alder] og bor på [adresse], og kurset gav mig ro i hverdagen.",
    ]
    assert tema["label"].tolist() == ["Koordinator", "Kursist"]
    assert ps.quote_markdown("Godt.", "Kursist") == "»Godt.« – Kursist"
