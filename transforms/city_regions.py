"""City <-> region: which NUTS 3 region an Urban Audit city lies in, whether it is the same territory, and how big
the city is (a peer group), from Eurostat's LAU 2019 <-> NUTS 2016 table (sources.lau).

How a city is linked (``lau_match``):

1. ``documented_list`` — an entry of ``parameters/city_lau_overrides.csv`` (each with its public source) names the
   city's LAUs: Brussels and Paris, which the LAU table codes differently from the statistical tables, and the
   few names the automatic check cannot pair;
2. ``city_id`` — the LAUs whose ``city_id`` has the city's code in its first six characters (the 7th is GISCO's
   version digit), when the LAU table's city name is the code list's name;
3. ``greater_city_id`` — the same with ``greater_city_id`` (Paris-style greater cities);
4. ``city_name`` — the code points to ANOTHER city in LAU 2019 (Urban Audit codes were renumbered between
   editions: ``DE023C1`` is Moers there, ``DE023C`` is Darmstadt in the statistical tables), so the city is found by
   its name among the LAU table's cities of the same country, when exactly one has it;
5. otherwise the city is not linked (``lau_match`` NULL) and ``link_note`` says why.

From the city's LAUs: ``nuts3_code`` is the NUTS 3 region (NUTS 2016) holding most of their population; where a
LAU of the city has no population (all of France, Cyprus, North Macedonia) most of their area, or of their number
when an area is missing too (``nuts3_basis`` says which). ``territory_match`` is ``same_territory`` when the
city's LAUs are exactly the region's, ``part_of_region`` when they are some of them, ``spans_regions`` when they
lie in more than one region.

``city_population`` is the sum of the LAU populations (approximate: the LAU file does not state its reference
date); where one is missing and the city is the same territory as its region, the region's 1 January 2019
population (demo_r_pjanaggr3) is used and ``city_population_source`` says so; else NULL with the reason.
``size_class`` is the EU-OECD city size class of Dijkstra & Poelman (2012), "Cities in Europe: the new OECD-EC
definition", Regional Focus 01/2012, European Commission, DG REGIO: S 50,000-100,000, M 100,000-250,000,
L 250,000-500,000, XL 500,000-1,000,000, XXL 1,000,000 or more inhabitants.
"""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher
from pathlib import Path

import polars as pl

OVERRIDES_CSV = Path(__file__).parent / "parameters" / "city_lau_overrides.csv"
OVERRIDE_COLUMNS = ("city_id", "greater_city_id", "code_2016")
POPULATION_YEAR = "2019"
# When the code already points at a LAU city, its name need only be close to the code list's (spelling, language).
CODE_NAME_SIMILARITY = 0.8  # the LAU edition's year, for the same-territory fallback population

# (class, lower bound inclusive) from the largest down; below 50,000 no class (the classification starts there).
SIZE_CLASSES: tuple[tuple[str, int], ...] = (
    ("XXL", 1_000_000),
    ("XL", 500_000),
    ("L", 250_000),
    ("M", 100_000),
    ("S", 50_000),
)

CITY_REGION_SCHEMA: dict[str, pl.DataType] = {
    "geo_code": pl.String(),
    "nuts3_code": pl.String(),
    "nuts3_basis": pl.String(),
    "territory_match": pl.String(),
    "lau_match": pl.String(),
    "lau_count": pl.Int32(),
    "city_population": pl.Float64(),
    "city_population_source": pl.String(),
    "size_class": pl.String(),
    "link_note": pl.String(),
}

_CITY_CODE = re.compile(r"^[A-Z]{2}[0-9]{3}C[0-9]?$")
# Words around a city's name in one source and not the other ("Greater Valletta", "European City of Lille",
# "MUNICIPIUL BUCURESTI", "Tartu linn", "Glasgow City", "Athina (greater city)").
_NOISE = re.compile(
    r"\(.*?\)|\b(european greater city of|european city of|greater|municipiul|linn|city|stad|kaupunki)\b"
)


def name_variants(name: str | None) -> set[str]:
    """Comparable forms of a city name: accents dropped, lower case, the noise words removed, each part of a
    bilingual name ('Helsinki/Helsingfors', 'Bruxelles / Brussel') on its own."""
    if not name:
        return set()
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    out = set()
    for part in [*plain.split("/"), plain.replace("/", " ")]:
        part = _NOISE.sub(" ", part)
        part = re.sub(r"[^a-z0-9]+", " ", part).strip()
        if part:
            out.add(part)
    return out


def names_agree(a: str | None, b: str | None, similarity: float = 1.0) -> bool:
    """True when a form of one name is a form of the other, or (``similarity`` < 1) close to one: a ratio of
    :class:`difflib.SequenceMatcher` of at least ``similarity`` (Larisa/Larissa, Genève/Geneva)."""
    va, vb = name_variants(a), name_variants(b)
    if va & vb:
        return True
    return similarity < 1 and any(SequenceMatcher(None, x, y).ratio() >= similarity for x in va for y in vb)


def read_overrides(path: Path = OVERRIDES_CSV) -> pl.DataFrame:
    frame = pl.read_csv(
        path, schema={"geo_code": pl.String, "lau_column": pl.String, "lau_value": pl.String, "source": pl.String}
    )
    bad = frame.filter(~pl.col("lau_column").is_in(OVERRIDE_COLUMNS) | pl.col("source").is_null())
    if bad.height or not frame["geo_code"].is_unique().all():
        raise ValueError(f"{path}: every entry needs a lau_column in {OVERRIDE_COLUMNS}, a source, a unique geo_code")
    return frame


def size_class(population: pl.Expr) -> pl.Expr:
    expr = pl.when(population.is_null()).then(pl.lit(None, dtype=pl.String))
    for label, lower in SIZE_CLASSES:
        expr = expr.when(population >= lower).then(pl.lit(label))
    return expr.otherwise(pl.lit(None, dtype=pl.String))


def _lau_cities(lau: pl.DataFrame, column: str, name_column: str) -> dict[str, tuple[str, list[str]]]:
    """Six-character code -> (country, the names the LAU table gives it) for ``column`` (city_id or
    greater_city_id). A code may carry several names (ES016C1: Toledo and Talavera de la Reina); without a city name
    (Hungary, Ireland) a one-LAU city is named by its LAU, else the list is empty."""
    grouped = (
        lau.filter(pl.col(column).is_not_null())
        .group_by(pl.col(column).str.slice(0, 6).alias("code6"))
        .agg(
            pl.col(name_column).drop_nulls().unique().sort().alias("names"),
            pl.when(pl.len() == 1).then(pl.col("lau_name_national").first()).alias("single_lau"),
            pl.col("country").first(),
        )
    )
    out = {}
    for r in grouped.iter_rows(named=True):
        names = r["names"] or ([r["single_lau"]] if r["single_lau"] else [])
        out[r["code6"]] = (r["country"], names)
    return out


def _agreeing(label: str, names: list[str], similarity: float = 1.0) -> str | None:
    """The first of ``names`` that agrees with ``label`` (:func:`names_agree`), else None."""
    return next((n for n in names if names_agree(label, n, similarity)), None)


class _Members:
    """The LAUs of a link, looked up in partitions made once (a filter of the whole table per city is slow)."""

    def __init__(self, lau: pl.DataFrame) -> None:
        self.parts: dict[str, dict[str, pl.DataFrame]] = {"code_2016": self._split(lau, pl.col("code_2016"))}
        for column in ("city_id", "greater_city_id"):
            rows = lau.filter(pl.col(column).is_not_null())
            self.parts[column] = self._split(rows, pl.col(column).str.slice(0, 6))
        self.region_laus = {
            code: sorted(frame["lau_code"].to_list()) for code, frame in self.parts["code_2016"].items()
        }

    @staticmethod
    def _split(frame: pl.DataFrame, key: pl.Expr) -> dict[str, pl.DataFrame]:
        parts = frame.with_columns(key.alias("_key")).partition_by("_key", as_dict=True, include_key=False)
        return {k[0]: v for k, v in parts.items()}

    def __call__(self, column: str, value: str, name: str | None = None) -> pl.DataFrame:
        """``name`` keeps only the LAUs of that city name (a code with several names)."""
        key = value if column == "code_2016" else value[:6]
        members = self.parts[column].get(key)
        if members is None:
            return pl.DataFrame()
        if name is not None:
            members = members.filter(pl.col("city_name" if column == "city_id" else "greater_city_name") == name)
        return members


LINK_SCHEMA = {
    "geo_code": pl.String,
    "lau_column": pl.String,
    "lau_value": pl.String,
    "lau_name": pl.String,
    "lau_match": pl.String,
    "link_note": pl.String,
}


def city_lau_links(city_codes: pl.DataFrame, lau: pl.DataFrame, overrides: pl.DataFrame) -> pl.DataFrame:
    """(geo_code, lau_column, lau_value, lau_name, lau_match, link_note) for every Urban Audit city code of
    ``city_codes`` (a code list frame: code, label): which LAUs make the city, and how that was decided.
    ``lau_name`` is set when the LAU code carries several city names: only the LAUs of that name are the city's."""
    cities = city_codes.filter(pl.col("code").str.contains(_CITY_CODE.pattern)).select("code", "label")
    by_city = _lau_cities(lau, "city_id", "city_name")
    by_greater = _lau_cities(lau, "greater_city_id", "greater_city_name")
    by_name: dict[tuple[str, str], set[tuple[str, str]]] = {}
    for code6, (country, names) in by_city.items():
        for name in names:
            for variant in name_variants(name):
                by_name.setdefault((country, variant), set()).add((code6, name))
    listed = {r["geo_code"]: r for r in overrides.iter_rows(named=True)}

    def one_of(names: list[str], name: str) -> str | None:
        return name if len(names) > 1 else None

    rows = []
    for code, label in cities.iter_rows():
        six = code[:6]
        city_names = by_city.get(six, (None, []))[1]
        greater_names = by_greater.get(six, (None, []))[1]
        if code in listed:
            entry = listed[code]
            rows.append((code, entry["lau_column"], entry["lau_value"], None, "documented_list", entry["source"]))
        elif six in by_city and (name := _agreeing(label, city_names, CODE_NAME_SIMILARITY)):
            note = (
                f"LAU 2019 gives {six} several names ({', '.join(city_names)}): the LAUs of {name}"
                if len(city_names) > 1
                else None
            )
            rows.append((code, "city_id", six, one_of(city_names, name), "city_id", note))
        elif six in by_city and not city_names:
            rows.append((code, "city_id", six, None, "city_id", "LAU 2019 names no city for the code: linked on it"))
        elif six in by_greater and (name := _agreeing(label, greater_names, CODE_NAME_SIMILARITY)):
            rows.append((code, "greater_city_id", six, one_of(greater_names, name), "greater_city_id", None))
        else:
            found = set().union(*(by_name.get((code[:2], v), set()) for v in name_variants(label)))
            other = ", ".join(city_names or greater_names) or None
            if len(found) == 1:
                ((match, name),) = found
                note = f"LAU 2019 codes {label} as {match}" + (f"; its {six} is {other}" if other else "")
                names = by_city[match][1]
                rows.append((code, "city_id", match, one_of(names, name), "city_name", note))
            elif other:
                rows.append(
                    (code, None, None, None, None, f"not linked: {six} is {other!r} in LAU 2019, not {label!r}")
                )
            else:
                rows.append((code, None, None, None, None, f"not linked: {label!r} is not a city of LAU 2019"))
    links = pl.DataFrame(rows, schema=LINK_SCHEMA, orient="row")
    # The CITIES list calls some codes a greater city while LAU 2019 gives the code (or the name) to the city
    # proper: say so, the territory of the statistical tables may be the larger one.
    greater = dict(cities.select("code", pl.col("label").str.contains(r"(?i)\(greater city\)")).iter_rows())
    caveat = "the CITIES code list calls this a greater city; LAU 2019's city of that name is used"
    return links.with_columns(
        pl.when(
            pl.col("geo_code").replace_strict(greater, default=False, return_dtype=pl.Boolean)
            & pl.col("lau_match").is_in(["city_id", "city_name"])
        )
        .then(pl.concat_str([pl.col("link_note"), pl.lit(caveat)], separator="; ", ignore_nulls=True))
        .otherwise(pl.col("link_note"))
        .alias("link_note")
    )


def city_regions(
    city_codes: pl.DataFrame, lau: pl.DataFrame, population: pl.DataFrame, overrides: pl.DataFrame | None = None
) -> pl.DataFrame:
    """One row per Urban Audit city of the CITIES code list (:data:`CITY_REGION_SCHEMA`): its NUTS 3 region, the
    territory match, how the link was made, its approximate population and size class."""
    overrides = read_overrides() if overrides is None else overrides
    links = city_lau_links(city_codes, lau, overrides)
    members_of = _Members(lau)
    region_pop = dict(population.filter(pl.col("period") == POPULATION_YEAR).select("geo", "population").iter_rows())
    rows = []
    for link in links.iter_rows(named=True):
        base = {**{k: None for k in CITY_REGION_SCHEMA}, "geo_code": link["geo_code"], "lau_match": link["lau_match"]}
        if link["lau_column"] is None:
            rows.append({**base, "link_note": link["link_note"]})
            continue
        members = members_of(link["lau_column"], link["lau_value"], link["lau_name"])
        if members.is_empty():
            rows.append(
                {
                    **base,
                    "lau_match": None,
                    "link_note": f"not linked: no LAU with {link['lau_column']} {link['lau_value']}",
                }
            )
            continue
        has_pop = members["population"].null_count() == 0
        has_area = members["total_area_m2"].null_count() == 0
        basis, weight = (
            ("lau_population", "population")
            if has_pop
            else ("lau_area", "total_area_m2")
            if has_area
            else ("lau_count", None)
        )
        per_region = (
            members.group_by("code_2016")
            .agg(
                (pl.col(weight).sum() if weight else pl.len().cast(pl.Float64)).alias("w"),
                pl.col("lau_code").sort().alias("city_laus"),
            )
            .sort(["w", "code_2016"], descending=[True, False])
        )
        nuts3 = per_region["code_2016"][0]
        if per_region.height > 1:
            match = "spans_regions"
        else:
            same = members_of.region_laus[nuts3] == per_region["city_laus"][0].to_list()
            match = "same_territory" if same else "part_of_region"
        notes = [link["link_note"]] if link["link_note"] else []
        pop, pop_source = None, None
        if has_pop:
            pop = float(members["population"].sum())
            pop_source = "LAU 2019: sum of the city's LAU populations (approximate, reference date not stated)"
        elif match == "same_territory" and region_pop.get(nuts3) is not None:
            pop = float(region_pop[nuts3])
            pop_source = f"demo_r_pjanaggr3: population of {nuts3} (same territory) on 1 January {POPULATION_YEAR}"
        else:
            missing = ", ".join(sorted(set(members.filter(pl.col("population").is_null())["country"])))
            notes.append(f"no city population: LAU 2019 has no population for {missing}")
        if pop is not None and pop < SIZE_CLASSES[-1][1]:
            notes.append("population below 50,000: under the smallest EU-OECD size class")
        rows.append(
            {
                **base,
                "nuts3_code": nuts3,
                "nuts3_basis": basis,
                "territory_match": match,
                "lau_count": members.height,
                "city_population": pop,
                "city_population_source": pop_source,
                "link_note": "; ".join(notes) or None,
            }
        )
    out = pl.DataFrame(rows, schema=CITY_REGION_SCHEMA)
    return out.with_columns(size_class(pl.col("city_population")).alias("size_class")).sort("geo_code")
