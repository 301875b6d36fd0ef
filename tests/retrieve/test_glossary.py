"""Tests for kb.retrieve.glossary: query expansion and keyword theme tagging.

Most tests build a small glossary or taxonomy from hand-made YAML so each rule is
checked in isolation; the last group loads the shipped ``src/kb/data/glossary.yaml`` and
``src/kb/data/taxonomy.yaml`` and checks that they are complete and behave sensibly.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from kb.enrich.taxonomy import Taxonomy, keyword_hits, keyword_themes, load_taxonomy
from kb.errors import ConfigError
from kb.retrieve.glossary import Expansion, Glossary, load_glossary

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "src" / "kb" / "data"

GLOSSARY_YAML = """
acronyms:
  LADO: [local authority designated officer]
  IRO: [independent reviewing officer]
  CP: [child protection]
  CPP: [child protection plan]
  LA: [local authority]
  S47: [section 47 enquiry]
  A&E: [accident and emergency]
  ED: [emergency department]
  DoLS: [deprivation of liberty safeguards]
synonyms:
  - [smacking, physical punishment, reasonable punishment, corporal punishment, chastisement,
     hitting]
  - [council, local authority]
  - [home schooling, elective home education, home educated]
  - [cot death, SUDI, sudden infant death]
  - [foster carer, foster parent]
"""

TAXONOMY_YAML = """
version: 1
groups:
  - id: harm
    label: Types of harm
  - id: agency
    label: Agencies
themes:
  - id: neglect
    group: harm
    label: Neglect
    description: The children lived in neglectful home conditions.
    keywords: [neglect*, poor home conditions]
    exclude: [abuse or neglect, self-neglect]
  - id: exploitation
    group: harm
    label: Criminal exploitation
    description: The boy was exploited through county lines.
    keywords: [county lines, criminal exploitation, cuckoo*]
  - id: sleep
    group: harm
    label: Safe sleep
    description: The baby died after co-sleeping.
    keywords: [co-sleep*, safe sleep]
  - id: police
    group: agency
    label: Police
    description: Police officers attended the address.
    keywords: [police officer*, police attended, arrest*]
    min_hits: 2
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def glossary(tmp_path: Path) -> Glossary:
    return load_glossary(write(tmp_path, "glossary.yaml", GLOSSARY_YAML))


@pytest.fixture
def taxonomy(tmp_path: Path) -> Taxonomy:
    return load_taxonomy(write(tmp_path, "taxonomy.yaml", TAXONOMY_YAML))


# --------------------------------------------------------------------------- acronyms


def test_acronym_adds_long_form(glossary: Glossary) -> None:
    result = glossary.expand("when should I call the LADO")
    assert isinstance(result, Expansion)
    assert result.added == ("local authority designated officer",)
    assert result.text == "when should I call the LADO local authority designated officer"


def test_long_form_adds_acronym(glossary: Glossary) -> None:
    result = glossary.expand("role of the Independent Reviewing Officer")
    assert result.added == ("IRO",)


def test_lowercase_words_are_not_acronyms(glossary: Glossary) -> None:
    # "cp", "ed", "la" and "lado" typed in lowercase are words or typos, not acronyms.
    assert glossary.expand("cp and cpp were ed by la and lado").added == ()
    assert glossary.expand("she played the la la la song").added == ()
    # Nor is an acronym found inside a longer word.
    assert glossary.expand("CPPS and LADOX and SCP").added == ()


def test_capitalised_acronyms_match_only_as_whole_tokens(glossary: Glossary) -> None:
    assert glossary.expand("is a CP plan needed").added == ("child protection",)
    assert glossary.expand("a CPP was made").added == ("child protection plan",)


def test_plural_and_possessive_acronyms(glossary: Glossary) -> None:
    added = glossary.expand("what do IROs and LADOs do").added
    assert added == ("independent reviewing officer", "local authority designated officer")
    assert glossary.expand("the LADO's decision").added == ("local authority designated officer",)


def test_mixed_case_acronym_also_matches_in_capitals(glossary: Glossary) -> None:
    assert glossary.expand("DoLS for a 16 year old").added == ("deprivation of liberty safeguards",)
    assert glossary.expand("DOLS for a 16 year old").added == ("deprivation of liberty safeguards",)
    assert glossary.expand("dols").added == ()


def test_acronym_with_digits_or_ampersand_matches_in_any_case(glossary: Glossary) -> None:
    assert glossary.expand("s47 timescales").added == ("section 47 enquiry",)
    assert glossary.expand("taken to a&e").added == ("accident and emergency",)


def test_long_form_inside_longer_long_form_adds_only_the_longer_acronym(
    glossary: Glossary,
) -> None:
    # "child protection" is inside "child protection plan"; "local authority" is inside
    # "local authority designated officer": only the longer concept counts.
    assert glossary.expand("review of a child protection plan").added == ("CPP",)
    added = glossary.expand("ask the local authority designated officer").added
    assert added == ("LADO",)


def test_present_phrases_are_not_added_again(glossary: Glossary) -> None:
    result = glossary.expand("LADO (local authority designated officer) referral")
    assert result.added == ()
    assert result.text == "LADO (local authority designated officer) referral"


def test_two_acronyms_sharing_a_span(tmp_path: Path) -> None:
    g = load_glossary(
        write(
            tmp_path,
            "g.yaml",
            """
            acronyms:
              ED: [emergency department]
              EDT: [emergency duty team]
            """,
        )
    )
    assert g.expand("the emergency department").added == ("ED",)
    assert g.expand("ED and EDT").added == ("emergency department", "emergency duty team")


# --------------------------------------------------------------------------- synonyms


def test_lay_term_adds_practice_terms(glossary: Glossary) -> None:
    added = glossary.expand("is home schooling legal").added
    assert added == ("elective home education", "home educated")


def test_practice_term_adds_lay_terms(glossary: Glossary) -> None:
    added = glossary.expand("monitoring Elective Home Education").added
    assert added == ("home schooling", "home educated")


def test_synonyms_match_on_word_boundaries(glossary: Glossary) -> None:
    assert glossary.expand("councillors met").added == ()
    assert glossary.expand("the council").added == ("local authority",)


def test_synonym_plurals_match(glossary: Glossary) -> None:
    assert glossary.expand("support for foster carers").added == ("foster parent",)


def test_acronym_in_a_synonym_group_is_case_sensitive(glossary: Glossary) -> None:
    assert glossary.expand("SUDI prevention").added == ("cot death", "sudden infant death")
    assert glossary.expand("sudi prevention").added == ()


def test_per_group_cap(glossary: Glossary) -> None:
    added = glossary.expand("smacking").added
    assert added == (
        "physical punishment",
        "reasonable punishment",
        "corporal punishment",
        "chastisement",
    )
    assert len(glossary.expand("smacking", max_per_group=2).added) == 2


def test_total_cap(glossary: Glossary) -> None:
    query = "LADO IRO CPP S47 smacking council home schooling cot death foster carer"
    assert len(glossary.expand(query).added) == 12
    assert len(glossary.expand(query, max_added=3).added) == 3


def test_query_without_known_terms_is_unchanged(glossary: Glossary) -> None:
    result = glossary.expand("what did the review find")
    assert result == Expansion(text="what did the review find", added=())


def test_added_phrases_do_not_trigger_further_expansion(tmp_path: Path) -> None:
    g = load_glossary(
        write(
            tmp_path,
            "g.yaml",
            """
            acronyms:
              LA: [local authority]
            synonyms:
              - [local authority, council]
            """,
        )
    )
    # "LA" adds "local authority", which must not go on to add "council".
    assert g.expand("LA duties").added == ("local authority",)


def test_glossary_is_hashable_and_frozen(glossary: Glossary) -> None:
    hash(glossary)
    with pytest.raises(AttributeError):
        glossary.acronyms = ()  # type: ignore[misc]


# --------------------------------------------------------------------------- taxonomy


def test_taxonomy_loads_records(taxonomy: Taxonomy) -> None:
    assert taxonomy.ids == ("neglect", "exploitation", "sleep", "police")
    assert [g.id for g in taxonomy.groups] == ["harm", "agency"]
    neglect = taxonomy.get("neglect")
    assert neglect.keywords == ("neglect*", "poor home conditions")
    assert neglect.exclude == ("abuse or neglect", "self-neglect")
    assert neglect.min_hits == 1
    assert taxonomy.get("police").min_hits == 2
    assert [t.id for t in taxonomy.in_group("agency")] == ["police"]
    with pytest.raises(KeyError):
        taxonomy.get("nope")


def test_keywords_are_case_insensitive_with_stems(taxonomy: Taxonomy) -> None:
    assert keyword_themes("The children were NEGLECTED for years.", taxonomy) == ("neglect",)
    assert keyword_themes("Neglectful parenting", taxonomy) == ("neglect",)
    assert keyword_themes("Cuckooing of the flat", taxonomy) == ("exploitation",)


def test_keywords_match_on_word_boundaries(taxonomy: Taxonomy) -> None:
    assert keyword_themes("unneglected", taxonomy) == ()
    assert keyword_themes("county linesman", taxonomy) == ()


def test_hyphens_spaces_and_line_breaks_are_interchangeable(taxonomy: Taxonomy) -> None:
    for text in ("co-sleeping", "co sleeping", "cosleeping", "co-\nsleeping", "safe\r\nsleep"):
        assert keyword_themes(text, taxonomy) == ("sleep",), text
    assert keyword_themes("county\nlines", taxonomy) == ("exploitation",)


def test_exclude_vetoes_overlapping_keyword(taxonomy: Taxonomy) -> None:
    assert keyword_themes("children at risk of abuse or neglect", taxonomy) == ()
    assert keyword_themes("an adult's self-neglect", taxonomy) == ()
    # A separate, unvetoed occurrence still counts.
    text = "Signs of abuse or neglect. The neglect was chronic."
    assert keyword_themes(text, taxonomy) == ("neglect",)
    assert keyword_hits(text, taxonomy) == {"neglect": 1}


def test_min_hits(taxonomy: Taxonomy) -> None:
    assert keyword_themes("A police officer visited.", taxonomy) == ()
    text = "A police officer visited and police attended again in May."
    assert keyword_themes(text, taxonomy) == ("police",)
    assert keyword_themes("He was arrested, and re-arrested later.", taxonomy) == ("police",)


def test_themes_come_back_in_taxonomy_order(taxonomy: Taxonomy) -> None:
    text = "Police officers and more police officers found neglect and county lines."
    assert keyword_themes(text, taxonomy) == ("neglect", "exploitation", "police")


def test_apostrophes_are_optional(tmp_path: Path) -> None:
    yaml_text = TAXONOMY_YAML.replace("[county lines,", "[children's home, county lines,")
    t = load_taxonomy(write(tmp_path, "t.yaml", yaml_text))
    for text in ("a children's home", "a children\u2019s home", "a childrens home"):
        assert keyword_themes(text, t) == ("exploitation",), text


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("acronyms: [unclosed", "malformed YAML"),
        ("- just\n- a list\n", "mapping at the top level"),
        ("acronyms: [LADO]", "'acronyms' must be a mapping"),
        ("acronyms:\n  NO: [no further action]", "must be a non-empty string"),
        ("synonyms:\n  - [only one]", "at least two phrases"),
        ("synonyms:\n  - [ok, 3]", "non-text or empty phrase"),
    ],
)
def test_malformed_glossary(tmp_path: Path, text: str, reason: str) -> None:
    path = write(tmp_path, "bad-glossary.yaml", text)
    with pytest.raises(ConfigError) as info:
        load_glossary(path)
    assert "bad-glossary.yaml" in str(info.value)
    assert reason in str(info.value)


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        ("version: 1", "version: 2", "not supported"),
        ("group: agency", "group: nowhere", "unknown group 'nowhere'"),
        ("keywords: [co-sleep*, safe sleep]", "keywords: []", "has no keywords"),
        ("keywords: [co-sleep*, safe sleep]", "keywords: [c*]", "may only end a word"),
        ("keywords: [co-sleep*, safe sleep]", "keywords: [co*sleep]", "may only end a word"),
        ("min_hits: 2", "min_hits: 0", "min_hits"),
        ("min_hits: 2", "min_hits: many", "min_hits"),
        ("id: sleep", "id: neglect", "duplicate theme 'neglect'"),
        ("    description: The baby died after co-sleeping.\n", "", "needs a non-empty"),
        ("themes:", "themes: {", "malformed YAML"),
    ],
)
def test_malformed_taxonomy(tmp_path: Path, old: str, new: str, reason: str) -> None:
    assert old in TAXONOMY_YAML
    path = write(tmp_path, "bad-taxonomy.yaml", TAXONOMY_YAML.replace(old, new, 1))
    with pytest.raises(ConfigError) as info:
        load_taxonomy(path)
    assert "bad-taxonomy.yaml" in str(info.value)
    assert reason in str(info.value)


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="nothing.yaml"):
        load_glossary(tmp_path / "nothing.yaml")
    with pytest.raises(ConfigError, match="nothing.yaml"):
        load_taxonomy(tmp_path / "nothing.yaml")


# --------------------------------------------------------------------------- shipped files

REQUIRED_THEMES = {
    "practice": {
        "lived_experience",
        "reluctant_engagement",
        "critical_thinking",
        "changing_risk",
        "information_sharing",
        "leadership_culture",
    },
    "harm": {
        "neglect",
        "physical_abuse",
        "sexual_abuse_intrafamilial",
        "sexual_abuse_extrafamilial",
        "child_criminal_exploitation",
        "child_sexual_exploitation",
        "domestic_abuse",
        "online_harm",
        "self_harm_suicide",
        "sudi_safe_sleep",
    },
    "context": {
        "parental_mental_health",
        "parental_substance_use",
        "elective_home_education",
        "children_missing_education",
        "disability",
        "race_ethnicity_culture",
        "voice_of_child",
        "missing_children",
        "looked_after_children",
        "private_fostering",
        "allegations_against_staff",
    },
    "agency": {
        "agency_health",
        "agency_police",
        "agency_education",
        "agency_social_care",
        "agency_probation",
        "agency_housing",
    },
    "age": {"age_under_1", "age_1_4", "age_5_11", "age_12_17", "age_care_leavers"},
}

# Written as a block so the list reads like the brief it checks.
REQUIRED_ACRONYM_TEXT = """
LADO MASH DSL CIN CP CPP CSE CCE EHE CME SUDI SUDC SIN LCSPR CSPR SCR IRO PLO EHA CAMHS
CDOP MARAC MAPPA IDVA DASH DoLS DoL UASC NRM FGM EHCP EHC SEND SENCO PEP LAC CLA CiC ICPC
RCPC CPC S47 S17 NFA GP HV ED A&E NAI AHT FII CSC LSCP DfE KCSIE WT WTSC CYP YOT YJS PRU
AP CAIT MACE CERAF NEET FNSP DSCO SGO Cafcass ASYE TAF FSW PREVENT DBS NSPCC ACE CPIS IHA
RHI
"""
REQUIRED_ACRONYMS = REQUIRED_ACRONYM_TEXT.split()


@pytest.fixture(scope="module")
def shipped_glossary() -> Glossary:
    return load_glossary(CORPUS / "glossary.yaml")


@pytest.fixture(scope="module")
def shipped_taxonomy() -> Taxonomy:
    return load_taxonomy(CORPUS / "taxonomy.yaml")


def test_shipped_taxonomy_is_complete(shipped_taxonomy: Taxonomy) -> None:
    assert {g.id for g in shipped_taxonomy.groups} == set(REQUIRED_THEMES)
    for group, ids in REQUIRED_THEMES.items():
        assert {t.id for t in shipped_taxonomy.in_group(group)} >= ids, group
    for theme in shipped_taxonomy.themes:
        assert theme.label, theme.id
        assert len(theme.description.split()) >= 15, theme.id
        assert theme.keywords, theme.id
        assert all(k == k.lower() for k in theme.keywords), theme.id


def test_shipped_agency_themes_need_more_than_one_hit(shipped_taxonomy: Taxonomy) -> None:
    for theme in shipped_taxonomy.in_group("agency"):
        if theme.id not in ("agency_probation",):
            assert theme.min_hits >= 2, theme.id
    # Every document names the police in passing; that alone must not tag it.
    text = "Safeguarding partners are the local authority, the ICB and the police."
    assert "agency_police" not in keyword_themes(text, shipped_taxonomy)


def test_shipped_taxonomy_tags_its_own_descriptions(shipped_taxonomy: Taxonomy) -> None:
    # Each description reads like a passage about its theme, so its keywords should fire.
    for theme in shipped_taxonomy.themes:
        assert theme.id in keyword_themes(theme.description, shipped_taxonomy), theme.id


@pytest.mark.parametrize(
    ("text", "wanted", "unwanted"),
    [
        (
            "Bruising to a non-mobile baby of 11 weeks must prompt a referral.",
            {"physical_abuse", "age_under_1"},
            set(),
        ),
        (
            "All practitioners must be alert to signs of abuse or neglect.",
            set(),
            {"neglect"},
        ),
        (
            "He was reported missing 14 times; return home interviews were not offered.",
            {"missing_children"},
            {"children_missing_education"},
        ),
        (
            "The local authority must have a system to identify children missing education.",
            {"children_missing_education"},
            {"missing_children"},
        ),
        (
            "Safer sleep advice was given but the baby was co-sleeping on a sofa.",
            {"sudi_safe_sleep", "age_under_1"},
            {"sexual_abuse_intrafamilial", "sexual_abuse_extrafamilial"},
        ),
        (
            "The older boys looked after me and gave me trainers.",
            set(),
            {"looked_after_children"},
        ),
        (
            "A 15-year-old boy was drawn into county lines and cuckooing.",
            {"child_criminal_exploitation", "age_12_17"},
            {"child_sexual_exploitation"},
        ),
    ],
)
def test_shipped_taxonomy_on_sample_passages(
    shipped_taxonomy: Taxonomy, text: str, wanted: set[str], unwanted: set[str]
) -> None:
    found = set(keyword_themes(text, shipped_taxonomy))
    assert wanted <= found
    assert not unwanted & found


def test_shipped_glossary_is_complete(shipped_glossary: Glossary) -> None:
    shorts = {a.short for a in shipped_glossary.acronyms}
    assert len(shorts) == len(shipped_glossary.acronyms), "duplicate acronym"
    assert len(shorts) >= 70
    missing = [a for a in REQUIRED_ACRONYMS if a not in shorts]
    assert not missing
    assert len(shipped_glossary.synonyms) >= 40
    assert all(a.expansions for a in shipped_glossary.acronyms)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("what does a LADO do", "local authority designated officer"),
        ("multi-agency safeguarding hub referral", "MASH"),
        ("is smacking allowed", "physical punishment"),
        ("my son keeps running away", "missing from home"),
        ("parents taking drugs", "substance misuse"),
        ("cot death", "sudden unexpected death in infancy"),
        ("shaken baby", "abusive head trauma"),
        ("the council did nothing", "local authority"),
        ("social services came round", "children's social care"),
        ("kinship care", "family and friends care"),
        ("gangs near my school", "criminal exploitation"),
        ("home schooling", "elective home education"),
        ("not in school", "children missing education"),
        ("what can a teacher do", "school staff"),
        ("how do I report a concern", "make a referral"),
        ("case conference", "child protection conference"),
        ("child protection conference", "case conference"),
        ("elective home education", "home schooling"),
    ],
)
def test_shipped_glossary_expansions(shipped_glossary: Glossary, query: str, expected: str) -> None:
    result = shipped_glossary.expand(query)
    assert expected in result.added
    assert len(result.added) <= 12
    assert result.text.startswith(query)


def test_the_literal_check_never_changes_an_expansion() -> None:
    """Each phrase's pattern runs only when a piece of the phrase is in the query:
    over every shipped phrase, written in the ways PDF text and people write it,
    expansions are those of running every pattern."""
    import dataclasses

    shipped = load_glossary(CORPUS / "glossary.yaml")
    every = load_glossary(CORPUS / "glossary.yaml")

    def unfiltered(terms: tuple) -> tuple:  # type: ignore[type-arg]
        return tuple(dataclasses.replace(t, literal="") for t in terms)

    object.__setattr__(every, "_short_terms", unfiltered(every._short_terms))
    object.__setattr__(every, "_long_terms", tuple(unfiltered(t) for t in every._long_terms))
    object.__setattr__(every, "_groups", tuple(unfiltered(t) for t in every._groups))
    terms = [*shipped._short_terms, *(t for ts in shipped._long_terms for t in ts)]
    terms += [t for ts in shipped._groups for t in ts]
    assert len(terms) > 100 and all(t.literal for t in terms)
    queries = []
    for p in (t.phrase for t in terms):
        queries += [p, p.upper(), p.title(), p.replace(" ", "-"), p.replace("-", " ")]
        queries += [p.replace("-", ""), f"what about {p}s here?", p.replace("'", "\u2019")]
        queries += [p.replace("*", "ing")]
    assert [shipped.expand(q) for q in queries] == [every.expand(q) for q in queries]
