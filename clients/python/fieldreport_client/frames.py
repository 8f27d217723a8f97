"""The fixed binary layer of the protocol (PROTOCOL.md §1–2): prefaces and frame headers."""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass

__all__ = [
    "MAGIC",
    "PROTOCOL_VERSION",
    "FrameType",
    "FrameHeader",
    "ProtocolError",
    "encode_preface",
    "decode_preface_header",
    "encode_frame",
    "FLAG_END_STREAM",
    "FLAG_ACK",
    "MAX_SETTINGS_SIZE",
    "MAX_CONTROL_FRAME",
    "DEFAULT_MAX_FRAME_SIZE",
    "DEFAULT_MAX_CONCURRENT_CALLS",
    "DEFAULT_MAX_METADATA_SIZE",
]

MAGIC = b"\x89RPC\r\n\x1a\n"
PROTOCOL_VERSION = 1
PREFACE_HEADER_SIZE = 16
FRAME_HEADER_SIZE = 12
MAX_SETTINGS_SIZE = 4096
# §3.2: frames other than MESSAGE, HEADERS and STATUS over this size are a protocol error.
MAX_CONTROL_FRAME = 65536

DEFAULT_MAX_FRAME_SIZE = 4 * 1024 * 1024
DEFAULT_MAX_CONCURRENT_CALLS = 1024
DEFAULT_MAX_METADATA_SIZE = 16384

FLAG_END_STREAM = 0x01  # on a client's MESSAGE
FLAG_ACK = 0x01  # on a PING

_PREFACE = struct.Struct(">8sHHI")
_HEADER = struct.Struct(">BBBBII")


class ProtocolError(Exception):
    """The peer broke the protocol (or the connection ended mid-frame)."""


class FrameType(enum.IntEnum):
    """Frame types (§2)."""

    HEADERS = 0x01
    MESSAGE = 0x02
    STATUS = 0x03
    CANCEL = 0x04
    PING = 0x05
    GOAWAY = 0x06


@dataclass(frozen=True)
class FrameHeader:
    """A decoded 12-byte frame header."""

    type: int
    flags: int
    call_id: int
    length: int

    @classmethod
    def decode(cls, data: bytes) -> "FrameHeader":
        version, ftype, flags, reserved, call_id, length = _HEADER.unpack(data)
        if version != PROTOCOL_VERSION:
            raise ProtocolError(f"frame version {version}, expected {PROTOCOL_VERSION}")
        if reserved != 0:
            raise ProtocolError(f"reserved frame byte is {reserved:#04x}, expected 0")
        return cls(ftype, flags, call_id, length)


def encode_preface(low: int, high: int, settings: bytes) -> bytes:
    """A preface: magic, version range (client) or chosen version and 0 (server), settings."""
    if len(settings) > MAX_SETTINGS_SIZE:
        raise ValueError(f"settings are {len(settings)} bytes, at most {MAX_SETTINGS_SIZE} allowed")
    return _PREFACE.pack(MAGIC, low, high, len(settings)) + settings


def decode_preface_header(data: bytes) -> tuple[int, int, int]:
    """Checks the first 16 bytes of a preface; returns (version field 1, field 2, settings length)."""
    magic, first, second, length = _PREFACE.unpack(data)
    if magic != MAGIC:
        raise ProtocolError(f"bad preface magic {magic.hex(' ')}")
    if length > MAX_SETTINGS_SIZE:
        raise ProtocolError(f"preface settings length {length} exceeds {MAX_SETTINGS_SIZE}")
    return first, second, length


def encode_frame(ftype: int, call_id: int, payload: bytes = b"", flags: int = 0) -> bytes:
    """One frame: header and payload."""
    return _HEADER.pack(PROTOCOL_VERSION, ftype, flags, 0, call_id, len(payload)) + payload
