"""The patient's identity typed at the terminal for `dossier create`, or corrected.

Last name [Nom], first name [Prénom], birth date [Né(e) le], sex [Sexe], identifier
[Identifiant], in the training kit's order; a correction asks the same fields again,
the earlier answers as defaults, so that nothing is typed twice.
"""

from __future__ import annotations

from dataclasses import replace

from ortif_cli.api.models import Patient
from ortif_cli.dates import format_date, parse_date
from ortif_cli.errors import UsageError
from ortif_cli.i18n import _
from ortif_cli.patients import SEXES, PatientFlags
from ortif_cli.ui import prompts


def ask_identity(given: PatientFlags, *, with_sex: bool) -> PatientFlags:
    """Last name, first name, birth date, (sex,) identifier, with `given` as defaults."""
    last = prompts.ask_text(
        _("Last name [Nom] (required):"), default=given.name or "", validate=_required
    )
    first = prompts.ask_text(_("First name [Prénom]:"), default=given.first_name or "")
    born = prompts.ask_text(
        _("Birth date [Né(e) le] (dd/mm/yyyy, optional):"),
        default=given.birth_date or "",
        validate=_date_or_empty,
    )
    sex = given.sex
    if not sex and with_sex:
        sex = prompts.select(_("Sex [Sexe]:"), [(_("unknown"), ""), *((s, s) for s in SEXES)])
    identifier = prompts.ask_text(
        _("Identifier [Identifiant] (required):"), default=given.id or "", validate=_required
    )
    return PatientFlags(last, first or None, born or None, sex or None, identifier)


def correct_patient(now: Patient) -> Patient:
    """`now` with its identity typed again (its answers as defaults); the rest is kept.

    The corrected patient is a new one for the platform (no `id`): a known patient's
    record is never rewritten from here.
    """
    given = PatientFlags(
        now.last_name, now.first_name, format_date(now.birth_date) or None, now.sex,
        now.identifier,
    )  # fmt: skip
    typed = ask_identity(given, with_sex=False)
    born = parse_date(typed.birth_date, "date") if typed.birth_date else None
    return replace(
        now,
        id=None,
        last_name=typed.name or now.last_name,
        first_name=typed.first_name,
        birth_date=born,
        identifier=typed.id or now.identifier,
    )


def _required(text: str) -> bool | str:
    return bool(text.strip()) or _("This is required.")


def _date_or_empty(text: str) -> bool | str:
    if not text.strip():
        return True
    try:
        parse_date(text, "date")
    except UsageError:
        return _("Write the date as dd/mm/yyyy or yyyy-mm-dd.")
    return True
