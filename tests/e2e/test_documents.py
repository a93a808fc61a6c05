"""PDF documents in a browser: the trainee downloads their certificate from their tracker, then the
Help Desk checks its verification code on the verification page (axe-core on each page)."""

from __future__ import annotations

import io
import re

from playwright.sync_api import Page, expect
from pypdf import PdfReader

from ..test_documents import chicago, onboarded  # noqa: F401  (fixtures)
from .conftest import check_a11y, sign_in


def test_a_trainee_downloads_a_certificate_that_the_help_desk_verifies(
    page: Page,
    live_server,
    chicago,  # noqa: F811
    onboarded,  # noqa: F811
):
    slug = chicago.continuum.slug
    sign_in(page, live_server, onboarded, totp=False)
    page.goto(f"{live_server.url}/{slug}/my-onboarding/")
    expect(page.get_by_role("heading", name="Your documents")).to_be_visible()
    check_a11y(page, "my-onboarding-documents")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Your training completion certificate (PDF)").click()
    download = download_info.value
    assert download.suggested_filename == "training-certificate-ana-lopez.pdf"
    with open(download.path(), "rb") as handle:
        text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(handle.read())).pages)
    code = re.search(r"Verification code: (\S+)", text).group(1)

    page.context.clear_cookies()
    sign_in(page, live_server, chicago["help_desk"], totp=True)
    page.goto(f"{live_server.url}/{slug}/training/progress/")
    page.get_by_role("link", name="Verify a training certificate").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Verify a training certificate")
    page.get_by_label("Verification code").fill(code)
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("status")).to_contain_text("Valid.")
    expect(page.get_by_role("status")).to_contain_text("Ana Lopez")
    check_a11y(page, "certificate-verify-valid")

    page.get_by_label("Verification code").fill(code[:-4] + "AAAA")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("status")).to_contain_text("Not recognised.")
    check_a11y(page, "certificate-verify-unknown")
