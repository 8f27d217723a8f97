"""One client connection (PROTOCOL.md §1–4): the preface exchange, then many concurrent calls.

Threading model: any number of threads may start calls on one ``Connection``; a single
reader thread per connection reads frames and routes them to the calls' queues. Writes are
serialised by one lock, which also hands out call ids, so ids reach the wire strictly
increasing (§3.1) however many threads race to start calls.
"""

from __future__ import annotations

import itertools
import queue
import re
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Iterator

from .frames import (
    DEFAULT_MAX_CONCURRENT_CALLS,
    DEFAULT_MAX_FRAME_SIZE,
    DEFAULT_MAX_METADATA_SIZE,
    FLAG_ACK,
    FLAG_END_STREAM,
    FRAME_HEADER_SIZE,
    MAX_CONTROL_FRAME,
    PREFACE_HEADER_SIZE,
    PROTOCOL_VERSION,
    FrameHeader,
    FrameType,
    ProtocolError,
    decode_preface_header,
    encode_frame,
    encode_preface,
)
from .protobuf import CodecError, DescriptorPool
from .rpc_schema import rpc_pool
from .status import RpcError, StatusCode

__all__ = ["Connection", "ConnectionUnusable", "ServerSettings", "Call", "Metadata", "validate_metadata"]

Metadata = list[tuple[str, "str | bytes"]]

_KEY = re.compile(r"^[a-z0-9_.\-]{1,256}$")
_MAX_CALL_ID = 2**32 - 1
_IMPLEMENTATION = "fieldreport-python/1"


def validate_metadata(metadata: Metadata) -> None:
    """Checks §3.1's key rule (lowercase ASCII letters, digits, ``-``, ``_``, ``.``; 1–256
    bytes); values are ``str`` (text) or ``bytes`` (binary)."""
    for key, value in metadata:
        if not isinstance(key, str) or not _KEY.match(key):
            raise RpcError(StatusCode.INVALID_ARGUMENT, f"invalid metadata key {key!r}", local=True)
        if not isinstance(value, (str, bytes, bytearray)):
            raise RpcError(StatusCode.INVALID_ARGUMENT, f"metadata {key!r}: value must be str or bytes", local=True)


# The protocol's ALPN identifier over TLS (docs/PROTOCOL.md §1).
ALPN = "frpc/1"


def tls_context(ca: str | None = None, cert: str | None = None, key: str | None = None) -> ssl.SSLContext:
    """A client TLS context for the protocol: TLS 1.2+, ALPN ``frpc/1``, the CAs in ``ca``
    (PEM; the system's when ``None``) and, for mutual TLS, a certificate and key (PEM)."""
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=ca)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_alpn_protocols([ALPN])
    if (cert is None) != (key is None):
        raise ValueError("a client certificate needs both cert and key")
    if cert is not None:
        context.load_cert_chain(cert, key)
    return context


class _TLSSocket:
    """TLS over a plain socket with OpenSSL's memory BIOs, so that the reader thread and the
    writers never use one ``SSLObject`` at the same time (OpenSSL forbids it) and no lock is
    held while blocking on the network: encryption and decryption happen under ``_lock``,
    socket reads outside it, socket writes under ``_send_lock`` (which keeps records in order).
    """

    def __init__(self, sock: socket.socket, context: ssl.SSLContext, server_hostname: str | None) -> None:
        self._sock = sock
        self._incoming = ssl.MemoryBIO()
        self._outgoing = ssl.MemoryBIO()
        self._tls = context.wrap_bio(self._incoming, self._outgoing, server_side=False, server_hostname=server_hostname)
        self._lock = threading.Lock()
        self._send_lock = threading.Lock()
        while True:
            try:
                self._tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                self._flush()
                data = self._sock.recv(65536)
                if not data:
                    raise ConnectionError("the server closed the connection during the TLS handshake")
                self._incoming.write(data)
        self._flush()
        if self._tls.selected_alpn_protocol() not in (None, ALPN):
            raise ConnectionError(f"the server chose ALPN {self._tls.selected_alpn_protocol()!r}, not {ALPN!r}")

    def _flush(self) -> None:
        with self._send_lock:
            with self._lock:
                data = self._outgoing.read()
            if data:
                self._sock.sendall(data)

    def sendall(self, data: bytes) -> None:
        with self._send_lock:
            with self._lock:
                self._tls.write(data)
                encrypted = self._outgoing.read()
            self._sock.sendall(encrypted)

    def recv(self, count: int) -> bytes:
        while True:
            with self._lock:
                try:
                    return self._tls.read(count)
                except ssl.SSLWantReadError:
                    pass
                except ssl.SSLZeroReturnError:
                    return b""
                pending = self._outgoing.pending
            if pending:
                self._flush()
            data = self._sock.recv(65536)
            with self._lock:
                if not data:
                    self._incoming.write_eof()
                    try:
                        return self._tls.read(count)
                    except (ssl.SSLWantReadError, ssl.SSLZeroReturnError, ssl.SSLEOFError):
                        return b""
                self._incoming.write(data)

    def settimeout(self, timeout: float | None) -> None:
        self._sock.settimeout(timeout)

    def setsockopt(self, *args: Any) -> None:
        self._sock.setsockopt(*args)

    def shutdown(self, how: int) -> None:
        self._sock.shutdown(how)

    def close(self) -> None:
        self._sock.close()


class ConnectionUnusable(Exception):
    """The connection takes no new calls (GOAWAY received, closed, or call ids exhausted);
    the call was not sent, so it is safe to retry on a new connection."""


@dataclass(frozen=True)
class ServerSettings:
    """The server's ``rpc.v1.Settings`` with defaults applied (§1)."""

    max_frame_size: int
    max_concurrent_calls: int
    max_metadata_size: int
    keepalive_interval_ms: int
    idle_timeout_ms: int
    implementation: str

    @classmethod
    def from_wire(cls, decoded: dict[str, Any]) -> "ServerSettings":
        return cls(
            max_frame_size=decoded["maxFrameSize"] or DEFAULT_MAX_FRAME_SIZE,
            max_concurrent_calls=decoded["maxConcurrentCalls"] or DEFAULT_MAX_CONCURRENT_CALLS,
            max_metadata_size=decoded["maxMetadataSize"] or DEFAULT_MAX_METADATA_SIZE,
            keepalive_interval_ms=decoded["keepaliveIntervalMs"],
            idle_timeout_ms=decoded["idleTimeoutMs"],
            implementation=decoded["implementation"],
        )


def _metadata_to_wire(metadata: Metadata) -> list[dict[str, Any]]:
    return [{"key": k, "binary": bytes(v)} if isinstance(v, (bytes, bytearray)) else {"key": k, "text": v} for k, v in metadata]


def _metadata_from_wire(entries: list[dict[str, Any]]) -> Metadata:
    return [(e["key"], e["binary"] if "binary" in e else e.get("text", "")) for e in entries]


@dataclass
class _Event:
    kind: str  # "message" or "end"
    payload: bytes = b""
    error: RpcError | None = None
    trailers: Metadata = field(default_factory=list)


class Call:
    """One call in flight: its response messages arrive on a queue fed by the reader thread.

    Use :meth:`messages` (iterate responses; raises :class:`RpcError` on a non-OK end) or
    :meth:`cancel`. ``trailers`` holds the STATUS trailers once the call has ended.
    """

    def __init__(self, connection: "Connection", call_id: int, method_path: str, deadline: float | None) -> None:
        self.connection = connection
        self.call_id = call_id
        self.method_path = method_path
        self.deadline = deadline  # time.monotonic() value, or None
        self.trailers: Metadata = []
        self.error: RpcError | None = None
        self._queue: "queue.Queue[_Event]" = queue.Queue()
        self._ended = False

    def messages(self) -> Iterator[bytes]:
        """Yields each response payload; returns at STATUS OK, raises RpcError otherwise.
        Past the deadline, sends CANCEL and raises ``DEADLINE_EXCEEDED`` (local)."""
        while True:
            event = self._next_event()
            if event.kind == "message":
                yield event.payload
                continue
            self.trailers = event.trailers
            if event.error is not None:
                self.error = event.error
                raise event.error
            return

    def _next_event(self) -> _Event:
        while True:
            if self.deadline is None:
                return self._queue.get()
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                # The server may still answer; its STATUS will be ignored (§3.1).
                self.connection._cancel(self.call_id)
                error = RpcError(StatusCode.DEADLINE_EXCEEDED, "The deadline passed before the call completed.", local=True)
                # Queued so that a second reader of this call sees the same outcome.
                self._deliver(_Event("end", error=error))
                self.deadline = None
                continue
            try:
                return self._queue.get(timeout=remaining)
            except queue.Empty:
                continue

    def cancel(self) -> None:
        """Sends CANCEL (§3.3); the call then ends ``CANCELLED`` locally."""
        self.connection._cancel(self.call_id)
        self._deliver(_Event("end", error=RpcError(StatusCode.CANCELLED, "Cancelled by the client.", local=True)))

    def _deliver(self, event: _Event) -> None:
        if self._ended:
            return
        if event.kind == "end":
            self._ended = True
        self._queue.put(event)


class Connection:
    """A connection to one server. ``Connection(host, port)`` connects and exchanges
    prefaces; :meth:`start_call` starts calls; :meth:`close` sends GOAWAY and closes."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        connect_timeout: float = 10.0,
        max_frame_size: int = DEFAULT_MAX_FRAME_SIZE,
        max_metadata_size: int = DEFAULT_MAX_METADATA_SIZE,
        tls: ssl.SSLContext | None = None,
        server_hostname: str | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self._codec: DescriptorPool = rpc_pool()
        self._max_frame_size = max_frame_size  # what we accept, announced in our preface
        self._max_metadata_size = max_metadata_size
        self._write_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._calls: dict[int, Call] = {}
        self._next_id = 1
        self._highest_id = 0
        self._goaway: dict[str, Any] | None = None
        self._closing = False  # close() called: no new calls
        self._closed: str | None = None  # why, once closed
        self._pings: dict[bytes, threading.Event] = {}
        self._ping_counter = itertools.count(1)

        raw = socket.create_connection((host, port), timeout=connect_timeout)
        self._sock: Any = raw
        try:
            raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if tls is not None:
                self._sock = _TLSSocket(raw, tls, server_hostname if server_hostname is not None else host)
            self._handshake()
        except BaseException:
            self._sock.close()
            raise
        self._sock.settimeout(None)
        self._reader = threading.Thread(target=self._read_loop, name=f"fieldreport-reader-{host}:{port}", daemon=True)
        self._reader.start()

    # -- set-up -------------------------------------------------------------

    def _handshake(self) -> None:
        settings = self._codec.encode(
            "rpc.v1.Settings",
            {
                "maxFrameSize": 0 if self._max_frame_size == DEFAULT_MAX_FRAME_SIZE else self._max_frame_size,
                "maxMetadataSize": 0 if self._max_metadata_size == DEFAULT_MAX_METADATA_SIZE else self._max_metadata_size,
                "implementation": _IMPLEMENTATION,
            },
        )
        self._sock.sendall(encode_preface(PROTOCOL_VERSION, PROTOCOL_VERSION, settings))
        version, _, length = decode_preface_header(self._read_exact(PREFACE_HEADER_SIZE))
        raw = self._read_exact(length)
        if version == 0:
            raise ConnectionError("the server speaks no protocol version in 1…1")
        if version != PROTOCOL_VERSION:
            raise ProtocolError(f"the server chose version {version}, outside the offered 1…1")
        try:
            self.settings = ServerSettings.from_wire(self._codec.decode("rpc.v1.Settings", raw))
        except CodecError as error:
            raise ProtocolError(f"undecodable server settings: {error}") from None

    def _read_exact(self, count: int) -> bytes:
        chunks = bytearray()
        while len(chunks) < count:
            chunk = self._sock.recv(min(count - len(chunks), 1 << 20))
            if not chunk:
                if chunks:
                    raise ProtocolError("the connection ended in the middle of a frame")
                raise EOFError
            chunks += chunk
        return bytes(chunks)

    # -- calls --------------------------------------------------------------

    @property
    def usable(self) -> bool:
        """Whether new calls may start here (no GOAWAY, not closed, ids left)."""
        return self._closed is None and self._goaway is None and not self._closing and self._next_id <= _MAX_CALL_ID

    @property
    def calls_in_flight(self) -> int:
        return len(self._calls)

    def start_call(
        self,
        method_path: str,
        request: bytes,
        metadata: Metadata = (),
        timeout: float | None = None,
        *,
        check_metadata: bool = True,
    ) -> Call:
        """Sends HEADERS and the request MESSAGE (END_STREAM) of a new call.

        ``timeout`` is in seconds (None: no deadline). Raises :class:`RpcError` for a call
        this client refuses locally (bad metadata, a request over the server's limit) and
        :class:`ConnectionUnusable` when this connection takes no new calls.
        ``check_metadata=False`` sends even invalid keys (to test a server's checks).
        """
        metadata = list(metadata)
        if check_metadata:
            validate_metadata(metadata)
        if len(request) > self.settings.max_frame_size:
            raise RpcError(
                StatusCode.RESOURCE_EXHAUSTED,
                f"The request is {len(request)} bytes; the server accepts at most {self.settings.max_frame_size}.",
                local=True,
            )
        deadline = None if timeout is None else time.monotonic() + timeout
        wire_metadata = _metadata_to_wire(metadata)
        with self._write_lock:
            with self._state_lock:
                if not self.usable:
                    raise ConnectionUnusable(self._closed or "the server sent GOAWAY")
                call_id = self._next_id
                self._next_id += 1
                call = Call(self, call_id, method_path, deadline)
                self._calls[call_id] = call
                self._highest_id = call_id
            headers_value: dict[str, Any] = {"methodPath": method_path, "metadata": wire_metadata}
            if deadline is not None:
                # Relative, from when the server reads HEADERS (§3.1): what is left now.
                headers_value["timeoutUs"] = max(0, int((deadline - time.monotonic()) * 1_000_000))
            headers = self._codec.encode("rpc.v1.CallHeaders", headers_value)
            if len(headers) > self.settings.max_metadata_size:
                self._forget(call_id)
                raise RpcError(
                    StatusCode.RESOURCE_EXHAUSTED,
                    f"The call headers are {len(headers)} bytes; the server accepts at most {self.settings.max_metadata_size}.",
                    local=True,
                )
            data = encode_frame(FrameType.HEADERS, call_id, headers) + encode_frame(
                FrameType.MESSAGE, call_id, request, FLAG_END_STREAM
            )
            try:
                self._sock.sendall(data)
            except OSError as error:
                self._forget(call_id)
                self._fail_connection(f"write failed: {error}", StatusCode.UNAVAILABLE)
                raise ConnectionUnusable(f"write failed: {error}") from None
        return call

    def ping(self, timeout: float = 5.0) -> float:
        """Sends a PING and waits for its ACK; returns the round trip in seconds."""
        payload = next(self._ping_counter).to_bytes(8, "big")
        event = threading.Event()
        with self._state_lock:
            self._pings[payload] = event
        started = time.monotonic()
        self._write(encode_frame(FrameType.PING, 0, payload))
        if not event.wait(timeout):
            with self._state_lock:
                self._pings.pop(payload, None)
            raise TimeoutError("no PING acknowledgement")
        return time.monotonic() - started

    def close(self, timeout: float = 5.0) -> None:
        """Sends GOAWAY (no new calls), waits up to ``timeout`` seconds for calls in flight,
        then closes the socket."""
        with self._state_lock:
            already = self._closed is not None
            last = self._highest_id
            self._closing = True
        if not already:
            # A client's GOAWAY: it opens no more calls; last_call_id is the highest id it used.
            payload = self._codec.encode(
                "rpc.v1.GoAway", {"lastCallId": last, "code": "GO_AWAY_CODE_NO_ERROR", "reason": "The client is closing."}
            )
            try:
                self._write(encode_frame(FrameType.GOAWAY, 0, payload))
            except OSError:
                pass
        end = time.monotonic() + timeout
        while self._calls and time.monotonic() < end and self._closed is None:
            time.sleep(0.01)
        self._fail_connection("The connection was closed by the client.", StatusCode.CANCELLED)

    def __enter__(self) -> "Connection":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals ------------------------------------------------------------

    def _write(self, data: bytes) -> None:
        with self._write_lock:
            self._sock.sendall(data)

    def _cancel(self, call_id: int) -> None:
        if self._forget(call_id) is None:
            return
        try:
            self._write(encode_frame(FrameType.CANCEL, call_id))
        except OSError:
            pass

    def _forget(self, call_id: int) -> Call | None:
        with self._state_lock:
            call = self._calls.pop(call_id, None)
            drained = (self._goaway is not None or self._closing) and not self._calls
        if drained and self._closed is None:
            self._fail_connection("drained after GOAWAY", StatusCode.UNAVAILABLE)
        return call

    def _end_call(self, call_id: int, error: RpcError | None, trailers: Metadata) -> None:
        call = self._forget(call_id)
        if call is not None:
            call._deliver(_Event("end", error=error, trailers=trailers))

    def _fail_connection(self, why: str, code: StatusCode) -> None:
        with self._state_lock:
            if self._closed is None:
                self._closed = why
            calls = list(self._calls.values())
            self._calls.clear()
        for call in calls:
            call._deliver(_Event("end", error=RpcError(code, why, local=True)))
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._sock.close()

    def _protocol_error(self, why: str, code: str) -> None:
        payload = self._codec.encode("rpc.v1.GoAway", {"lastCallId": self._highest_id, "code": code, "reason": why})
        try:
            self._write(encode_frame(FrameType.GOAWAY, 0, payload))
        except OSError:
            pass
        self._fail_connection(f"protocol error: {why}", StatusCode.INTERNAL)

    def _read_loop(self) -> None:
        try:
            while True:
                try:
                    header = FrameHeader.decode(self._read_exact(FRAME_HEADER_SIZE))
                except EOFError:
                    self._fail_connection("The server closed the connection.", StatusCode.UNAVAILABLE)
                    return
                self._handle(header)
        except ProtocolError as error:
            self._protocol_error(str(error), "GO_AWAY_CODE_PROTOCOL_ERROR")
        except _FrameTooLarge as error:
            self._protocol_error(str(error), "GO_AWAY_CODE_FRAME_TOO_LARGE")
        except (OSError, EOFError) as error:
            self._fail_connection(f"connection lost: {error}", StatusCode.UNAVAILABLE)

    def _skip(self, count: int) -> None:
        while count > 0:
            chunk = self._sock.recv(min(count, 1 << 20))
            if not chunk:
                raise ProtocolError("the connection ended in the middle of a frame")
            count -= len(chunk)

    def _handle(self, header: FrameHeader) -> None:
        ftype, call_id, length = header.type, header.call_id, header.length
        if ftype == FrameType.MESSAGE:
            call = self._calls.get(call_id)
            if call is None and call_id > self._highest_id:
                raise ProtocolError(f"MESSAGE for call {call_id}, which was never opened")
            if length > self._max_frame_size:
                # §3.2: fail the call RESOURCE_EXHAUSTED, send CANCEL, skip the payload unread.
                self._skip(length)
                if call is not None:
                    self._cancel(call_id)
                    call._deliver(
                        _Event("end", error=RpcError(StatusCode.RESOURCE_EXHAUSTED, f"A response of {length} bytes exceeds this client's limit of {self._max_frame_size}.", local=True))
                    )
                return
            payload = self._read_exact(length)
            if call is not None:
                call._deliver(_Event("message", payload))
            return
        if ftype == FrameType.STATUS:
            if call_id not in self._calls and call_id > self._highest_id:
                raise ProtocolError(f"STATUS for call {call_id}, which was never opened")
            if length > self._max_metadata_size:
                self._skip(length)
                why = f"A status of {length} bytes exceeds this client's limit of {self._max_metadata_size}."
                self._end_call(call_id, RpcError(StatusCode.RESOURCE_EXHAUSTED, why, local=True), [])
                return
            payload = self._read_exact(length)
            if call_id not in self._calls:
                return  # crossed a CANCEL or the deadline: ignored (§3.1)
            try:
                status = self._codec.decode("rpc.v1.Status", payload)
            except CodecError as error:
                why = f"The server's status is not a valid rpc.v1.Status ({error})."
                self._end_call(call_id, RpcError(StatusCode.INTERNAL, why, local=True), [])
                return
            code = StatusCode.from_wire(status["code"])
            trailers = _metadata_from_wire(status["trailers"])
            error = None
            if code != StatusCode.OK:
                error = RpcError(code, status["message"], status["details"], trailers)
            self._end_call(call_id, error, trailers)
            return
        if ftype not in (FrameType.PING, FrameType.GOAWAY):
            if ftype in (FrameType.HEADERS, FrameType.CANCEL):
                raise ProtocolError(f"a server may not send {FrameType(ftype).name}")
            raise ProtocolError(f"unknown frame type {ftype:#04x}")
        if length > MAX_CONTROL_FRAME:
            raise _FrameTooLarge(f"{FrameType(ftype).name} frame of {length} bytes")
        payload = self._read_exact(length)
        if ftype == FrameType.PING:
            if length != 8:
                raise ProtocolError(f"PING payload of {length} bytes, expected 8")
            if header.flags & FLAG_ACK:
                with self._state_lock:
                    event = self._pings.pop(payload, None)
                if event is not None:
                    event.set()
            else:
                self._write(encode_frame(FrameType.PING, 0, payload, FLAG_ACK))
            return
        self._handle_goaway(payload)

    def _handle_goaway(self, payload: bytes) -> None:
        try:
            goaway = self._codec.decode("rpc.v1.GoAway", payload)
        except CodecError as error:
            raise ProtocolError(f"undecodable GOAWAY: {error}") from None
        last = goaway["lastCallId"]
        with self._state_lock:
            self._goaway = goaway
            refused = [call_id for call_id in self._calls if call_id > last]
        # §4.2: calls above last_call_id were not processed: safe to retry elsewhere.
        for call_id in refused:
            self._end_call(
                call_id,
                RpcError(
                    StatusCode.UNAVAILABLE,
                    "The server did not process this call (GOAWAY); it is safe to retry.",
                    local=True,
                    unprocessed=True,
                ),
                [],
            )
        if goaway["code"] != "GO_AWAY_CODE_NO_ERROR":
            self._fail_connection(f"The server closed the connection ({goaway['code']}): {goaway['reason']}", StatusCode.UNAVAILABLE)
            return
        with self._state_lock:
            drained = not self._calls
        if drained:
            self._fail_connection("drained after GOAWAY", StatusCode.UNAVAILABLE)

    @property
    def goaway(self) -> dict[str, Any] | None:
        """The GOAWAY the server sent (decoded), if any."""
        return self._goaway


class _FrameTooLarge(Exception):
    pass

