"""Catalogue entries for EU funding (Action 5 / background conditions)."""

from __future__ import annotations

from warehouse.catalogue.indicator import Indicator

AMOUNT_UNIT = "EUR (planned)"
PER_INHABITANT_UNIT = "EUR (planned) per inhabitant"

_DIMENSION = "A5 funding / A1-D6 Background conditions"
_GEO_LEVELS = "NUTS0,MULTI_COUNTRY"
_SOURCE = "esif_2014_2020_planned (Cohesion Open Data: ESIF 2014-2020 FINANCES PLANNED DETAILS, export of 2019-04-11)"
_PC_SOURCES = f"{_SOURCE}, tps00001, demo_pjan, demo_r_pjanaggr3"
_BREAKDOWN = (
    "thematic objective code as in the source: 01-11 the eleven thematic objectives (09 social inclusion, "
    "11 institutional capacity), 12 outermost and sparsely populated regions, TA technical assistance, DM EAFRD "
    "measures discontinued from 2007-2013, IPA-TA technical assistance of IPA cross-border programmes, VOID IPA "
    "cross-border priorities with no thematic objective in the source; ALL = every row of the territory. A "
    "thematic objective without any row for a territory has no value (not zero)."
)
_CAVEATS = (
    "Planned, not spent: the financial plans (EU + national co-financing) of the programmes adopted for "
    "2014-2020, as exported on 2019-04-11; plans are amended during the period. Implementation data (decided "
    "and spent amounts) is cumulative and is not used. Programmes covering several regions are not split "
    "among regions (country level only), and territorial-cooperation (Interreg, IPA cross-border) programmes "
    "are published apart as the multi-country territory TC, never added to or split among countries. Thematic "
    "objectives are not 'security' spending: the 2014-2020 period had no security objective, so TO09 (social "
    "inclusion) and TO11 (institutional capacity) are the closest context, not a measure of safety policy. "
    "Amounts include the national co-financing, whose rate differs by region category and fund, so EU and "
    "national shares are published separately. Funds covered: ERDF, ESF, CF, YEI, EAFRD, EMFF and IPA "
    "(cross-border only). The UK is included as a member state of the period."
)
_PC_CAVEATS = (
    _CAVEATS + " Per inhabitant: divided by the country's population on 1 January 2014 (first year of the "
    "period), not by the population of the eligible regions; not published for TC (no population)."
)

FUND_ESIF_PLANNED_EU_EUR = Indicator(
    indicator_id="FUND_ESIF_PLANNED_EU_EUR",
    name="ESIF 2014-2020 planned EU amount",
    dimension=_DIMENSION,
    unit=AMOUNT_UNIT,
    direction="ctx",
    formula="sum of 'EU Amount' over the rows of the member state (GR published as EL) or of TC, per thematic "
    "objective and over all rows (ALL); exact decimal sum, value = numerator",
    breakdown=_BREAKDOWN,
    geo_levels=_GEO_LEVELS,
    sources=_SOURCE,
    ci_method=None,
    caveats=_CAVEATS,
    comparability="cross_country",
)

FUND_ESIF_PLANNED_NATIONAL_EUR = Indicator(
    indicator_id="FUND_ESIF_PLANNED_NATIONAL_EUR",
    name="ESIF 2014-2020 planned national co-financing",
    dimension=_DIMENSION,
    unit=AMOUNT_UNIT,
    direction="ctx",
    formula="sum of 'National Amount' (public and private national co-financing) over the rows of the member "
    "state (GR published as EL) or of TC, per thematic objective and over all rows (ALL); exact decimal sum, "
    "value = numerator",
    breakdown=_BREAKDOWN,
    geo_levels=_GEO_LEVELS,
    sources=_SOURCE,
    ci_method=None,
    caveats=_CAVEATS,
    comparability="cross_country",
)

FUND_ESIF_PLANNED_TOTAL_EUR = Indicator(
    indicator_id="FUND_ESIF_PLANNED_TOTAL_EUR",
    name="ESIF 2014-2020 planned total amount (EU + national)",
    dimension=_DIMENSION,
    unit=AMOUNT_UNIT,
    direction="ctx",
    formula="sum of 'Total Amount' (EU + national) over the rows of the member state (GR published as EL) or of "
    "TC, per thematic objective and over all rows (ALL); exact decimal sum, value = numerator",
    breakdown=_BREAKDOWN,
    geo_levels=_GEO_LEVELS,
    sources=_SOURCE,
    ci_method=None,
    caveats=_CAVEATS + " The source's Total Amount is used as published (in the 2019-04-11 export one row differs by "
    "EUR 1 from EU + national).",
    comparability="cross_country",
)

FUND_ESIF_PLANNED_PC = Indicator(
    indicator_id="FUND_ESIF_PLANNED_PC",
    name="ESIF 2014-2020 planned total amount per inhabitant",
    dimension=_DIMENSION,
    unit=PER_INHABITANT_UNIT,
    direction="ctx",
    formula="sum of 'Total Amount' of the member state (GR published as EL) per thematic objective and over all "
    "rows (ALL) / population on 1 January 2014 of the member state; numerator = the sum, denominator = the "
    "population",
    breakdown=_BREAKDOWN,
    geo_levels="NUTS0",
    sources=_PC_SOURCES,
    ci_method=None,
    caveats=_PC_CAVEATS,
    comparability="cross_country",
)

FUND_SOCINCL_PC = Indicator(
    indicator_id="FUND_SOCINCL_PC",
    name="ESIF 2014-2020 planned amount for social inclusion (TO09) per inhabitant",
    dimension="A5 funding / A1-D2 Social cohesion / A1-D6 Background conditions",
    unit=PER_INHABITANT_UNIT,
    direction="ctx",
    formula="sum of 'Total Amount' of the member state (GR published as EL) for thematic objective 09 "
    "(promoting social inclusion, combating poverty and any discrimination) / population on 1 January 2014 of "
    "the member state; equals FUND_ESIF_PLANNED_PC with breakdown 09",
    breakdown=None,
    geo_levels="NUTS0",
    sources=_PC_SOURCES,
    ci_method=None,
    caveats=_PC_CAVEATS + " TO09 is social inclusion and poverty reduction in general (ESF, ERDF, EAFRD), not "
    "crime prevention.",
    comparability="cross_country",
)

FUNDING_INDICATORS: tuple[Indicator, ...] = (
    FUND_ESIF_PLANNED_EU_EUR,
    FUND_ESIF_PLANNED_NATIONAL_EUR,
    FUND_ESIF_PLANNED_TOTAL_EUR,
    FUND_ESIF_PLANNED_PC,
    FUND_SOCINCL_PC,
)
