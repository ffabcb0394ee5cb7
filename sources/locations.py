"""Where each bundled raw file lives upstream, what a live download of it must look like, and how often it changes.

``SOURCE_LOCATIONS`` is keyed by :class:`sources.registry.SourceFile` ``name`` and covers every entry of
``ALL_SOURCES``. ``location_for(name, base_url)`` points a location at another host (a mirror, a proxy, or the
local test server) by swapping scheme, host and port while keeping path and query; a ``base_url`` with a path
prefixes it. Without an explicit ``base_url`` the environment variable ``$URBAN_SAFETY_SOURCE_BASE_URL`` is used
when set.

What the live endpoints serve, compared with the bundled files:

* Eurostat TSV (``sdmx/2.1/data/{code}?format=TSV``) is the current API TSV (header ``freq,…,geo\\TIME_PERIOD``).
  ``tps00001.tsv`` and ``urb_percep.tsv`` are bundled in the OLD bulk-download TSV (``…\\time``, no ``freq``;
  the bulk listing was discontinued in 2023), so their live download is the newer API TSV, not the same bytes.
  ``sources.eurostat.read_eurostat_tsv`` reads both.
* Eurostat JSON-stat (``statistics/1.0/data/{code}?format=JSON&lang=en&…``): the bundled files are extracts
  filtered by their original downloader; the query strings below repeat those filters (fixed dimension values,
  the same 28 geo codes, ``sinceTimePeriod=2004``) so a live download has the same shape. Newer releases may add
  years or drop UK cells.
* The ESIF 2014-2020 planned-finances file is a dated export (2019-04-11) of Socrata dataset ``e4v6-qrrq``;
  the live ``rows.csv`` is the platform's current export of that dataset, written under the same file name.
* Code lists: the bundled GEO/CITIES files are multi-language code-list TSV exports and ``iccs.dic`` an old
  bulk-download dictionary (discontinued with the bulk listing). Their live location is the SDMX 2.1 code-list
  endpoint with ``format=TSV&lang=en``; its column layout is NOT verified against the bundled exports, so the
  readers may refuse it (they raise ``SourceFormatError`` naming the file, they do not misread).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from sources.registry import ALL_SOURCES

ReleaseRhythm = Literal["monthly", "yearly", "static"]

BASE_URL_ENV = "URBAN_SAFETY_SOURCE_BASE_URL"

MIB = 1024 * 1024
MIN_MAX_BYTES = MIB
SIZE_FACTOR = 10  # a live file may grow (new years, new regions), but not tenfold

EUROSTAT_API = "https://ec.europa.eu/eurostat/api/dissemination"
COHESION = "https://cohesiondata.ec.europa.eu"

TSV_TYPES = frozenset({"text/tab-separated-values", "text/plain", "application/octet-stream"})
JSON_TYPES = frozenset({"application/json"})
CSV_TYPES = frozenset({"text/csv"})

# The 27 member states + UK, in the order the bundled JSON-stat extracts list them.
EU27_UK = ("BE BG CZ DK DE EE IE EL ES FR HR IT CY LV LT LU HU MT NL AT PL PT RO SI SK FI SE UK").split()


@dataclass(frozen=True)
class SourceLocation:
    name: str  # SourceFile.name
    url: str
    expected_content_types: frozenset[str]
    max_bytes: int
    release_rhythm: ReleaseRhythm
    bundled_bytes: int  # size of the bundled file the cap was derived from
    note: str = ""


def _max_bytes(bundled_bytes: int) -> int:
    return max(MIN_MAX_BYTES, SIZE_FACTOR * bundled_bytes)


def _eurostat_tsv(code: str) -> str:
    return f"{EUROSTAT_API}/sdmx/2.1/data/{code}?format=TSV"


def _jsonstat(code: str, filters: Mapping[str, str | tuple[str, ...]]) -> str:
    parts = [f"{EUROSTAT_API}/statistics/1.0/data/{code}?format=JSON&lang=en"]
    for dim, values in {**filters, "geo": tuple(EU27_UK)}.items():
        for value in (values,) if isinstance(values, str) else values:
            parts.append(f"{dim}={value}")
    parts.append("sinceTimePeriod=2004")
    return "&".join(parts)


def _codelist(codelist_id: str) -> str:
    return f"{EUROSTAT_API}/sdmx/2.1/codelist/ESTAT/{codelist_id}?format=TSV&lang=en"


_SILC = {"freq": "A", "isced11": "TOTAL", "age": "Y_GE16", "sex": "T"}

# name -> (url, content types, release rhythm, bundled size in bytes, note)
_TABLE: dict[str, tuple[str, frozenset[str], ReleaseRhythm, int, str]] = {
    "crim_off_cat": (_eurostat_tsv("crim_off_cat"), TSV_TYPES, "monthly", 182_135, ""),
    "crim_gen_reg": (_eurostat_tsv("crim_gen_reg"), TSV_TYPES, "monthly", 2_598_135, ""),
    "crim_hom_ocit": (_eurostat_tsv("crim_hom_ocit"), TSV_TYPES, "monthly", 6_067, ""),
    "demo_pjan": (
        _jsonstat("demo_pjan", {"freq": "A", "unit": "NR", "age": "TOTAL", "sex": "T"}),
        JSON_TYPES,
        "monthly",
        12_377,
        "",
    ),
    # Bundled as an OLD bulk TSV (header indic_de,geo\time); live it is the newer API TSV.
    "tps00001": (
        _eurostat_tsv("tps00001"),
        TSV_TYPES,
        "monthly",
        6_524,
        "bundled file is the pre-2023 bulk TSV; the live download is the newer API TSV",
    ),
    "demo_r_pjanaggr3": (_eurostat_tsv("demo_r_pjanaggr3"), TSV_TYPES, "monthly", 2_657_841, ""),
    # Bundled as an OLD bulk TSV (header indic_ur,unit,cities\time); live it is the newer API TSV (adds freq).
    "urb_percep": (
        _eurostat_tsv("urb_percep"),
        TSV_TYPES,
        "yearly",
        1_541_534,
        "bundled file is the pre-2023 bulk TSV; the live download is the newer API TSV",
    ),
    "ilc_mddw03": (
        _jsonstat("ilc_mddw03", {"freq": "A", "hhtyp": "TOTAL", "incgrp": "TOTAL", "unit": "PC"}),
        JSON_TYPES,
        "yearly",
        9_105,
        "",
    ),
    "ilc_pw03": (
        _jsonstat("ilc_pw03", {**_SILC, "statinfo": "AVG", "unit": "RTG", "domain": "OTH"}),
        JSON_TYPES,
        "yearly",
        5_842,
        "",
    ),
    "ilc_pw03b": (
        _jsonstat("ilc_pw03b", {**_SILC, "statinfo": "AVG", "unit": "RTG", "domain": ("POLC", "LEG", "POLIT")}),
        JSON_TYPES,
        "yearly",
        4_491,
        "",
    ),
    "ilc_scp09": (
        _jsonstat("ilc_scp09", {**_SILC, "unit": "PC", "frequenc": "WEEK", "pers_cat": ("FAM_REL", "FRD")}),
        JSON_TYPES,
        "yearly",
        5_033,
        "",
    ),
    "ilc_scp15": (_jsonstat("ilc_scp15", {**_SILC, "unit": "PC"}), JSON_TYPES, "yearly", 3_794, ""),
    "ilc_scp17": (_jsonstat("ilc_scp17", {**_SILC, "unit": "PC"}), JSON_TYPES, "yearly", 4_217, ""),
    "ilc_scp19": (
        _jsonstat("ilc_scp19", {**_SILC, "unit": "PC", "acl00": ("AC41A", "AC42A")}),
        JSON_TYPES,
        "yearly",
        4_889,
        "",
    ),
    "esif_planned": (
        f"{COHESION}/api/views/e4v6-qrrq/rows.csv?accessType=DOWNLOAD",
        CSV_TYPES,
        "static",
        1_858_774,
        "bundled file is the 2019-04-11 export; the live download is the platform's current export",
    ),
    "geo_codes": (
        _codelist("GEO"),
        TSV_TYPES,
        "static",
        374_857,
        "live code-list TSV layout not verified against the bundled multi-language export",
    ),
    "city_codes": (
        _codelist("CITIES"),
        TSV_TYPES,
        "static",
        84_612,
        "live code-list TSV layout not verified against the bundled multi-language export",
    ),
    "iccs_labels": (
        _codelist("ICCS"),
        TSV_TYPES,
        "static",
        1_951,
        "bundled file is an old bulk-download .dic; live layout not verified",
    ),
}

SOURCE_LOCATIONS: dict[str, SourceLocation] = {
    name: SourceLocation(name, url, types, _max_bytes(size), rhythm, size, note)
    for name, (url, types, rhythm, size, note) in _TABLE.items()
}


def missing_locations() -> list[str]:
    """Registry names without a location (a new ``ALL_SOURCES`` entry needs one here; the tests check this)."""
    return sorted({s.name for s in ALL_SOURCES} - SOURCE_LOCATIONS.keys())


def rebase_url(url: str, base_url: str) -> str:
    """``url`` with scheme, host and port taken from ``base_url``; path and query kept.

    A path in ``base_url`` (``http://mirror:8080/eurostat-cache``) is put in front of the original path.
    """
    base = urlsplit(base_url)
    if base.scheme not in ("http", "https") or not base.hostname:
        raise ValueError(f"base_url must be an http(s) URL with a host, got {base_url!r}")
    if base.query or base.fragment:
        raise ValueError(f"base_url must not carry a query or fragment, got {base_url!r}")
    orig = urlsplit(url)
    return urlunsplit((base.scheme, base.netloc, base.path.rstrip("/") + orig.path, orig.query, ""))


def location_for(name: str, base_url: str | None = None) -> SourceLocation:
    """The location of source ``name``, rebased onto ``base_url`` (or ``$URBAN_SAFETY_SOURCE_BASE_URL``) if given."""
    try:
        location = SOURCE_LOCATIONS[name]
    except KeyError:
        raise KeyError(f"no source location for {name!r}; known: {', '.join(sorted(SOURCE_LOCATIONS))}") from None
    base_url = base_url or os.environ.get(BASE_URL_ENV) or None
    if base_url is None:
        return location
    return replace(location, url=rebase_url(location.url, base_url))
