"""The DICOM upper layer (PS3.8) for an association requestor: what our SCU needs, no more.

pynetdicom spends about a second of CPU to receive 158 MB (a reactor thread, an event and
several objects per PDU); dcmtk's `getscu` a fifth of that. Here PDUs are read straight
off a blocking socket and each data fragment goes to the caller's file as it arrives, so
a Python C-GET costs about what dcmtk's does (bench/README.md). pynetdicom still serves
where we are the SCP (the C-MOVE destination, the demo's PACS).
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from io import BufferedIOBase
from typing import BinaryIO, cast

from ortif_cli.dicom.charset import ascii_value
from ortif_cli.dicom.file_meta import IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME

APPLICATION_CONTEXT = b"1.2.840.10008.3.1.1.1"
SEND_FRAGMENT = 1 << 20
"""Largest data fragment we send when the peer sets no limit."""
_ASSOCIATE_RQ, _ASSOCIATE_AC, _ASSOCIATE_RJ = 0x01, 0x02, 0x03
_P_DATA, _RELEASE_RQ, _RELEASE_RP, _ABORT = 0x04, 0x05, 0x06, 0x07
_HEAD = struct.Struct(">BxL")
_PDV = struct.Struct(">LBB")
_RELEASE_RQ_PDU = _HEAD.pack(_RELEASE_RQ, 4) + bytes(4)
_RELEASE_RP_PDU = _HEAD.pack(_RELEASE_RP, 4) + bytes(4)
_ABORT_PDU = _HEAD.pack(_ABORT, 4) + bytes(4)
_COMMAND, _LAST = 0x01, 0x02


class UpperLayerError(Exception):
    """The association failed; subclasses say how."""


class Rejected(UpperLayerError):
    """A-ASSOCIATE-RJ: `transient` is true when the node may accept later (result 2)."""

    def __init__(self, result: int, source: int, reason: int) -> None:
        super().__init__(f"association rejected (result {result}, source {source}, {reason})")
        self.transient = result == 2


class Aborted(UpperLayerError):
    """The peer aborted, closed the connection, or broke the protocol."""


@dataclass(frozen=True)
class Context:
    """An accepted presentation context."""

    id: int
    abstract_syntax: str
    transfer_syntax: str


def _item(kind: int, body: bytes) -> bytes:
    return struct.pack(">BxH", kind, len(body)) + body


def _ae(title: str) -> bytes:
    return title.encode("ascii", "replace")[:16].ljust(16)


def associate_rq(
    calling: str,
    called: str,
    contexts: Sequence[tuple[str, Sequence[str]]],
    scp_roles: Sequence[str] = (),
    max_pdu: int = 0,
) -> bytes:
    """An A-ASSOCIATE-RQ PDU; context i gets the odd id 2i+1 (128 contexts at most)."""
    if len(contexts) > 128:
        raise ValueError("an association offers at most 128 presentation contexts")
    items = [_item(0x10, APPLICATION_CONTEXT)]
    for index, (abstract, syntaxes) in enumerate(contexts):
        subitems = _item(0x30, abstract.encode()) + b"".join(
            _item(0x40, syntax.encode()) for syntax in syntaxes
        )
        items.append(_item(0x20, bytes((2 * index + 1, 0, 0, 0)) + subitems))
    user = [
        _item(0x51, struct.pack(">L", max_pdu)),
        _item(0x52, IMPLEMENTATION_CLASS_UID.encode()),
        _item(0x55, IMPLEMENTATION_VERSION_NAME.encode()),
    ]
    for uid in scp_roles:  # we take the SCP role (C-GET's C-STORE), not the SCU one
        user.append(_item(0x54, struct.pack(">H", len(uid)) + uid.encode() + b"\x00\x01"))
    items.append(_item(0x50, b"".join(user)))
    body = struct.pack(">HH", 1, 0) + _ae(called) + _ae(calling) + bytes(32) + b"".join(items)
    return _HEAD.pack(_ASSOCIATE_RQ, len(body)) + body


def parse_associate_ac(
    body: bytes, contexts: Sequence[tuple[str, Sequence[str]]]
) -> tuple[dict[int, Context], int]:
    """The accepted contexts (by id) and the peer's maximum PDU length (0: no limit)."""
    accepted: dict[int, Context] = {}
    max_pdu = 0
    offset = 68
    while offset + 4 <= len(body):
        kind, length = body[offset], struct.unpack_from(">H", body, offset + 2)[0]
        value = body[offset + 4 : offset + 4 + length]
        offset += 4 + length
        if kind == 0x21 and len(value) >= 8:
            context_id, result = value[0], value[2]
            index = (context_id - 1) // 2
            if result == 0 and context_id % 2 and index < len(contexts) and value[4] == 0x40:
                (size,) = struct.unpack_from(">H", value, 6)
                syntax = ascii_value(value[8 : 8 + size])
                accepted[context_id] = Context(context_id, contexts[index][0], syntax)
        elif kind == 0x50:
            at = 0
            while at + 4 <= len(value):
                sub, size = value[at], struct.unpack_from(">H", value, at + 2)[0]
                if sub == 0x51 and size == 4:
                    (max_pdu,) = struct.unpack_from(">L", value, at + 4)
                at += 4 + size
    return accepted, max_pdu


class Association:
    """An established association over a blocking socket, read and written in place."""

    def __init__(self, sock: socket.socket, contexts: dict[int, Context], peer_max: int) -> None:
        self.socket = sock
        self.contexts = contexts
        self.fragment = SEND_FRAGMENT if peer_max == 0 else max(peer_max - 6, 1)
        self._stream = cast(BufferedIOBase, sock.makefile("rb", buffering=1 << 18))
        self._buffer = memoryview(bytearray(1 << 18))  # data fragments pass through it
        self._left = 0  # bytes left in the current P-DATA-TF PDU
        self._unread = 0  # data bytes of the current PDV not yet read (an interrupted read)

    @classmethod
    def request(
        cls,
        host: str,
        port: int,
        calling: str,
        called: str,
        contexts: Sequence[tuple[str, Sequence[str]]],
        *,
        scp_roles: Sequence[str] = (),
        connect_timeout: float,
        acse_timeout: float,
        dimse_timeout: float,
    ) -> Association:
        """Connect and negotiate; raises OSError (no connection), Rejected or Aborted."""
        sock = socket.create_connection((host, port), timeout=connect_timeout)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.settimeout(acse_timeout)
            sock.sendall(associate_rq(calling, called, contexts, scp_roles))
            kind, body = _receive_pdu(sock)
            if kind == _ASSOCIATE_RJ and len(body) >= 4:
                raise Rejected(body[1], body[2], body[3])
            if kind != _ASSOCIATE_AC:
                raise Aborted(f"unexpected PDU 0x{kind:02X} in answer to A-ASSOCIATE-RQ")
            accepted, peer_max = parse_associate_ac(body, contexts)
            sock.settimeout(dimse_timeout)
        except BaseException:
            sock.close()
            raise
        return cls(sock, accepted, peer_max)

    # reading -------------------------------------------------------------------------
    def _read(self, count: int) -> bytes:
        try:
            data = self._stream.read(count)
        except OSError as exc:  # a timeout, a reset
            raise Aborted(str(exc) or type(exc).__name__) from exc
        if len(data) != count:
            raise Aborted("the connection was closed")
        return data

    def _next_fragment(self) -> tuple[int, int, int]:
        """(context id, control header, data length) of the next PDV."""
        while self._left == 0:
            kind, length = _HEAD.unpack(self._read(6))
            if kind == _P_DATA:
                self._left = length
                continue
            body = self._read(length)
            if kind == _RELEASE_RQ:  # the peer ends the association under us
                with suppress(OSError):
                    self.socket.sendall(_RELEASE_RP_PDU)
                raise Aborted("the peer released the association")
            if kind == _ABORT:
                raise Aborted(f"A-ABORT (source {body[2]}, reason {body[3]})")
            raise Aborted(f"unexpected PDU 0x{kind:02X}")
        length, context_id, control = _PDV.unpack(self._read(6))
        if length < 2 or length + 4 > self._left:
            raise Aborted("malformed P-DATA-TF")
        self._left -= length + 4
        return context_id, control, length - 2

    def receive_command(self, *, skip_data: bool = False) -> tuple[int, bytes]:
        """(context id, command set) of the next message.

        `skip_data` passes over data set fragments first (what is left of a message whose
        reading was interrupted), instead of taking them for a protocol error.
        """
        if skip_data and self._unread:
            self._read(self._unread)
            self._unread = 0
        parts = []
        while True:
            context_id, control, length = self._next_fragment()
            if not control & _COMMAND and skip_data:
                self._read(length)
                continue
            if not control & _COMMAND:
                raise Aborted("a data set fragment where a command was expected")
            parts.append(self._read(length))
            if control & _LAST:
                return context_id, b"".join(parts)

    def receive_dataset(self, sink: BinaryIO) -> int:
        """Write the message's data set to `sink` as it arrives; return its length."""
        total = 0
        buffer = self._buffer
        while True:
            _context_id, control, length = self._next_fragment()
            if control & _COMMAND:
                raise Aborted("a command fragment inside a data set")
            total += length
            self._unread = length
            while self._unread:
                try:
                    got = self._stream.readinto(buffer[: min(self._unread, len(buffer))])
                except OSError as exc:
                    raise Aborted(str(exc) or type(exc).__name__) from exc
                if not got:
                    raise Aborted("the connection was closed")
                sink.write(buffer[:got])
                self._unread -= got
            if control & _LAST:
                return total

    # writing -------------------------------------------------------------------------
    def send_command(self, context_id: int, command: bytes) -> None:
        self._send_fragments(context_id, _COMMAND, command)

    def send_dataset(self, context_id: int, data: bytes) -> None:
        self._send_fragments(context_id, 0, data)

    def _send_fragments(self, context_id: int, control: int, data: bytes) -> None:
        view = memoryview(data)
        start = 0
        while True:
            chunk = view[start : start + self.fragment]
            start += len(chunk)
            last = _LAST if start >= len(view) else 0
            self._send_pdv(context_id, control | last, chunk)
            if last:
                return

    def send_dataset_from(self, context_id: int, stream: BufferedIOBase, length: int) -> None:
        """Send `length` bytes of `stream` as a data set, fragment by fragment."""
        buffer = memoryview(bytearray(min(self.fragment, max(length, 1))))
        left = length
        while True:
            got = stream.readinto(buffer[: min(left, len(buffer))]) if left else 0
            if left and not got:
                raise OSError("the file is shorter than it was")
            left -= got
            self._send_pdv(context_id, _LAST if left == 0 else 0, buffer[:got])
            if left == 0:
                return

    def _send_pdv(self, context_id: int, control: int, data: memoryview) -> None:
        header = _HEAD.pack(_P_DATA, len(data) + 6) + _PDV.pack(len(data) + 2, context_id, control)
        try:
            if len(data) < 65536:
                self.socket.sendall(header + data)
            else:
                self.socket.sendall(header)
                self.socket.sendall(data)
        except OSError as exc:
            raise Aborted(str(exc) or type(exc).__name__) from exc

    # ending --------------------------------------------------------------------------
    def release(self) -> None:
        """A-RELEASE-RQ, wait for the answer (whatever else still arrives), then close."""
        try:
            self.socket.sendall(_RELEASE_RQ_PDU)
            while True:
                kind, length = _HEAD.unpack(self._read(6))
                self._read(length)
                if kind in (_RELEASE_RP, _ABORT):
                    break
                if kind == _RELEASE_RQ:  # both asked at once
                    self.socket.sendall(_RELEASE_RP_PDU)
                    break
        except (OSError, Aborted):
            pass  # the data exchange is over either way
        finally:
            self.close()

    def abort(self) -> None:
        try:
            self.socket.sendall(_ABORT_PDU)
        except OSError:
            pass
        finally:
            self.close()

    def close(self) -> None:
        self._stream.close()
        self.socket.close()


def _receive_pdu(sock: socket.socket) -> tuple[int, bytes]:
    kind, length = _HEAD.unpack(_receive_exactly(sock, 6))
    if length > 1 << 20:
        raise Aborted("an association answer too large to be one")
    return kind, _receive_exactly(sock, length)


def _receive_exactly(sock: socket.socket, count: int) -> bytes:
    parts, left = [], count
    while left:
        data = sock.recv(left)
        if not data:
            raise Aborted("the connection was closed")
        parts.append(data)
        left -= len(data)
    return b"".join(parts)
