"""A page that only says something went wrong, in the browser's language."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response

from ortif_server.i18n import N_, translations
from ortif_server.web.pages import format_day, language, render


class PageError(Exception):
    """An error shown as a page: `title` and `message` are msgids, `params` fill the message.

    `back` (a URL) adds a link back to the sign-in page.
    """

    def __init__(
        self, status: int, title: str, message: str, back: str | None = None, **params: Any
    ) -> None:
        super().__init__(message)
        self.status, self.title, self.message = status, title, message
        self.back, self.params = back, params


def not_found() -> PageError:
    return PageError(404, N_("Not found"), N_("There is nothing here for this invitation."))


async def show(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PageError)
    lang = language(request)
    _ = translations(lang).gettext
    params = {
        k: format_day(v, lang, True) if isinstance(v, datetime) else v
        for k, v in exc.params.items()
    }
    context = {
        "title": _(exc.title),
        "message": _(exc.message).format(**params),
        "back": exc.back,
    }
    return render(request, "message.html", context, exc.status)


def install_page_errors(app: FastAPI) -> None:
    app.add_exception_handler(PageError, show)
