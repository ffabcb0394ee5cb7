"""The Action 1 joint dashboard: a static site generated from the published tables after every publication."""

import dagster as dg
from dagster import AssetExecutionContext

from dashboard import site_dir
from pipelines.resources import UrbanSafetyPaths
from warehouse.metadata import PUBLISHED_TABLES


@dg.asset(
    key=["dashboard", "site"],
    deps=[["published", t.name] for t in PUBLISHED_TABLES],
    group_name="dashboard",
    kinds={"html"},
    # It only reads the analysts' file, but after the publication that writes it: one DuckDB user at a time.
    pool="duckdb_write",
    description="The dashboard: an overview (cities by country, coverage and maturity matrix, search), a page per "
    "city (six-dimension profile, spine tables against same-country peers, trends with 95 % bands and breaks, "
    "registers) and per indicator (definition, within-country comparison, funnel plots), as static files "
    "($URBAN_SAFETY_SITE_DIR, default warehouse/site/; open index.html).",
)
def site(context: AssetExecutionContext, paths: UrbanSafetyPaths) -> dg.MaterializeResult:
    # Imported when the site is built: its renderer, templates and scipy cost ~1 s at every definitions load.
    from dashboard.build import build_site

    stats = build_site(paths.db_path, site_dir(paths.db_path), work_db=paths.work_db_path)
    context.log.info(f"dashboard: {stats.pages} pages, {stats.charts} charts in {stats.seconds:.1f} s")
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(stats.out_dir / "index.html")),
            "pages": stats.pages,
            "cities": stats.cities,
            "indicators": stats.indicators,
            "charts": stats.charts,
            "svg_fallbacks": stats.svg_fallbacks,
            "build_seconds": round(stats.seconds, 1),
        }
    )


DASHBOARD_ASSETS = [site]
