"""Catalogue entries for the Action 5 registers (Prevention Pyramid, Collective Impact).

The values come from registers the cities fill in themselves (templates in templates/registers/, documented in
docs/registers.md), read by sources/registers.py and computed by transforms/prevention.py.
"""

from __future__ import annotations

from warehouse.catalogue.indicator import Indicator

REGISTER_SOURCE = "city register (template in templates/registers/)"

_SELF_REPORTED = (
    "Self-reported by the city in a register it fills in itself: not open data, not audited, and only as complete "
    "as the city's own mapping. Not for ranking cities: each city maps its own measures, with its own judgement "
    "of levels and budgets."
)

PP_LEVEL_SHARE = Indicator(
    indicator_id="PP_LEVEL_SHARE",
    name="Share of local prevention measures (and of their budget) per Prevention Pyramid level",
    dimension="A5 Prevention Pyramid",
    unit="%",
    direction="ctx",
    formula="measures at level L / all measures of the city and reference year x 100 ('count'); annual budget at "
    "level L / total annual budget x 100 ('budget'), published only when every measure of the city and year has "
    "a budget (an empty budget is unknown, never 0); L = 1 quality of life, 2 general prevention, 3 specific "
    "prevention, 4 reaction (Action 5 Prevention Pyramid manual); a level without measures is a real 0 %",
    breakdown="'L<level>_<name>|count' (share of measures) or 'L<level>_<name>|budget' (share of budget), e.g. "
    "'L1_quality_of_life|count', 'L3_specific_prevention|budget'",
    geo_levels="CITY",
    sources=REGISTER_SOURCE,
    ci_method=None,
    caveats=f"{_SELF_REPORTED} A count share weighs a small measure like a large one; the budget share needs every "
    "budget and one currency per city and year (the note says when it is not published and which currency the "
    "numerator and denominator are in). No direction: the manual asks for balance, not for more of one level.",
    comparability="not_comparable",
)

PP_BALANCE = Indicator(
    indicator_id="PP_BALANCE",
    name="Prevention Pyramid balance (normalised Shannon evenness over the four levels) with gap flags",
    dimension="A5 Prevention Pyramid",
    unit="evenness 0-1",
    direction="+",
    formula="H / ln 4 with H = -sum over the 4 levels of p_L ln p_L (0 ln 0 = 0; scipy.stats.entropy), p_L = the "
    "level's share of measures ('count') or of budget ('budget') from PP_LEVEL_SHARE; 1 = all four levels equal, "
    "0 = one level only; the note names the empty levels (gap flags), e.g. 'empty levels: 3 specific prevention'",
    breakdown="'count' (evenness of the shares of measures) or 'budget' (evenness of the shares of budget)",
    geo_levels="CITY",
    sources=REGISTER_SOURCE,
    ci_method=None,
    caveats=f"[proposal] The score is not defined in the Action 5 manual, which asks cities to balance their "
    f"approach and detect gaps but sets no measure of balance. {_SELF_REPORTED} Evenness says how evenly measures "
    "spread over the levels, not whether that spread suits the city's problems; with few measures it moves a lot "
    "with one measure more or less. Read it with the empty levels in the note.",
    comparability="not_comparable",
)

CIM_CONDITIONS = Indicator(
    indicator_id="CIM_CONDITIONS",
    name="Collective Impact conditions: self-rating per initiative and condition",
    dimension="A5 Collective Impact",
    unit="rating 0-3",
    direction="+",
    formula="the initiative's own 0-3 rating of each of the five conditions of collective impact (common agenda, "
    "shared measurement, mutually reinforcing activities, continuous communication, backbone support), as "
    "entered: 0 absent, 1 emerging, 2 in place, 3 established; one value per condition, never summed or averaged",
    breakdown="'<initiative_id>|<condition>', condition one of common_agenda, shared_measurement, "
    "mutually_reinforcing_activities, continuous_communication, backbone_support",
    geo_levels="CITY",
    sources=REGISTER_SOURCE,
    ci_method=None,
    caveats=f"[proposal] The 0-3 scale and its anchors are not defined in the Action 5 Collective Impact report. "
    f"{_SELF_REPORTED} The five conditions are distinct and must be read one by one; a total would hide a missing "
    "condition (e.g. no backbone support). The shared-measurement row's note lists the catalogue indicators the "
    "initiative shares.",
    comparability="not_comparable",
)

ACTION5_INDICATORS: tuple[Indicator, ...] = (PP_LEVEL_SHARE, PP_BALANCE, CIM_CONDITIONS)
