"""Case- and accent-insensitive search keys, computed in Python for any database."""

from __future__ import annotations

import unicodedata


def search_key(*parts: str) -> str:
    """`"LEFÈVRE", "Éloïse"` -> `"lefevre eloise"`: accents stripped, case folded."""
    text = " ".join(parts)
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.casefold().split())


def search_terms(query: str) -> list[str]:
    """The normalized words of a search query; every one must match."""
    return search_key(query).split()
