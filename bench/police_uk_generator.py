"""Make N rows of police.uk street-level data in the archive layout, by resampling the real bundled rows.

DERIVED DATA, for benchmarks only, never committed or shipped: every row is a real bundled row (City of London
Police, 2019; its strings, coordinates, LSOAs, outcomes and blank-field shares kept) drawn with replacement, then
given a force, a month (``Month`` set to it) and, for rows that have one, a fresh random 64-hex Crime ID (so that
resampling does not turn every crime into a duplicate). Files: ``<out>/YYYY-MM/YYYY-MM-<force>-street.csv``,
CRLF, the real header.

    python bench/police_uk_generator.py OUT_DIR N [--months 24] [--forces 20] [--seed 9]
"""

from __future__ import annotations

import argparse
import binascii
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = ROOT / "data" / "raw" / "police_uk"
# police.uk force ids (the names data.police.uk uses in its file names).
FORCES = (
    "avon-and-somerset", "bedfordshire", "cambridgeshire", "cheshire", "city-of-london", "cleveland", "cumbria",
    "derbyshire", "devon-and-cornwall", "dorset", "durham", "dyfed-powys", "essex", "gloucestershire",
    "greater-manchester", "gwent", "hampshire", "hertfordshire", "humberside", "kent", "lancashire",
    "leicestershire", "lincolnshire", "merseyside", "metropolitan", "norfolk", "north-wales", "north-yorkshire",
    "northamptonshire", "northumbria", "nottinghamshire", "south-wales", "south-yorkshire", "staffordshire",
    "suffolk", "surrey", "sussex", "thames-valley", "warwickshire", "west-mercia", "west-midlands",
    "west-yorkshire", "wiltshire",
)  # fmt: skip


def _random_ids(n: int, rng: np.random.Generator) -> pa.Array:
    """n random 64-hex strings, built in one buffer (fast at 10 M rows)."""
    data = binascii.hexlify(rng.bytes(32 * n))
    offsets = np.arange(0, 64 * (n + 1), 64, dtype=np.int64)
    return pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data))


def generate(out: Path, n_rows: int, months: int = 24, forces: int = 20, seed: int = 9) -> dict[str, int]:
    source = pl.read_csv(sorted(BUNDLED.glob("*-street.csv")), infer_schema=False)
    header = source.columns
    rng = np.random.default_rng(seed)
    month_keys = [f"{2019 + i // 12}-{i % 12 + 1:02d}" for i in range(months)]
    force_keys = FORCES[:forces]
    files = 0
    # One month at a time: memory stays at one month's rows.
    per_month = np.full(months, n_rows // months)
    per_month[: n_rows % months] += 1
    for month, rows in zip(month_keys, per_month, strict=True):
        picks = rng.integers(0, source.height, size=int(rows))
        frame = source[picks]
        ids = pl.Series("new_id", _random_ids(frame.height, rng)).cast(pl.String)
        frame = frame.with_columns(
            pl.when(pl.col("Crime ID").is_not_null()).then(ids).alias("Crime ID"),
            pl.lit(month).alias("Month"),
            pl.Series("force", rng.integers(0, len(force_keys), size=frame.height)),
        )
        folder = out / month
        folder.mkdir(parents=True, exist_ok=True)
        for (force_index,), part in frame.partition_by("force", as_dict=True).items():
            name = f"{month}-{force_keys[force_index]}-street.csv"
            part.select(header).write_csv(folder / name, line_terminator="\r\n")
            files += 1
    return {"rows": n_rows, "files": files, "months": months, "forces": len(force_keys)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("rows", type=int)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--forces", type=int, default=20)
    parser.add_argument("--seed", type=int, default=9)
    args = parser.parse_args(argv)
    print(generate(args.out / "police_uk", args.rows, args.months, args.forces, args.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
