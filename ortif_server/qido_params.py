"""The query parameters of a QIDO-RS search (PS3.18 8.3.4): matching attributes by keyword
or tag, `includefield`, `limit`, `offset`, `fuzzymatching`; malformed ones are 400.

Attributes we neither match on nor return are ignored with a `Warning` header, as the
standard says; a parameter that is no attribute at all is a bad request.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from pydicom.datadict import keyword_for_tag, tag_for_keyword

from ortif_server.errors import ApiError

TAG = re.compile(r"^[0-9A-Fa-f]{8}$")
CONTROL = {"includefield", "limit", "offset", "fuzzymatching"}
MAX_LIMIT = 1000
DEFAULT_LIMIT = 1000
# What each level can match on, by keyword (study attributes apply at every level).
STUDY_KEYS = {
    "PatientName",
    "PatientID",
    "AccessionNumber",
    "StudyInstanceUID",
    "StudyDate",
    "PatientBirthDate",
    "ModalitiesInStudy",
    "StudyDescription",
}
SERIES_KEYS = {"Modality", "SeriesInstanceUID", "SeriesNumber", "SeriesDescription"}
INSTANCE_KEYS = {"SOPInstanceUID", "SOPClassUID", "InstanceNumber"}
LEVEL_KEYS = {
    "study": STUDY_KEYS,
    "series": STUDY_KEYS | SERIES_KEYS,
    "instance": STUDY_KEYS | SERIES_KEYS | INSTANCE_KEYS,
}


@dataclass
class QidoParams:
    matches: dict[str, str] = field(default_factory=dict)
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    fuzzy: bool = False
    include_all: bool = False
    ignored: list[str] = field(default_factory=list)

    def warning(self) -> dict[str, str]:
        """The `Warning` header naming what was ignored, if anything was."""
        if not self.ignored:
            return {}
        names = ", ".join(sorted(set(self.ignored)))
        return {"Warning": f'299 ortif "The following attributes are not supported: {names}"'}


def parse(items: Iterable[tuple[str, str]], level: str, returned: set[str]) -> QidoParams:
    """`returned`: the keywords this level can return (for `includefield`)."""
    params = QidoParams()
    for name, value in items:
        if name.lower() in CONTROL:
            _control(params, name.lower(), value, returned)
            continue
        keyword = _keyword(name)
        if keyword in LEVEL_KEYS[level]:
            if value:
                params.matches[keyword] = value
        else:
            params.ignored.append(keyword)
    return params


def _control(params: QidoParams, name: str, value: str, returned: set[str]) -> None:
    if name == "includefield":
        for piece in filter(None, value.split(",")):
            if piece == "all":
                params.include_all = True
            elif _keyword(piece) not in returned:
                params.ignored.append(_keyword(piece))
    elif name == "fuzzymatching":
        if value not in ("true", "false"):
            raise _bad("fuzzymatching must be true or false")
        params.fuzzy = value == "true"
    else:
        number = _number(name, value)
        if name == "limit" and not 1 <= number <= MAX_LIMIT:
            raise _bad(f"limit must be between 1 and {MAX_LIMIT}")
        setattr(params, name, number)


def _number(name: str, value: str) -> int:
    if not value.isdigit() or int(value) > 2**31 - 1:
        raise _bad(f"{name} must be a non-negative integer")
    return int(value)


def _keyword(name: str) -> str:
    """A keyword, or the keyword of an 8-digit tag; 400 for anything else."""
    if TAG.match(name):
        keyword = keyword_for_tag(int(name, 16))
        return keyword or name.upper()
    if "." in name:  # a sequence path (00400275.00321060): we match on none
        return name
    if tag_for_keyword(name) is None:
        raise _bad(f"{name} is not a DICOM attribute nor a QIDO-RS parameter")
    return name


def _bad(message: str) -> ApiError:
    return ApiError(400, "bad_request", message)
