"""Messages in the user's language: gettext catalogs under `ortif_cli/locale`.

The language comes from `ORTIF_LANG` if set, else from the first of `LANGUAGE`,
`LC_ALL`, `LC_MESSAGES`, `LANG` that is set (the gettext order); `fr_*` gives French,
anything else English (the source language, needing no catalog). It is read again at
every call, so a test or a long-lived process may change it.

    from ortif_cli.i18n import _, ngettext
    _("Signed in to {server}.").format(server=url)
    ngettext("{n} dossier", "{n} dossiers", n).format(n=n)

Wrap whole sentences with `{named}` placeholders (the translator may move them), never
pieces of a sentence. `scripts/update-catalogs` extracts, updates and compiles.

A message kept in a constant is marked with `N_` (extracted, not translated yet) and
translated where it is shown: `_(GUEST_HINT)`. The error reporter passes every
OrtifError's message and hint through `_`, so a marked constant raised as is comes out
translated too.
"""

from __future__ import annotations

import gettext
import os
from functools import lru_cache
from pathlib import Path

DOMAIN = "ortif"
LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("en", "fr")
ENV_ORDER = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


def current_language() -> str:
    """`fr` or `en`, from ORTIF_LANG, then the usual locale variables."""
    chosen = os.environ.get("ORTIF_LANG")
    if not chosen:
        chosen = next((os.environ[name] for name in ENV_ORDER if os.environ.get(name)), "")
        chosen = chosen.split(":")[0]
    code = chosen.split(".")[0].split("@")[0].replace("-", "_").lower()
    return "fr" if code == "fr" or code.startswith("fr_") else "en"


@lru_cache(maxsize=4)
def _translations(language: str) -> gettext.NullTranslations:
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[language], fallback=True)


def _(message: str) -> str:
    """`message` translated into the current language."""
    return _translations(current_language()).gettext(message)


def N_(message: str) -> str:  # noqa: N802 (the gettext convention)
    """Mark `message` for extraction only; translate it later with `_`."""
    return message


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form for `n`, translated."""
    return _translations(current_language()).ngettext(singular, plural, n)
