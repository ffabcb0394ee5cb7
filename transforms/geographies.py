"""Territory codes: their level, country and parent, and the published geography table."""

from __future__ import annotations

import polars as pl

from transforms.city_regions import CITY_REGION_SCHEMA

# Groupings of several countries that some sources report as one territory (never split among countries).
MULTI_COUNTRY_TC = "TC_MULTI"
MULTI_COUNTRY_NAMES = {MULTI_COUNTRY_TC: "European territorial cooperation programmes (several countries)"}


def geo_level(code: pl.Expr) -> pl.Expr:
    """NUTS level from the code's length; Urban Audit cities (``CCnnnC``, ``CCnnnC1``) are CITY.

    Extra-regio codes (``…Z``), EU/euro-area aggregates and special codes such as ``UKC-L`` get no level: they are not
    territories a population or a parent can be attached to.
    """
    return (
        pl.when(code.is_in(list(MULTI_COUNTRY_NAMES)))
        .then(pl.lit("MULTI_COUNTRY"))
        .when(code.str.contains(r"^[A-Z]{2}\d{3}C\d?$"))
        .then(pl.lit("CITY"))
        .when(code.str.contains(r"Z+$") & (code.str.len_chars() > 2))
        .then(pl.lit(None))
        # EU, euro-area, EFTA and EEA aggregates (EU28, EA19, EFTA) look like NUTS codes but are not territories.
        .when(code.str.contains(r"^(E[AU]|EFTA|EEA)"))
        .then(pl.lit(None))
        .when(code.str.contains(r"^[A-Z]{2}$"))
        .then(pl.lit("NUTS0"))
        .when(code.str.contains(r"^[A-Z]{2}[A-Z0-9]$"))
        .then(pl.lit("NUTS1"))
        .when(code.str.contains(r"^[A-Z]{2}[A-Z0-9]{2}$"))
        .then(pl.lit("NUTS2"))
        .when(code.str.contains(r"^[A-Z]{2}[A-Z0-9]{3}$"))
        .then(pl.lit("NUTS3"))
        .otherwise(pl.lit(None))
    )


def is_extra_regio(code: pl.Expr) -> pl.Expr:
    return code.str.contains(r"^[A-Z]{2}[A-Z0-9]*Z$") & (code.str.len_chars() > 2)


def parent_code(code: pl.Expr, level: pl.Expr) -> pl.Expr:
    return (
        pl.when(level == "NUTS3")
        .then(code.str.slice(0, 4))
        .when(level == "NUTS2")
        .then(code.str.slice(0, 3))
        .when(level.is_in(["NUTS1", "CITY"]))
        .then(code.str.slice(0, 2))
        .otherwise(pl.lit(None, dtype=pl.String))
    )


def geographies(
    codes: pl.Series,
    geo_names: pl.DataFrame,
    city_names: pl.DataFrame,
    city_regions: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """One row per code in ``codes`` and every ancestor of it, named from the GEO and CITIES code lists.

    Cities carry their link to a NUTS 3 region, size and size class from ``city_regions``
    (:func:`transforms.city_regions.city_regions`); NULL there for other levels or without ``city_regions``.
    """
    frontier = pl.DataFrame({"geo_code": codes.unique()})
    seen: list[pl.DataFrame] = []
    known: set[str] = set()
    while frontier.height:
        rows = (
            frontier.with_columns(geo_level(pl.col("geo_code")).alias("geo_level"))
            .filter(pl.col("geo_level").is_not_null())
            .with_columns(parent_code(pl.col("geo_code"), pl.col("geo_level")).alias("parent_code"))
        )
        seen.append(rows)
        known |= set(rows["geo_code"])
        parents = rows["parent_code"].drop_nulls().unique()
        frontier = pl.DataFrame({"geo_code": [p for p in parents if p not in known]}, schema={"geo_code": pl.String})
    out = (
        pl.concat(seen)
        if seen
        else pl.DataFrame(schema={"geo_code": pl.String, "geo_level": pl.String, "parent_code": pl.String})
    )
    names = pl.concat(
        [
            city_names.select(pl.col("code").alias("geo_code"), pl.col("label").alias("name")),
            geo_names.select(pl.col("code").alias("geo_code"), pl.col("label").alias("name")),
        ]
    ).unique("geo_code", keep="first", maintain_order=True)
    links = pl.DataFrame(schema=CITY_REGION_SCHEMA) if city_regions is None else city_regions
    links = links.select(list(CITY_REGION_SCHEMA)).cast(CITY_REGION_SCHEMA)
    return (
        out.join(names, on="geo_code", how="left")
        .select(
            "geo_code",
            "geo_level",
            "name",
            pl.when(pl.col("geo_level") == "MULTI_COUNTRY")
            .then(None)
            .otherwise(pl.col("geo_code").str.slice(0, 2))
            .alias("country_code"),
            "parent_code",
        )
        .join(links, on="geo_code", how="left")
        .with_columns(  # the link describes cities only
            [
                pl.when(pl.col("geo_level") == "CITY").then(pl.col(c)).alias(c)
                for c in CITY_REGION_SCHEMA
                if c != "geo_code"
            ]
        )
        .sort("geo_code")
    )
