"""What every page needs: the templates, the static files, the language, safe headers."""

from __future__ import annotations

from datetime import date, datetime, timezone
from functools import partial
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from ortif_server import viewer_bundle
from ortif_server.config import ServerSettings
from ortif_server.i18n import negotiate, translations

WEB_DIR = Path(__file__).parent
templates = Jinja2Templates(directory=WEB_DIR / "templates")
HEADERS = {
    # the link token is in the URL: never sent on to another site
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
}


def install(app: FastAPI) -> None:
    """Mount the stylesheet and the guest's pages."""
    from ortif_server.web import guest
    from ortif_server.web.errors import install_page_errors

    install_page_errors(app)
    app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")
    app.include_router(guest.router)


def viewer_installed(settings: ServerSettings) -> bool:
    """Whether the OHIF viewer was installed under the data directory (`/viewer/`)."""
    return viewer_bundle.installed(settings.data_dir) is not None


def language(request: Request) -> str:
    return negotiate(request.headers.get("accept-language"))


def render(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> HTMLResponse:
    """The template `name` in the browser's language, with the safe headers."""
    lang = language(request)
    tr = translations(lang)
    helpers = {
        "lang": lang,
        "_": tr.gettext,
        "ngettext": tr.ngettext,
        "day": partial(format_day, lang=lang),
    }
    response = templates.TemplateResponse(
        request, name, {**helpers, **context}, status_code=status_code, headers=HEADERS
    )
    return response


def format_day(value: date | datetime | None, lang: str, with_time: bool = False) -> str:
    """A date as people of `lang` write it; a time in UTC, said so."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(timezone.utc)
        if with_time:
            return value.strftime("%d/%m/%Y %H:%M UTC" if lang == "fr" else "%Y-%m-%d %H:%M UTC")
    return value.strftime("%d/%m/%Y" if lang == "fr" else "%Y-%m-%d")
