"""A Python client for the fieldreport RPC protocol (docs/PROTOCOL.md), standard library only.

``Client`` calls any method by name with dicts; message types come from the server's
reflection service. See clients/python/README.md.
"""

from .client import Client, ResponseStream
from .connection import ALPN, Call, Connection, ConnectionUnusable, ServerSettings, tls_context
from .protobuf import CodecError, DescriptorPool
from .status import FieldViolation, RpcError, StatusCode

__all__ = [
    "ALPN",
    "tls_context",
    "Call",
    "Client",
    "CodecError",
    "Connection",
    "ConnectionUnusable",
    "DescriptorPool",
    "FieldViolation",
    "ResponseStream",
    "RpcError",
    "ServerSettings",
    "StatusCode",
]
