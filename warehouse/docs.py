"""Regenerate the generated sections of README.md from the declarations (``python -m warehouse.docs``)."""

from __future__ import annotations

import re
import sys

from sources.config import PROJECT_ROOT
from warehouse.catalogue import catalogue_markdown
from warehouse.metadata import contract_markdown

SECTIONS = {"contract": contract_markdown, "catalogue": catalogue_markdown}


def render(readme: str) -> str:
    for name, build in SECTIONS.items():
        begin, end = f"<!-- BEGIN GENERATED {name} -->", f"<!-- END GENERATED {name} -->"
        pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.S)
        if not pattern.search(readme):
            raise SystemExit(f"README.md lacks the markers {begin} … {end}")
        readme = pattern.sub(lambda _m, b=begin, e=end, f=build: f"{b}\n{f()}\n{e}", readme)
    return readme


def main() -> int:
    path = PROJECT_ROOT / "README.md"
    text = path.read_text(encoding="utf-8")
    new = render(text)
    if new != text:
        path.write_text(new, encoding="utf-8")
        print("README.md: generated sections updated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
