"""End-to-end tests of the Python client against the real ``fieldreport-server``.

The server binary comes from ``FIELDREPORT_SERVER_BIN`` (default ``.build/debug/fieldreport-server``
relative to the repository root). Each test class starts it with ``--demo`` on a free
loopback port and a database in a fresh temporary directory; the demo people's password is
set through ``FIELDREPORT_DEMO_PASSWORD`` and the platform's API key is read from the
server's start-up banner. Tests are skipped when the binary is missing.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from fieldreport_client import Client, RpcError, StatusCode  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
SERVER_BIN = os.environ.get("FIELDREPORT_SERVER_BIN", os.path.join(REPO, ".build", "debug", "fieldreport-server"))
PASSWORD = "Demo-" + uuid.uuid4().hex[:12]
# Names from Sources/FieldReportServices/DemoProvince.swift.
IOC_OPERATOR = "quan.tm"
CATEGORY = "MOI-TRUONG"
STARTUP_TIMEOUT = 60.0


class ServerProcess:
    """A ``fieldreport-server --demo`` child process on a free loopback port."""

    # Banner lines of Sources/FieldReportServer/FieldReportServer.swift.
    LISTENING = re.compile(r"listening on \S+:(\d+)")

    def __init__(self, *extra: str, client_options: dict | None = None) -> None:
        self.client_options = client_options or {}
        self.directory = tempfile.mkdtemp(prefix="fieldreport-pytest-")
        self.port: int | None = None
        self.api_key: str | None = None
        self.output: list[str] = []
        env = dict(os.environ, FIELDREPORT_DEMO_PASSWORD=PASSWORD)
        command = [
            SERVER_BIN,
            "--demo",
            "--host", "127.0.0.1",
            "--port", "0",
            "--database", os.path.join(self.directory, "fieldreport.sqlite"),
            "--scrypt-log-n", "10",  # cheap password hashing: the tests log in often
            *extra,
        ]  # fmt: skip
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=self.directory
        )
        self._reader = threading.Thread(target=self._read_output, daemon=True)
        self._reader.start()
        self._wait_ready()

    def _read_output(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line.rstrip("\n"))
            if "Platform API key" in line and self.api_key is None:
                self.api_key = line.split()[-1]
            match = self.LISTENING.search(line)
            if match and self.port is None:
                self.port = int(match.group(1))

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"fieldreport-server exited with {self.process.returncode}:\n" + "\n".join(self.output))
            if self.port is None or self.api_key is None:
                time.sleep(0.1)
                continue
            try:
                with Client("127.0.0.1", self.port, default_timeout=5, **self.client_options) as client:
                    if client.health() == "SERVING_STATUS_SERVING" and self.api_key is not None:
                        return
            except (OSError, RpcError):
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("fieldreport-server did not become ready:\n" + "\n".join(self.output))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self._reader.join(timeout=5)
            self.process.stdout.close()
        shutil.rmtree(self.directory, ignore_errors=True)


def new_report(title: str = "Rác thải ùn ứ tại chợ Đồng Lộc") -> dict:
    return {
        "idempotencyKey": "py-" + uuid.uuid4().hex,
        "title": title,
        "content": "Rác thải sinh hoạt tập kết ven đường gây mùi hôi, đề nghị xử lý.",
        "categoryId": CATEGORY,
        "eventAddress": "Chợ Đồng Lộc, Can Lộc, Hà Tĩnh",
        "location": {"latitude": 18.4412, "longitude": 105.742},
        "reporterAllowsPublic": True,
        "reporter": {"fullName": "Nguyễn Văn Bình", "phone": "0912345678", "citizenUserId": "platform-citizen-7"},
        "platformReference": "PY-" + uuid.uuid4().hex[:8],
    }


@unittest.skipUnless(os.path.exists(SERVER_BIN), f"no server binary at {SERVER_BIN}")
class ClientTests(unittest.TestCase):
    server: ServerProcess

    @classmethod
    def setUpClass(cls) -> None:
        cls.server = ServerProcess()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.server.stop()

    def client(self, **options) -> Client:
        client = Client("127.0.0.1", self.server.port, default_timeout=15, **options)
        self.addCleanup(client.close)
        return client

    def platform(self) -> Client:
        assert self.server.api_key is not None
        return self.client(api_key=self.server.api_key)

    def ioc(self) -> Client:
        client = self.client()
        client.login(IOC_OPERATOR, PASSWORD)
        return client

    # -- connection basics ----------------------------------------------------------

    def test_health_and_settings(self) -> None:
        client = self.client()
        self.assertEqual(client.health(), "SERVING_STATUS_SERVING")
        settings = client.connection().settings
        self.assertGreater(settings.max_frame_size, 0)
        self.assertGreater(settings.max_concurrent_calls, 0)
        self.assertGreater(client.connection().ping(), 0)
        with self.assertRaises(RpcError) as caught:
            client.health("no.such.Service")
        self.assertEqual(caught.exception.code, StatusCode.NOT_FOUND)

    def test_reflection_lists_every_service(self) -> None:
        client = self.client()
        services = {s["name"]: s for s in client.list_services()}
        for name in ("fieldreport.v1.CaseService", "fieldreport.v1.IdentityService",
                     "fieldreport.v1.AssignmentService", "fieldreport.v1.JournalService",
                     "rpc.v1.Health", "rpc.v1.Reflection"):  # fmt: skip
            self.assertIn(name, services)
        watch = [m for m in services["fieldreport.v1.JournalService"]["methods"] if m["name"] == "WatchEvents"]
        self.assertEqual(len(watch), 1)
        self.assertTrue(watch[0]["serverStreaming"])
        self.assertEqual(watch[0]["path"], "/fieldreport.v1.JournalService/WatchEvents")
        # The descriptor set covers every listed method's messages.
        for service in services.values():
            for method in service["methods"]:
                info = client.method(method["path"])
                client.pool.message(info.input_type)
                client.pool.message(info.output_type)

    # -- the domain through dicts -------------------------------------------------------

    def test_login_as_a_demo_person(self) -> None:
        client = self.client()
        response = client.login(IOC_OPERATOR, PASSWORD)
        self.assertTrue(response["sessionToken"])
        self.assertGreater(response["expiresAtMs"], int(time.time() * 1000))
        roles = [grant["roleKind"] for grant in response["roles"]]
        self.assertIn("ROLE_KIND_IOC_OPERATOR", roles)
        who = client.call("IdentityService.WhoAmI", {})
        self.assertIn("Quân", repr(who))

    def test_wrong_password_is_unauthenticated(self) -> None:
        with self.assertRaises(RpcError) as caught:
            self.client().login(IOC_OPERATOR, PASSWORD + "x")
        self.assertEqual(caught.exception.code, StatusCode.UNAUTHENTICATED)

    def test_submit_as_platform_then_get_by_report_code(self) -> None:
        report = new_report("Đèn đường hỏng trên đường Trần Phú")
        submitted = self.platform().call("CaseService.SubmitReport", report)
        summary = submitted["caseSummary"]
        self.assertEqual(summary["state"], "CASE_STATE_RECEIVED")
        self.assertRegex(summary["reportCode"], r"^\d{9,}$")
        self.assertGreaterEqual(summary["version"], 1)
        # A retry with the same key returns the same case.
        again = self.platform().call("CaseService.SubmitReport", report)
        self.assertEqual(again["caseSummary"]["caseId"], summary["caseId"])

        detail = self.ioc().call("/fieldreport.v1.CaseService/GetCase", {"reportCode": summary["reportCode"]})
        case = detail["caseDetail"]
        self.assertEqual(case["summary"]["caseId"], summary["caseId"])
        self.assertEqual(case["summary"]["title"], "Đèn đường hỏng trên đường Trần Phú")

    def test_watch_events_streams_new_reports(self) -> None:
        ioc = self.ioc()
        since = int(time.time() * 1000) - 1000
        stream = ioc.stream("JournalService.WatchEvents", {"sinceMs": since, "heartbeatIntervalMs": 60000}, timeout=30)
        titles = [f"Sự kiện thử {i} {uuid.uuid4().hex[:6]}" for i in range(3)]
        platform = self.platform()
        for title in titles:
            platform.call("CaseService.SubmitReport", new_report(title))
        seen: list[str] = []
        cursors: list[str] = []
        for message in stream:
            self.assertTrue(message["cursor"])
            cursors.append(message["cursor"])
            event = message.get("caseEvent")
            if event is not None and event.get("caseSummary", {}).get("title") in titles:
                seen.append(event["caseSummary"]["title"])
            if len(seen) == len(titles):
                break
        stream.cancel()
        self.assertEqual(seen, titles)  # commit order
        self.assertEqual(len(set(cursors)), len(cursors))

    def test_field_violations(self) -> None:
        report = new_report()
        report["title"] = ""
        with self.assertRaises(RpcError) as caught:
            self.platform().call("CaseService.SubmitReport", report)
        error = caught.exception
        self.assertEqual(error.code, StatusCode.INVALID_ARGUMENT)
        self.assertFalse(error.local)
        self.assertTrue(error.message)
        self.assertIn("title", [v.field for v in error.field_violations], error)

    def test_not_found_and_unauthenticated(self) -> None:
        with self.assertRaises(RpcError) as caught:
            self.ioc().call("CaseService.GetCase", {"caseId": "no-such-case"})
        self.assertEqual(caught.exception.code, StatusCode.NOT_FOUND)
        with self.assertRaises(RpcError) as caught:
            self.client().call("CaseService.GetCase", {"caseId": "no-such-case"})
        self.assertEqual(caught.exception.code, StatusCode.UNAUTHENTICATED)

    # -- the protocol ----------------------------------------------------------------------

    def test_malformed_request_is_invalid_argument(self) -> None:
        client = self.ioc()
        connection = client.connection()
        # Field 1 declared as 100 bytes long with 1 byte present: undecodable.
        call = connection.start_call("/fieldreport.v1.CaseService/GetCase", b"\x0a\x64\x41", [("authorization", client._authorization)])
        with self.assertRaises(RpcError) as caught:
            list(call.messages())
        self.assertEqual(caught.exception.code, StatusCode.INVALID_ARGUMENT)
        # The connection survives the bad call.
        self.assertEqual(client.health(), "SERVING_STATUS_SERVING")
        self.assertIs(client.connection(), connection)

    def test_unknown_method_and_service(self) -> None:
        connection = self.client().connection()
        for path, fragment in (("/fieldreport.v1.CaseService/Nope", "Nope"), ("/no.such.Service/Check", "no.such.Service")):
            call = connection.start_call(path, b"")
            with self.assertRaises(RpcError) as caught:
                list(call.messages())
            self.assertEqual(caught.exception.code, StatusCode.UNIMPLEMENTED)
            self.assertIn(fragment, caught.exception.message)

    def test_bad_metadata_key_is_refused(self) -> None:
        with self.assertRaises(RpcError) as caught:
            self.client().call("rpc.v1.Health/Check", {}, metadata=[("Bad Key", "x")])
        self.assertEqual(caught.exception.code, StatusCode.INVALID_ARGUMENT)
        # The server refuses it too when a client does send it.
        call = self.client().connection().start_call("/rpc.v1.Health/Check", b"", [("Bad Key", "x")], check_metadata=False)
        with self.assertRaises(RpcError) as caught:
            list(call.messages())
        self.assertEqual(caught.exception.code, StatusCode.INVALID_ARGUMENT)
        self.assertFalse(caught.exception.local)

    def test_deadlines(self) -> None:
        ioc = self.ioc()
        # Expired on arrival: answered at once without running the handler.
        with self.assertRaises(RpcError) as caught:
            ioc.call("CaseService.ListCases", {}, timeout=0)
        self.assertEqual(caught.exception.code, StatusCode.DEADLINE_EXCEEDED)
        # A stream that never ends by itself: the deadline ends it.
        stream = ioc.stream("JournalService.WatchEvents", {"sinceMs": int(time.time() * 1000), "heartbeatIntervalMs": 60000}, timeout=0.5)
        with self.assertRaises(RpcError) as caught:
            for _ in stream:
                pass
        self.assertEqual(caught.exception.code, StatusCode.DEADLINE_EXCEEDED)
        self.assertEqual(ioc.health(), "SERVING_STATUS_SERVING")

    def test_concurrent_calls_share_one_connection(self) -> None:
        ioc = self.ioc()
        connection = ioc.connection()
        platform = self.platform()
        futures = [platform.call_async("CaseService.SubmitReport", new_report(f"Báo cáo song song {i}")) for i in range(12)]
        futures += [ioc.call_async("CaseService.ListCases", {"pageSize": 5}) for _ in range(12)]
        # A stream stays open on the IOC's connection while the unary calls complete.
        stream = ioc.stream("JournalService.WatchEvents", {"sinceMs": int(time.time() * 1000) - 60000, "heartbeatIntervalMs": 60000})
        results = [future.result(timeout=60) for future in futures]
        first = next(iter(stream))
        stream.cancel()
        self.assertTrue(first["cursor"])
        codes = {r["caseSummary"]["reportCode"] for r in results[:12]}
        self.assertEqual(len(codes), 12)
        self.assertTrue(all("cases" in r for r in results[12:]))
        self.assertIs(ioc.connection(), connection)
        self.assertGreaterEqual(connection._next_id, 14)

    def test_cancel_ends_a_stream_locally(self) -> None:
        ioc = self.ioc()
        stream = ioc.stream("JournalService.WatchEvents", {"sinceMs": int(time.time() * 1000), "heartbeatIntervalMs": 60000})
        threading.Timer(0.3, stream.cancel).start()
        with self.assertRaises(RpcError) as caught:
            for _ in stream:
                pass
        self.assertEqual(caught.exception.code, StatusCode.CANCELLED)
        self.assertTrue(caught.exception.local)
        self.assertEqual(ioc.health(), "SERVING_STATUS_SERVING")

    def test_wrong_magic_is_closed_without_an_answer(self) -> None:
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=10) as raw:
            raw.sendall(b"GET / HTTP/1.1\r\n\r\n")
            self.assertEqual(raw.recv(100), b"")


@unittest.skipUnless(os.path.exists(SERVER_BIN), f"no server binary at {SERVER_BIN}")
class GoAwayTests(unittest.TestCase):
    def test_shutdown_sends_goaway_and_drains(self) -> None:
        # A short grace period: the open WatchEvents stream would otherwise hold the drain 30 s.
        server = ServerProcess("--drain-seconds", "2")
        self.addCleanup(server.stop)
        client = Client("127.0.0.1", server.port, default_timeout=15)
        self.addCleanup(client.close)
        client.login(IOC_OPERATOR, PASSWORD)
        connection = client.connection()
        stream = client.stream("JournalService.WatchEvents", {"sinceMs": int(time.time() * 1000), "heartbeatIntervalMs": 60000})
        self.assertEqual(client.health(), "SERVING_STATUS_SERVING")
        server.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 20
        while connection.goaway is None and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertIsNotNone(connection.goaway, "no GOAWAY after SIGTERM")
        self.assertEqual(connection.goaway["code"], "GO_AWAY_CODE_NO_ERROR")
        self.assertGreaterEqual(connection.goaway["lastCallId"], 2)
        self.assertFalse(connection.usable)
        # The open stream was accepted before the GOAWAY: it ends (UNAVAILABLE or a closed
        # connection when the grace period runs out), never hangs.
        with self.assertRaises(RpcError) as caught:
            for _ in stream:
                pass
        self.assertIn(caught.exception.code, (StatusCode.UNAVAILABLE, StatusCode.CANCELLED))
        server.process.wait(timeout=30)


if __name__ == "__main__":
    unittest.main()


def _openssl(directory: str, *arguments: str) -> None:
    subprocess.run(["openssl", *arguments], cwd=directory, check=True, capture_output=True)


def make_pki(directory: str) -> None:
    """A CA signing a server certificate (localhost, 127.0.0.1) and a client certificate."""
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    _openssl(directory, "req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "30", "-subj", "/CN=py-ca")
    for name, subject in (("server", "localhost"), ("client", "py-client")):
        _openssl(directory, "req", *ec, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={subject}")
        with open(os.path.join(directory, f"{name}.ext"), "w") as ext:
            ext.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
        _openssl(
            directory, "x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", f"{name}.pem", "-days", "30", "-extfile", f"{name}.ext",
        )  # fmt: skip


@unittest.skipUnless(os.path.exists(SERVER_BIN) and shutil.which("openssl"), f"no server binary at {SERVER_BIN} or no openssl")
class TLSTests(unittest.TestCase):
    def test_mutual_tls_calls(self) -> None:
        pki = tempfile.mkdtemp(prefix="fieldreport-pypki-")
        self.addCleanup(shutil.rmtree, pki, True)
        make_pki(pki)
        tls = {
            "ca": os.path.join(pki, "ca.pem"),
            "cert": os.path.join(pki, "client.pem"),
            "key": os.path.join(pki, "client.key"),
        }
        server = ServerProcess(
            "--tls-cert", os.path.join(pki, "server.pem"), "--tls-key", os.path.join(pki, "server.key"),
            "--tls-client-ca", os.path.join(pki, "ca.pem"), client_options=tls,
        )  # fmt: skip
        self.addCleanup(server.stop)
        with Client("127.0.0.1", server.port, default_timeout=15, **tls) as client:
            client.login(IOC_OPERATOR, PASSWORD)
            me = client.call("IdentityService.WhoAmI", {})
            self.assertEqual(me["user"]["username"], IOC_OPERATOR)
            # Many calls at once on the one TLS connection: the reader and the writers share it.
            results = [client.call_async("CaseService.ListCategories", {}) for _ in range(20)]
            for result in results:
                self.assertTrue(result.result(timeout=15)["categories"])
        # Without a client certificate the mutual-TLS server refuses the handshake.
        with self.assertRaises((OSError, ssl.SSLError, ConnectionError, RpcError)):
            with Client("127.0.0.1", server.port, default_timeout=5, ca=tls["ca"]) as bare:
                bare.health()
