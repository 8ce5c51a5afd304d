"""File names a person would keep: 'Award decision notice - Laptops for schools - lot 1 -
LC-2026-0001.pdf'. Pure functions; the pages that serve a document know what it is about."""
from __future__ import annotations

import re
import unicodedata

# Characters no file system is happy with, and control characters.
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')
_SPACES = re.compile(r"\s+")
_PLAIN = str.maketrans({"‘": "'", "’": "'", "“": "'", "”": "'", "–": "-", "—": "-", "£": "GBP ", "€": "EUR "})
MAX_LENGTH = 180  # well inside every file system's 255


def _clean(part: str) -> str:
    return _SPACES.sub(" ", _UNSAFE.sub(" ", part)).strip(" .-")


def keepable_name(parts: list[str], extension: str = "pdf") -> str:
    """The parts, cleaned of characters file systems refuse, joined by ' - ', with the extension;
    too long a name loses the end of its longest part, never the extension."""
    cleaned = [c for c in (_clean(p) for p in parts) if c]
    suffix = f".{extension}"
    while cleaned and len(" - ".join(cleaned)) + len(suffix) > MAX_LENGTH:
        longest = max(range(len(cleaned)), key=lambda i: len(cleaned[i]))
        cleaned[longest] = cleaned[longest][: max(10, len(cleaned[longest]) - 10)].rstrip() + "…"
        if all(len(c) <= 11 for c in cleaned):
            break
    return (" - ".join(cleaned) or "document") + suffix


def ascii_name(name: str) -> str:
    """The same name in plain ASCII, for the header's filename= (filename* carries UTF-8):
    accents dropped, curly quotes and dashes made straight, anything else left out."""
    text = unicodedata.normalize("NFKD", name.translate(_PLAIN).replace("…", "..."))
    text = text.encode("ascii", "ignore").decode()
    text = _SPACES.sub(" ", _UNSAFE.sub(" ", text)).strip()
    stem, dot, extension = text.rpartition(".")
    if dot and not stem.strip(" .-"):
        return f"document.{extension}"  # nothing of the name survives in ASCII
    return text or "document"
