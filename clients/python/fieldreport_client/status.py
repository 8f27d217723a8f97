"""Call outcomes: the 17 status codes and the error a failed call raises."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

__all__ = ["StatusCode", "RpcError", "FieldViolation"]


class StatusCode(enum.IntEnum):
    """gRPC's status codes, with gRPC's numbers (``rpc.v1.StatusCode``)."""

    OK = 0
    CANCELLED = 1
    UNKNOWN = 2
    INVALID_ARGUMENT = 3
    DEADLINE_EXCEEDED = 4
    NOT_FOUND = 5
    ALREADY_EXISTS = 6
    PERMISSION_DENIED = 7
    RESOURCE_EXHAUSTED = 8
    FAILED_PRECONDITION = 9
    ABORTED = 10
    OUT_OF_RANGE = 11
    UNIMPLEMENTED = 12
    INTERNAL = 13
    UNAVAILABLE = 14
    DATA_LOSS = 15
    UNAUTHENTICATED = 16

    @classmethod
    def from_wire(cls, value: Any) -> "StatusCode":
        """Maps a decoded ``rpc.v1.StatusCode`` (name or number) to a code; anything
        unknown is ``UNKNOWN``, as PROTOCOL.md §3.4 requires."""
        if isinstance(value, str):
            name = value.removeprefix("STATUS_CODE_")
            return cls.__members__.get(name, cls.UNKNOWN)
        try:
            return cls(value)
        except ValueError:
            return cls.UNKNOWN


@dataclass(frozen=True)
class FieldViolation:
    """One bad field of a request (from a ``BadRequest`` detail)."""

    field: str
    explanation: str


@dataclass
class RpcError(Exception):
    """A call ended with a non-OK status (from the server, or decided locally: deadline,
    cancellation, a lost connection, a GOAWAY that refused the call)."""

    code: StatusCode
    message: str = ""
    details: list[dict[str, Any]] = field(default_factory=list)
    trailers: list[tuple[str, str | bytes]] = field(default_factory=list)
    local: bool = False  # decided by this client, not sent by the server
    unprocessed: bool = False  # refused by a GOAWAY: the server never ran it (safe to retry)

    def __post_init__(self) -> None:
        super().__init__(self.code, self.message)

    def __str__(self) -> str:
        where = " (local)" if self.local else ""
        text = f"{self.code.name}{where}: {self.message}"
        violations = self.field_violations
        if violations:
            text += "; " + "; ".join(f"{v.field}: {v.explanation}" for v in violations)
        return text

    @property
    def field_violations(self) -> list[FieldViolation]:
        """Every field violation of every ``BadRequest`` detail, in order."""
        out = []
        for detail in self.details:
            for item in detail.get("badRequest", {}).get("fieldViolations", []):
                out.append(FieldViolation(item.get("field", ""), item.get("explanation", "")))
        return out

    @property
    def retry_delay_ms(self) -> int | None:
        """The server's suggested retry delay (a ``RetryInfo`` detail), if any."""
        for detail in self.details:
            if "retryInfo" in detail:
                return int(detail["retryInfo"].get("retryDelayMs", 0))
        return None

    def detail(self, kind: str) -> dict[str, Any] | None:
        """The first detail of ``kind`` (``badRequest``, ``preconditionFailure``,
        ``retryInfo``, ``errorInfo``, ``opaque``), or None."""
        for detail in self.details:
            if kind in detail:
                return detail[kind]
        return None
