"""Agreement documents: the PDF produced by an in-app signature, and the checks on uploaded scans."""

from __future__ import annotations

import hashlib
import io
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string

from .models import Agreement

logger = logging.getLogger(__name__)

DEFAULT_UPLOAD_MAX_BYTES = 10 * 1024 * 1024
MAX_PAGES = 200


def upload_max_bytes() -> int:
    return int(getattr(settings, "AGREEMENT_UPLOAD_MAX_BYTES", DEFAULT_UPLOAD_MAX_BYTES))


@dataclass(frozen=True)
class CheckedPdf:
    content: bytes
    pages: int
    sha256: str

    @property
    def size(self) -> int:
        return len(self.content)


def check_pdf_bytes(content: bytes) -> CheckedPdf:
    """A real, readable, unencrypted PDF with at least one page, judged by its content (not its name)."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    limit = upload_max_bytes()
    if len(content) > limit:
        raise ValidationError(
            f"The file is {filesizeformat(len(content))}; the limit is {filesizeformat(limit)}. "
            "Scan at a lower resolution or in black and white.",
            code="too_large",
        )
    if not content:
        raise ValidationError("The file is empty.", code="empty")
    # The PDF header may sit after a little junk (the spec allows 1 KB); anything else is not a PDF.
    if b"%PDF-" not in content[:1024]:
        raise ValidationError(
            "This file is not a PDF. Upload the signed agreement as a PDF document.", code="not_pdf"
        )
    try:
        reader = PdfReader(io.BytesIO(content), strict=False)
        if reader.is_encrypted:
            raise ValidationError(
                "The PDF is password-protected. Upload a copy without a password.", code="encrypted"
            )
        pages = len(reader.pages)
    except ValidationError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError) as error:
        logger.info("Unreadable agreement upload: %s", error)
        raise ValidationError(
            "The PDF could not be read (it may be damaged). Scan or export it again.", code="unreadable"
        ) from error
    if pages < 1:
        raise ValidationError("The PDF has no pages.", code="no_pages")
    if pages > MAX_PAGES:
        raise ValidationError(
            f"The PDF has {pages} pages; at most {MAX_PAGES} are accepted.", code="too_many_pages"
        )
    return CheckedPdf(content=content, pages=pages, sha256=hashlib.sha256(content).hexdigest())


def check_uploaded_pdf(upload: UploadedFile) -> CheckedPdf:
    limit = upload_max_bytes()
    # Refuse on the declared size before reading a byte of an oversized file into memory.
    if upload.size is not None and upload.size > limit:
        raise ValidationError(
            f"The file is {filesizeformat(upload.size)}; the limit is {filesizeformat(limit)}. "
            "Scan at a lower resolution or in black and white.",
            code="too_large",
        )
    upload.seek(0)
    content = upload.read(limit + 1)
    return check_pdf_bytes(content)


def render_agreement_pdf(agreement: Agreement) -> bytes:
    """The agreement's text and its signature block(s), as signed in the application."""
    from weasyprint import HTML

    html = render_to_string(
        "agencies/pdf/agreement.html",
        {
            "agreement": agreement,
            "version": agreement.version,
            "agreement_type": agreement.agreement_type,
            "agency": agreement.agency,
            "continuum": agreement.continuum,
        },
    )
    return HTML(string=html).write_pdf()


def pdf_facts(content: bytes) -> CheckedPdf:
    """Page count and hash of a PDF we produced ourselves (no size limit applies)."""
    from pypdf import PdfReader

    return CheckedPdf(
        content=content,
        pages=len(PdfReader(io.BytesIO(content)).pages),
        sha256=hashlib.sha256(content).hexdigest(),
    )
