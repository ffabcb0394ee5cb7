"""Labels of the codes analysts meet in the published tables (``published.code_labels``): one row per
(code_list, code), each with the source of its label.

* ``iccs`` — the ICCS offence categories of ``breakdown`` for SEC_RECORDED_RATE, from Eurostat's dictionary
  (iccs.dic); it predates ICCS1001-1004, which stay unlabelled rather than get an invented label;
* ``esif_thematic_objective`` — the thematic objectives of ``breakdown`` for the FUND_* indicators, as the ESIF
  planned-finances file itself names them ("To short"); a code the file names twice takes its commonest name;
* ``obs_status``, ``conf_status`` — the Eurostat flag letters of ``obs_status`` / ``conf_status``;
* the project's own codes: ``geo_level``, ``comparability``, ``ci_method``, the city <-> region columns of
  published.geographies (``territory_match``, ``lau_match``, ``nuts3_basis``, ``size_class``), the screening
  ``quality_flags``, the self-assessment's ``maturity`` levels and bands, the crime-and-feeling directions.
"""

from __future__ import annotations

import polars as pl

from transforms.self_assessment import MATURITY_LABELS
from warehouse.metadata import QUALITY_FLAGS

CODE_LABEL_SCHEMA: dict[str, pl.DataType] = {
    "code_list": pl.String(),
    "code": pl.String(),
    "label": pl.String(),
    "source": pl.String(),
}

_EUROSTAT_FLAGS = "Eurostat, observation status and confidentiality status code lists (OBS_STATUS, CONF_STATUS)"
_PROJECT = "this project (README, 'How a figure is made')"
_SIZE = "Dijkstra & Poelman (2012), 'Cities in Europe: the new OECD-EC definition', Regional Focus 01/2012"

# (code_list, code, label, source) known without reading a file.
STATIC_LABELS: tuple[tuple[str, str, str, str], ...] = (
    ("obs_status", "b", "break in time series", _EUROSTAT_FLAGS),
    ("obs_status", "d", "definition differs", _EUROSTAT_FLAGS),
    ("obs_status", "e", "estimated", _EUROSTAT_FLAGS),
    ("obs_status", "p", "provisional", _EUROSTAT_FLAGS),
    ("obs_status", "u", "low reliability", _EUROSTAT_FLAGS),
    ("conf_status", "C", "confidential", _EUROSTAT_FLAGS),
    ("conf_status", "N", "not for publication", _EUROSTAT_FLAGS),
    ("conf_status", "P", "non-statistical secrecy", _EUROSTAT_FLAGS),
    ("geo_level", "NUTS0", "country", _PROJECT),
    ("geo_level", "NUTS1", "NUTS 1 region", _PROJECT),
    ("geo_level", "NUTS2", "NUTS 2 region", _PROJECT),
    ("geo_level", "NUTS3", "NUTS 3 region", _PROJECT),
    ("geo_level", "CITY", "Urban Audit city", _PROJECT),
    ("geo_level", "MULTI_COUNTRY", "grouping of several countries (cooperation programmes)", _PROJECT),
    ("comparability", "cross_country", "levels comparable across countries", _PROJECT),
    ("comparability", "within_country", "levels comparable only within one country", _PROJECT),
    ("comparability", "trend_within_country", "only trends within one country are comparable", _PROJECT),
    ("comparability", "not_comparable", "not for comparison or ranking (self-reported, context)", _PROJECT),
    ("ci_method", "poisson_exact", "exact Poisson (Garwood) limits on the count", _PROJECT),
    ("ci_method", "wilson_approx_n", "Wilson score interval on the survey's documented sample size", _PROJECT),
    ("territory_match", "same_territory", "the city's municipalities are exactly the NUTS 3 region's", _PROJECT),
    ("territory_match", "part_of_region", "the city is part of the NUTS 3 region", _PROJECT),
    ("territory_match", "spans_regions", "the city's municipalities lie in several NUTS 3 regions", _PROJECT),
    ("lau_match", "city_id", "found by its city code in LAU 2019 (same name)", _PROJECT),
    ("lau_match", "greater_city_id", "found by its greater-city code in LAU 2019 (same name)", _PROJECT),
    ("lau_match", "city_name", "found by its name: LAU 2019 uses another code for the city", _PROJECT),
    ("lau_match", "documented_list", "from transforms/parameters/city_lau_overrides.csv, with a source", _PROJECT),
    ("nuts3_basis", "lau_population", "region holding most of the city's population", _PROJECT),
    ("nuts3_basis", "lau_area", "region holding most of the city's area (a population is missing)", _PROJECT),
    ("nuts3_basis", "lau_count", "region holding most of the city's municipalities (no population, no area)", _PROJECT),
    ("size_class", "S", "small city, 50,000-100,000 inhabitants", _SIZE),
    ("size_class", "M", "medium-sized city, 100,000-250,000 inhabitants", _SIZE),
    ("size_class", "L", "large city, 250,000-500,000 inhabitants", _SIZE),
    ("size_class", "XL", "very large city, 500,000-1,000,000 inhabitants", _SIZE),
    ("size_class", "XXL", "extra-large city, 1,000,000 inhabitants or more", _SIZE),
    ("ci_method", "wilson_n_eff", "Wilson score interval on the sample size divided by the design effect", _PROJECT),
    ("band", "better", "the 95 % interval lies entirely on the better side of the peers' median", _PROJECT),
    ("band", "similar", "the 95 % interval contains the peers' median", _PROJECT),
    ("band", "worse", "the 95 % interval lies entirely on the worse side of the peers' median", _PROJECT),
    ("position_band", "mixed", "some comparisons of the dimension are better, others worse", _PROJECT),
    ("crime_direction", "up", "more events in the later window (q < 0.05)", _PROJECT),
    ("crime_direction", "down", "fewer events in the later window (q < 0.05)", _PROJECT),
    ("crime_direction", "stable", "no significant change and the ratio's interval within 0.8-1.25", _PROJECT),
    ("crime_direction", "inconclusive", "the test could not tell (too few events)", _PROJECT),
    ("crime_direction", "not_assessed", "no usable crime figure (see note)", _PROJECT),
    ("feeling_direction", "safer", "a higher share feels safe (q < 0.05)", _PROJECT),
    ("feeling_direction", "less_safe", "a lower share feels safe (q < 0.05)", _PROJECT),
    ("feeling_direction", "stable", "no significant change and the interval within +-5 points", _PROJECT),
    ("feeling_direction", "inconclusive", "the test could not tell", _PROJECT),
    *(("quality_flags", code, meaning, _PROJECT) for code, meaning in QUALITY_FLAGS.items()),
    *(("maturity", str(level), label, _PROJECT) for level, label in MATURITY_LABELS.items()),
)


def code_labels(iccs: pl.DataFrame, esif_planned: pl.DataFrame) -> pl.DataFrame:
    """Every labelled code (:data:`CODE_LABEL_SCHEMA`), sorted by code list and code.

    ``iccs``: the ICCS dictionary as read (``code``, ``label``, ``source_file``); ``esif_planned``: the planned
    finances as read (``to_code``, ``to_short``, ``source_file``)."""
    iccs_rows = iccs.select(
        pl.lit("iccs").alias("code_list"),
        "code",
        "label",
        pl.format("Eurostat ICCS dictionary ({})", pl.col("source_file")).alias("source"),
    )
    objectives = (
        esif_planned.filter(pl.col("to_code").is_not_null() & pl.col("to_short").is_not_null())
        .group_by("to_code", "to_short")
        .agg(pl.len().alias("n"), pl.col("source_file").first())
        .sort(["to_code", "n", "to_short"], descending=[False, True, False])
        .unique("to_code", keep="first", maintain_order=True)
        .select(
            pl.lit("esif_thematic_objective").alias("code_list"),
            pl.col("to_code").alias("code"),
            pl.col("to_short").alias("label"),
            pl.format("Cohesion Open Data, ESIF 2014-2020 planned finances ({}), 'To short'", "source_file").alias(
                "source"
            ),
        )
    )
    static = pl.DataFrame(STATIC_LABELS, schema=CODE_LABEL_SCHEMA, orient="row")
    return pl.concat([iccs_rows.cast(CODE_LABEL_SCHEMA), objectives.cast(CODE_LABEL_SCHEMA), static]).sort(
        "code_list", "code"
    )
