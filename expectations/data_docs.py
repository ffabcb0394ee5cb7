"""GX Data Docs that open offline, configured through GX's own site-builder extension points.

GX 1.24's page templates load Bootstrap, jQuery, bootstrap-table, Vega and Font Awesome from public CDNs and its
logo from GX's S3 bucket, and fill the index tables from JavaScript, so its pages are blank or unstyled without a
network. A Data Docs site config may name the ``view`` class of each section and of the index; the views below are
GX's own with our templates put first (``expectations/data_docs_templates``, adapted from GX's, Apache-2.0):
no CDN link, tables rendered as HTML on the server, the logo from the site's ``static/`` folder, a short local
stylesheet for the layout. Collapsible sections stay open and filters are absent (they need the CDN scripts); the
content of every page is complete. Element ids are numbered instead of random, so a page depends on the results only.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from great_expectations.render.view import DefaultJinjaIndexPageView, DefaultJinjaPageView
from jinja2 import ChoiceLoader, FileSystemLoader

TEMPLATES = Path(__file__).with_name("data_docs_templates")
SITE_NAME = "offline_site"
SITE_DIR = "uncommitted/data_docs/offline_site"


class _Offline:
    """Our templates before GX's; numbered element ids."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        self.env.loader = ChoiceLoader([FileSystemLoader(TEMPLATES), self.env.loader])
        self._ids = itertools.count(1)

    def generate_html_element_uuid(self, prefix: str | None = None) -> str:
        return f"{prefix or ''}gx-{next(self._ids)}"

    def render(self, document: Any, template: Any = None, **kwargs: Any) -> str:
        self._ids = itertools.count(1)  # per page
        self.env.filters["generate_html_element_uuid"] = self.generate_html_element_uuid
        return super().render(document, template, **kwargs)  # type: ignore[misc]


class OfflinePageView(_Offline, DefaultJinjaPageView):
    """Suite and validation pages."""


class OfflineIndexPageView(_Offline, DefaultJinjaIndexPageView):
    """The site's index."""


def site_config() -> dict[str, Any]:
    """A GX Data Docs site (``SiteBuilder``) whose pages need no network."""
    view = {"module_name": __name__, "class_name": OfflinePageView.__name__}
    return {
        "class_name": "SiteBuilder",
        "show_how_to_buttons": False,
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": SITE_DIR},
        "site_index_builder": {
            "class_name": "DefaultSiteIndexBuilder",
            "view": {"module_name": __name__, "class_name": OfflineIndexPageView.__name__},
        },
        "site_section_builders": {
            "expectations": {"view": view},
            "validations": {"view": view},
            "profiling": "None",
        },
    }
