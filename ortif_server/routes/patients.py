"""Patient search among the dossiers the caller may see."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter

from ortif_server import patients, serialize
from ortif_server.deps import CurrentCaller, CurrentUser, SessionDep
from ortif_server.schemas import Patient

router = APIRouter(prefix="/patients", tags=["patients"])


@router.get("")
def search_patients(
    _user: CurrentUser,
    caller: CurrentCaller,
    session: SessionDep,
    q: str = "",
    identifier: str | None = None,
    birth_date: date | None = None,
) -> list[Patient]:
    """Patients matching every criterion; `q` ignores case and accents."""
    found = patients.search(session, caller, q, identifier, birth_date)
    return [serialize.patient(p) for p in found]
