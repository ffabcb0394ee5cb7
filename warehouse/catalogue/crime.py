"""Catalogue entries for recorded crime (Action 1, D5 urban security)."""

from __future__ import annotations

from warehouse.catalogue.indicator import Indicator

RATE_UNIT = "per 100000 inhabitants"

SEC_RECORDED_RATE = Indicator(
    indicator_id="SEC_RECORDED_RATE",
    name="Police-recorded offences per 100,000 inhabitants",
    dimension="A1-D5 Urban security",
    unit=RATE_UNIT,
    direction="-",
    formula="offences recorded by the police (unit NR) / population on 1 January of the same territory and year "
    "x 100000; 95 % exact Poisson (Garwood) limits on the count, scaled like the rate",
    breakdown="ICCS offence category code (labels in the ICCS code list, iccs.dic)",
    geo_levels="NUTS0,NUTS1,NUTS2,NUTS3",
    sources="crim_off_cat, crim_gen_reg, demo_pjan, demo_r_pjanaggr3, tps00001",
    ci_method="poisson_exact",
    caveats="Recorded crime reflects national legal definitions, counting rules, recording practice and the "
    "public's willingness to report, not only crime. Eurostat publishes no EU aggregate. Compare trends "
    "within a country; compare levels across countries only for intentional homicide. Series from the "
    "national table (crim_off_cat) and the regional table (crim_gen_reg) are separate variants. Limits "
    "cover random variation only, not recording error. A higher sexual-violence rate may reflect more "
    "reporting, not more offences.",
    comparability="within_country (per row: cross_country for intentional homicide, within_country for "
    "property crime, trend_within_country for other offences)",
)

SEC_HOM_COUNT_CITY = Indicator(
    indicator_id="SEC_HOM_COUNT_CITY",
    name="Intentional homicide offences recorded in the largest cities",
    dimension="A1-D5 Urban security",
    unit="offences",
    direction="-",
    formula="offences of intentional homicide (ICCS0101) recorded by the police in the city (crim_hom_ocit, "
    "unit NR); 95 % exact Poisson (Garwood) limits on the count",
    breakdown=None,
    geo_levels="CITY",
    sources="crim_hom_ocit",
    ci_method="poisson_exact",
    caveats="A count, not a rate: the city population (urb_cpop1) is not in the bundled data, and Eurostat's own "
    "rate is not copied. Small counts vary a lot from year to year; read the limits. The city is the "
    "Urban Audit 'C' territory, which for some cities is the greater city.",
    comparability="cross_country",
)

SEC_HOM_RATE_CITY = Indicator(
    indicator_id="SEC_HOM_RATE_CITY",
    name="Intentional homicide offences per 100,000 inhabitants, cities that are their own NUTS 3 region",
    dimension="A1-D5 Urban security",
    unit=RATE_UNIT,
    direction="-",
    formula="offences of intentional homicide recorded in the city (crim_hom_ocit, unit NR) / population on "
    "1 January of the same year of the NUTS 3 region that is the same territory as the city (demo_r_pjanaggr3; "
    "city and region linked through Eurostat's LAU 2019 table, published.geographies.territory_match = "
    "'same_territory') x 100000; 95 % exact Poisson (Garwood) limits on the count, scaled like the rate",
    breakdown=None,
    geo_levels="CITY",
    sources="crim_hom_ocit, demo_r_pjanaggr3, nuts_lau_2019",
    ci_method="poisson_exact",
    caveats="Only for cities whose LAUs are exactly one NUTS 3 region (Berlin, Wien, Praha, Bruxelles/Brussel, "
    "Paris ...): the region's population is the city's. Each year's city count is checked against the regional "
    "table's homicide count (crim_gen_reg ICCS0101) for the same territory; where they differ by more than "
    "max(1, 5 %) the row's note says so (staging.homicide_city_vs_region). Small counts: read the limits. NUTS "
    "codes are those of LAU 2019 (NUTS 2016); a region recoded since has no population and no rate.",
    comparability="cross_country",
)

CRIME_INDICATORS = (SEC_RECORDED_RATE, SEC_HOM_COUNT_CITY, SEC_HOM_RATE_CITY)
