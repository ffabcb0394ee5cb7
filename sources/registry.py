"""Every raw file the pipeline reads: where it sits in the data folder and how to read it.

Paths are relative to the data folder (``$URBAN_SAFETY_DATA_DIR`` or the bundled ``data/raw``), so a newer
release dropped in with the same layout and names is picked up unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sources.errors import SourceFormatError

Reader = Literal["eurostat", "codelist", "dic", "esif_planned", "lau"]


@dataclass(frozen=True)
class SourceFile:
    name: str  # the raw table and asset name
    relpath: str
    reader: Reader
    title: str
    publisher: str = "Eurostat"
    licence: str = "Eurostat re-use policy (CC BY 4.0); 'Source: Eurostat'"

    def path(self, data_dir: Path) -> Path:
        path = (data_dir / self.relpath).resolve()
        if not path.is_relative_to(data_dir.resolve()):
            raise SourceFormatError(path, f"resolves outside the data folder {data_dir}")
        if not path.is_file():
            raise SourceFormatError(path, f"missing: expected {self.relpath} in {data_dir}")
        return path


EUROSTAT_CRIME = (
    SourceFile(
        "crim_off_cat",
        "eurostat_crime/estat_crim_off_cat.tsv",
        "eurostat",
        "Police-recorded offences by offence category (countries)",
    ),
    SourceFile(
        "crim_gen_reg", "eurostat_crime/estat_crim_gen_reg.tsv", "eurostat", "Police-recorded offences by NUTS 3 region"
    ),
    SourceFile(
        "crim_hom_ocit",
        "eurostat_crime/estat_crim_hom_ocit.tsv",
        "eurostat",
        "Intentional homicide offences in the largest cities",
    ),
)
EUROSTAT_POPULATION = (
    SourceFile(
        "demo_pjan",
        "eurostat_population/demo_pjan_total_countries.json",
        "eurostat",
        "Population on 1 January, countries (JSON-stat)",
    ),
    SourceFile(
        "tps00001", "eurostat_population/tps00001.tsv", "eurostat", "Population on 1 January, countries (old bulk TSV)"
    ),
    SourceFile(
        "demo_r_pjanaggr3",
        "eurostat_population/demo_r_pjanaggr3.tsv",
        "eurostat",
        "Population on 1 January by broad age group, sex and NUTS 3 region",
    ),
)
EUROSTAT_SURVEY = (
    SourceFile(
        "urb_percep",
        "eurostat_urban_audit/urb_percep.tsv",
        "eurostat",
        "Perception survey results: Quality of Life in European Cities (old bulk TSV)",
    ),
    SourceFile(
        "ilc_mddw03",
        "eurostat_silc_social/ilc_mddw03_crime_violence_vandalism.json",
        "eurostat",
        "EU-SILC: crime, violence or vandalism in the area",
    ),
    SourceFile(
        "ilc_pw03",
        "eurostat_silc_social/ilc_pw03_trust_in_others.json",
        "eurostat",
        "EU-SILC: trust in others (mean rating)",
    ),
    SourceFile(
        "ilc_pw03b",
        "eurostat_silc_social/ilc_pw03b_trust_by_domain.json",
        "eurostat",
        "EU-SILC: trust in the police, legal and political system (2013)",
    ),
    SourceFile(
        "ilc_scp09",
        "eurostat_silc_social/ilc_scp09_getting_together.json",
        "eurostat",
        "EU-SILC: getting together with friends and family",
    ),
    SourceFile(
        "ilc_scp15",
        "eurostat_silc_social/ilc_scp15_someone_to_ask_for_help.json",
        "eurostat",
        "EU-SILC: someone to ask for help",
    ),
    SourceFile(
        "ilc_scp17",
        "eurostat_silc_social/ilc_scp17_someone_to_discuss.json",
        "eurostat",
        "EU-SILC: someone to discuss personal matters with",
    ),
    SourceFile(
        "ilc_scp19",
        "eurostat_silc_social/ilc_scp19_voluntary_activities.json",
        "eurostat",
        "EU-SILC: formal and informal voluntary activities",
    ),
)
COHESION = (
    SourceFile(
        "esif_planned",
        "cohesion_esif/ESIF_2014-2020_FINANCES_PLANNED_DETAILS_190411.csv",
        "esif_planned",
        "ESIF 2014-2020 finances planned details (Cohesion Open Data export, 2019-04-11)",
        publisher="European Commission, DG REGIO, Cohesion Open Data Platform",
        licence="Commission re-use policy (CC BY 4.0); 'Source: European Commission, Cohesion Open Data Platform'",
    ),
)
CODELISTS = (
    SourceFile("geo_codes", "eurostat_codelists/ESTAT_GEO_25.3.tsv", "codelist", "GEO code list v25.3"),
    SourceFile("city_codes", "eurostat_codelists/ESTAT_CITIES.tsv", "codelist", "Urban Audit CITIES code list"),
    SourceFile("iccs_labels", "eurostat_codelists/iccs.dic", "dic", "ICCS offence category labels"),
)
ALL_SOURCES = EUROSTAT_CRIME + EUROSTAT_POPULATION + EUROSTAT_SURVEY + COHESION + CODELISTS
# Fixed reference editions: read like the others but never fetched in live mode (no publisher serves this file: it
# is a conversion of Eurostat's LAU 2019 xlsx, see its PROVENANCE.md); a live run copies it from the bundle.
REFERENCE = (
    SourceFile(
        "nuts_lau_2019",
        "eurostat_lau/nuts_lau_2019.csv.gz",
        "lau",
        "Local Administrative Units 2019 with their NUTS 2016 region and Urban Audit city (via rOpenGov regions)",
    ),
)
# Everything a run reads (the fingerprint covers all of it).
ALL_INPUTS = ALL_SOURCES + REFERENCE
