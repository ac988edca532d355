"""A contact sheet of a study: one windowed image per series, labelled, under a header band.

Pixel data is decoded by pydicom with the plugins it documents: numpy, Pillow, and
pylibjpeg for JPEG Lossless, JPEG-LS, JPEG 2000 and RLE. They come with the optional
extra `ortif[preview]`; `require_preview_extra` says so when one is missing.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ortif_cli.errors import UsageError
from ortif_cli.i18n import _

if TYPE_CHECKING:
    from PIL.Image import Image

TILE = 256
"""Each image is fitted in a square of this many pixels."""
LABEL_HEIGHT = 22
HEADER_HEIGHT = 52
MARGIN = 8
COLUMNS = 4
BACKGROUND, FOREGROUND, BAND = (0, 0, 0), (235, 235, 235), (40, 60, 90)
PREVIEW_MODULES = ("numpy", "PIL", "pylibjpeg", "libjpeg", "openjpeg", "rle")


def require_preview_extra() -> None:
    """A usage error (exit 2) naming the extra to install when a decoder is missing."""
    absent = [name for name in PREVIEW_MODULES if not _importable(name)]
    if absent:
        raise UsageError(
            _("Previews need the image decoders of the preview extra ({missing} missing).").format(
                missing=", ".join(absent)
            ),
            hint=_("Install them with: pip install 'ortif[preview]'"),
        )


def _importable(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # a module set to None in sys.modules
        return False


@dataclass(frozen=True)
class Tile:
    """One series on the sheet: its label, and its middle image (None: nothing to show)."""

    label: str
    image: IO[bytes] | None


def write_sheet(header: Sequence[str], tiles: Sequence[Tile], out: Path) -> list[str]:
    """Write the PNG (atomically); return the labels of tiles that had no decodable image."""
    from PIL import Image

    rows = max(1, -(-len(tiles) // COLUMNS))
    columns = max(1, min(COLUMNS, len(tiles)))
    cell = TILE + LABEL_HEIGHT
    width = max(columns * (TILE + MARGIN) + MARGIN, 4 * TILE // 2)
    sheet = Image.new("RGB", (width, HEADER_HEIGHT + rows * (cell + MARGIN) + MARGIN), BACKGROUND)
    _header(sheet, header)
    blank = []
    for index, tile in enumerate(tiles):
        x = MARGIN + (index % COLUMNS) * (TILE + MARGIN)
        y = HEADER_HEIGHT + MARGIN + (index // COLUMNS) * (cell + MARGIN)
        picture = _decoded(tile.image)
        if picture is None:
            blank.append(tile.label)
        else:
            picture = _fitted(picture)
            sheet.paste(
                picture, (x + (TILE - picture.width) // 2, y + (TILE - picture.height) // 2)
            )
        _text(
            sheet, (x, y + TILE + 3), tile.label if picture else f"{tile.label} ({_('no image')})"
        )
    part = out.with_name(out.name + ".part")
    sheet.save(part, format="PNG")
    os.replace(part, out)
    return blank


def _fitted(picture: Image) -> Image:
    """Scaled, up or down, to fill the tile without changing its proportions."""
    scale = TILE / max(picture.width, picture.height)
    size = (max(1, round(picture.width * scale)), max(1, round(picture.height * scale)))
    return picture.resize(size)


def _header(sheet: Image, lines: Sequence[str]) -> None:
    from PIL import ImageDraw

    ImageDraw.Draw(sheet).rectangle((0, 0, sheet.width, HEADER_HEIGHT - 4), fill=BAND)
    for number, line in enumerate(lines[:2]):
        _text(sheet, (MARGIN, 6 + number * 21), line, size=16)


FONTS = (
    "DejaVuSans.ttf",  # Pillow finds it in the usual font folders of Linux
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "LiberationSans-Regular.ttf",
    "Arial.ttf",  # macOS, Windows
    "/System/Library/Fonts/Supplemental/Arial.ttf",
)
"""Fonts with accented letters; Pillow's own default font has none (they are folded)."""


@functools.cache
def _font(size: int) -> tuple[Any, bool]:
    """A font of `size` pixels, and whether it has accented letters."""
    from PIL import ImageFont

    for name in FONTS:
        try:
            return ImageFont.truetype(name, size), True
        except OSError:
            continue
    return ImageFont.load_default(size=size), False


def _text(sheet: Image, at: tuple[int, int], text: str, size: int = 13) -> None:
    from PIL import ImageDraw

    font, accents = _font(size)
    if not accents:
        text = _unaccented(text)
    draw = ImageDraw.Draw(sheet)
    while text and draw.textlength(text, font=font) > sheet.width - at[0] - MARGIN:
        text = text[:-1]  # cut what does not fit
    draw.text(at, text, fill=FOREGROUND, font=font)


def _unaccented(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _decoded(stream: IO[bytes] | None) -> Image | None:
    """The image of a DICOM instance, windowed to 8 bits; None if it holds no image."""
    if stream is None:
        return None
    from pydicom import dcmread

    try:
        ds = dcmread(stream, force=True)
        return _to_image(ds) if "PixelData" in ds else None
    except Exception:  # noqa: BLE001 (a damaged or exotic image: shown as a blank tile)
        return None


def _to_image(ds: Any) -> Image:
    from PIL import Image

    pixels = _middle_frame(ds)
    if pixels.ndim == 3:  # colour: pydicom gives RGB
        return Image.fromarray(_scaled(pixels, float(pixels.min()), float(pixels.max())), "RGB")
    low, high = _window(ds, pixels)
    grey = _scaled(pixels, low, high)
    if ds.get("PhotometricInterpretation") == "MONOCHROME1":
        grey = 255 - grey
    return Image.fromarray(grey, "L")


def _middle_frame(ds: Any) -> Any:
    from pydicom.pixels.processing import apply_modality_lut
    from pydicom.pixels.utils import pixel_array

    frames = int(ds.get("NumberOfFrames") or 1)
    pixels = pixel_array(ds, index=frames // 2) if frames > 1 else ds.pixel_array
    samples = int(ds.get("SamplesPerPixel") or 1)
    return pixels if samples > 1 else apply_modality_lut(pixels, ds)


def _window(ds: Any, pixels: Any) -> tuple[float, float]:
    """The image's first VOI window (Window Center / Width), else its 1st-99th percentile."""
    import numpy

    center, width = _first(ds.get("WindowCenter")), _first(ds.get("WindowWidth"))
    if center is not None and width is not None and width > 1:
        return center - width / 2, center + width / 2
    low, high = (float(v) for v in numpy.percentile(pixels, (1, 99)))
    return low, high if high > low else low + 1


def _first(value: Any) -> float | None:
    if value is None:
        return None
    try:
        return float(
            value[0] if hasattr(value, "__len__") and not isinstance(value, str) else value
        )
    except (TypeError, ValueError, IndexError):
        return None


def _scaled(pixels: Any, low: float, high: float) -> Any:
    import numpy

    span = high - low if high > low else 1.0
    return (numpy.clip((pixels.astype(numpy.float32) - low) / span, 0, 1) * 255).astype(numpy.uint8)
