"""Catalogue entries for local incident data: police.uk street-level crime (England and Wales) and SSMSI recorded
crime by département (France). Published in ``published.local_indicator_values`` (same evidence columns as
``published.indicator_values``), on local territories the Action 1 self-assessment does not score."""

from __future__ import annotations

from warehouse.catalogue.indicator import Indicator

# No "A1-Dn" dimension code: the self-assessment scores Eurostat territories; these are places below NUTS 3.
LOCAL_DIMENSION = "A1 urban security, local incident data below NUTS 3 (not scored in the Action 1 self-assessment)"

SEC_LOCAL_CRIME_COUNT = Indicator(
    indicator_id="SEC_LOCAL_CRIME_COUNT",
    name="Crimes recorded by the police, per month and year, by force, LSOA and crime type (police.uk)",
    dimension=LOCAL_DIMENSION,
    unit="offences",
    direction="-",
    formula="count of police.uk street-level rows with a Crime ID, each Crime ID once, anti-social behaviour "
    "excluded; per force x crime type (and ALL_CRIME) and per LSOA (ALL_CRIME, per recording force); a year "
    "only when its twelve months are present and none collapsed; 95 % exact Poisson (Garwood) limits",
    breakdown="police.uk crime type, or ALL_CRIME; the ICCS section(s) of each type are in `note` "
    "(transforms/parameters/police_uk_crime_types.csv, with the reasoning per type)",
    geo_levels="POLICE_FORCE_AREA,LSOA",
    sources="police_uk_street",
    ci_method="poisson_exact",
    caveats="Counts, not rates: no resident population is bundled, and in footfall areas such as the City of "
    "London residents are the wrong base anyway. Locations are snapped to anonymous map points; crimes without "
    "location count for the force, in no LSOA. LSOA figures are per recording force: an LSOA at a force "
    "boundary also appears in the neighbouring force's files. police.uk types map to ICCS sections only "
    "approximately; 'Violence and sexual offences' and 'Other crime' span several. Outcomes are revised after "
    "publication; counts of a month can change when it is re-published.",
    comparability="trend_within_country",
)

LIV_ASB_COUNT = Indicator(
    indicator_id="LIV_ASB_COUNT",
    name="Anti-social behaviour incidents recorded by the police (police.uk)",
    dimension=LOCAL_DIMENSION,
    unit="incidents",
    direction="-",
    formula="count of police.uk rows of type 'Anti-social behaviour' per force, month and complete year; 95 % "
    "exact Poisson limits. Never added to crime counts",
    breakdown=None,
    geo_levels="POLICE_FORCE_AREA",
    sources="police_uk_street",
    ci_method="poisson_exact",
    caveats="Not crimes: incidents of nuisance and disorder, recorded differently from force to force. Kept apart "
    "from every crime total.",
    comparability="trend_within_country",
)

SEC_FR_DEP_RATE = Indicator(
    indicator_id="SEC_FR_DEP_RATE",
    name="Recorded crime per 1,000 inhabitants by offence class, French départements (SSMSI)",
    dimension=LOCAL_DIMENSION,
    unit="per 1000 inhabitants",
    direction="-",
    formula="faits / POP x 1000 per class, département and year, recomputed from the SSMSI counts and "
    "population (the file's tauxpourmille is used only to test ours); 95 % exact Poisson limits on faits, "
    "scaled like the rate",
    breakdown="SSMSI offence class (classe); its counting unit is in `note`",
    geo_levels="FR_DEPARTEMENT",
    sources="ssmsi_dep",
    ci_method="poisson_exact",
    caveats="Each class has its own counting unit (victims, offences, vehicles, persons implicated): classes are "
    "never added up. Recorded by police and gendarmerie: reporting and recording practice shape the figures. "
    "Population of the reference year given in millPOP.",
    comparability="within_country",
)

SEC_FR_DEP_BURGLARY_RATE = Indicator(
    indicator_id="SEC_FR_DEP_BURGLARY_RATE",
    name="Residential burglary per 1,000 dwellings, French départements (SSMSI)",
    dimension=LOCAL_DIMENSION,
    unit="per 1000 dwellings",
    direction="-",
    formula="faits / LOG x 1000 for 'Cambriolages de logement', recomputed from the SSMSI counts and dwellings "
    "(the file's tauxpourmille is used only to test ours); 95 % exact Poisson limits on faits",
    breakdown="SSMSI offence class (Cambriolages de logement)",
    geo_levels="FR_DEPARTEMENT",
    sources="ssmsi_dep",
    ci_method="poisson_exact",
    caveats="Dwellings (LOG) are an estimate with decimals. Per dwelling, not per inhabitant: the better base "
    "for burglary of homes.",
    comparability="within_country",
)

INCIDENT_INDICATORS = (SEC_LOCAL_CRIME_COUNT, LIV_ASB_COUNT, SEC_FR_DEP_RATE, SEC_FR_DEP_BURGLARY_RATE)
