"""Patient identity read from DICOM, and its comparison with the identity a dossier expects."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

_LIGATURES = str.maketrans(
    {"Œ": "OE", "œ": "oe", "Æ": "AE", "æ": "ae", "Ø": "O", "ø": "o", "Ł": "L", "ł": "l"}
)
_SEPARATORS = re.compile(r"[\s^\-‐‑–—'’`´.,]+")


@dataclass(frozen=True)
class PatientIdentity:
    """Who a study or a dossier is about; fields unknown to the source are None."""

    last_name: str
    first_name: str | None = None
    patient_id: str | None = None
    birth_date: date | None = None
    ins_matricule: str | None = None
    """The qualified INS matricule (NIR/NIA), when known."""

    @classmethod
    def from_dicom(
        cls,
        patient_name: str | None,
        patient_id: str | None = None,
        patient_birth_date: str | None = None,
    ) -> PatientIdentity:
        """Build from decoded Patient's Name (PN), Patient ID and Patient's Birth Date (DA).

        The first name is the PN given name component; middle names, prefix and suffix,
        and the ideographic and phonetic groups are left out.
        """
        alphabetic = (patient_name or "").split("\\")[0].split("=")[0]
        components = [component.strip() for component in alphabetic.split("^")]
        given = components[1] if len(components) > 1 else ""
        return cls(
            last_name=components[0],
            first_name=given or None,
            patient_id=(patient_id or "").strip() or None,
            birth_date=parse_date(patient_birth_date),
        )


@dataclass(frozen=True)
class FieldDiff:
    """One identity field that differs: `field` is a PatientIdentity attribute name."""

    field: str
    expected: str
    found: str


@dataclass(frozen=True)
class IdentityCheck:
    """Mismatches (name, birth date) block a transfer; warnings (identifier) do not."""

    mismatches: list[FieldDiff] = field(default_factory=list)
    warnings: list[FieldDiff] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches


def parse_date(value: str | None) -> date | None:
    """Parse a DICOM DA (YYYYMMDD, or the old YYYY.MM.DD); None if absent or invalid."""
    digits = (value or "").strip().replace(".", "")
    if len(digits) != 8 or not digits.isdigit():
        return None
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return None


def normalize_name(name: str) -> str:
    """Upper case, unaccented, with `^`, hyphens, apostrophes and runs of spaces as one space."""
    decomposed = unicodedata.normalize("NFKD", name.translate(_LIGATURES))
    unaccented = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _SEPARATORS.sub(" ", unaccented).strip().upper()


def same_name(first: str, second: str) -> bool:
    """Whether two names are the same once normalized, whatever separates their parts."""
    return normalize_name(first).replace(" ", "") == normalize_name(second).replace(" ", "")


def compare(expected: PatientIdentity, found: PatientIdentity) -> IdentityCheck:
    """Compare the identity found in DICOM with the expected one; absent fields never differ."""
    check = IdentityCheck()
    if not same_name(expected.last_name, found.last_name):
        check.mismatches.append(FieldDiff("last_name", expected.last_name, found.last_name))
    wanted, given = expected.first_name, found.first_name
    if wanted and given and not same_name(wanted, given):
        check.mismatches.append(FieldDiff("first_name", wanted, given))
    born, recorded = expected.birth_date, found.birth_date
    if born and recorded and born != recorded:
        check.mismatches.append(FieldDiff("birth_date", born.isoformat(), recorded.isoformat()))
    wanted_ins, given_ins = expected.ins_matricule, found.ins_matricule
    if wanted_ins and given_ins and wanted_ins != given_ins:
        check.mismatches.append(FieldDiff("ins_matricule", wanted_ins, given_ins))
    if expected.patient_id and found.patient_id and expected.patient_id != found.patient_id:
        check.warnings.append(FieldDiff("patient_id", expected.patient_id, found.patient_id))
    return check
