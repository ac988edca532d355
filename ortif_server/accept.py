"""The `Accept` header of WADO-RS requests (PS3.18 8.7), parsed into media ranges."""

from __future__ import annotations

from dataclasses import dataclass

from ortif_server.errors import ApiError

MULTIPART = "multipart/related"
ANY_SYNTAX = "*"


@dataclass(frozen=True)
class MediaRange:
    """One acceptable representation: `multipart/related; type=...` is read as its `type`
    with `multipart` set; `transfer_syntax` is None when not given."""

    media_type: str
    transfer_syntax: str | None = None
    multipart: bool = False

    def matches(self, media_type: str) -> bool:
        kind, _, _ = media_type.partition("/")
        return self.media_type in ("*/*", media_type, f"{kind}/*")


def parse(header: str | None, default: str) -> list[MediaRange]:
    """The media ranges of `header` in order (quality values are ignored); `default`
    (a header value) when the header is missing or empty."""
    ranges = [_media_range(part) for part in _split(header or default)]
    return [r for r in ranges if r.media_type] or [_media_range(default)]


def _split(header: str) -> list[str]:
    """Split on commas outside quoted strings."""
    parts, current, quoted = [], "", False
    for char in header:
        if char == '"':
            quoted = not quoted
        if char == "," and not quoted:
            parts.append(current)
            current = ""
        else:
            current += char
    return [*parts, current]


def _media_range(text: str) -> MediaRange:
    media_type, *pairs = (piece.strip() for piece in text.split(";"))
    params = {}
    for pair in pairs:
        name, _, value = pair.partition("=")
        params[name.strip().lower()] = value.strip().strip('"')
    media_type = media_type.lower()
    syntax = params.get("transfer-syntax")
    if media_type == MULTIPART:
        return MediaRange(params.get("type", "*/*").lower(), syntax, multipart=True)
    return MediaRange(media_type, syntax)


def not_acceptable(what: str) -> ApiError:
    return ApiError(406, "not_acceptable", f"Cannot answer {what} in any accepted media type.")
