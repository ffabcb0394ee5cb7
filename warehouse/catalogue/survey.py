"""Catalogue entries for survey indicators (Quality of Life in European Cities, EU-SILC) and context figures.

Each survey indicator is built from one or more *series*: which answer codes are added up ("share agreeing"
= strongly + somewhat agree), from which dataset, and under which ``series_variant``. Questions that changed
wording are separate variants and nothing (no change, no trend) joins them.
"""

from __future__ import annotations

from dataclasses import dataclass

from warehouse.catalogue.indicator import Indicator

SHARE_UNIT = "% of respondents"
POPULATION_SHARE_UNIT = "% of population"
RATING_UNIT = "mean rating 0-10"
PERSONS_UNIT = "persons"

QOL = "urb_percep"
QOL_CAVEAT = (
    "Quality of Life in European Cities survey: about 300-700 telephone interviews per city and wave; shares are "
    "of all respondents including 'don't know'; opinion_share leaves 'don't know' out and is what places are "
    "compared on. The published shares carry no sample size, so the interval uses the survey's documented "
    "interviews per city (sample_size; approximate, no design effect documented): read it as indicative. "
)


@dataclass(frozen=True)
class SurveySeries:
    """One published series of a survey indicator."""

    indicator_id: str
    series_variant: str
    dataset: str
    question: str
    # urb_percep: the answer codes whose shares are added up.
    answer_codes: tuple[str, ...] = ()
    # EU-SILC JSON-stat tables: the exact breakdown (its dimension columns in staging.observations) and unit.
    dimension_codes: dict[str, str] | None = None
    unit_code: str | None = None
    # Which documented sample size the Wilson interval uses (transforms/parameters/survey_sample_sizes.csv);
    # None for mean ratings, which are published without a dispersion.
    sample: str | None = None
    breakdown: str | None = None
    # Agree/disagree items: the other answers with an opinion and the "don't know / no answer" code. Together
    # with answer_codes they are every answer of the question, so the don't-know share and the share among
    # respondents with an opinion can be computed.
    other_opinion_codes: tuple[str, ...] = ()
    dont_know_code: str | None = None
    # The other half of a question already published under another indicator (agree vs disagree of one item):
    # never ranked or counted twice beside it.
    complement_of: str | None = None
    # The waves this series holds (None: every wave the answer codes have). Used where a question kept its
    # codes but its answers broke (see SAFETY_BREAK_2012).
    waves: tuple[str, ...] | None = None

    @property
    def opinion_codes(self) -> tuple[str, ...]:
        return (*self.answer_codes, *self.other_opinion_codes)


# Between the 2009 and 2012 waves the share feeling safe in the city fell in 63 of the 69 cities asked both
# times (by 11 points on average) and in the neighbourhood in 67 of 69, while trust and inclusion items of the same
# interviews did not move that way (tests/transforms/test_survey.py measures this on the bundled file). The two
# waves were run by different contractors (Flash Eurobarometer 277, The Gallup Organisation, November 2009;
# Flash Eurobarometer 366, 2012) and we found no documentation that the question and its answer scale were
# unchanged, so 2004-2009 and 2012-2015 are separate variants: no change or trend joins them.
SAFETY_BREAK_2012 = "2012"
_EARLY, _LATE = ("2004", "2006", "2009"), ("2012", "2015")

SURVEY_SERIES: tuple[SurveySeries, ...] = (
    SurveySeries(
        "SAF_SAFE_CITY",
        "feel_safe_in_city_2004_2009",
        QOL,
        "You feel safe in this city",
        ("PS3290V", "PS3291V"),
        other_opinion_codes=("PS3292V", "PS3293V"),
        dont_know_code="PS3294V",
        sample=QOL,
        waves=_EARLY,
    ),
    SurveySeries(
        "SAF_SAFE_CITY",
        "feel_safe_in_city_2012_2015",
        QOL,
        "You feel safe in this city",
        ("PS3290V", "PS3291V"),
        other_opinion_codes=("PS3292V", "PS3293V"),
        dont_know_code="PS3294V",
        sample=QOL,
        waves=_LATE,
    ),
    SurveySeries(
        "SAF_SAFE_CITY",
        "safe_walking_alone_at_night_city_2019",
        QOL,
        "I feel safe walking alone at night in my city",
        ("PS3514V", "PS3515V"),
        other_opinion_codes=("PS3516V", "PS3517V"),
        dont_know_code="PS3518V",
        sample=QOL,
    ),
    SurveySeries(
        "SAF_SAFE_NBH",
        "feel_safe_in_neighbourhood_2004_2009",
        QOL,
        "You feel safe in your neighbourhood",
        ("PS3300V", "PS3301V"),
        other_opinion_codes=("PS3302V", "PS3303V"),
        dont_know_code="PS3304V",
        sample=QOL,
        waves=_EARLY,
    ),
    SurveySeries(
        "SAF_SAFE_NBH",
        "feel_safe_in_neighbourhood_2012_2015",
        QOL,
        "You feel safe in your neighbourhood",
        ("PS3300V", "PS3301V"),
        other_opinion_codes=("PS3302V", "PS3303V"),
        dont_know_code="PS3304V",
        sample=QOL,
        waves=_LATE,
    ),
    SurveySeries(
        "SAF_SAFE_NBH",
        "safe_walking_alone_at_night_neighbourhood_2019",
        QOL,
        "I feel safe walking alone at night in my neighbourhood",
        ("PS3519V", "PS3520V"),
        other_opinion_codes=("PS3521V", "PS3522V"),
        dont_know_code="PS3523V",
        sample=QOL,
    ),
    SurveySeries(
        "SAF_UNSAFE_NIGHT_NBH",
        "safe_walking_alone_at_night_neighbourhood_2019",
        QOL,
        "I feel safe walking alone at night in my neighbourhood (somewhat + strongly disagree)",
        ("PS3521V", "PS3522V"),
        other_opinion_codes=("PS3519V", "PS3520V"),
        dont_know_code="PS3523V",
        complement_of="SAF_SAFE_NBH",
        sample=QOL,
    ),
    SurveySeries(
        "SAF_URBAN_SAFETY_PRIORITY",
        "most_important_issues_2009_2015",
        QOL,
        "Most important issues for the city: urban safety",
        ("PS3211V",),
        sample=QOL,
    ),
    SurveySeries(
        "COH_TRUST_NBH",
        "trust_in_neighbourhood",
        QOL,
        "Most people in my neighbourhood can be trusted",
        ("PS3310V", "PS3311V"),
        other_opinion_codes=("PS3312V", "PS3313V"),
        dont_know_code="PS3314V",
        sample=QOL,
    ),
    SurveySeries(
        "COH_TRUST_CITY",
        "trust_in_city",
        QOL,
        "Generally speaking, most people in this city can be trusted",
        ("PS3092V", "PS3093V"),
        other_opinion_codes=("PS3094V", "PS3095V"),
        dont_know_code="PS3096V",
        sample=QOL,
    ),
    SurveySeries(
        "COH_INCLUSION_MIGRANTS",
        "foreigners_well_integrated_2004_2015",
        QOL,
        "Foreigners who live in this city are well integrated",
        ("PS2022V", "PS2023V"),
        other_opinion_codes=("PS2024V", "PS2025V"),
        dont_know_code="PS2026V",
        sample=QOL,
    ),
    SurveySeries(
        "COH_INCLUSION_MIGRANTS",
        "good_place_for_immigrants_2019",
        QOL,
        "This city is a good place to live for immigrants from other countries",
        ("PS3538V",),
        other_opinion_codes=("PS3539V",),
        dont_know_code="PS3540V",
        sample=QOL,
    ),
    SurveySeries(
        "LIV_PUBSPACE_SAT",
        "public_spaces_satisfaction",
        QOL,
        "Satisfied with public spaces such as markets, squares, pedestrian areas (very + rather)",
        ("PS3062V", "PS3063V"),
        other_opinion_codes=("PS3064V", "PS3065V"),
        dont_know_code="PS3066V",
        sample=QOL,
    ),
    SurveySeries(
        "LIV_CLEAN",
        "city_is_clean_2004_2009",
        QOL,
        "This city is a clean city",
        ("PS2072V", "PS2073V"),
        other_opinion_codes=("PS2074V", "PS2075V"),
        dont_know_code="PS2076V",
        sample=QOL,
    ),
    SurveySeries(
        "LIV_CLEAN",
        "cleanliness_satisfaction_2012_2019",
        QOL,
        "Satisfied with the cleanliness in the city (very + rather)",
        ("PS3280V", "PS3281V"),
        other_opinion_codes=("PS3282V", "PS3283V"),
        dont_know_code="PS3284V",
        sample=QOL,
    ),
    SurveySeries(
        "CTX_TRUST_ADMIN_CITY",
        "trust_in_city_administration",
        QOL,
        "The public administration of the city can be trusted",
        ("PS3320V", "PS3321V"),
        other_opinion_codes=("PS3322V", "PS3323V"),
        dont_know_code="PS3324V",
        sample=QOL,
    ),
    SurveySeries(
        "CTX_POVERTY_PROBLEM",
        "poverty_is_a_problem",
        QOL,
        "In this city, poverty is a problem",
        ("PS3112V", "PS3113V"),
        other_opinion_codes=("PS3114V", "PS3115V"),
        dont_know_code="PS3116V",
        sample=QOL,
    ),
    SurveySeries(
        "SAF_CVV_AREA",
        "eu_silc",
        "ilc_mddw03",
        "Crime, violence or vandalism in the area",
        dimension_codes={"hhtyp": "TOTAL", "incgrp": "TOTAL"},
        unit_code="PC",
        sample="eu_silc_households",
    ),
    SurveySeries(
        "COH_TRUST_OTHERS_NAT",
        "eu_silc",
        "ilc_pw03",
        "Trust in others (0-10)",
        dimension_codes={"age": "Y_GE16", "domain": "OTH", "isced11": "TOTAL", "sex": "T", "statinfo": "AVG"},
        unit_code="RTG",
    ),
    SurveySeries(
        "COH_VOLUNTEER",
        "eu_silc",
        "ilc_scp19",
        "Formal voluntary activities in the last 12 months",
        dimension_codes={"acl00": "AC41A", "age": "Y_GE16", "isced11": "TOTAL", "sex": "T"},
        unit_code="PC",
        sample="eu_silc_persons",
        breakdown="formal",
    ),
    SurveySeries(
        "COH_VOLUNTEER",
        "eu_silc",
        "ilc_scp19",
        "Informal voluntary activities in the last 12 months",
        dimension_codes={"acl00": "AC42A", "age": "Y_GE16", "isced11": "TOTAL", "sex": "T"},
        unit_code="PC",
        sample="eu_silc_persons",
        breakdown="informal",
    ),
    SurveySeries(
        "COH_SUPPORT",
        "eu_silc",
        "ilc_scp15",
        "Has someone to ask for help",
        dimension_codes={"age": "Y_GE16", "isced11": "TOTAL", "sex": "T"},
        unit_code="PC",
        sample="eu_silc_persons",
    ),
    SurveySeries(
        "QOL_SATISFIED_CITY",
        "satisfied_to_live_in_city_2004_2015",
        QOL,
        "You are satisfied to live in this city",
        ("PS2092V", "PS2093V"),
        other_opinion_codes=("PS2094V", "PS2095V"),
        dont_know_code="PS2096V",
        sample=QOL,
    ),
    SurveySeries(
        "QOL_SATISFIED_CITY",
        "good_place_to_live_2019",
        QOL,
        "The city is a good place to live for people in general",
        ("PS3529V",),
        other_opinion_codes=("PS3530V",),
        dont_know_code="PS3531V",
        sample=QOL,
    ),
    SurveySeries(
        "QOL_SATISFIED_NBH",
        "neighbourhood_satisfaction_2019",
        QOL,
        "Satisfied with the neighbourhood where you live (very + fairly)",
        ("PS3524V", "PS3525V"),
        other_opinion_codes=("PS3526V", "PS3527V"),
        dont_know_code="PS3528V",
        sample=QOL,
    ),
    SurveySeries(
        "LIV_GREEN_SAT",
        "green_spaces_satisfaction",
        QOL,
        "Satisfied with green spaces such as public parks or gardens (very + rather)",
        ("PS1052V", "PS1053V"),
        other_opinion_codes=("PS1054V", "PS1055V"),
        dont_know_code="PS1056V",
        sample=QOL,
    ),
    SurveySeries(
        "CTX_TRUST_POLICE",
        "eu_silc",
        "ilc_pw03b",
        "Trust in the police (0-10)",
        dimension_codes={"age": "Y_GE16", "domain": "POLC", "isced11": "TOTAL", "sex": "T", "statinfo": "AVG"},
        unit_code="RTG",
    ),
)


def _formula(indicator_id: str) -> str:
    parts = []
    for s in SURVEY_SERIES:
        if s.indicator_id != indicator_id:
            continue
        codes = ", ".join(f"{k}={v}" for k, v in sorted((s.dimension_codes or {}).items()))
        what = " + ".join(s.answer_codes) if s.answer_codes else f"{codes}, unit {s.unit_code}"
        label = f"[{s.series_variant}{', ' + s.breakdown if s.breakdown else ''}]"
        parts.append(f"{label} {s.dataset}: {what} ('{s.question}')")
    return "; ".join(parts)


def _survey(
    indicator_id: str,
    name: str,
    dimension: str,
    unit: str,
    direction: str,
    caveats: str,
    comparability: str,
    *,
    geo: str = "CITY",
    breakdown: str | None = None,
    ci: str | None = "wilson_approx_n",
) -> Indicator:
    sources = sorted({s.dataset for s in SURVEY_SERIES if s.indicator_id == indicator_id})
    return Indicator(
        indicator_id,
        name,
        dimension,
        unit,
        direction,
        _formula(indicator_id),
        breakdown,
        geo,
        ", ".join(sources),
        ci,
        caveats,
        comparability,
    )


_BREAK = (
    "Wording changed in 2019 ('walking alone at night'), and the answers broke between 2009 and 2012 (shares fell "
    "in almost every city at once, contractor changed): 2004-2009, 2012-2015 and 2019 are separate variants. "
)
_SILC = (
    "EU-SILC, national: shares of the population; the interval uses the minimum effective sample size of "
    "EU-SILC's regulation (approximate). Flag b marks a series break: no change across it. "
)

SURVEY_INDICATORS: tuple[Indicator, ...] = (
    _survey(
        "SAF_SAFE_CITY",
        "Feel safe in the city (share agreeing)",
        "A1-D4 Sense of safety / A5 feelings of insecurity",
        SHARE_UNIT,
        "+",
        QOL_CAVEAT + _BREAK,
        "cross_country",
    ),
    _survey(
        "SAF_SAFE_NBH",
        "Feel safe in the neighbourhood (share agreeing)",
        "A1-D4 Sense of safety / A5 feelings of insecurity",
        SHARE_UNIT,
        "+",
        QOL_CAVEAT + _BREAK,
        "cross_country",
    ),
    _survey(
        "SAF_UNSAFE_NIGHT_NBH",
        "Feel unsafe walking alone at night in the neighbourhood",
        "A5 feelings of insecurity / A1-D4 Sense of safety",
        SHARE_UNIT,
        "-",
        QOL_CAVEAT + "2019 wave only; closest EU proxy for SDG 16.1.4.",
        "cross_country",
    ),
    _survey(
        "SAF_CVV_AREA",
        "Population reporting crime, violence or vandalism in their area",
        "A1-D4 Sense of safety",
        POPULATION_SHARE_UNIT,
        "-",
        _SILC + "No data for 2021-2022.",
        "cross_country",
        geo="NUTS0",
    ),
    _survey(
        "SAF_URBAN_SAFETY_PRIORITY",
        "Urban safety among the most important issues for the city",
        "A1-D4 Sense of safety",
        SHARE_UNIT,
        "ctx",
        QOL_CAVEAT + "Waves 2009-2015 only.",
        "cross_country",
    ),
    _survey(
        "COH_TRUST_NBH",
        "Most people in the neighbourhood can be trusted (share agreeing)",
        "A1-D2 Social cohesion / A5",
        SHARE_UNIT,
        "+",
        QOL_CAVEAT,
        "cross_country",
    ),
    _survey(
        "COH_TRUST_CITY",
        "Most people in the city can be trusted (share agreeing)",
        "A1-D2 Social cohesion / A5",
        SHARE_UNIT,
        "+",
        QOL_CAVEAT,
        "cross_country",
    ),
    _survey(
        "COH_TRUST_OTHERS_NAT",
        "Trust in others (mean rating)",
        "A1-D2 Social cohesion",
        RATING_UNIT,
        "+",
        "EU-SILC, national mean on a 0-10 scale; no dispersion is published, so no interval. Many values are "
        "flagged u (low reliability).",
        "cross_country",
        geo="NUTS0",
        ci=None,
    ),
    _survey(
        "COH_INCLUSION_MIGRANTS",
        "Inclusion of migrants (share agreeing)",
        "A1-D2 Social cohesion / A5 inclusion",
        SHARE_UNIT,
        "+",
        QOL_CAVEAT + "Two different questions (2004-2015 'well integrated'; 2019 "
        "'good place for immigrants'): separate variants, never one series.",
        "cross_country",
    ),
    _survey(
        "COH_VOLUNTEER",
        "Formal or informal volunteering in the last 12 months",
        "A1-D2 Social cohesion",
        POPULATION_SHARE_UNIT,
        "+",
        _SILC + "Module years only (2015, 2022).",
        "cross_country",
        geo="NUTS0",
        breakdown="formal or informal volunteering",
    ),
    _survey(
        "COH_SUPPORT",
        "Has someone to ask for help",
        "A1-D2 Social cohesion",
        POPULATION_SHARE_UNIT,
        "+",
        _SILC + "2015 only.",
        "cross_country",
        geo="NUTS0",
    ),
    _survey(
        "LIV_PUBSPACE_SAT",
        "Satisfied with public spaces",
        "A1-D3 Public space liveability",
        SHARE_UNIT,
        "+",
        QOL_CAVEAT + "Waves 2009-2019.",
        "cross_country",
    ),
    _survey(
        "LIV_CLEAN",
        "The city is clean (share agreeing or satisfied)",
        "A1-D3 Public space liveability",
        SHARE_UNIT,
        "+",
        QOL_CAVEAT + "Two different questions (agreement that the city is clean, 2004-2009; "
        "satisfaction with cleanliness, 2012-2019): separate variants.",
        "cross_country",
    ),
    _survey(
        "QOL_SATISFIED_CITY",
        "Satisfied to live in the city (share agreeing)",
        "A1-D1 Quality of life",
        SHARE_UNIT,
        "+",
        QOL_CAVEAT + "Two different questions ('satisfied to live in this city', 2004-2015; 'a good place to "
        "live for people in general', 2019): separate variants, never one series.",
        "cross_country",
    ),
    _survey(
        "QOL_SATISFIED_NBH",
        "Satisfied with the neighbourhood where one lives",
        "A1-D1 Quality of life",
        SHARE_UNIT,
        "+",
        QOL_CAVEAT + "2019 wave only (asked in every city of the wave, national-extension cities included).",
        "cross_country",
    ),
    _survey(
        "LIV_GREEN_SAT",
        "Satisfied with green spaces",
        "A1-D3 Public space liveability",
        SHARE_UNIT,
        "+",
        QOL_CAVEAT + "Waves 2004-2019, same question.",
        "cross_country",
    ),
    _survey(
        "CTX_TRUST_POLICE",
        "Trust in the police (mean rating)",
        "A1-D6 Background conditions",
        RATING_UNIT,
        "+",
        "EU-SILC 2013 ad-hoc module only: a static context value. National mean on 0-10, no interval.",
        "cross_country",
        geo="NUTS0",
        ci=None,
    ),
    _survey(
        "CTX_TRUST_ADMIN_CITY",
        "The city administration can be trusted (share agreeing)",
        "A1-D6 Background conditions",
        SHARE_UNIT,
        "+",
        QOL_CAVEAT + "Waves 2012-2015.",
        "cross_country",
    ),
    _survey(
        "CTX_POVERTY_PROBLEM",
        "Poverty is a problem in the city (share agreeing)",
        "A1-D6 Background conditions",
        SHARE_UNIT,
        "-",
        QOL_CAVEAT + "2009 wave only.",
        "cross_country",
    ),
    Indicator(
        "CTX_POP",
        "Resident population on 1 January",
        "A1-D6 Background conditions",
        PERSONS_UNIT,
        "ctx",
        "population on 1 January of the territory (the denominator of every rate), from the first of tps00001, "
        "demo_pjan, demo_r_pjanaggr3 that has it (staging.population)",
        None,
        "NUTS0,NUTS1,NUTS2,NUTS3",
        "tps00001, demo_pjan, demo_r_pjanaggr3",
        None,
        "City populations (urb_cpop1) are not in the bundled data, so cities have none; NUTS boundaries change "
        "between versions.",
        "cross_country",
    ),
)
