"""The protocol's own messages (``proto/rpc/v1/*.proto``), declared by hand.

The client needs these before it can ask the server for anything (the preface carries
``rpc.v1.Settings``; every call carries ``rpc.v1.CallHeaders``; reflection's answer, which
holds every other descriptor, is itself an ``rpc.v1`` message), so they are written out
here from the .proto files instead of being fetched.
"""

from __future__ import annotations

from .protobuf import (
    TYPE_BOOL,
    TYPE_BYTES,
    TYPE_ENUM,
    TYPE_INT64,
    TYPE_MESSAGE,
    TYPE_STRING,
    TYPE_UINT32,
    DescriptorPool,
    EnumType,
    FieldInfo,
    MessageType,
    MethodInfo,
    ServiceInfo,
    _lower_camel,
)

_P = "rpc.v1."

# (name, number, type, type name or "", repeated, oneof or None)
_MESSAGES: dict[str, list[tuple[str, int, int, str, bool, str | None]]] = {
    "MetadataEntry": [
        ("key", 1, TYPE_STRING, "", False, None),
        ("text", 2, TYPE_STRING, "", False, "value"),
        ("binary", 3, TYPE_BYTES, "", False, "value"),
    ],
    "Settings": [
        ("max_frame_size", 1, TYPE_UINT32, "", False, None),
        ("max_concurrent_calls", 2, TYPE_UINT32, "", False, None),
        ("max_metadata_size", 3, TYPE_UINT32, "", False, None),
        ("keepalive_interval_ms", 4, TYPE_UINT32, "", False, None),
        ("idle_timeout_ms", 5, TYPE_UINT32, "", False, None),
        ("implementation", 6, TYPE_STRING, "", False, None),
    ],
    "CallHeaders": [
        ("method_path", 1, TYPE_STRING, "", False, None),
        ("timeout_us", 2, TYPE_INT64, "", False, "timeout_opt"),
        ("metadata", 3, TYPE_MESSAGE, "MetadataEntry", True, None),
    ],
    "Status": [
        ("code", 1, TYPE_ENUM, "StatusCode", False, None),
        ("message", 2, TYPE_STRING, "", False, None),
        ("details", 3, TYPE_MESSAGE, "StatusDetail", True, None),
        ("trailers", 4, TYPE_MESSAGE, "MetadataEntry", True, None),
    ],
    "StatusDetail": [
        ("bad_request", 1, TYPE_MESSAGE, "BadRequest", False, "detail"),
        ("precondition_failure", 2, TYPE_MESSAGE, "PreconditionFailure", False, "detail"),
        ("retry_info", 3, TYPE_MESSAGE, "RetryInfo", False, "detail"),
        ("error_info", 4, TYPE_MESSAGE, "ErrorInfo", False, "detail"),
        ("opaque", 5, TYPE_MESSAGE, "OpaqueDetail", False, "detail"),
    ],
    "BadRequest": [("field_violations", 1, TYPE_MESSAGE, "FieldViolation", True, None)],
    "FieldViolation": [
        ("field", 1, TYPE_STRING, "", False, None),
        ("explanation", 2, TYPE_STRING, "", False, None),
    ],
    "PreconditionFailure": [("violations", 1, TYPE_MESSAGE, "PreconditionViolation", True, None)],
    "PreconditionViolation": [
        ("kind", 1, TYPE_STRING, "", False, None),
        ("subject", 2, TYPE_STRING, "", False, None),
        ("explanation", 3, TYPE_STRING, "", False, None),
    ],
    "RetryInfo": [("retry_delay_ms", 1, TYPE_INT64, "", False, None)],
    "ErrorInfo": [
        ("reason", 1, TYPE_STRING, "", False, None),
        ("domain", 2, TYPE_STRING, "", False, None),
        ("metadata", 3, TYPE_MESSAGE, "MetadataEntry", True, None),
    ],
    "OpaqueDetail": [
        ("kind", 1, TYPE_STRING, "", False, None),
        ("value", 2, TYPE_BYTES, "", False, None),
    ],
    "GoAway": [
        ("last_call_id", 1, TYPE_UINT32, "", False, None),
        ("code", 2, TYPE_ENUM, "GoAwayCode", False, None),
        ("reason", 3, TYPE_STRING, "", False, None),
    ],
    # health.proto
    "HealthCheckRequest": [("service", 1, TYPE_STRING, "", False, None)],
    "HealthCheckResponse": [("status", 1, TYPE_ENUM, "ServingStatus", False, None)],
    # reflection.proto
    "ListServicesRequest": [],
    "ListServicesResponse": [("services", 1, TYPE_MESSAGE, "ServiceInfo", True, None)],
    "ServiceInfo": [
        ("name", 1, TYPE_STRING, "", False, None),
        ("methods", 2, TYPE_MESSAGE, "MethodInfo", True, None),
    ],
    "MethodInfo": [
        ("name", 1, TYPE_STRING, "", False, None),
        ("path", 2, TYPE_STRING, "", False, None),
        ("input_message", 3, TYPE_STRING, "", False, None),
        ("output_message", 4, TYPE_STRING, "", False, None),
        ("server_streaming", 5, TYPE_BOOL, "", False, None),
    ],
    "GetFileDescriptorSetRequest": [],
    "GetFileDescriptorSetResponse": [("file_descriptor_set", 1, TYPE_BYTES, "", False, None)],
}

_STATUS_NAMES = [
    "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
    "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
    "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
    "UNAUTHENTICATED",
]  # fmt: skip

_ENUMS: dict[str, list[str]] = {
    "StatusCode": [f"STATUS_CODE_{name}" for name in _STATUS_NAMES],
    "GoAwayCode": [
        "GO_AWAY_CODE_NO_ERROR",
        "GO_AWAY_CODE_PROTOCOL_ERROR",
        "GO_AWAY_CODE_FRAME_TOO_LARGE",
        "GO_AWAY_CODE_INTERNAL_ERROR",
        "GO_AWAY_CODE_IDLE_TIMEOUT",
        "GO_AWAY_CODE_KEEPALIVE_TIMEOUT",
        "GO_AWAY_CODE_FRAME_TIMEOUT",
        "GO_AWAY_CODE_RESOURCE_EXHAUSTED",
    ],
    "ServingStatus": [
        "SERVING_STATUS_UNKNOWN",
        "SERVING_STATUS_SERVING",
        "SERVING_STATUS_NOT_SERVING",
        "SERVING_STATUS_SERVICE_UNKNOWN",
    ],
}

_SERVICES: dict[str, list[tuple[str, str, str, bool]]] = {
    "Health": [
        ("Check", "HealthCheckRequest", "HealthCheckResponse", False),
        ("Watch", "HealthCheckRequest", "HealthCheckResponse", True),
    ],
    "Reflection": [
        ("ListServices", "ListServicesRequest", "ListServicesResponse", False),
        ("GetFileDescriptorSet", "GetFileDescriptorSetRequest", "GetFileDescriptorSetResponse", False),
    ],
}


def add_rpc_schema(pool: DescriptorPool) -> DescriptorPool:
    """Adds the ``rpc.v1`` messages, enums and the Health and Reflection services to ``pool``
    (a type the pool already has, e.g. from the server's descriptor set, is kept)."""
    for name, values in _ENUMS.items():
        if _P + name in pool.enums:
            continue
        enum = EnumType(_P + name)
        for number, value in enumerate(values):
            enum.by_name[value] = number
            enum.by_number[number] = value
        pool.enums[enum.full_name] = enum
    for name, fields in _MESSAGES.items():
        if _P + name in pool.messages:
            continue
        message = MessageType(_P + name)
        for fname, number, ftype, type_name, repeated, oneof in fields:
            message.add(
                FieldInfo(
                    name=fname,
                    json_name=_lower_camel(fname),
                    number=number,
                    type=ftype,
                    repeated=repeated,
                    type_name=_P + type_name if type_name else "",
                    oneof=oneof,
                )
            )
        pool.messages[message.full_name] = message
    for name, methods in _SERVICES.items():
        if _P + name in pool.services:
            continue
        service = ServiceInfo(_P + name)
        for mname, request, response, streaming in methods:
            service.methods.append(MethodInfo(_P + name, mname, _P + request, _P + response, streaming, False))
        pool.services[service.full_name] = service
    return pool


def rpc_pool() -> DescriptorPool:
    """A fresh pool holding only the protocol's own messages."""
    return add_rpc_schema(DescriptorPool())
