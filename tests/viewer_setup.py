"""The OHIF viewer for the tests, and studies whose pixels a screenshot can recognise.

`.ci/run` installs the viewer once per run (`ortif-server viewer install --data .cache/ohif`,
or ORTIF_TEST_VIEWER_DATA); a test platform links it into its own data directory. Tests
that need the real viewer skip only when it is not installed; the others get a plain page.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from pydicom import Dataset, FileMetaDataset, dcmwrite
from pydicom.uid import (
    PYDICOM_IMPLEMENTATION_UID,
    ExplicitVRLittleEndian,
    SecondaryCaptureImageStorage,
    generate_uid,
)

from ortif_cli.localserver import LocalServer
from ortif_server import viewer_bundle

REPO = Path(__file__).resolve().parents[1]
# Read at import: the autouse fixture of tests/conftest.py clears ORTIF_* during each test.
VIEWER_DATA = Path(os.environ.get("ORTIF_TEST_VIEWER_DATA", REPO / ".cache" / "ohif"))
SIZE = 256
BRIGHT, DARK = 230, 25
# dcmcjpeg options: JPEG Lossless SV1 (1.2.840.10008.1.2.4.70), Baseline (…4.50)
JPEG = {"lossless": "+e1", "baseline": "+eb"}


INDEX = '<!doctype html><script src="/viewer/app.bundle.js"></script>'


def install_plain_viewer(data_dir: Path) -> None:
    """A viewer installation whose page is a plain one: for testing the platform's side
    (links, cookie, files, pages) without OHIF."""
    dist = viewer_bundle.viewer_dir(data_dir) / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text(INDEX)
    (dist / "app.bundle.js").write_text("console.log('viewer');")
    marker = {"version": viewer_bundle.VERSION}
    (dist.parent / viewer_bundle.MARKER).write_text(json.dumps(marker))


def link_viewer(data_dir: Path) -> bool:
    """Serve the OHIF viewer installed for the tests from `data_dir` if there is one (True);
    the plain page of `install_plain_viewer` otherwise (False)."""
    if viewer_bundle.installed(VIEWER_DATA) is None:
        install_plain_viewer(data_dir)
        return False
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "viewer").symlink_to(viewer_bundle.viewer_dir(VIEWER_DATA).resolve())
    return True


def expire_link(database_url: str, secret: str) -> None:
    """Make a one-time link expire now (rather than waiting its two minutes)."""
    from sqlalchemy import update

    from ortif_server.db import create_db_engine, session_factory
    from ortif_server.models import Token, utcnow
    from ortif_server.security import token_digest

    engine = create_db_engine(database_url)
    try:
        with session_factory(engine)() as session:
            expired = update(Token).where(Token.token_sha256 == token_digest(secret))
            session.execute(expired.values(expires_at=utcnow() - timedelta(seconds=1)))
            session.commit()
    finally:
        engine.dispose()


def require_ohif(platform: ViewerPlatform) -> None:
    if not platform.ohif:
        pytest.skip(f"the OHIF viewer is not installed in {VIEWER_DATA} (.ci/run installs it)")


@dataclass
class ViewerPlatform:
    """A platform serving the viewer: OHIF if installed for the tests, else a plain page."""

    server: LocalServer
    ohif: bool

    @property
    def url(self) -> str:
        return self.server.url


def write_pattern_study(
    directory: Path, patient_id: str, *, bright_left: bool = True, jpeg: str | None = None
) -> str:
    """One 256x256 image, one half bright and the other dark; its Study Instance UID.

    `jpeg` ("lossless" or "baseline") compresses it with dcmtk's dcmcjpeg.
    """
    directory.mkdir(parents=True, exist_ok=True)
    ds = _image(patient_id, bright_left)
    path = directory / "IMG1.dcm"
    dcmwrite(path, ds, enforce_file_format=True)
    if jpeg is not None:
        if shutil.which("dcmcjpeg") is None:
            pytest.skip("dcmtk's dcmcjpeg is not installed (.ci/run installs dcmtk)")
        compressed = directory / "IMG1.jpeg.dcm"
        subprocess.run(["dcmcjpeg", JPEG[jpeg], str(path), str(compressed)], check=True)
        compressed.replace(path)
    return str(ds.StudyInstanceUID)


def _image(patient_id: str, bright_left: bool) -> Dataset:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.file_meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.PatientName, ds.PatientID, ds.PatientBirthDate = "LEFÈVRE^Hélène", patient_id, "19700214"
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.PatientSex, ds.StudyDate, ds.StudyTime, ds.Modality = "F", "20261120", "101500", "OT"
    ds.StudyDescription, ds.SeriesDescription = "MOTIF", "MOTIF"
    ds.SeriesNumber, ds.InstanceNumber, ds.AccessionNumber = 1, 1, "ACC-VIEW"
    ds.StudyID, ds.ConversionType = "1", "WSD"
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.Rows = ds.Columns = SIZE
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.WindowCenter, ds.WindowWidth = 128, 256
    left, right = (BRIGHT, DARK) if bright_left else (DARK, BRIGHT)
    row = bytes([left] * (SIZE // 2) + [right] * (SIZE // 2))
    ds.PixelData = row * SIZE
    return ds


def halves(png: bytes, box: tuple[int, int, int, int]) -> tuple[float, float]:
    """Mean grey of the image's left and right halves as drawn in `box` of a screenshot.

    `box` is the viewport (left, top, width, height); the square image is fitted in it,
    centred. Each mean is taken over a patch in the middle of its half.
    """
    import io

    from PIL import Image, ImageStat

    screenshot = Image.open(io.BytesIO(png)).convert("L")
    left, top, width, height = box
    side = min(width, height)
    x0, y0 = left + (width - side) / 2, top + (height - side) / 2
    means = []
    for centre in (0.25, 0.75):
        cx, cy, r = x0 + centre * side, y0 + side / 2, side / 10
        patch = screenshot.crop((int(cx - r), int(cy - r), int(cx + r), int(cy + r)))
        means.append(ImageStat.Stat(patch).mean[0])
    return means[0], means[1]
