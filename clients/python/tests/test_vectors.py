"""The example frames of docs/PROTOCOL.md §6, reproduced from the document alone (no server)."""

from __future__ import annotations

import os
import re
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from fieldreport_client.frames import FLAG_END_STREAM, FrameHeader, FrameType, encode_frame, encode_preface  # noqa: E402
from fieldreport_client.rpc_schema import rpc_pool  # noqa: E402
from fieldreport_client.status import RpcError, StatusCode  # noqa: E402

PROTOCOL_MD = os.path.join(os.path.dirname(__file__), "..", "..", "..", "docs", "PROTOCOL.md")


def vectors() -> dict[str, bytes]:
    """Every `#### name` + fenced hex block of §6."""
    with open(PROTOCOL_MD, encoding="utf-8") as handle:
        text = handle.read()
    out = {}
    for name, block in re.findall(r"^#### (.+?)\n\n```\n(.*?)```", text, flags=re.S | re.M):
        out[name.strip()] = bytes.fromhex(block.replace("\n", " "))
    return out


class ProtocolVectorTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.v = vectors()
        cls.pool = rpc_pool()

    def test_document_has_the_vectors(self) -> None:
        self.assertGreaterEqual(len(self.v), 10, sorted(self.v))

    def test_client_preface(self) -> None:
        settings = self.pool.encode("rpc.v1.Settings", {"maxFrameSize": 4194304, "maxMetadataSize": 16384})
        self.assertEqual(encode_preface(1, 1, settings), self.v["client preface"])

    def test_server_preface_decodes(self) -> None:
        raw = self.v["server preface"]
        self.assertEqual(raw[8:12], b"\x00\x01\x00\x00")
        settings = self.pool.decode("rpc.v1.Settings", raw[16:])
        self.assertEqual(settings["maxFrameSize"], 4194304)
        self.assertEqual(settings["maxConcurrentCalls"], 1024)
        self.assertEqual(settings["maxMetadataSize"], 16384)

    def test_headers(self) -> None:
        payload = self.pool.encode(
            "rpc.v1.CallHeaders",
            {"methodPath": "/rpc.v1.Health/Check", "timeoutUs": 1_000_000,
             "metadata": [{"key": "authorization", "text": "Bearer t0k"}]},
        )
        self.assertEqual(encode_frame(FrameType.HEADERS, 1, payload), self.v["HEADERS, call 1"])

    def test_request_and_response_messages(self) -> None:
        request = self.pool.encode("rpc.v1.HealthCheckRequest", {"service": "rpc.v1.Health"})
        self.assertEqual(encode_frame(FrameType.MESSAGE, 1, request, FLAG_END_STREAM), self.v["MESSAGE (request), call 1"])
        raw = self.v["MESSAGE (response), call 1"]
        header = FrameHeader.decode(raw[:12])
        self.assertEqual((header.type, header.call_id, header.length), (FrameType.MESSAGE, 1, 2))
        self.assertEqual(self.pool.decode("rpc.v1.HealthCheckResponse", raw[12:]), {"status": "SERVING_STATUS_SERVING"})

    def test_status_ok_is_empty(self) -> None:
        self.assertEqual(encode_frame(FrameType.STATUS, 1), self.v["STATUS OK, call 1"])
        self.assertEqual(self.pool.decode("rpc.v1.Status", b"")["code"], "STATUS_CODE_OK")

    def test_status_with_field_violation(self) -> None:
        raw = self.v["STATUS INVALID_ARGUMENT with a field violation, call 3"]
        header = FrameHeader.decode(raw[:12])
        self.assertEqual((header.type, header.call_id), (FrameType.STATUS, 3))
        status = self.pool.decode("rpc.v1.Status", raw[12:])
        error = RpcError(StatusCode.from_wire(status["code"]), status["message"], status["details"])
        self.assertEqual(error.code, StatusCode.INVALID_ARGUMENT)
        self.assertEqual(error.message, "Tiêu đề trống")
        self.assertEqual([(v.field, v.explanation) for v in error.field_violations], [("title", "empty")])
        self.assertEqual(encode_frame(FrameType.STATUS, 3, self.pool.encode("rpc.v1.Status", status)), raw)

    def test_cancel_ping_goaway(self) -> None:
        self.assertEqual(encode_frame(FrameType.CANCEL, 5), self.v["CANCEL, call 5"])
        self.assertEqual(encode_frame(FrameType.PING, 0, (42).to_bytes(8, "big")), self.v["PING"])
        goaway = self.pool.encode("rpc.v1.GoAway", {"lastCallId": 7, "reason": "draining"})
        self.assertEqual(encode_frame(FrameType.GOAWAY, 0, goaway), self.v["GOAWAY, last call 7"])


if __name__ == "__main__":
    unittest.main()
