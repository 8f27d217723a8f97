"""The high-level client: call any method by name with dicts.

>>> client = Client("127.0.0.1", 7443)
>>> client.call("rpc.v1.Health/Check", {})
{'status': 'SERVING_STATUS_SERVING'}
>>> client.login("quan.tm", "secret")            # later calls carry the session token
>>> client.call("CaseService.GetCase", {"reportCode": "060326001"})
"""

from __future__ import annotations

import ssl
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Iterator

from .connection import Call, Connection, ConnectionUnusable, Metadata, tls_context
from .protobuf import CodecError, DescriptorPool, MethodInfo
from .rpc_schema import add_rpc_schema, rpc_pool
from .status import RpcError, StatusCode

__all__ = ["Client"]


class Client:
    """A thread-safe client for one server.

    Calls share one connection (multiplexed); after a GOAWAY or a lost connection the next
    call opens a new one. Message types come from a FileDescriptorSet: the server's
    reflection service (fetched on first use) or ``descriptor_set`` (encoded bytes, e.g.
    ``protoc --descriptor_set_out``).

    Credentials: :meth:`login` (a session), ``api_key=`` (a service account), or any
    ``metadata`` you pass per call or in ``default_metadata``.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 7443,
        *,
        api_key: str | None = None,
        token: str | None = None,
        default_timeout: float | None = 30.0,
        default_metadata: Metadata = (),
        descriptor_set: bytes | None = None,
        connect_timeout: float = 10.0,
        tls: bool | ssl.SSLContext = False,
        ca: str | None = None,
        cert: str | None = None,
        key: str | None = None,
        server_hostname: str | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.default_timeout = default_timeout
        self.default_metadata: Metadata = list(default_metadata)
        self.connect_timeout = connect_timeout
        # TLS: an SSLContext as given, or one made from ca/cert/key (tls=True or any of them).
        if isinstance(tls, ssl.SSLContext):
            self._tls: ssl.SSLContext | None = tls
        elif tls or ca is not None or cert is not None or key is not None:
            self._tls = tls_context(ca, cert, key)
        else:
            self._tls = None
        self._server_hostname = server_hostname
        self._authorization: str | None = None
        if api_key is not None:
            self._authorization = f"ApiKey {api_key}"
        if token is not None:
            self._authorization = f"Bearer {token}"
        self._lock = threading.Lock()
        self._connection: Connection | None = None
        self._pool: DescriptorPool | None = None
        if descriptor_set is not None:
            self._pool = add_rpc_schema(DescriptorPool.from_file_descriptor_set(descriptor_set))
        self._bootstrap = rpc_pool()
        self._executor: ThreadPoolExecutor | None = None

    # -- connection and descriptors -------------------------------------------

    def connection(self) -> Connection:
        """The current connection, opening a new one if there is none usable."""
        with self._lock:
            if self._connection is None or not self._connection.usable:
                self._connection = Connection(
                    self.host, self.port, connect_timeout=self.connect_timeout, tls=self._tls, server_hostname=self._server_hostname
                )
            return self._connection

    @property
    def pool(self) -> DescriptorPool:
        """The descriptors; fetched from the server's reflection service on first use."""
        if self._pool is None:
            response = self._call_with(self._bootstrap, self._bootstrap.find_method("rpc.v1.Reflection/GetFileDescriptorSet"), {})
            self._pool = add_rpc_schema(DescriptorPool.from_file_descriptor_set(response["fileDescriptorSet"]))
        return self._pool

    def close(self) -> None:
        """Closes the connection (GOAWAY, then waits briefly for calls in flight)."""
        with self._lock:
            connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()
        if self._executor is not None:
            self._executor.shutdown(wait=False)

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- credentials -------------------------------------------------------------

    def login(self, username: str, password: str) -> dict[str, Any]:
        """``IdentityService.Login``; later calls carry ``authorization: Bearer <token>``.
        Returns the LoginResponse."""
        response = self.call("fieldreport.v1.IdentityService/Login", {"username": username, "password": password})
        self._authorization = f"Bearer {response['sessionToken']}"
        return response

    def use_api_key(self, key: str) -> None:
        """Later calls carry ``authorization: ApiKey <key>``."""
        self._authorization = f"ApiKey {key}"

    def use_token(self, token: str | None) -> None:
        """Later calls carry ``authorization: Bearer <token>`` (None: no credentials)."""
        self._authorization = None if token is None else f"Bearer {token}"

    # -- calls ---------------------------------------------------------------------

    def method(self, name: str) -> MethodInfo:
        """Resolves a method name (``CaseService.GetCase``, ``/fieldreport.v1.CaseService/GetCase``, ``GetCase``)."""
        return self.pool.find_method(name)

    def call(
        self,
        method: str,
        request: dict[str, Any] | None = None,
        *,
        metadata: Metadata = (),
        timeout: float | None = ...,  # type: ignore[assignment]
        trailers: list | None = None,
    ) -> dict[str, Any]:
        """Calls a unary method; returns the response dict or raises :class:`RpcError`.

        ``timeout`` is in seconds (default: ``default_timeout``; None: no deadline).
        Pass a list as ``trailers`` to receive the STATUS trailers.
        """
        info = self.method(method)
        if info.server_streaming:
            raise ValueError(f"{info.path} is server-streaming: use stream()")
        return self._call_with(self.pool, info, request, metadata, timeout, trailers)

    def call_async(self, method: str, request: dict[str, Any] | None = None, **options: Any) -> "Future[dict[str, Any]]":
        """Starts :meth:`call` on a worker thread; the calls share this client's connection."""
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=32, thread_name_prefix="fieldreport-call")
            executor = self._executor
        return executor.submit(self.call, method, request, **options)

    def stream(
        self,
        method: str,
        request: dict[str, Any] | None = None,
        *,
        metadata: Metadata = (),
        timeout: float | None = ...,  # type: ignore[assignment]
    ) -> "ResponseStream":
        """Calls a server-streaming method; iterate the result for response dicts. The
        stream raises :class:`RpcError` when the call ends non-OK; ``cancel()`` stops it."""
        info = self.method(method)
        payload = self._encode(self.pool, info.input_type, request)
        call = self._start(info, payload, metadata, None if timeout is ... else timeout, streaming=True)
        return ResponseStream(self.pool, info, call)

    def list_services(self) -> list[dict[str, Any]]:
        """``rpc.v1.Reflection/ListServices``: every service with its methods."""
        info = self._bootstrap.find_method("rpc.v1.Reflection/ListServices")
        return self._call_with(self._bootstrap, info, {})["services"]

    def health(self, service: str = "") -> str:
        """``rpc.v1.Health/Check``: ``SERVING_STATUS_SERVING`` etc."""
        info = self._bootstrap.find_method("rpc.v1.Health/Check")
        return self._call_with(self._bootstrap, info, {"service": service})["status"]

    # -- internals -------------------------------------------------------------------

    @staticmethod
    def _encode(pool: DescriptorPool, type_name: str, request: dict[str, Any] | None) -> bytes:
        try:
            return pool.encode(type_name, request or {})
        except CodecError as error:
            raise RpcError(StatusCode.INVALID_ARGUMENT, f"cannot encode the request: {error}", local=True) from None

    def _call_with(
        self,
        pool: DescriptorPool,
        info: MethodInfo,
        request: dict[str, Any] | None,
        metadata: Metadata = (),
        timeout: Any = ...,
        trailers: list | None = None,
    ) -> dict[str, Any]:
        payload = self._encode(pool, info.input_type, request)
        effective_timeout = self.default_timeout if timeout is ... else timeout
        response: bytes | None = None
        # A call refused by a GOAWAY (above its last_call_id) never ran: retried once on a
        # new connection (PROTOCOL.md §4.2).
        for attempt in range(2):
            call = self._start(info, payload, metadata, effective_timeout)
            try:
                for message in call.messages():
                    if response is None:
                        response = message
                break
            except RpcError as error:
                if not error.unprocessed or attempt == 1:
                    raise
        if trailers is not None:
            trailers.extend(call.trailers)
        if response is None:
            raise RpcError(StatusCode.INTERNAL, f"{info.path} ended OK without a response message", local=True)
        try:
            return pool.decode(info.output_type, response)
        except CodecError as error:
            raise RpcError(StatusCode.INTERNAL, f"cannot decode the response: {error}", local=True) from None

    def _start(self, info: MethodInfo, payload: bytes, metadata: Metadata, timeout: float | None, streaming: bool = False) -> Call:
        all_metadata: Metadata = []
        if self._authorization is not None:
            all_metadata.append(("authorization", self._authorization))
        all_metadata += self.default_metadata
        all_metadata += list(metadata)
        if streaming and timeout is ...:
            timeout = None
        # A connection that took a GOAWAY between our check and our write refuses the call
        # unsent; one retry on a fresh connection covers that race.
        for attempt in range(2):
            connection = self.connection()
            try:
                return connection.start_call(info.path, payload, all_metadata, timeout)
            except ConnectionUnusable:
                if attempt == 1:
                    raise RpcError(StatusCode.UNAVAILABLE, "no usable connection", local=True) from None
        raise AssertionError("unreachable")


class ResponseStream:
    """The responses of a server-streaming call, as dicts."""

    def __init__(self, pool: DescriptorPool, info: MethodInfo, call: Call) -> None:
        self._pool = pool
        self._info = info
        self.call = call

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for payload in self.call.messages():
            try:
                yield self._pool.decode(self._info.output_type, payload)
            except CodecError as error:
                self.call.cancel()
                raise RpcError(StatusCode.INTERNAL, f"cannot decode a response: {error}", local=True) from None

    def cancel(self) -> None:
        """Sends CANCEL; the stream then ends with ``CANCELLED``."""
        self.call.cancel()

    @property
    def trailers(self) -> Metadata:
        return self.call.trailers
