"""Catalogue entries for survey indicators (QoL in European Cities, EU-SILC) and context figures."""

from __future__ import annotations

from warehouse.catalogue.indicator import Indicator

SURVEY_INDICATORS: tuple[Indicator, ...] = ()
