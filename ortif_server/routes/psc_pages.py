"""The pages a browser sees during a Pro Santé Connect sign-in, under `/auth/psc/` (French)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape

from ortif_server import psc_logins
from ortif_server.deps import SessionDep, SettingsDep
from ortif_server.oidc import OpenIdClient
from ortif_server.psc_failures import PscFailure

router = APIRouter(prefix="/auth/psc", include_in_schema=False)
TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parent.parent / "web" / "templates"),
    autoescape=select_autoescape(default=True),
)
AGAIN = "Relancez « ortif login --psc » dans votre terminal pour réessayer."
TEXTS: dict[str, tuple[str, str]] = {
    "psc_denied": (
        "Connexion annulée",
        "La connexion a été annulée ou refusée sur Pro Santé Connect.",
    ),
    "psc_unknown_professional": (
        "Compte inconnu",
        "Aucun compte de cette plateforme ne porte votre identifiant national. Demandez à "
        "l'administrateur de la plateforme d'enregistrer votre numéro RPPS sur votre compte.",
    ),
    "psc_state_used": (
        "Réponse déjà utilisée",
        "Cette réponse de Pro Santé Connect a déjà servi : elle ne peut pas ouvrir une "
        "seconde session.",
    ),
    "psc_link_used": ("Lien expiré", "Ce lien de connexion a déjà servi ou a expiré."),
    "psc_unknown_login": ("Lien inconnu", "Ce lien de connexion ne correspond à aucune connexion."),
    "psc_expired": ("Délai dépassé", "La connexion a pris trop de temps."),
    "psc_rejected": (
        "Réponse refusée",
        "La plateforme n'a pas pu vérifier la réponse de Pro Santé Connect et l'a refusée. "
        "Prévenez l'administrateur de la plateforme.",
    ),
    "psc_unreachable": ("Service indisponible", "Pro Santé Connect ne répond pas."),
}


def page(title: str, paragraphs: list[str], outcome: str, status: int) -> HTMLResponse:
    template = TEMPLATES.get_template("psc/result.html")
    html = template.render(
        title=title, paragraphs=paragraphs, outcome=outcome, success=outcome == "signed_in"
    )
    return HTMLResponse(html, status_code=status)


def failure_page(failure: PscFailure) -> HTMLResponse:
    title, text = TEXTS.get(
        failure.code, ("Connexion refusée", "Pro Santé Connect a refusé la connexion.")
    )
    status = 403 if failure.code in ("psc_denied", "psc_unknown_professional") else 400
    return page(title, [text, AGAIN], failure.code, status)


@router.get("/go/{short_code}")
def go(short_code: str, session: SessionDep) -> Response:
    """The short URL the CLI shows: on to the provider's sign-in page."""
    try:
        return RedirectResponse(psc_logins.authorize_url(session, short_code), status_code=303)
    except PscFailure as failure:
        return failure_page(failure)


@router.get("/callback")
def callback(request: Request, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    """Where the provider sends the browser back (the redirect URI declared at PSC)."""
    if settings.psc is None:
        return failure_page(PscFailure("psc_unknown_login", ""))
    params = dict(request.query_params)
    with OpenIdClient(settings.psc) as client:
        try:
            row = psc_logins.complete_callback(session, client, params)
        except PscFailure as failure:
            return failure_page(failure)
    assert row.user_id is not None
    return page(
        "Vous êtes connecté·e",
        [
            "Pro Santé Connect a confirmé votre identité et la plateforme vous a reconnu·e.",
            "Vous pouvez fermer cette fenêtre et revenir à votre terminal.",
        ],
        "signed_in",
        200,
    )
