"""Zip files and CD images (.iso) read in place: members listed and streamed, never extracted.

A CD image is read through pycdlib in its richest namespace: Rock Ridge, else Joliet,
else plain ISO 9660 (upper-case names with `;1` version suffixes, as the DICOMDIR of
such a CD references them without the suffix; `dicomdir.file_key` matches the two).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, BinaryIO, Protocol, cast

if TYPE_CHECKING:
    from pycdlib import PyCdlib

_ISO_MAGIC_OFFSET, _ISO_MAGIC = 0x8001, b"CD001"


class Archive(Protocol):
    def members(self) -> list[tuple[str, int]]:
        """(name, size) of every file, in name order; names use `/`, no leading `/`."""
        ...

    def open(self, name: str) -> IO[bytes]: ...


class ArchiveError(Exception):
    """The archive cannot be read; the message says why."""


def is_cd_image(path: Path) -> bool:
    """Whether `path` is an ISO 9660 image (its first volume descriptor says `CD001`)."""
    try:
        with open(path, "rb") as stream:
            stream.seek(_ISO_MAGIC_OFFSET)
            return stream.read(len(_ISO_MAGIC)) == _ISO_MAGIC
    except OSError:
        return False


def archive_kind(path: Path) -> str | None:
    """ "zip", "iso" or None (a folder, or any other file)."""
    if not path.is_file():
        return None
    if zipfile.is_zipfile(path):
        return "zip"
    return "iso" if is_cd_image(path) else None


@contextmanager
def open_archive(path: Path) -> Iterator[Archive]:
    """The zip file or CD image at `path`; raises ArchiveError when it cannot be read."""
    if archive_kind(path) == "zip":
        try:
            zip_file = zipfile.ZipFile(path)
        except (OSError, zipfile.BadZipFile) as exc:
            raise ArchiveError(str(exc)) from exc
        with zip_file:
            yield _Zip(zip_file)
        return
    with _open_iso(path) as iso:
        yield _CdImage(iso)


@contextmanager
def _open_iso(path: Path) -> Iterator[PyCdlib]:
    from pycdlib import PyCdlib
    from pycdlib.pycdlibexception import PyCdlibException

    iso = PyCdlib()
    try:
        iso.open(str(path))
    except (OSError, PyCdlibException) as exc:
        raise ArchiveError(str(exc)) from exc
    try:
        yield iso
    finally:
        iso.close()


def open_member(path: Path, name: str) -> BinaryIO:
    """One member's bytes; the archive is closed with the stream."""
    stack = ExitStack()
    try:
        archive = stack.enter_context(open_archive(path))
        member = stack.enter_context(archive.open(name))  # pycdlib's reads only once entered
    except BaseException:
        stack.close()
        raise
    return cast(BinaryIO, _Member(member, stack.close))


class _Zip:
    def __init__(self, zip_file: zipfile.ZipFile) -> None:
        self._zip = zip_file

    def members(self) -> list[tuple[str, int]]:
        infos = sorted(self._zip.infolist(), key=lambda i: i.filename)
        return [(i.filename, i.file_size) for i in infos if not i.is_dir()]

    def open(self, name: str) -> IO[bytes]:
        return self._zip.open(name)


class _CdImage:
    def __init__(self, iso: PyCdlib) -> None:
        self._iso = iso
        self._kind = (
            "rr_path" if iso.has_rock_ridge() else "joliet_path" if iso.has_joliet() else "iso_path"
        )

    def members(self) -> list[tuple[str, int]]:
        found = []
        for folder, _dirs, names in self._iso.walk(**{self._kind: "/"}):
            for name in names:
                path = f"{folder.rstrip('/')}/{name}"
                size = self._iso.get_record(**{self._kind: path}).get_data_length()
                found.append((path.lstrip("/"), size))
        return sorted(found)

    def open(self, name: str) -> IO[bytes]:
        return cast(IO[bytes], self._iso.open_file_from_iso(**{self._kind: "/" + name}))


class _Member(io.RawIOBase):
    """An archive member read through its open archive; `close` closes both."""

    def __init__(self, member: IO[bytes], close: Callable[[], None]) -> None:
        self._member, self._close = member, close

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        return self._member.read(size)

    def close(self) -> None:
        if not self.closed:
            self._close()
        super().close()
