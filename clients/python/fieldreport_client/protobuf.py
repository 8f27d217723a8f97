"""A small dynamic protobuf (proto3) codec driven by descriptors.

Messages are plain Python dicts keyed by proto3-JSON field names (lowerCamelCase, e.g.
``categoryId``; the original ``category_id`` is accepted on input too). Enums are their
value names (``"CASE_STATE_RECEIVED"``; numbers are accepted on input). ``bytes`` fields
are Python ``bytes`` (a base64 string is accepted on input). 64-bit integers are Python
ints (a decimal string is accepted on input, as in proto3 JSON).

Decoding yields every singular scalar and enum field (with its default when absent), every
repeated field (``[]`` when absent), message fields only when present, and oneof members
only when set: a caller can always write ``response["caseSummary"]["version"]`` without
guessing which defaults the server left out.

The descriptors come from an encoded ``google.protobuf.FileDescriptorSet`` (what the
server's reflection service returns, or what ``protoc --descriptor_set_out`` writes). The
few fields of ``descriptor.proto`` this needs are decoded by hand below, so the codec
has no generated code at all.
"""

from __future__ import annotations

import base64
import binascii
import math
import struct
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "CodecError",
    "DescriptorPool",
    "EnumType",
    "FieldInfo",
    "MessageType",
    "MethodInfo",
    "ServiceInfo",
]


class CodecError(ValueError):
    """A message could not be encoded or decoded; ``path`` names the field (``a.b[2].c``)."""

    def __init__(self, path: str, why: str) -> None:
        self.path = path
        self.why = why
        super().__init__(f"{path}: {why}" if path else why)


# FieldDescriptorProto.Type
TYPE_DOUBLE, TYPE_FLOAT, TYPE_INT64, TYPE_UINT64, TYPE_INT32 = 1, 2, 3, 4, 5
TYPE_FIXED64, TYPE_FIXED32, TYPE_BOOL, TYPE_STRING, TYPE_GROUP = 6, 7, 8, 9, 10
TYPE_MESSAGE, TYPE_BYTES, TYPE_UINT32, TYPE_ENUM, TYPE_SFIXED32 = 11, 12, 13, 14, 15
TYPE_SFIXED64, TYPE_SINT32, TYPE_SINT64 = 16, 17, 18
LABEL_REPEATED = 3

WIRE_VARINT, WIRE_I64, WIRE_LEN, WIRE_SGROUP, WIRE_EGROUP, WIRE_I32 = 0, 1, 2, 3, 4, 5

_VARINT_TYPES = {TYPE_INT64, TYPE_UINT64, TYPE_INT32, TYPE_BOOL, TYPE_UINT32, TYPE_ENUM, TYPE_SINT32, TYPE_SINT64}
_I64_TYPES = {TYPE_DOUBLE, TYPE_FIXED64, TYPE_SFIXED64}
_I32_TYPES = {TYPE_FLOAT, TYPE_FIXED32, TYPE_SFIXED32}
_PACKABLE = _VARINT_TYPES | _I64_TYPES | _I32_TYPES

_INT_RANGES = {
    TYPE_INT32: (-(2**31), 2**31 - 1),
    TYPE_SINT32: (-(2**31), 2**31 - 1),
    TYPE_SFIXED32: (-(2**31), 2**31 - 1),
    TYPE_UINT32: (0, 2**32 - 1),
    TYPE_FIXED32: (0, 2**32 - 1),
    TYPE_INT64: (-(2**63), 2**63 - 1),
    TYPE_SINT64: (-(2**63), 2**63 - 1),
    TYPE_SFIXED64: (-(2**63), 2**63 - 1),
    TYPE_UINT64: (0, 2**64 - 1),
    TYPE_FIXED64: (0, 2**64 - 1),
    TYPE_ENUM: (-(2**31), 2**31 - 1),
}

# Protobuf's own recursion limit: a hostile message cannot exhaust the Python stack.
MAX_DEPTH = 100


# ---------------------------------------------------------------------------
# Wire primitives


def encode_varint(value: int) -> bytes:
    """Encodes a non-negative integer below 2**64 as a base-128 varint."""
    if value < 0:
        value &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def decode_varint(data: bytes | memoryview, pos: int, path: str = "") -> tuple[int, int]:
    """Decodes a varint at ``pos``; returns (value, new position)."""
    result = 0
    shift = 0
    end = len(data)
    while True:
        if pos >= end:
            raise CodecError(path, "truncated varint")
        byte = data[pos]
        pos += 1
        if shift == 63 and byte > 1:
            raise CodecError(path, "varint longer than 64 bits")
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise CodecError(path, "varint longer than 10 bytes")


def _tag(number: int, wire_type: int) -> bytes:
    return encode_varint((number << 3) | wire_type)


def _signed(value: int, bits: int) -> int:
    value &= (1 << bits) - 1
    return value - (1 << bits) if value >> (bits - 1) else value


def _zigzag(value: int) -> int:
    return (value << 1) ^ (value >> 63)


def _unzigzag(value: int) -> int:
    return (value >> 1) ^ -(value & 1)


# ---------------------------------------------------------------------------
# Descriptors


@dataclass
class FieldInfo:
    """One field of a message type."""

    name: str
    json_name: str
    number: int
    type: int
    repeated: bool
    type_name: str = ""  # fully qualified, no leading dot, for messages and enums
    oneof: str | None = None  # the oneof's name (also for proto3 `optional`)
    packed: bool | None = None  # explicit [packed=...]; None: proto3 default (packed)

    @property
    def tracks_presence(self) -> bool:
        return self.oneof is not None or self.type == TYPE_MESSAGE


@dataclass
class MessageType:
    """A message type: its fields by number and by both names."""

    full_name: str
    fields: list[FieldInfo] = field(default_factory=list)
    map_entry: bool = False
    by_number: dict[int, FieldInfo] = field(default_factory=dict)
    by_name: dict[str, FieldInfo] = field(default_factory=dict)

    def add(self, info: FieldInfo) -> None:
        self.fields.append(info)
        self.fields.sort(key=lambda f: f.number)
        self.by_number[info.number] = info
        self.by_name[info.json_name] = info
        self.by_name[info.name] = info


@dataclass
class EnumType:
    """An enum type: names ↔ numbers (the first name wins for aliases)."""

    full_name: str
    by_name: dict[str, int] = field(default_factory=dict)
    by_number: dict[int, str] = field(default_factory=dict)


@dataclass
class MethodInfo:
    """One rpc: its path (``/pkg.Service/Method``) and message types."""

    service: str
    name: str
    input_type: str
    output_type: str
    server_streaming: bool
    client_streaming: bool

    @property
    def path(self) -> str:
        return f"/{self.service}/{self.name}"


@dataclass
class ServiceInfo:
    """A service and its methods, in declaration order."""

    full_name: str
    methods: list[MethodInfo] = field(default_factory=list)


def _lower_camel(name: str) -> str:
    # protoc's json_name rule: drop underscores, upper-case the letter after each.
    out = []
    upper = False
    for ch in name:
        if ch == "_":
            upper = True
        elif upper:
            out.append(ch.upper())
            upper = False
        else:
            out.append(ch)
    return "".join(out)


def _read_fields(data: bytes, path: str) -> list[tuple[int, int, Any]]:
    """Splits an encoded message into (number, wire type, value) triples; LEN values are bytes."""
    out: list[tuple[int, int, Any]] = []
    pos = 0
    end = len(data)
    while pos < end:
        key, pos = decode_varint(data, pos, path)
        number, wire_type = key >> 3, key & 7
        if number == 0:
            raise CodecError(path, "field number 0")
        if wire_type == WIRE_VARINT:
            value, pos = decode_varint(data, pos, path)
        elif wire_type == WIRE_I64:
            if pos + 8 > end:
                raise CodecError(path, "truncated 64-bit field")
            value = bytes(data[pos : pos + 8])
            pos += 8
        elif wire_type == WIRE_I32:
            if pos + 4 > end:
                raise CodecError(path, "truncated 32-bit field")
            value = bytes(data[pos : pos + 4])
            pos += 4
        elif wire_type == WIRE_LEN:
            length, pos = decode_varint(data, pos, path)
            if length > end - pos:
                raise CodecError(path, f"field {number}: length {length} runs past the end")
            value = bytes(data[pos : pos + length])
            pos += length
        elif wire_type == WIRE_SGROUP:
            pos = _skip_group(data, pos, number, path, 0)
            continue
        else:
            raise CodecError(path, f"field {number}: invalid wire type {wire_type}")
        out.append((number, wire_type, value))
    return out


def _skip_group(data: bytes, pos: int, number: int, path: str, depth: int) -> int:
    if depth > MAX_DEPTH:
        raise CodecError(path, "groups nested too deeply")
    end = len(data)
    while pos < end:
        key, pos = decode_varint(data, pos, path)
        inner, wire_type = key >> 3, key & 7
        if wire_type == WIRE_EGROUP:
            if inner != number:
                raise CodecError(path, f"group {number} ended by end-group {inner}")
            return pos
        if wire_type == WIRE_VARINT:
            _, pos = decode_varint(data, pos, path)
        elif wire_type == WIRE_I64:
            pos += 8
        elif wire_type == WIRE_I32:
            pos += 4
        elif wire_type == WIRE_LEN:
            length, pos = decode_varint(data, pos, path)
            pos += length
        elif wire_type == WIRE_SGROUP:
            pos = _skip_group(data, pos, inner, path, depth + 1)
        else:
            raise CodecError(path, f"invalid wire type {wire_type} in group {number}")
        if pos > end:
            raise CodecError(path, "truncated group")
    raise CodecError(path, f"group {number} not ended")


def _text(raw: bytes, path: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise CodecError(path, f"invalid UTF-8 at byte {error.start}") from None


class DescriptorPool:
    """Message, enum and service types loaded from FileDescriptorSets, by full name."""

    def __init__(self) -> None:
        self.messages: dict[str, MessageType] = {}
        self.enums: dict[str, EnumType] = {}
        self.services: dict[str, ServiceInfo] = {}
        self.files: list[str] = []

    # -- loading -----------------------------------------------------------

    @classmethod
    def from_file_descriptor_set(cls, data: bytes) -> "DescriptorPool":
        """A pool holding every file of an encoded ``google.protobuf.FileDescriptorSet``."""
        pool = cls()
        pool.add_file_descriptor_set(data)
        return pool

    def add_file_descriptor_set(self, data: bytes) -> None:
        """Adds every file of an encoded FileDescriptorSet (a file already present is skipped)."""
        for number, wire_type, value in _read_fields(data, "FileDescriptorSet"):
            if number == 1 and wire_type == WIRE_LEN:
                self.add_file_descriptor(value)

    def add_file_descriptor(self, data: bytes) -> None:
        """Adds one encoded ``google.protobuf.FileDescriptorProto``."""
        name, package = "", ""
        messages: list[bytes] = []
        enums: list[bytes] = []
        services: list[bytes] = []
        for number, wire_type, value in _read_fields(data, "FileDescriptorProto"):
            if wire_type != WIRE_LEN:
                continue
            if number == 1:
                name = _text(value, "FileDescriptorProto.name")
            elif number == 2:
                package = _text(value, "FileDescriptorProto.package")
            elif number == 4:
                messages.append(value)
            elif number == 5:
                enums.append(value)
            elif number == 6:
                services.append(value)
        if name in self.files:
            return
        self.files.append(name)
        for raw in messages:
            self._add_message(raw, package)
        for raw in enums:
            self._add_enum(raw, package)
        for raw in services:
            self._add_service(raw, package)

    def _add_message(self, data: bytes, scope: str) -> None:
        name = ""
        raw_fields: list[bytes] = []
        nested: list[bytes] = []
        nested_enums: list[bytes] = []
        oneofs: list[str] = []
        map_entry = False
        for number, wire_type, value in _read_fields(data, "DescriptorProto"):
            if number == 1 and wire_type == WIRE_LEN:
                name = _text(value, "DescriptorProto.name")
            elif number == 2 and wire_type == WIRE_LEN:
                raw_fields.append(value)
            elif number == 3 and wire_type == WIRE_LEN:
                nested.append(value)
            elif number == 4 and wire_type == WIRE_LEN:
                nested_enums.append(value)
            elif number == 8 and wire_type == WIRE_LEN:
                oneof_name = ""
                for n, w, v in _read_fields(value, "OneofDescriptorProto"):
                    if n == 1 and w == WIRE_LEN:
                        oneof_name = _text(v, "OneofDescriptorProto.name")
                oneofs.append(oneof_name)
            elif number == 7 and wire_type == WIRE_LEN:
                for n, w, v in _read_fields(value, "MessageOptions"):
                    if n == 7 and w == WIRE_VARINT:
                        map_entry = bool(v)
        full = f"{scope}.{name}" if scope else name
        message = MessageType(full, map_entry=map_entry)
        for raw in raw_fields:
            message.add(self._field(raw, oneofs))
        self.messages[full] = message
        for raw in nested:
            self._add_message(raw, full)
        for raw in nested_enums:
            self._add_enum(raw, full)

    @staticmethod
    def _field(data: bytes, oneofs: list[str]) -> FieldInfo:
        name, json_name, number, ftype, label, type_name = "", "", 0, 0, 1, ""
        oneof_index: int | None = None
        packed: bool | None = None
        for n, w, v in _read_fields(data, "FieldDescriptorProto"):
            if n == 1 and w == WIRE_LEN:
                name = _text(v, "FieldDescriptorProto.name")
            elif n == 3 and w == WIRE_VARINT:
                number = v
            elif n == 4 and w == WIRE_VARINT:
                label = v
            elif n == 5 and w == WIRE_VARINT:
                ftype = v
            elif n == 6 and w == WIRE_LEN:
                type_name = _text(v, "FieldDescriptorProto.type_name").lstrip(".")
            elif n == 9 and w == WIRE_VARINT:
                oneof_index = v
            elif n == 10 and w == WIRE_LEN:
                json_name = _text(v, "FieldDescriptorProto.json_name")
            elif n == 8 and w == WIRE_LEN:
                for on, ow, ov in _read_fields(v, "FieldOptions"):
                    if on == 2 and ow == WIRE_VARINT:
                        packed = bool(ov)
        oneof = None
        if oneof_index is not None and 0 <= oneof_index < len(oneofs):
            oneof = oneofs[oneof_index]
        return FieldInfo(
            name=name,
            json_name=json_name or _lower_camel(name),
            number=number,
            type=ftype,
            repeated=label == LABEL_REPEATED,
            type_name=type_name,
            oneof=oneof,
            packed=packed,
        )

    def _add_enum(self, data: bytes, scope: str) -> None:
        name = ""
        enum = EnumType("")
        for number, wire_type, value in _read_fields(data, "EnumDescriptorProto"):
            if number == 1 and wire_type == WIRE_LEN:
                name = _text(value, "EnumDescriptorProto.name")
            elif number == 2 and wire_type == WIRE_LEN:
                value_name, value_number = "", 0
                for n, w, v in _read_fields(value, "EnumValueDescriptorProto"):
                    if n == 1 and w == WIRE_LEN:
                        value_name = _text(v, "EnumValueDescriptorProto.name")
                    elif n == 2 and w == WIRE_VARINT:
                        value_number = _signed(v, 32)
                enum.by_name[value_name] = value_number
                enum.by_number.setdefault(value_number, value_name)
        enum.full_name = f"{scope}.{name}" if scope else name
        self.enums[enum.full_name] = enum

    def _add_service(self, data: bytes, package: str) -> None:
        name = ""
        raw_methods: list[bytes] = []
        for number, wire_type, value in _read_fields(data, "ServiceDescriptorProto"):
            if number == 1 and wire_type == WIRE_LEN:
                name = _text(value, "ServiceDescriptorProto.name")
            elif number == 2 and wire_type == WIRE_LEN:
                raw_methods.append(value)
        full = f"{package}.{name}" if package else name
        service = ServiceInfo(full)
        for raw in raw_methods:
            method = MethodInfo(full, "", "", "", False, False)
            for n, w, v in _read_fields(raw, "MethodDescriptorProto"):
                if n == 1 and w == WIRE_LEN:
                    method.name = _text(v, "MethodDescriptorProto.name")
                elif n == 2 and w == WIRE_LEN:
                    method.input_type = _text(v, "MethodDescriptorProto.input_type").lstrip(".")
                elif n == 3 and w == WIRE_LEN:
                    method.output_type = _text(v, "MethodDescriptorProto.output_type").lstrip(".")
                elif n == 5 and w == WIRE_VARINT:
                    method.client_streaming = bool(v)
                elif n == 6 and w == WIRE_VARINT:
                    method.server_streaming = bool(v)
            service.methods.append(method)
        self.services[full] = service

    # -- lookup ------------------------------------------------------------

    def message(self, full_name: str) -> MessageType:
        """The message type named ``full_name`` (``fieldreport.v1.CaseSummary``)."""
        try:
            return self.messages[full_name.lstrip(".")]
        except KeyError:
            raise CodecError("", f"unknown message type {full_name}") from None

    def find_method(self, name: str) -> MethodInfo:
        """Resolves a method from ``/pkg.Service/Method``, ``pkg.Service/Method``,
        ``pkg.Service.Method``, ``Service.Method``, ``Service/Method`` or a bare ``Method``
        name (when exactly one service has it)."""
        text = name.strip().lstrip("/")
        if "/" in text:
            service_part, method_part = text.rsplit("/", 1)
        elif "." in text:
            service_part, method_part = text.rsplit(".", 1)
        else:
            service_part, method_part = "", text
        candidates = []
        for service in self.services.values():
            if service_part and service.full_name != service_part and not service.full_name.endswith("." + service_part):
                continue
            for method in service.methods:
                if method.name == method_part:
                    candidates.append(method)
        if not candidates:
            raise KeyError(f"no method {name!r} in the descriptors")
        if len(candidates) > 1:
            paths = ", ".join(sorted(m.path for m in candidates))
            raise KeyError(f"method name {name!r} is ambiguous: {paths}")
        return candidates[0]

    # -- encoding ----------------------------------------------------------

    def encode(self, type_name: str, value: dict[str, Any] | None) -> bytes:
        """Encodes a dict as the message ``type_name`` (fields in number order)."""
        return self._encode_message(self.message(type_name), value or {}, type_name.rsplit(".", 1)[-1], 0)

    def _encode_message(self, message: MessageType, value: Any, path: str, depth: int) -> bytes:
        if depth > MAX_DEPTH:
            raise CodecError(path, "message nested too deeply")
        if not isinstance(value, dict):
            raise CodecError(path, f"expected an object for {message.full_name}, got {type(value).__name__}")
        chosen: dict[str, str] = {}
        values: dict[int, Any] = {}
        for key, item in value.items():
            info = message.by_name.get(key)
            if info is None:
                raise CodecError(f"{path}.{key}", f"no such field in {message.full_name}")
            if info.number in values:
                raise CodecError(f"{path}.{key}", "field given twice (by both of its names)")
            if item is None:
                continue
            if info.oneof is not None:
                if info.oneof in chosen:
                    raise CodecError(
                        f"{path}.{key}", f"oneof {info.oneof} already set by {chosen[info.oneof]}"
                    )
                chosen[info.oneof] = key
            values[info.number] = item
        out = bytearray()
        for info in message.fields:
            if info.number not in values:
                continue
            out += self._encode_field(info, values[info.number], f"{path}.{info.json_name}", depth)
        return bytes(out)

    def _encode_field(self, info: FieldInfo, value: Any, path: str, depth: int) -> bytes:
        if info.type == TYPE_MESSAGE and self.message(info.type_name).map_entry:
            return self._encode_map(info, value, path, depth)
        if info.repeated:
            if not isinstance(value, (list, tuple)):
                raise CodecError(path, f"expected a list, got {type(value).__name__}")
            if not value:
                return b""
            if info.type in _PACKABLE and info.packed is not False:
                body = b"".join(self._encode_scalar(info, item, f"{path}[{i}]") for i, item in enumerate(value))
                return _tag(info.number, WIRE_LEN) + encode_varint(len(body)) + body
            return b"".join(self._encode_single(info, item, f"{path}[{i}]", depth, True) for i, item in enumerate(value))
        return self._encode_single(info, value, path, depth, info.tracks_presence)

    def _encode_map(self, info: FieldInfo, value: Any, path: str, depth: int) -> bytes:
        if not isinstance(value, dict):
            raise CodecError(path, f"expected an object (map), got {type(value).__name__}")
        entry = self.message(info.type_name)
        key_info, value_info = entry.by_number[1], entry.by_number[2]
        out = bytearray()
        for key, item in value.items():
            if key_info.type == TYPE_BOOL and isinstance(key, str):
                key = {"true": True, "false": False}.get(key, key)
            elif key_info.type != TYPE_STRING and isinstance(key, str):
                key = _parse_int(key, f"{path}[{key}]")
            body = self._encode_single(key_info, key, f"{path}[{key}]", depth, True)
            body += self._encode_single(value_info, item, f"{path}[{key}]", depth, True)
            out += _tag(info.number, WIRE_LEN) + encode_varint(len(body)) + body
        return bytes(out)

    def _encode_single(self, info: FieldInfo, value: Any, path: str, depth: int, always: bool) -> bytes:
        if info.type == TYPE_MESSAGE:
            body = self._encode_message(self.message(info.type_name), value, path, depth + 1)
            return _tag(info.number, WIRE_LEN) + encode_varint(len(body)) + body
        if info.type == TYPE_GROUP:
            raise CodecError(path, "groups are not supported")
        if info.type in (TYPE_STRING, TYPE_BYTES):
            raw = self._encode_scalar(info, value, path)
            if not raw and not always:
                return b""
            return _tag(info.number, WIRE_LEN) + encode_varint(len(raw)) + raw
        raw = self._encode_scalar(info, value, path)
        if not always and _is_default_scalar(info, raw):
            return b""
        if info.type in _I64_TYPES:
            wire = WIRE_I64
        elif info.type in _I32_TYPES:
            wire = WIRE_I32
        else:
            wire = WIRE_VARINT
        return _tag(info.number, wire) + raw

    def _encode_scalar(self, info: FieldInfo, value: Any, path: str) -> bytes:
        """The payload of one scalar (no tag): varint, fixed bytes, or string/bytes content."""
        t = info.type
        if t == TYPE_STRING:
            if not isinstance(value, str):
                raise CodecError(path, f"expected a string, got {type(value).__name__}")
            try:
                return value.encode("utf-8")
            except UnicodeEncodeError:
                raise CodecError(path, "string is not valid Unicode (lone surrogate)") from None
        if t == TYPE_BYTES:
            if isinstance(value, (bytes, bytearray, memoryview)):
                return bytes(value)
            if isinstance(value, str):
                try:
                    padded = value.replace("-", "+").replace("_", "/")
                    padded += "=" * (-len(padded) % 4)
                    return base64.b64decode(padded, validate=True)
                except (binascii.Error, ValueError):
                    raise CodecError(path, "expected bytes or a base64 string") from None
            raise CodecError(path, f"expected bytes, got {type(value).__name__}")
        if t == TYPE_BOOL:
            if not isinstance(value, bool):
                raise CodecError(path, f"expected true or false, got {value!r}")
            return b"\x01" if value else b"\x00"
        if t in (TYPE_DOUBLE, TYPE_FLOAT):
            number = _parse_float(value, path)
            if t == TYPE_DOUBLE:
                return struct.pack("<d", number)
            try:
                return struct.pack("<f", number)
            except OverflowError:
                raise CodecError(path, "out of range for a float") from None
        if t == TYPE_ENUM:
            enum = self.enums.get(info.type_name)
            if isinstance(value, str) and enum is not None:
                if value not in enum.by_name:
                    raise CodecError(path, f"{value!r} is not a value of {info.type_name}")
                number = enum.by_name[value]
            elif isinstance(value, int) and not isinstance(value, bool):
                number = value
            else:
                raise CodecError(path, f"expected an enum value name of {info.type_name}, got {value!r}")
        else:
            number = _parse_int(value, path)
        low, high = _INT_RANGES[t]
        if not low <= number <= high:
            raise CodecError(path, f"{number} out of range [{low}, {high}]")
        if t in (TYPE_SINT32, TYPE_SINT64):
            return encode_varint(_zigzag(number) & ((1 << 64) - 1))
        if t in (TYPE_FIXED32, TYPE_SFIXED32):
            return struct.pack("<I", number & 0xFFFFFFFF)
        if t in (TYPE_FIXED64, TYPE_SFIXED64):
            return struct.pack("<Q", number & ((1 << 64) - 1))
        return encode_varint(number)

    # -- decoding ----------------------------------------------------------

    def decode(self, type_name: str, data: bytes) -> dict[str, Any]:
        """Decodes an encoded message of type ``type_name`` into a dict."""
        return self._decode_message(self.message(type_name), bytes(data), type_name.rsplit(".", 1)[-1], 0)

    def _decode_message(self, message: MessageType, data: bytes, path: str, depth: int) -> dict[str, Any]:
        if depth > MAX_DEPTH:
            raise CodecError(path, "message nested too deeply")
        result: dict[str, Any] = {}
        submessages: dict[int, list[bytes]] = {}
        for info in message.fields:
            if info.repeated:
                result[info.json_name] = {} if self._is_map(info) else []
            elif not info.tracks_presence:
                result[info.json_name] = self._default(info)
        for number, wire_type, value in _read_fields(data, path):
            info = message.by_number.get(number)
            if info is None:
                continue  # unknown field: skipped, as proto3 requires
            fpath = f"{path}.{info.json_name}"
            if info.oneof is not None:
                for other in message.fields:
                    if other.oneof == info.oneof and other.number != number:
                        result.pop(other.json_name, None)
                        submessages.pop(other.number, None)
            if info.type == TYPE_MESSAGE:
                if wire_type != WIRE_LEN:
                    raise CodecError(fpath, f"wire type {wire_type} for a message field")
                if info.repeated:
                    item = self._decode_message(self.message(info.type_name), value, fpath, depth + 1)
                    if self._is_map(info):
                        key_name = self.message(info.type_name).by_number[1].json_name
                        value_name = self.message(info.type_name).by_number[2].json_name
                        result[info.json_name][item.get(key_name)] = item.get(value_name)
                    else:
                        result[info.json_name].append(item)
                else:
                    # Repeated occurrences of a singular message merge: decoding the
                    # concatenation is exactly protobuf's merge semantics.
                    submessages.setdefault(number, []).append(value)
                continue
            if info.repeated and wire_type == WIRE_LEN and info.type in _PACKABLE:
                result[info.json_name].extend(self._decode_packed(info, value, fpath))
                continue
            item = self._decode_scalar(info, wire_type, value, fpath)
            if info.repeated:
                result[info.json_name].append(item)
            else:
                result[info.json_name] = item
        for number, chunks in submessages.items():
            info = message.by_number[number]
            result[info.json_name] = self._decode_message(
                self.message(info.type_name), b"".join(chunks), f"{path}.{info.json_name}", depth + 1
            )
        # Field-number order, as the .proto declares them (easier to read when printed).
        return {f.json_name: result[f.json_name] for f in message.fields if f.json_name in result}

    def _is_map(self, info: FieldInfo) -> bool:
        return info.type == TYPE_MESSAGE and info.repeated and self.message(info.type_name).map_entry

    def _default(self, info: FieldInfo) -> Any:
        t = info.type
        if t == TYPE_STRING:
            return ""
        if t == TYPE_BYTES:
            return b""
        if t == TYPE_BOOL:
            return False
        if t in (TYPE_DOUBLE, TYPE_FLOAT):
            return 0.0
        if t == TYPE_ENUM:
            enum = self.enums.get(info.type_name)
            return enum.by_number.get(0, 0) if enum else 0
        return 0

    def _decode_packed(self, info: FieldInfo, data: bytes, path: str) -> list[Any]:
        items = []
        pos = 0
        end = len(data)
        while pos < end:
            if info.type in _VARINT_TYPES:
                raw, pos = decode_varint(data, pos, path)
                items.append(self._decode_scalar(info, WIRE_VARINT, raw, path))
            else:
                size = 8 if info.type in _I64_TYPES else 4
                if pos + size > end:
                    raise CodecError(path, "truncated packed field")
                wire = WIRE_I64 if size == 8 else WIRE_I32
                items.append(self._decode_scalar(info, wire, data[pos : pos + size], path))
                pos += size
        return items

    def _decode_scalar(self, info: FieldInfo, wire_type: int, value: Any, path: str) -> Any:
        t = info.type
        expected = (
            WIRE_LEN
            if t in (TYPE_STRING, TYPE_BYTES)
            else WIRE_I64
            if t in _I64_TYPES
            else WIRE_I32
            if t in _I32_TYPES
            else WIRE_VARINT
        )
        if wire_type != expected:
            raise CodecError(path, f"wire type {wire_type} where {expected} was expected")
        if t == TYPE_STRING:
            return _text(value, path)
        if t == TYPE_BYTES:
            return value
        if t == TYPE_BOOL:
            return value != 0
        if t == TYPE_DOUBLE:
            return struct.unpack("<d", value)[0]
        if t == TYPE_FLOAT:
            return struct.unpack("<f", value)[0]
        if t == TYPE_FIXED32:
            return struct.unpack("<I", value)[0]
        if t == TYPE_SFIXED32:
            return struct.unpack("<i", value)[0]
        if t == TYPE_FIXED64:
            return struct.unpack("<Q", value)[0]
        if t == TYPE_SFIXED64:
            return struct.unpack("<q", value)[0]
        if t in (TYPE_INT32,):
            return _signed(value, 32)
        if t == TYPE_INT64:
            return _signed(value, 64)
        if t == TYPE_UINT32:
            return value & 0xFFFFFFFF
        if t == TYPE_UINT64:
            return value
        if t == TYPE_SINT32:
            return _signed(_unzigzag(value & 0xFFFFFFFF), 32)
        if t == TYPE_SINT64:
            return _unzigzag(value)
        if t == TYPE_ENUM:
            number = _signed(value, 32)
            enum = self.enums.get(info.type_name)
            # An unknown number stays a number: proto3 keeps open enums.
            return enum.by_number.get(number, number) if enum else number
        raise CodecError(path, f"unsupported field type {t}")


def _is_default_scalar(info: FieldInfo, raw: bytes) -> bool:
    if info.type in (TYPE_DOUBLE, TYPE_FLOAT):
        # -0.0 is not the default (its bits differ), which is protobuf's rule too.
        return raw == b"\x00" * len(raw)
    if info.type in (TYPE_FIXED32, TYPE_SFIXED32, TYPE_FIXED64, TYPE_SFIXED64):
        return raw == b"\x00" * len(raw)
    return raw == b"\x00"


def _parse_int(value: Any, path: str) -> int:
    if isinstance(value, bool):
        raise CodecError(path, f"expected an integer, got {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip(), 10)
        except ValueError:
            pass
    raise CodecError(path, f"expected an integer, got {value!r}")


def _parse_float(value: Any, path: str) -> float:
    if isinstance(value, bool):
        raise CodecError(path, f"expected a number, got {value!r}")
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        special = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
        if value in special:
            return special[value]
        try:
            return float(value)
        except ValueError:
            pass
    raise CodecError(path, f"expected a number, got {value!r}")
