"""Pseudonymising quotes by rule, and the quote bank (the strongest short excerpts per theme).

Contract section 6: quotes that reach a report carry no names and are labelled by a role (at most
the kind of municipality), never a person's identifying detail. `pseudonymise(text)` removes or
generalises, in this order, each with a bracketed placeholder:

1. e-mail addresses -> "[e-mail]";
2. phone numbers (8 digits, alone or in groups of 2 or 4, optionally +45/0045) -> "[telefon]";
3. street addresses (a word ending in -vej, -gade, -allé, -stræde, ... followed by a house
   number, optionally floor and side) -> "[adresse]";
4. employers: one to three capitalised words before A/S, ApS, I/S, IVS, K/S, P/S, and the names of
   `EMPLOYERS` -> "[arbejdsplads]";
5. names: a capitalised word after a title ("sagsbehandler Hanne", "fru Berg"); the first names
   and surnames of `FIRST_NAMES` / `SURNAMES` in any case (Mette, mette, METTE), with a possessive
   -s (Mettes) and in the ASCII spellings of æ, ø, å (Søren, Soeren, Soren); a surname directly
   after a first name goes with it -> "[navn]". Names that are also ordinary Danish words
   (`AMBIGUOUS_NAMES`: Bo, Per, Sten, Liv, Skov, ...) only count when capitalised inside a
   sentence or after a title;
6. municipality and town names (the 98 municipalities, `TOWNS`; with a possessive -s, a following
   "Kommune", and hyphenated compounds such as Lolland-Falster) -> "[kommune]", or the kind of
   municipality when `kinds` maps the name to one ("[en landkommune]"). `AMBIGUOUS_PLACES`
   (Vejen, Odder, Greve, ...) only count when capitalised inside a sentence or before "Kommune";
7. ages ("jeg er 34", "34 år", "34-årig", "34 år gammel") -> "[alder]"; "i 20 år", "for 5 år
   siden" and other durations (a number after i/for/på/om/efter/over/under) stay.

8. dates ("3. marts 1979", "14/7-1985") -> "[dato]"; a birth year ("født i 1968") -> "[årstal]";
   a postcode before a town ("8000 Aarhus C") -> "[postnummer]"; ages in words ("jeg er
   treogfyrre", "som niogtyveårig") -> "[alder]"; a capitalised word before a surname ("Gurli
   Mikkelsen") and double names ("Anne-Marie") -> "[navn]";
9. every other capitalised word inside a sentence (in Danish a proper noun: a rare diagnosis, a
   workplace, a village, a name no list has) -> "[udeladt]", unless it is on the shipped keep list
   (`data/keep_words.txt`: the programme, the formal "De", public services), an acronym in
   capitals (ADHD), or continues a title-cased list that opens the sentence ("Arbejde, Praktik
   og Handleplan").

Ordinary words are never touched: the lists are closed, matching is on whole words, and a
capitalised word at the start of a sentence ("Job", "Kursus") is only replaced when it is on a
list and not ambiguous.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

NAME, ADDRESS, PHONE, EMAIL, AGE, EMPLOYER, MUNICIPALITY, CPR = (
    "[navn]",
    "[adresse]",
    "[telefon]",
    "[e-mail]",
    "[alder]",
    "[arbejdsplads]",
    "[kommune]",
    "[cpr-nummer]",
)

FIRST_NAMES = """
Mette Anne Hanne Susanne Lene Helle Tina Pia Lone Camilla Charlotte Marianne Kirsten Karen Birgitte
Louise Maria Gitte Anette Annette Dorthe Jette Bente Inge Lisbeth Rikke Julie Sofie Ida Emma Laura
Sara Sarah Cecilie Katrine Maja Line Signe Stine Trine Tanja Heidi Malene Nanna Mathilde Freja Josefine
Ulla Birthe Kirsten Grethe Jytte Tove Ruth Aase Åse Else Eva Vibeke Lotte Nina Jane Janni Britt Dorte
Søren Lars Jens Peter Michael Henrik Thomas Morten Anders Jesper Rasmus Martin Niels Jørgen Hans Christian
Kristian Mads Mikkel Jakob Jacob Jonas Frederik Emil Oliver William Lucas Magnus Mathias Nikolaj Simon
Steen Torben Kim Ole Erik Poul Flemming Claus Carsten Kenneth Brian Allan Bjarne Preben Finn Jan Jesper
Kasper Casper Kristoffer Christoffer Nicolai Tobias Benjamin Sebastian Alexander Daniel Andreas Ahmed
Mohammad Mohamed Ali Fatima Aisha Leila Yasmin Hassan Omar Mustafa Zainab Ayse Mehmet
"""
SURNAMES = """
Jensen Nielsen Hansen Pedersen Andersen Christensen Larsen Sørensen Rasmussen Jørgensen Petersen
Madsen Kristensen Olsen Thomsen Christiansen Poulsen Johansen Møller Mortensen Knudsen Jakobsen
Jacobsen Mikkelsen Olesen Frederiksen Laursen Henriksen Schmidt Eriksen Kristiansen Clausen Simonsen
Svendsen Andreasen Iversen Jeppesen Mogensen Jespersen Nissen Lauridsen Kjeldsen Carlsen Østergaard
Vestergaard Nørgaard Jepsen Thygesen Bertelsen Overgaard Søndergaard Kjærgaard Damgaard
"""
DATA_DIR = Path(__file__).parent / "data"


def _word_list(name: str) -> list[str]:
    """One entry per line of `data/<name>.txt` ('#' starts a comment line)."""
    lines = (DATA_DIR / f"{name}.txt").read_text(encoding="utf-8").splitlines()
    return [x.strip() for x in lines if x.strip() and not x.startswith("#")]


# The shipped lists (tpj_helpers/publish/data/) on top of the ones above.
FIRST_NAMES += "\n" + "\n".join(_word_list("first_names"))
SURNAMES += "\n" + "\n".join(_word_list("surnames"))
# First names and surnames that are also ordinary words: only when capitalised inside a sentence.
AMBIGUOUS_NAMES = (
    "Bo",
    "Per",
    "Sten",
    "Liv",
    "Ask",
    "Rose",
    "Maj",
    "Storm",
    "Mark",
    "Lund",
    "Holm",
    "Skov",
    "Dahl",
    "Bach",
    "Kjær",
    "Berg",
    "Dam",
    "Vang",
    "Krag",
    "Lis",
    "Ib",
    "Dan",
    "Tom",
    "Kent",
    "Frank",
    "John",
    "Lykke",
    "Gade",
    "Toft",
    "Lind",
    "Frost",
    "Friis",
    "Høj",
    "Lange",
    "Munk",
    "Ravn",
    "Bang",
    "Birk",
    "Gram",
    "Hald",
    "Harder",
    "Blom",
    "Kruse",
    "Brandt",
    "Juul",
    "Juhl",
    "Buch",
    "Holst",
    "Riis",
    "Qvist",
    "Schou",
    "Lilly",
    "Ella",
    "Alma",
    "Otto",
    "Leo",
    "Noah",
    "Ane",
    "Naja",
    "Thea",
    "Tulle",
    "Didde",
    "Lea",
    "Nora",
    "Ida",
    "Mille",
    "Kim",
    "Tage",
    "Max",
    "Vibe",
    "Tilde",
    "Bitten",
)
# A capitalised word after one of these is a name ("sagsbehandler Hanne", "hr. Berg").
TITLES = (
    r"hr\.",
    "fru",
    r"frk\.",
    "sagsbehandler(?:en)?",
    "koordinator(?:en)?",
    "instruktør(?:en)?",
    "leder(?:en)?",
    "chef(?:en)?",
    "kollega(?:en)?",
    "læge(?:n)?",
    "psykolog(?:en)?",
    "mentor(?:en)?",
    "underviser(?:en)?",
    "konsulent(?:en)?",
    "min mand",
    "min kone",
    "min kæreste",
    "min søn",
    "min datter",
)
EMPLOYERS = (
    "Novo Nordisk",
    "Danske Bank",
    "Danish Crown",
    "Netto",
    "Føtex",
    "Bilka",
    "Lidl",
    "Rema 1000",
    "Coop",
    "Salling",
    "Irma",
    "Kvickly",
    "Vestas",
    "Lego",
    "Danfoss",
    "Grundfos",
    "Arla",
    "Carlsberg",
    "Mærsk",
    "Maersk",
    "ISS",
    "DSB",
    "PostNord",
    "Jysk",
    "Ikea",
    "IKEA",
    "Fakta",
    "Elgiganten",
    "Matas",
    "Tivoli",
)
COMPANY_FORMS = r"(?:A/S|ApS|I/S|IVS|K/S|P/S|a/s|aps)"

MUNICIPALITIES = (
    "Albertslund",
    "Allerød",
    "Assens",
    "Ballerup",
    "Billund",
    "Bornholm",
    "Brøndby",
    "Brønderslev",
    "Dragør",
    "Egedal",
    "Esbjerg",
    "Fanø",
    "Favrskov",
    "Faxe",
    "Fredensborg",
    "Fredericia",
    "Frederiksberg",
    "Frederikshavn",
    "Frederikssund",
    "Furesø",
    "Faaborg-Midtfyn",
    "Gentofte",
    "Gladsaxe",
    "Glostrup",
    "Greve",
    "Gribskov",
    "Guldborgsund",
    "Haderslev",
    "Halsnæs",
    "Hedensted",
    "Helsingør",
    "Herlev",
    "Herning",
    "Hillerød",
    "Hjørring",
    "Holbæk",
    "Holstebro",
    "Horsens",
    "Hvidovre",
    "Høje-Taastrup",
    "Hørsholm",
    "Ikast-Brande",
    "Ishøj",
    "Jammerbugt",
    "Kalundborg",
    "Kerteminde",
    "Kolding",
    "København",
    "Køge",
    "Langeland",
    "Lejre",
    "Lemvig",
    "Lolland",
    "Lyngby-Taarbæk",
    "Læsø",
    "Mariagerfjord",
    "Middelfart",
    "Morsø",
    "Norddjurs",
    "Nordfyn",
    "Nyborg",
    "Næstved",
    "Odder",
    "Odense",
    "Odsherred",
    "Randers",
    "Rebild",
    "Ringkøbing-Skjern",
    "Ringsted",
    "Roskilde",
    "Rudersdal",
    "Rødovre",
    "Samsø",
    "Silkeborg",
    "Skanderborg",
    "Skive",
    "Slagelse",
    "Solrød",
    "Sorø",
    "Stevns",
    "Struer",
    "Svendborg",
    "Syddjurs",
    "Sønderborg",
    "Thisted",
    "Tønder",
    "Tårnby",
    "Vallensbæk",
    "Varde",
    "Vejen",
    "Vejle",
    "Vesthimmerland",
    "Viborg",
    "Vordingborg",
    "Ærø",
    "Aabenraa",
    "Aalborg",
    "Aarhus",
)
# Towns, islands and parts of municipalities that are not themselves municipality names.
TOWNS = (
    "Københavns",
    "Kbh",
    "Skagen",
    "Sæby",
    "Hirtshals",
    "Nørresundby",
    "Store Heddinge",
    "Falster",
    "Nykøbing",
    "Lyngby",
    "Taastrup",
    "Ikast",
    "Brande",
    "Ringkøbing",
    "Skjern",
    "Hobro",
    "Aars",
    "Brønderslev",
    "Fjerritslev",
    "Grenaa",
    "Ebeltoft",
    "Hadsund",
    "Farsø",
    "Løgstør",
    "Bjerringbro",
    "Kjellerup",
    "Karup",
    "Stoholm",
    "Frederiksværk",
    "Hundested",
    "Nakskov",
    "Maribo",
    "Rødby",
    "Haslev",
    "Rønne",
    "Nexø",
    "Esbjerg",
    "Ribe",
    "Grindsted",
    "Mors",
    "Nykøbing Mors",
    "Nykøbing Falster",
    "Djursland",
    "Himmerland",
    "Vendsyssel",
    "Thy",
    "Fyn",
    "Sjælland",
    "Jylland",
)
TOWNS += tuple(_word_list("towns"))
# Place names that are also ordinary words (Vejen = the road, Odder = otters, Greve = counts).
AMBIGUOUS_PLACES = (
    "Vejen",
    "Odder",
    "Greve",
    "Thy",
    "Mors",
    "Fyn",
    "Brande",
    "Karup",
    "Hals",
    "Ans",
    "Hou",
    "Gram",
    "Tune",
    "Give",
    "Ringe",
    "Stilling",
    "Vrå",
    "Ramme",
    "Humble",
    "Ry",
    "Hasle",
    "Stege",
    "Henne",
    "Holte",
    "Balling",
    "Sunds",
    "Lynge",
    "Strib",
    "Ho",
    "Ejby",
    "Beder",
    "Elling",
    "Sorø",
    "Viby",
    "Husum",
    "Amager",
    "Tarm",
    "Them",
    "Lem",
)

STREET_SUFFIXES = (
    "vej",
    "vejen",
    "gade",
    "gaden",
    "allé",
    "alle",
    "stræde",
    "strædet",
    "plads",
    "pladsen",
    "torv",
    "torvet",
    "boulevard",
    "vænget",
    "vang",
    "parken",
    "stien",
    "bakken",
    "højen",
    "have",
)

_LETTER = "A-Za-zÆØÅæøåÉéÜüÖöÄä"
_UPPER = "A-ZÆØÅÉÜÖÄ"
_WORD_END = rf"(?![{_LETTER}0-9])"
_WORD_START = rf"(?<![{_LETTER}0-9])"


def spellings(name: str) -> set[str]:
    """A name as written and in the ASCII spellings of æ, ø, å (Søren, Soeren, Soren)."""
    out = {name}
    for special, ascii_forms in (
        ("æ", ("ae", "a")),
        ("ø", ("oe", "o")),
        ("å", ("aa", "a")),
        ("Æ", ("Ae", "A")),
        ("Ø", ("Oe", "O")),
        ("Å", ("Aa", "A")),
    ):
        out |= {v.replace(special, a) for v in out for a in ascii_forms}
    if "aa" in name.lower():
        out |= {v.replace("Aa", "Å").replace("aa", "å") for v in out}
    return out


def _alternation(words: Iterable[str]) -> str:
    forms = sorted({s for w in words for s in spellings(w)}, key=len, reverse=True)
    return "|".join(re.escape(f) for f in forms)


def _sentence_start(text: str, pos: int) -> bool:
    """True when `pos` starts a sentence: the text start, or after . ! ? : or a quote/newline."""
    before = text[:pos].rstrip(" \t\"'»«“”(-–")
    return not before or before[-1] in ".!?:\n"


def _names() -> tuple[list[str], list[str]]:
    words = FIRST_NAMES.split() + SURNAMES.split()
    plain = [w for w in dict.fromkeys(words) if w not in AMBIGUOUS_NAMES]
    return plain, list(AMBIGUOUS_NAMES)


_PLAIN_NAMES, _AMBIG_NAMES = _names()
_SURNAME_TAIL = (
    rf"(?-i:(?:[ ]+(?:{_alternation(SURNAMES.split())}|{'|'.join(AMBIGUOUS_NAMES)}|"
    rf"[{_UPPER}][a-zæøåé]+(?:sen|søn|gaard|gård|strup|bæk|holm|berg|lund))s?{_WORD_END})?)"
)

EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE_RE = re.compile(
    r"(?<![\d+])(?:(?:\+|00)45[ -]?)?(?:\d{8}|\d{2}(?:[ .-]\d{2}){3}|\d{4}[ .-]\d{4})(?![\d])"
)
CPR_RE = re.compile(r"(?<![\d-])(?:0[1-9]|[12]\d|3[01])(?:0[1-9]|1[0-2])\d{2}[ -]?\d{4}(?![\d])")
# A street named without a house number: a capitalised word ending in a street suffix inside a
# sentence (Vesterbrogade, Nørre Allé); at a sentence start only with a number (handled above).
STREET_RE = re.compile(
    rf"{_WORD_START}(?-i:(?:[{_UPPER}][{_LETTER}-]+[ ])?(?:[{_UPPER}][{_LETTER}-]*|(?=[{_UPPER}]))"
    rf"(?i:{'|'.join(s for s in STREET_SUFFIXES if s not in ('have', 'parken', 'stien', 'bakken'))}))"
    rf"(?:s)?(?:[ ]+(?:nr\.?[ ]*)?\d{{1,4}}[A-Za-z]?)?{_WORD_END}"
)
# Ordinary nouns that end like a street; never an address on their own.
STREET_WORDS = {
    "arbejdsplads",
    "arbejdspladsen",
    "arbejdspladser",
    "parkeringsplads",
    "legeplads",
    "markedsplads",
    "hovedgade",
    "hovedgaden",
    "sidegade",
    "sidegaden",
    "omvej",
    "omvejen",
    "genvej",
    "genvejen",
    "motorvej",
    "motorvejen",
    "cykelsti",
    "landevej",
    "landevejen",
    "praktikplads",
    "praktikpladsen",
    "uddannelsesplads",
    "læreplads",
    "ventevænget",
    "gågade",
    "gågaden",
    "plads",
    "pladsen",
    "vej",
    "vejen",
    "gade",
    "gaden",
    "torv",
    "torvet",
    "allé",
    "alle",
    "stræde",
    "strædet",
    "vang",
    "vænget",
    "boulevard",
}
# Employers: capitalised words after "arbejde hos", "ansat i", "job hos", "praktik hos", ...
EMPLOYER_CONTEXT_RE = re.compile(
    rf"{_WORD_START}(?P<lead>(?:arbejde[rt]?|arbejdede|ansat|ansættelse|job|jobbet|praktik|"
    rf"praktikken|løntilskud|fleksjob|stilling|elev|lærling|frivillig)[ ]+(?:hos|i|på|ved|for)[ ]+)"
    rf"(?P<name>(?-i:[{_UPPER}0-9][\w&'.-]*(?:[ ]+[{_UPPER}0-9][\w&'.-]*){{0,2}}))",
    re.IGNORECASE,
)
AGE_ER_RE = re.compile(
    rf"(?P<lead>{_WORD_START}(?:er|var|blev|bliver|fylder|fyldte)[ ]+)(?:\d{{2}})(?![\d,.]?\d)"
    rf"(?![ ]*(?:%|procent|kr|kroner|timer|dage|uger|måneder|minutter|personer|kursister|deltagere|"
    rf"på|af|ud|gange|stk|point|mennesker|i alt))",
    re.IGNORECASE,
)
ADDRESS_RE = re.compile(
    rf"{_WORD_START}(?-i:[{_UPPER}][{_LETTER}.-]+[ ]){{0,2}}[{_LETTER}.-]*(?:{'|'.join(STREET_SUFFIXES)})"
    rf"[ ]+(?:nr\.?[ ]*)?\d{{1,4}}[A-Za-z]?{_WORD_END}"
    r"(?:,?[ ]*\d{1,2}\.?[ ]*(?:sal|tv|th|mf)?\.?)?",
    re.IGNORECASE,
)
COMPANY_RE = re.compile(
    rf"{_WORD_START}(?:[{_UPPER}0-9][\w&'.-]*[ ]+){{0,2}}[{_UPPER}0-9][\w&'.-]*[ ]+{COMPANY_FORMS}"
    rf"(?![{_LETTER}])"
)
EMPLOYER_RE = re.compile(rf"{_WORD_START}(?:{_alternation(EMPLOYERS)}){_WORD_END}")
TITLE_RE = re.compile(
    rf"{_WORD_START}(?P<title>(?:{'|'.join(TITLES)}))[ ]+(?P<name>(?-i:[{_UPPER}][{_LETTER}-]+))"
    rf"{_SURNAME_TAIL}",
    re.IGNORECASE,
)
NAME_RE = re.compile(
    rf"{_WORD_START}(?:{_alternation(_PLAIN_NAMES)})(?:s|'s)?{_WORD_END}{_SURNAME_TAIL}",
    re.IGNORECASE,
)
AMBIG_NAME_RE = re.compile(rf"{_WORD_START}(?:{'|'.join(_AMBIG_NAMES)})s?{_WORD_END}")

_PLACE_NAMES = [p for p in dict.fromkeys(MUNICIPALITIES + TOWNS) if p not in AMBIGUOUS_PLACES]
_PLACE_TAIL = rf"(?:-[{_UPPER}][{_LETTER}]+)*(?:s|'s)?(?:[ ]+[Kk]ommunes?)?{_WORD_END}"
PLACE_RE = re.compile(
    rf"{_WORD_START}(?:[{_UPPER}][{_LETTER}]+-)?(?P<place>{_alternation(_PLACE_NAMES)})"
    rf"{_PLACE_TAIL}",
    re.IGNORECASE,
)
AMBIG_PLACE_RE = re.compile(
    rf"{_WORD_START}(?P<place>{'|'.join(AMBIGUOUS_PLACES)})(?P<tail>(?:s)?(?:[ ]+[Kk]ommunes?)?)"
    rf"{_WORD_END}"
)
AGE_RE = re.compile(
    rf"(?P<lead>{_WORD_START}jeg er[ ]+)\d{{1,3}}(?:[ ]+år(?:[ ]+gammel)?)?{_WORD_END}"
    rf"|(?P<num>{_WORD_START}\d{{1,3}})(?:[ ]+år(?:[ ]+gammel)?|-årige?|[ ]+årige?){_WORD_END}",
    re.IGNORECASE,
)
DURATION_WORDS = {
    "i",
    "for",
    "på",
    "om",
    "efter",
    "over",
    "under",
    "inden",
    "hvert",
    "de",
    "sidste",
    "seneste",
    "første",
    "to",
    "tre",
    "fire",
    "halvandet",
    "ca.",
    "cirka",
    "omkring",
}


# ---- rules added for issue 12 (parts 3): dates, postcodes, ages in words, name pairs, and every
# capitalised word inside a sentence that no list knows.
DATE, YEAR, POSTCODE, OTHER = "[dato]", "[årstal]", "[postnummer]", "[udeladt]"
MONTHS = (
    "januar|februar|marts|april|maj|juni|juli|august|september|oktober|november|december|"
    r"jan\.|feb\.|mar\.|apr\.|jun\.|jul\.|aug\.|sep\.|sept\.|okt\.|nov\.|dec\."
)
_DAY, _MONTH_NO = r"(?:0?[1-9]|[12]\d|3[01])", r"(?:0?[1-9]|1[0-2])"
DATE_RE = re.compile(
    rf"{_WORD_START}(?:{_DAY}\.?[ ]*(?:{MONTHS})(?:[ ]+(?:19|20)?\d{{2}}(?!\d))?"
    rf"|{_DAY}[/.-]{_MONTH_NO}[/.-](?:19|20)?\d{{2}}(?![\d]))",
    re.IGNORECASE,
)
BIRTH_YEAR_RE = re.compile(
    rf"(?P<lead>{_WORD_START}(?:født|årgang)(?:[ ]+(?:i|år|den|d\.))?[ ]+)'?(?:19|20)?\d{{2}}(?!\d)",
    re.IGNORECASE,
)
# A four-digit postcode before a capitalised town name ("8000 Aarhus C", "7100 Vejle").
POSTCODE_RE = re.compile(rf"(?<![\d.,])(?<!\d )\b[1-9]\d{{3}}(?=[ ]+[{_UPPER}][{_LETTER}])")
_UNITS = "en|et|to|tre|fire|fem|seks|syv|otte|ni"
_TENS = "tyve|tredive|tredve|fyrre|fyrretyve|halvtreds|tres|halvfjerds|firs|halvfems"
AGE_WORD = (
    rf"(?:(?:{_UNITS})og(?:{_TENS})|{_TENS}|tretten|fjorten|femten|seksten|sytten|atten|nitten)"
)
AGE_WORD_RE = re.compile(
    rf"(?P<lead>{_WORD_START}(?:(?:jeg|du|han|hun|man|de)[ ]+(?:er|var|blev|bliver)"
    rf"|fylder|fyldte|fyldt|som)[ ]+(?:(?:nu|snart|lige|kun|allerede|først)[ ]+)?)"
    rf"{AGE_WORD}(?:[ ]*-?[ ]*årig[e]?|[ ]+år(?:[ ]+gammel)?)?{_WORD_END}"
    rf"|{_WORD_START}{AGE_WORD}(?:[ ]*-?[ ]*årig[e]?|[ ]+år[ ]+gammel){_WORD_END}",
    re.IGNORECASE,
)
# Words that open a sentence or stand before a surname without being a first name.
_FUNCTION_WORDS = """jeg du han hun vi i de det der den dem min mit mine din dit dine hans hendes vores jeres
    deres sin sit sine og men så da når hvis at til med fra for på hos om af ved hej kære tak nej
    ja jo nå også altså spørg ring skriv sig kun bare både hverken enten eller efter før ifølge
    ligesom fordi mens selv hvor hvem hvad hvordan hvorfor her nu dengang hr fru frk doktor dr
    familien fam"""
FUNCTION_WORDS = set(_FUNCTION_WORDS.split())
_TITLE_WORDS_RE = re.compile(rf"^(?:{'|'.join(TITLES)})$", re.IGNORECASE)
# A capitalised word directly before a surname is a first name too ("Gurli Mikkelsen").
NAME_PAIR_RE = re.compile(
    rf"{_WORD_START}(?P<first>(?-i:[{_UPPER}][a-zæøåéü]+(?:-[{_UPPER}][a-zæøåéü]+)?))[ ]+"
    rf"(?P<last>(?-i:{_alternation(SURNAMES.split())}|{'|'.join(AMBIGUOUS_NAMES)}|"
    rf"[{_UPPER}][a-zæøåé]+(?:sen|søn|gaard|gård|strup))s?{_WORD_END})"
)
# Double names after a replaced part ("[navn]-Marie", "[navn]-[navn]").
DOUBLE_NAME_RE = re.compile(rf"\[navn\](?:-(?:\[navn\]|[{_LETTER}]+))+")
# Street names beyond the suffixes above when a house number follows ("Søndermarken 8").
MORE_STREET_SUFFIXES = (
    "marken|engen|toften|haven|lunden|vænge|bakke|krogen|kæret|skrænten|ager|agre|høj|dal|"
    "sløjfen|buen|ringen|kilde|mosen|hegnet|hegn|tofte|løkke|gården|haveby|kvarter|park|sti"
)
STREET_NUMBER_RE = re.compile(
    rf"{_WORD_START}(?-i:[{_UPPER}][{_LETTER}-]*(?:{MORE_STREET_SUFFIXES}))[ ]+\d{{1,4}}[A-Za-z]?"
    rf"{_WORD_END}"
)
FLOOR_RE = re.compile(
    r"(?<=\[adresse\])(?:,?[ ]*(?:st|kld|\d{1,2})\.?(?:[ ]*(?:sal|tv|th|mf)\.?)?)",
    re.IGNORECASE,
)
# Capitalised words that may stay inside a sentence (the programme, agencies, everyday brands).
KEEP_WORDS = set(_word_list("keep_words"))
# Any capitalised word inside a sentence is a proper noun in Danish; one that no list placed is
# left out ("[udeladt]") unless it is on the keep list or an acronym of capitals (PTSD, ADHD).
PROPER_RE = re.compile(
    rf"{_WORD_START}(?-i:[{_UPPER}][{_LETTER}]*(?:-[{_LETTER}]+)*)(?:'s)?{_WORD_END}(?!\])"
)


_SEP = r"(?:,[ ]+(?:(?:og|eller)[ ]+)?|[ ]+(?:og|eller)[ ]+)"
# A title-cased enumeration opened by the sentence's first word ("Arbejde, Praktik og Handleplan").
_ENUMERATION_RE = re.compile(
    rf"^[\s\"'»«“”(-]*[{_UPPER}][{_LETTER}-]*(?:{_SEP}[{_UPPER}][{_LETTER}-]*)*{_SEP}$"
)


def _enumeration(text: str, pos: int) -> bool:
    """True when the word at `pos` continues a list of capitalised words that opens its sentence."""
    start = max(text.rfind(c, 0, pos) for c in ".!?:\n") + 1
    return bool(_ENUMERATION_RE.match(text[start:pos]))


def _proper(text: str, m: re.Match) -> str:
    word = m.group(0)
    core = word[:-2] if word.endswith("'s") else word
    if len(core) < 2 or core.isupper() or _sentence_start(text, m.start()):
        return word
    if _enumeration(text, m.start()):
        return word
    if core in KEEP_WORDS or core.rstrip("s") in KEEP_WORDS:
        return word
    if m.start() and text[m.start() - 1] == "[":
        return word
    return OTHER


def _name_pair(m: re.Match) -> str:
    first = m.group("first")
    if first.lower() in FUNCTION_WORDS or _TITLE_WORDS_RE.match(first):
        return m.group(0)
    return NAME


def _place_placeholder(name: str, kinds: Mapping[str, str] | None) -> str:
    if kinds:
        for key, kind in kinds.items():
            if key.lower() == name.lower():
                return f"[{kind}]"
    return MUNICIPALITY


def _ambiguous_ok(text: str, m: re.Match, follow: str = "") -> bool:
    return bool(follow) or not _sentence_start(text, m.start())


def pseudonymise(
    text: str, kinds: Mapping[str, str] | None = None, extra_names: Iterable[str] = ()
) -> str:
    """`text` with names, addresses, phone numbers, e-mails, ages, employers and places replaced
    (module docstring). `kinds` maps a municipality to its kind ("en landkommune"); `extra_names`
    adds names known from the material (the interviewees' own)."""
    if not isinstance(text, str) or not text:
        return "" if text is None else str(text)
    out = EMAIL_RE.sub(EMAIL, text)
    out = CPR_RE.sub(CPR, out)
    out = PHONE_RE.sub(PHONE, out)
    out = DATE_RE.sub(DATE, out)
    out = BIRTH_YEAR_RE.sub(lambda m: m.group("lead") + YEAR, out)
    out = ADDRESS_RE.sub(ADDRESS, out)
    out = STREET_NUMBER_RE.sub(ADDRESS, out)
    out = FLOOR_RE.sub("", out)
    out = STREET_RE.sub(
        lambda m: (
            m.group(0)
            if m.group(0).lower() in STREET_WORDS
            or (_sentence_start(out, m.start()) and not re.search(r"\d", m.group(0)))
            else ADDRESS
        ),
        out,
    )
    out = EMPLOYER_CONTEXT_RE.sub(lambda m: m.group("lead") + EMPLOYER, out)
    out = COMPANY_RE.sub(EMPLOYER, out)
    out = EMPLOYER_RE.sub(EMPLOYER, out)
    out = POSTCODE_RE.sub(POSTCODE, out)
    out = TITLE_RE.sub(lambda m: f"{m.group('title')} {NAME}", out)
    extra = [n for n in extra_names if n and n.strip()]
    if extra:
        out = re.compile(
            rf"{_WORD_START}(?:{_alternation(extra)})(?:s|'s)?{_WORD_END}", re.IGNORECASE
        ).sub(NAME, out)
    out = NAME_PAIR_RE.sub(_name_pair, out)
    out = NAME_RE.sub(NAME, out)
    out = AMBIG_NAME_RE.sub(lambda m: NAME if _ambiguous_ok(out, m) else m.group(0), out)
    out = PLACE_RE.sub(lambda m: _place_placeholder(m.group("place"), kinds), out)
    out = AMBIG_PLACE_RE.sub(
        lambda m: (
            _place_placeholder(m.group("place"), kinds)
            if _ambiguous_ok(out, m, m.group("tail").strip())
            else m.group(0)
        ),
        out,
    )

    def age(m: re.Match) -> str:
        if m.group("lead"):
            return m.group("lead") + AGE
        words = out[: m.start()].split()
        if words and words[-1].lower() in DURATION_WORDS:
            return m.group(0)
        return AGE

    out = AGE_RE.sub(age, out)
    out = AGE_ER_RE.sub(lambda m: m.group("lead") + AGE, out)
    out = AGE_WORD_RE.sub(lambda m: (m.group("lead") or "") + AGE, out)
    out = DOUBLE_NAME_RE.sub(NAME, out)
    return PROPER_RE.sub(lambda m: _proper(out, m), out)


# --------------------------------------------------------------------------- quote bank

ROLE_LABELS = {
    "kursist": "Kursist",
    "koordinator": "Koordinator",
    "instruktoer": "Instruktør",
    "sagsbehandler": "Sagsbehandler",
    "leder": "Kommunal leder",
    "fokusgruppe": "Fokusgruppe",
}
MIN_CHARS, MAX_CHARS = 40, 280


def role_label(role: str) -> str:
    return ROLE_LABELS.get(str(role), str(role).capitalize())


def _clean(text: str) -> str:
    """One line: no speaker tag ("K:", "Interviewer:"), whitespace collapsed, outer quotes off."""
    t = re.sub(r"^\s*[\w ]{1,20}:\s+", "", str(text).strip())
    t = re.sub(r"\s+", " ", t).strip().strip("\"'»«“”").strip()
    return t


def quote_bank(
    segments: pd.DataFrame,
    interviews: pd.DataFrame,
    theme_of,
    per_theme: int = 2,
    min_chars: int = MIN_CHARS,
    max_chars: int = MAX_CHARS,
    kinds: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """The strongest short excerpts per theme, pseudonymised and labelled by role only.

    "Strongest", transparently: a segment coded with the theme, whose cleaned text is between
    `min_chars` and `max_chars` characters and ends a sentence (. ! ?); ranked first by how few
    themes the segment carries (a segment coded with that theme alone speaks most plainly to it),
    then by length (shorter first); at most one quote per interview and theme, roles spread (the
    next quote prefers a role not yet quoted for the theme). `theme_of(code)` maps a code to its
    theme, or None for codes that are no theme (persona ratings).

    Columns: theme, rank, quote, role (the interview's role), label (Danish role label),
    interview_id, segment_id, n_themes, chars.
    """
    role = interviews.set_index(interviews["interview_id"].astype(str))["role"]
    rows = []
    for seg in segments.itertuples(index=False):
        themes = {t for t in (theme_of(c) for c in seg.codes) if t}
        text = _clean(seg.text)
        if not themes or not (min_chars <= len(text) <= max_chars) or text[-1:] not in ".!?":
            continue
        for theme in themes:
            rows.append(
                {
                    "theme": theme,
                    "interview_id": str(seg.interview_id),
                    "segment_id": seg.segment_id,
                    "text": text,
                    "n_themes": len(themes),
                    "chars": len(text),
                }
            )
    cols = [
        "theme",
        "rank",
        "quote",
        "role",
        "label",
        "interview_id",
        "segment_id",
        "n_themes",
        "chars",
    ]
    if not rows:
        return pd.DataFrame(columns=cols)
    cand = pd.DataFrame(rows).assign(role=lambda d: d["interview_id"].map(role).fillna(""))
    cand = cand.sort_values(["theme", "n_themes", "chars", "segment_id"], kind="stable")
    picked = []
    for theme, group in cand.groupby("theme", sort=False):
        chosen, seen_iv, seen_role = [], set(), set()
        pool = group.drop_duplicates("interview_id").drop_duplicates("text")
        while len(chosen) < per_theme and len(pool):
            fresh = pool[~pool["role"].isin(seen_role)]
            row = (fresh if len(fresh) else pool).iloc[0]
            chosen.append(row)
            seen_iv.add(row["interview_id"])
            seen_role.add(row["role"])
            pool = pool[~pool["interview_id"].isin(seen_iv)]
        for rank, row in enumerate(chosen, start=1):
            picked.append({**row.to_dict(), "rank": rank, "theme": theme})
    out = pd.DataFrame(picked)
    out["quote"] = out["text"].map(lambda t: pseudonymise(t, kinds=kinds))
    out["label"] = out["role"].map(role_label)
    return out[cols].reset_index(drop=True)


def quote_markdown(quote: str, label: str) -> str:
    """»quote« – Role (Danish typographic quotes)."""
    return f"»{quote}« – {label}"
