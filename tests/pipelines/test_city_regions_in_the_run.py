"""City <-> region in a real run: what analysts find in the published file."""

from __future__ import annotations

from tests.pipelines.conftest import BuiltWarehouse, both_files


def test_koeln_links_to_dea23_as_the_same_territory(built: BuiltWarehouse) -> None:
    with both_files(built.db) as con:
        row = con.execute(
            "SELECT nuts3_code, territory_match, lau_match, size_class FROM published.geographies "
            "WHERE geo_code = 'DE004C'"
        ).fetchone()
    assert row == ("DEA23", "same_territory", "city_id", "XXL")


def test_every_published_city_in_the_lau_table_has_a_region(built: BuiltWarehouse) -> None:
    with both_files(built.db) as con:
        cities = con.execute(
            "SELECT geo_code, nuts3_code, lau_match, link_note FROM published.geographies WHERE geo_level = 'CITY'"
        ).fetchall()
        linked_in_staging = {
            code
            for (code,) in con.execute(
                "SELECT geo_code FROM work.staging.city_regions WHERE lau_match IS NOT NULL"
            ).fetchall()
        }
    published = {code for code, *_ in cities}
    assert {code for code, nuts3, *_ in cities if nuts3 is not None} == published & linked_in_staging
    # Those without a region say why.
    assert all(note for code, nuts3, _, note in cities if nuts3 is None)
    print(f"\n{len(published)} published cities, {len(published & linked_in_staging)} linked to a NUTS 3 region")


def test_same_territory_cities_get_homicide_rates_and_the_check_is_in_staging(built: BuiltWarehouse) -> None:
    with both_files(built.db) as con:
        rates = con.execute(
            "SELECT DISTINCT v.geo_code FROM published.indicator_values v "
            "JOIN published.geographies g USING (geo_code) "
            "WHERE v.indicator_id = 'SEC_HOM_RATE_CITY' AND g.territory_match = 'same_territory'"
        ).fetchall()
        all_rates = con.execute(
            "SELECT count(DISTINCT geo_code) FROM published.indicator_values WHERE indicator_id = 'SEC_HOM_RATE_CITY'"
        ).fetchone()[0]
        brussels = con.execute(
            "SELECT city_count, region_count, agree FROM work.staging.homicide_city_vs_region "
            "WHERE geo_code = 'BE001C' AND period = '2015'"
        ).fetchone()
        flagged = con.execute(
            "SELECT count(*) FROM published.indicator_values WHERE indicator_id = 'SEC_HOM_RATE_CITY' "
            "AND quality_flags LIKE '%sources_disagree%'"
        ).fetchone()[0]
    assert len(rates) == all_rates >= 10
    assert brussels == (11.0, 39.0, False)
    assert flagged > 0
