"""The pseudonymiser on hand-written Danish sentences with identifying details (issue 12): none of
the details may survive; the ordinary words around them must."""

from __future__ import annotations

import pandas as pd
import pytest

from tpj_helpers.publish import quote_review
from tpj_helpers.publish.pseudonymise import pseudonymise

# (sentence, the identifying details in it)
CASES = [
    ("Jeg talte med Gunnhild og Bjørn fra jobcentret i Hvalsø.", ["Gunnhild", "Bjørn", "Hvalsø"]),
    ("Tommy Kjeldgaard var min kontaktperson hele vejen.", ["Tommy", "Kjeldgaard"]),
    ("Mit cpr-nummer er 010190-1234, hvis I skal bruge det.", ["010190-1234"]),
    ("Jeg oplyste 0101901234 ved tilmeldingen.", ["0101901234"]),
    ("Jeg bor på Vesterbrogade lige ved stationen.", ["Vesterbrogade"]),
    ("Vi mødtes på Østergade nr. 5 hver tirsdag.", ["Østergade", "nr. 5"]),
    ("Kurset lå på Nørregade 12, 2. sal tv.", ["Nørregade 12"]),
    ("Jeg var i praktik hos Bestseller i Aabybro.", ["Bestseller", "Aabybro"]),
    ("Jeg er 43 og har været sygemeldt længe.", ["43"]),
    ("Jeg er 29 år og bor alene.", ["29"]),
    ("Som 52-årig troede jeg ikke, det kunne lade sig gøre.", ["52"]),
    ("Ring til mig på 22 33 44 55 efter klokken fire.", ["22 33 44 55"]),
    ("Mit nummer er +45 28461937.", ["28461937"]),
    ("Skriv til hanne.berg@gmail.com, så svarer jeg.", ["hanne.berg@gmail.com"]),
    ("Sagsbehandler Mette sagde, at jeg skulle prøve.", ["Mette"]),
    ("Min mentor Karsten hjalp mig igennem det.", ["Karsten"]),
    ("Jeg fik job hos Brugsen Vinderup bagefter.", ["Brugsen", "Vinderup"]),
    ("Nu er jeg ansat hos Hansens Flødeis på deltid.", ["Hansens", "Flødeis"]),
    ("Jeg arbejder hos Danfoss i Nordborg.", ["Danfoss", "Nordborg"]),
    ("Min søster i Skagen sagde, jeg skulle tage kurset.", ["Skagen"]),
    ("Vi boede i Tønder, før vi flyttede til Ribe.", ["Tønder", "Ribe"]),
    ("Koordinatoren i Thisted Kommune ringede til mig.", ["Thisted"]),
    ("Jeg kører hver dag fra Hornslet til Randers.", ["Hornslet", "Randers"]),
    ("Hun hedder Birthe Kjærgaard og er helt fantastisk.", ["Birthe", "Kjærgaard"]),
    ("Niels og jeg gik på holdet sammen.", ["Niels"]),
    ("Jeg kender Fatima fra sprogskolen.", ["Fatima"]),
    ("Sørens kone var med til det første møde.", ["Søren"]),
    ("Vi holdt møderne på Jernbane Allé i Vanløse.", ["Jernbane Allé", "Vanløse"]),
    ("Min adresse er Skovvænget 3 i Ølstykke.", ["Skovvænget", "Ølstykke"]),
    ("Jeg var i løntilskud hos Vestas i Lem.", ["Vestas"]),
    ("Jobcentret i Frederikshavn sendte mig af sted.", ["Frederikshavn"]),
    ("Han var 61 år gammel, da han startede.", ["61"]),
    ("Min datter Emma passer hunden, når jeg er af sted.", ["Emma"]),
    ("Jeg har fået fleksjob hos Netto i Hadsund.", ["Netto", "Hadsund"]),
    ("Fru Jørgensen fra kommunen kom på besøg.", ["Jørgensen"]),
    ("Lone Vestergaard var instruktør på mit hold.", ["Lone", "Vestergaard"]),
    ("Jeg tog toget fra Roskilde til Køge hver uge.", ["Roskilde", "Køge"]),
    ("Vi bor på Strandvejen ude ved vandet.", ["Strandvejen"]),
    (
        "Mail mig på peter_h@hotmail.dk eller ring 40 50 60 70.",
        ["peter_h@hotmail.dk", "40 50 60 70"],
    ),
    ("Min kæreste Mads synes, jeg er blevet gladere.", ["Mads"]),
    ("Jeg var elev hos Salling Group i Aarhus.", ["Salling", "Aarhus"]),
    ("Jeg fylder 38 i næste uge.", ["38"]),
    ("Jeg er ansat i Jysk Tekstil nu.", ["Jysk", "Tekstil"]),
    ("Kurset i Brønderslev var det bedste, jeg har prøvet.", ["Brønderslev"]),
    ("Jeg snakkede med Henriette og Troels om det.", ["Henriette", "Troels"]),
]


def test_there_are_at_least_forty_cases():
    assert len(CASES) >= 40


@pytest.mark.parametrize("sentence, details", CASES)
def test_no_identifying_detail_survives(sentence, details):
    out = pseudonymise(sentence)
    assert out != sentence
    for detail in details:
        assert detail not in out, (sentence, out)


@pytest.mark.parametrize(
    "sentence",
    [
        "Arbejdspladsen var god, og jeg fik en praktikplads bagefter.",
        "Vejen tilbage til arbejdet var lang, men jeg er glad for kurset.",
        "Der var 12 på holdet, og vi mødtes i 8 uger.",
        "Jeg har været sygemeldt i 20 år.",
    ],
)
def test_ordinary_sentences_stay(sentence):
    assert pseudonymise(sentence) == sentence


def test_review_sheet_and_approval(tmp_path):
    bank = pd.DataFrame(
        {
            "theme": ["a", "b"],
            "segment_id": ["s1", "s2"],
            "label": ["Kursist"] * 2,
            "quote": [
                "Jeg talte med [navn] i [kommune] om det hele.",
                "Det var godt, og Xylofon hjalp 3 gange.",
            ],
        }
    )
    sheet = quote_review.review_sheet(bank)
    assert sheet["replaced"].tolist() == ["kommune x1; navn x1", ""]
    assert sheet["flags"].tolist() == ["", "ukendte ord med stort: Xylofon; tal i teksten"]
    evaluator = sheet.assign(approved=["ja", ""])
    evaluator.to_csv(tmp_path / "approved.csv", index=False)
    ok = quote_review.approved_ids(tmp_path / "approved.csv")
    assert ok == {sheet["quote_id"].iloc[0]}
    assert quote_review.select(bank, sheet, True, ok)["segment_id"].tolist() == ["s1"]
    assert quote_review.select(bank, sheet, False, set())["segment_id"].tolist() == ["s1", "s2"]
    assert "1 afventer gennemgang" in quote_review.pending_note(sheet, True, ok)
    assert quote_review.requires_approval("auto", synthetic=False)
    assert not quote_review.requires_approval("auto", synthetic=True)
    assert not quote_review.requires_approval(False, synthetic=False)
