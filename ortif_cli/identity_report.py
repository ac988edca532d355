"""Identity differences in the words people use: Last name, First name, Born, Identifier, INS.

The fields of `dicom.identity.PatientIdentity` are named as on the training kit's
screens (Nom, Prénom, Né(e) le, Identifiant, INS in French), dates as people read them.
"""

from __future__ import annotations

from datetime import date

from ortif_cli.dates import format_date
from ortif_cli.dicom.identity import FieldDiff, PatientIdentity, compare
from ortif_cli.i18n import N_, _

_LABELS = {
    "last_name": N_("Last name"),
    "first_name": N_("First name"),
    "birth_date": N_("Born"),
    "patient_id": N_("Identifier"),
    "ins_matricule": N_("INS"),
}


def field_label(name: str) -> str:
    """The person's word for a `PatientIdentity` field, in the current language."""
    return _(_LABELS[name])


def diff_values(diff: FieldDiff) -> tuple[str, str]:
    """What the dossier and the study say, a birth date written as people read it."""
    if diff.field != "birth_date":
        return diff.expected, diff.found
    return _shown(date.fromisoformat(diff.expected)), _shown(date.fromisoformat(diff.found))


def side_by_side(study_uid: str, expected: PatientIdentity, found: PatientIdentity) -> str:
    """Both identities in a small table (dossier | study); the lines that differ marked `≠`."""
    check = compare(expected, found)
    differing = {d.field for d in [*check.mismatches, *check.warnings]}
    names = [n for n in _LABELS if getattr(expected, n) or getattr(found, n)]
    rows = [
        (field_label(n), _shown(getattr(expected, n)), _shown(getattr(found, n)), n in differing)
        for n in names
    ]
    dossier, study = _("Dossier"), _("Study")
    side = max(len(row[0]) for row in rows)
    width = max(len(dossier), *(len(row[1]) for row in rows))
    lines = [_("The study {uid} is not this dossier's patient:").format(uid=study_uid)]
    lines.append(f"  {'':<{side}}  {dossier:<{width}}   {study}")
    for label, mine, theirs, differs in rows:
        lines.append(f"  {label:<{side}}  {mine:<{width}} {'≠' if differs else ' '} {theirs}")
    return "\n".join(lines)


def _shown(value: str | date | None) -> str:
    if isinstance(value, date):
        return format_date(value)
    return value or ""
