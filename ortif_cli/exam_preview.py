"""`ortif exam preview`: the middle image of each series of a study, on one contact sheet.

Only the images shown are read or moved: from a PACS, one C-GET (or C-MOVE) of the middle
instance of each series; from the platform, one WADO-RS instance each.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ortif_cli.api.client import PlatformClient
from ortif_cli.dicom.contact_sheet import Tile, require_preview_extra, write_sheet
from ortif_cli.dicom.media import InstanceFile, open_instance
from ortif_cli.dicom.query import StudyMatch
from ortif_cli.dicom.series import INSTANCE_NUMBER, SeriesInfo, number, read_tags
from ortif_cli.exam_series import one_study, study_series
from ortif_cli.i18n import _
from ortif_cli.pacs_nodes import PacsNode
from ortif_cli.transfer import ResolvedSource, prepare_sources

Middle = dict[str, "InstanceFile | Path"]
"""The image shown for each Series Instance UID: on the source disk, or fetched."""


@dataclass(frozen=True)
class Preview:
    """What `exam preview` wrote: the sheet, its study and series, and blank tiles."""

    path: Path
    study: StudyMatch
    series: list[SeriesInfo]
    without_image: list[str]
    fetched: int


def preview(resolved: ResolvedSource, client: PlatformClient | None, out: Path) -> Preview:
    """Write the contact sheet of the one study of `resolved` to `out` (a PNG)."""
    require_preview_extra()
    shown = study_series(resolved, client)
    uid = one_study(resolved).study_instance_uid
    with tempfile.TemporaryDirectory(prefix="ortif-preview-") as folder, ExitStack() as files:
        middle = _middle_images(resolved, client, uid, Path(folder))
        tiles = [
            Tile(s.label, _open(files, middle.get(s.series_instance_uid))) for s in shown.series
        ]
        blank = write_sheet(header_lines(shown.study), tiles, out)
    fetched = 0 if resolved.source.kind == "dir" else len(middle)
    return Preview(out, shown.study, shown.series, blank, fetched)


def header_lines(study: StudyMatch) -> list[str]:
    """The header band: who, then what and when."""
    who = " ".join(study.patient_name.replace("^", " ").split())
    born = _("born {date}").format(date=study.birth_date.isoformat()) if study.birth_date else ""
    first = "  ".join(
        w for w in (who, f"({study.patient_id})" if study.patient_id else "", born) if w
    )
    day = study.study_date.isoformat() if study.study_date else _("undated")
    what = " ".join(w for w in ("/".join(study.modalities), study.description or "") if w)
    return [first, f"{day}  {what}"]


def _open(files: ExitStack, image: InstanceFile | Path | None) -> IO[bytes] | None:
    if image is None:
        return None
    stream = image.open("rb") if isinstance(image, Path) else open_instance(image)
    return files.enter_context(stream)


def _middle_images(
    resolved: ResolvedSource, client: PlatformClient | None, uid: str, folder: Path
) -> Middle:
    source = resolved.source
    if source.kind == "dir":
        return _middle_on_disk(prepare_sources(source.folders, uid).instances)
    if source.kind == "pacs" and source.node is not None:
        return _middle_from_pacs(source.node, uid, folder)
    assert client is not None
    return _middle_from_platform(client, uid, folder)


def middle(numbered: Sequence[tuple[int | None, str]]) -> str:
    """The middle one of (Instance Number, key) pairs, in Instance Number order."""
    ordered = sorted(numbered, key=lambda pair: (pair[0] is None, pair[0] or 0, pair[1]))
    return ordered[len(ordered) // 2][1]


def _middle_on_disk(instances: Sequence[InstanceFile]) -> Middle:
    by_series: dict[str, list[InstanceFile]] = {}
    for instance in instances:
        by_series.setdefault(instance.series_instance_uid or "", []).append(instance)
    chosen: Middle = {}
    for series_uid, members in by_series.items():
        numbered = {i.sop_instance_uid: i for i in members}
        numbers = [(_instance_number(i), i.sop_instance_uid) for i in members]
        chosen[series_uid] = numbered[middle(numbers)]
    return chosen


def _instance_number(instance: InstanceFile) -> int | None:
    return number(read_tags(instance, (INSTANCE_NUMBER,)).get(INSTANCE_NUMBER))


def _middle_from_pacs(node: PacsNode, uid: str, folder: Path) -> Middle:
    from ortif_cli.dicom.pacs import get_instances, image_identifier, move_study
    from ortif_cli.dicom.pacs_series import find_images

    by_series: dict[str, list[tuple[int | None, str]]] = {}
    for series_uid, sop, instance_number in find_images(node, uid):
        by_series.setdefault(series_uid, []).append((instance_number, sop))
    wanted = [(series_uid, middle(numbers)) for series_uid, numbers in by_series.items()]
    if node.retrieve == "move":
        for series_uid, sop in wanted:
            keys = image_identifier(uid, series_uid, [sop])
            move_study(node, uid, folder, _keep, 1, identifier=keys)
    else:
        get_instances(node, uid, wanted, folder, _keep, connections=1)
    return {s: folder / f"{sop}.dcm" for s, sop in wanted if (folder / f"{sop}.dcm").is_file()}


def _keep(path: Path) -> None:
    """Received images stay in the preview's own temporary folder."""


def _middle_from_platform(client: PlatformClient, uid: str, folder: Path) -> Middle:
    from ortif_cli.api.dicomweb import retrieve_instance, search_instances, search_series

    chosen: Middle = {}
    for series in search_series(client, uid):
        series_uid = _json_text(series, "0020000E")
        found = search_instances(client, uid, series_uid)
        if not found:
            continue
        numbers = [(number(_json_text(i, "00200013")), _json_text(i, "00080018")) for i in found]
        sop = middle(numbers)
        path = folder / f"{len(chosen)}.dcm"
        path.write_bytes(retrieve_instance(client, uid, series_uid, sop))
        chosen[series_uid] = path
    return chosen


def _json_text(dataset: dict[str, object], tag: str) -> str:
    element = dataset.get(tag)
    values = element.get("Value") if isinstance(element, dict) else None
    return str(values[0]) if isinstance(values, list) and values else ""
