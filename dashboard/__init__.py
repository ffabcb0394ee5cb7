"""The Action 1 joint dashboard: a static site (HTML, SVG and the Vega bundle; no server, no request leaves a
page) generated from the published tables. ``dashboard.build.build_site`` writes it; the Dagster asset
``dashboard/site`` (pipelines/defs/dashboard) runs it after every publication."""
