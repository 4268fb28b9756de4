"""The pseudonymiser on a second, independent set of interview sentences (issue 12, part 3):
`tests/pseudonymise_cases_fresh.py`. No identifying detail may survive; ordinary sentences, also
those with words that are names or towns elsewhere, come back unchanged."""

from __future__ import annotations

import pytest

from tests.pseudonymise_cases_fresh import CASES, ORDINARY
from tpj_helpers.publish import pseudonymise as ps
from tpj_helpers.publish.pseudonymise import pseudonymise


def test_the_fresh_set_is_large_and_new():
    assert len(CASES) >= 60
    from tests.test_pseudonymise_details import CASES as OLD

    assert not {s for s, _ in CASES} & {s for s, _ in OLD}


@pytest.mark.parametrize("sentence, details", CASES)
def test_no_detail_survives(sentence, details):
    out = pseudonymise(sentence)
    for detail in details:
        assert detail not in out, (sentence, out)


@pytest.mark.parametrize("sentence", ORDINARY)
def test_ordinary_sentence_unchanged(sentence):
    assert pseudonymise(sentence) == sentence


@pytest.mark.parametrize(
    "sentence, expected",
    [
        # hand-written expectations of the new rules
        ("Jeg er født den 3. marts 1979.", "Jeg er født den [dato]."),
        ("Jeg er født i 1968, så jeg ved det.", "Jeg er født i [årstal], så jeg ved det."),
        ("min fødselsdag er 14/7-1985", "min fødselsdag er [dato]"),
        ("Posten kommer til 7100 Vejle.", "Posten kommer til [postnummer] [kommune]."),
        ("jeg er treogfyrre og har det godt", "jeg er [alder] og har det godt"),
        ("Som niogtyveårig gik det galt.", "Som [alder] gik det galt."),
        ("Gurli Mikkelsen ringer stadig.", "[navn] ringer stadig."),
        ("Anne-Marie forstod mig.", "[navn] forstod mig."),
        ("Send det til Hybenvænget 17, st. tv. i morgen.", "Send det til [adresse] i morgen."),
        ("vi bor ude på Søndermarken 8", "vi bor ude på [adresse]"),
        ("Jeg har Ehlers-Danlos og kørestol.", "Jeg har [udeladt] og kørestol."),
        # kept: the formal pronoun, acronyms, keep-list words, the programme's name
        (
            "Hvis De har ADHD, kan De bruge Tættere På Job via Teams.",
            "Hvis De har ADHD, kan De bruge Tættere På Job via Teams.",
        ),
        # a sentence-opening title-cased list is ordinary words, a list after "mig" is names
        ("Søvn, Struktur og Pauser hjalp.", "Søvn, Struktur og Pauser hjalp."),
        ("Vi var tre: mig, Jannie og Rune.", "Vi var tre: mig, [navn] og [navn]."),
        # durations and counts are no ages
        ("Vi var fyrre på holdet i tyve uger.", "Vi var fyrre på holdet i tyve uger."),
    ],
)
def test_new_rules_by_hand(sentence, expected):
    assert pseudonymise(sentence) == expected


def test_keep_list_is_shipped_data():
    assert {"Tættere", "Danmark", "De"} <= ps.KEEP_WORDS
    assert (ps.DATA_DIR / "keep_words.txt").exists()
