"""The UI's assets are vendored: USWDS and htmx come from static/ at the versions README names."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "static" / "vendor"


def test_it_loads_no_script_or_stylesheet_from_another_site():
    external = []
    for template in (ROOT / "templates").rglob("*.html"):
        for line_no, line in enumerate(template.read_text().splitlines(), 1):
            for tag in re.findall(r"<(?:script|link)\b[^>]*>", line):
                if re.search(r'(?:src|href)="(?:https?:)?//', tag):
                    external.append(f"{template.relative_to(ROOT)}:{line_no} {tag}")
    assert not external, "Serve these from static/ instead:\n" + "\n".join(external)


def test_it_vendors_uswds_and_htmx_at_the_versions_readme_names():
    readme = (ROOT / "README.md").read_text()
    (uswds,) = VENDOR.glob("uswds-*")
    (htmx,) = VENDOR.glob("htmx-*")
    uswds_version = uswds.name.removeprefix("uswds-")
    htmx_version = htmx.name.removeprefix("htmx-")
    # The files are the releases their folders are named after (the npm packages' own banners).
    assert f"/*! uswds v{uswds_version} */" in (uswds / "css" / "uswds.min.css").read_text()[:200]
    assert f'version:"{htmx_version}"' in (htmx / "htmx.min.js").read_text()
    assert (uswds / "LICENSE.md").exists()
    assert f"USWDS {uswds_version} and htmx {htmx_version} vendored in static/vendor/" in readme
    base = (ROOT / "templates" / "base.html").read_text()
    assert f"vendor/uswds-{uswds_version}/css/uswds.min.css" in base
    assert f"vendor/htmx-{htmx_version}/htmx.min.js" in base
