"""The server's own messages in French and English: gettext catalogs under `ortif_server/locale`.

The server shares no code with the client, so it has its own small catalog (domain
`ortif_server`), kept by `scripts/update-catalogs` like the CLI's. Pages follow the
browser's `Accept-Language` (French when nothing better matches); outgoing messages use
`serve --language`. English is the source language and needs no catalog.

    tr = translations(language)
    tr.gettext("Wrong access code.")
"""

from __future__ import annotations

import gettext
from functools import lru_cache
from pathlib import Path

DOMAIN = "ortif_server"
LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"


@lru_cache(maxsize=4)
def translations(language: str) -> gettext.NullTranslations:
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[language], fallback=True)


def negotiate(accept_language: str | None) -> str:
    """`fr` or `en`: the browser's preferred one of the two (RFC 9110 weights), else French."""
    best, best_weight = DEFAULT_LANGUAGE, 0.0
    for position, item in enumerate((accept_language or "").split(",")):
        tag, _, params = item.strip().partition(";")
        language = tag.strip().lower().split("-")[0]
        weight = _weight(params)
        if language in LANGUAGES and weight > best_weight:
            best, best_weight = language, weight - position * 1e-6
    return best


def _weight(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.strip() == "q":
            try:
                return min(1.0, max(0.0, float(value)))
            except ValueError:
                return 0.0
    return 1.0


def N_(message: str) -> str:  # noqa: N802 (the gettext convention)
    """Mark `message` for extraction only; it is translated where it is shown."""
    return message
