"""Data-quality rules. Each rule takes frames and returns a list of human-readable problems (empty = pass),
so the same rule runs as a Dagster asset check, in the tests, and by hand."""
