"""Pure Polars transforms: frames in, frames out. No Dagster, no DuckDB, so each step runs and tests alone."""
