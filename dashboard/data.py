"""What the dashboard reads: the published tables of the analysts' file, opened read-only, as Polars frames."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from warehouse.db import connect, table_exists

REGISTER_INDICATORS = ("PP_LEVEL_SHARE", "PP_BALANCE", "CIM_CONDITIONS")
# Indicators of police-recorded crime: their levels follow national law and counting rules, so the dashboard never
# ranks or colours them across countries (comparability within_country / trend_within_country).
RECORDED_CRIME = ("SEC_RECORDED_RATE", "SEC_HOM_COUNT_CITY", "SEC_HOM_RATE_CITY")
# What a city shows of the NUTS 3 region linked to it (published.geographies.nuts3_code).
REGION_INDICATORS = ("SEC_RECORDED_RATE", "CTX_POP")


@dataclass(frozen=True)
class Published:
    values: pl.DataFrame
    indicators: pl.DataFrame
    geographies: pl.DataFrame
    self_assessment: pl.DataFrame
    positions: pl.DataFrame
    labels: dict[tuple[str, str], str]
    published_at: str

    def label(self, code_list: str, code: str | None) -> str | None:
        return None if code is None else self.labels.get((code_list, code))


def first_dimension(dimension: str) -> str | None:
    """'A5 feelings of insecurity / A1-D4 Sense of safety' -> 'D4': the Action 1 dimension an indicator is shown
    under (its first)."""
    found = re.search(r"A1-(D[1-6])", dimension)
    return found.group(1) if found else None


def iccs_labels_from_working_file(work_db: Path | None) -> dict[tuple[str, str], str]:
    """ICCS offence labels from the pipeline's working file (raw.iccs_labels), for a warehouse that does not
    publish published.code_labels; empty when there is no such file or table."""
    if work_db is None or not work_db.exists():
        return {}
    with connect(work_db, read_only=True) as con:
        if not table_exists(con, "raw", "iccs_labels"):
            return {}
        return {
            ("iccs", code): label for code, label in con.execute("SELECT code, label FROM raw.iccs_labels").fetchall()
        }


def load(db: Path, work_db: Path | None = None) -> Published:
    """The published tables of ``db``; code labels from published.code_labels, else (ICCS only) from the working
    file ``work_db`` (opened only then: a run holds the working file while it goes, the analysts' file never)."""
    with connect(db, read_only=True) as con:

        def read(table: str) -> pl.DataFrame:
            return con.sql(f"SELECT * FROM published.{table}").pl()

        positions = (
            read("self_assessment_positions") if table_exists(con, "published", "self_assessment_positions") else None
        )
        if table_exists(con, "published", "code_labels"):
            labels = {
                (lst, code): text
                for lst, code, text in con.execute(
                    "SELECT code_list, code, label FROM published.code_labels"
                ).fetchall()
            }
        else:
            labels = iccs_labels_from_working_file(work_db)
        published_at = con.execute("SELECT max(published_at) FROM meta.publish_log").fetchall()[0][0]
        geographies = read("geographies")
        for column, dtype in (
            ("nuts3_code", pl.String),
            ("territory_match", pl.String),
            ("size_class", pl.String),
            ("city_population", pl.Float64),
            ("link_note", pl.String),
        ):
            if column not in geographies.columns:  # a warehouse published before the city <-> region link
                geographies = geographies.with_columns(pl.lit(None, dtype).alias(column))
        return Published(
            values=read("indicator_values"),
            indicators=read("indicators"),
            geographies=geographies,
            self_assessment=read("self_assessment"),
            positions=positions if positions is not None else pl.DataFrame(),
            labels=labels,
            published_at=f"{published_at:%Y-%m-%d %H:%M} UTC" if published_at else "unknown",
        )
