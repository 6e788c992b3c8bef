"""What an attachment may be called and served as. Pure functions: no I/O, no models."""

from __future__ import annotations

import mimetypes
import re
import unicodedata
from urllib.parse import quote

MAX_FILENAME_CHARS = 255

# Stored (and served) content types: anything else is kept as application/octet-stream, so a
# browser never gets a type it might render (text/html, image/svg+xml, application/xhtml+xml…).
ALLOWED_CONTENT_TYPES = frozenset({
    "image/png", "image/jpeg", "image/gif", "image/webp",
    "text/plain", "text/csv", "application/json", "application/x-ndjson", "application/pdf",
    "application/zip", "application/gzip",
})
# Raster images the inbox may show inline as thumbnails (never SVG: it can carry script).
INLINE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
FALLBACK_CONTENT_TYPE = "application/octet-stream"


def filename_problem(name: str) -> str | None:
    """Why `name` (as the client sent it) is refused, or None when it is acceptable."""
    if not name.strip():
        return "The file name is empty."
    if len(name) > MAX_FILENAME_CHARS:
        return f"The file name is longer than {MAX_FILENAME_CHARS} characters."
    if "/" in name or "\\" in name:
        return "The file name must not contain path separators (/ or \\)."
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        return "The file name must not contain control characters."
    if name.strip() in {".", ".."}:
        return "The file name must be a name, not . or .."
    return None


def stored_content_type(declared: str, filename: str) -> str:
    """The content type kept for a file: the declared one if allow-listed, else a guess from the
    extension if that is allow-listed, else application/octet-stream."""
    base = declared.split(";", 1)[0].strip().lower()
    if base in ALLOWED_CONTENT_TYPES:
        return base
    guessed, _ = mimetypes.guess_type(filename, strict=False)
    if base in ("", FALLBACK_CONTENT_TYPE) and guessed in ALLOWED_CONTENT_TYPES:
        return guessed
    return FALLBACK_CONTENT_TYPE


def content_disposition(filename: str, *, inline: bool = False) -> str:
    """RFC 6266: a plain-ASCII `filename` fallback plus the exact name as `filename*` (RFC 8187)."""
    ascii_name = "".join(ch if re.match(r"[A-Za-z0-9._ ()+-]", ch) else "_" for ch in filename).strip() or "download"
    return (f'{"inline" if inline else "attachment"}; filename="{ascii_name}"; '
            f"filename*=UTF-8''{quote(filename, safe='')}")


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"
