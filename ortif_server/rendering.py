"""WADO-RS rendered and thumbnail: one frame as JPEG or PNG, windowed from the header.

Grey images: Modality LUT (rescale) first, then the window asked for (`window=C,W,linear`)
or the first Window Center/Width of the header, else the frame's own range; MONOCHROME1 is
inverted. Colour images are sent as decoded (RGB). Only the frame rendered is decoded.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy
from numpy.typing import NDArray
from PIL import Image
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue

from ortif_server.accept import MediaRange, not_acceptable
from ortif_server.errors import ApiError

JPEG, PNG = "image/jpeg", "image/png"
DEFAULT_ACCEPT = JPEG
THUMBNAIL_SIZE = (128, 128)


@dataclass(frozen=True)
class RenderOptions:
    media_type: str = JPEG
    window: tuple[float, float] | None = None
    viewport: tuple[int, int] | None = None
    quality: int = 90


def media_type(ranges: Sequence[MediaRange]) -> str:
    """JPEG or PNG, the first of them accepted; 406 otherwise."""
    for media_range in ranges:
        for candidate in (JPEG, PNG):
            if media_range.matches(candidate):
                return candidate
    raise not_acceptable("a rendered image")


def options(ranges: Sequence[MediaRange], query: dict[str, str]) -> RenderOptions:
    """The query parameters of PS3.18 8.3.5 (window, viewport, quality); 400 if malformed."""
    try:
        window = _window(query["window"]) if query.get("window") else None
        viewport = _viewport(query["viewport"]) if query.get("viewport") else None
        quality = int(query.get("quality", "90"))
    except ValueError as exc:
        raise ApiError(400, "bad_request", f"Bad rendering parameter: {exc}") from None
    if not 1 <= quality <= 100:
        raise ApiError(400, "bad_request", "quality must be between 1 and 100.")
    return RenderOptions(media_type(ranges), window, viewport, quality)


def _window(text: str) -> tuple[float, float]:
    center, width, *function = text.split(",")
    if function and function[0].lower() != "linear":
        raise ValueError("only the linear window function is supported")
    if float(width) < 1:
        raise ValueError("window width must be at least 1")
    return float(center), float(width)


def _viewport(text: str) -> tuple[int, int]:
    width, height = (int(v) for v in text.split(",")[:2])
    if width < 1 or height < 1:
        raise ValueError("viewport sizes must be positive")
    return width, height


def render(path: Path, header: Dataset, index: int, chosen: RenderOptions) -> bytes:
    """Frame `index` (from 0) of the file as an encoded image."""
    from pydicom.pixels.utils import pixel_array

    try:
        array = pixel_array(str(path), index=index)
    except (NotImplementedError, RuntimeError, ValueError, AttributeError) as exc:
        raise ApiError(406, "not_acceptable", f"Cannot decode this image: {exc}") from None
    if int(header.get("SamplesPerPixel", 1)) == 1:
        image = Image.fromarray(_grey(array, header, chosen.window), "L")
    else:
        image = Image.fromarray(_eight_bits(array), "RGB")
    if chosen.viewport:
        image.thumbnail(chosen.viewport)
    buffer = io.BytesIO()
    if chosen.media_type == JPEG:
        image.save(buffer, "JPEG", quality=chosen.quality)
    else:
        image.save(buffer, "PNG")
    return buffer.getvalue()


def _grey(
    array: NDArray[numpy.generic], header: Dataset, window: tuple[float, float] | None
) -> NDArray[numpy.uint8]:
    values = array.astype(numpy.float64) * float(header.get("RescaleSlope", 1) or 1)
    values += float(header.get("RescaleIntercept", 0) or 0)
    center, width = window or _header_window(header) or _range(values)
    scaled: NDArray[numpy.float64] = numpy.clip(
        (values - (center - 0.5)) / max(width - 1, 1) + 0.5, 0, 1
    )
    if header.get("PhotometricInterpretation") == "MONOCHROME1":
        scaled = 1 - scaled
    return numpy.asarray((scaled * 255).round(), dtype=numpy.uint8)


def _header_window(header: Dataset) -> tuple[float, float] | None:
    center, width = header.get("WindowCenter"), header.get("WindowWidth")
    if center is None or width is None:
        return None
    first_center, first_width = _first(center), _first(width)
    return (first_center, first_width) if first_width >= 1 else None


def _first(value: object) -> float:
    return float(value[0] if isinstance(value, MultiValue) else value)  # type: ignore[arg-type]


def _range(values: NDArray[numpy.float64]) -> tuple[float, float]:
    low, high = float(values.min()), float(values.max())
    return (low + high) / 2, max(high - low, 1.0)


def _eight_bits(array: NDArray[numpy.generic]) -> NDArray[numpy.uint8]:
    if array.dtype == numpy.uint8:
        return numpy.asarray(array, dtype=numpy.uint8)
    top = float(array.max()) or 1.0
    return (array.astype(numpy.float64) * 255 / top).astype(numpy.uint8)
