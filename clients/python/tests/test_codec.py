"""The dynamic codec against protoc (when installed) and on hand-checked encodings."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from fieldreport_client.protobuf import CodecError, DescriptorPool  # noqa: E402
from fieldreport_client.rpc_schema import rpc_pool  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
PROTOC = shutil.which("protoc")


class HandCheckedTests(unittest.TestCase):
    def setUp(self) -> None:
        self.pool = rpc_pool()

    def test_oneof_member_at_default_is_still_sent(self) -> None:
        # timeout_us is in a oneof: 0 is "expired", not "absent".
        encoded = self.pool.encode("rpc.v1.CallHeaders", {"methodPath": "/a/b", "timeoutUs": 0})
        self.assertEqual(encoded, b"\x0a\x04/a/b\x10\x00")
        self.assertEqual(self.pool.decode("rpc.v1.CallHeaders", encoded)["timeoutUs"], 0)
        self.assertNotIn("timeoutUs", self.pool.decode("rpc.v1.CallHeaders", b"\x0a\x04/a/b"))

    def test_negative_int64_is_ten_bytes(self) -> None:
        encoded = self.pool.encode("rpc.v1.RetryInfo", {"retryDelayMs": -1})
        self.assertEqual(encoded, b"\x08" + b"\xff" * 9 + b"\x01")
        self.assertEqual(self.pool.decode("rpc.v1.RetryInfo", encoded), {"retryDelayMs": -1})

    def test_snake_case_names_and_enum_numbers_are_accepted(self) -> None:
        a = self.pool.encode("rpc.v1.GoAway", {"last_call_id": 3, "code": 1})
        b = self.pool.encode("rpc.v1.GoAway", {"lastCallId": 3, "code": "GO_AWAY_CODE_PROTOCOL_ERROR"})
        self.assertEqual(a, b)

    def test_unknown_fields_are_skipped_and_unknown_enums_kept(self) -> None:
        # field 9 (varint 5), field 10 (length 2), then code = 99
        decoded = self.pool.decode("rpc.v1.GoAway", b"\x48\x05\x52\x02hi\x10\x63")
        self.assertEqual(decoded["code"], 99)

    def test_last_oneof_member_wins(self) -> None:
        decoded = self.pool.decode("rpc.v1.MetadataEntry", b"\x0a\x01k\x12\x01t\x1a\x01b")
        self.assertEqual(decoded, {"key": "k", "binary": b"b"})

    def test_errors_name_the_field(self) -> None:
        cases = [
            ({"maxFrameSize": -1}, "maxFrameSize"),
            ({"maxFrameSize": 2**32}, "maxFrameSize"),
            ({"implementation": 5}, "implementation"),
            ({"nope": 1}, "nope"),
        ]
        for value, field in cases:
            with self.subTest(value=value):
                with self.assertRaises(CodecError) as caught:
                    self.pool.encode("rpc.v1.Settings", value)
                self.assertIn(field, caught.exception.path)
        with self.assertRaises(CodecError):
            self.pool.encode("rpc.v1.MetadataEntry", {"key": "k", "text": "a", "binary": b"b"})

    def test_malformed_input_is_an_error_not_a_crash(self) -> None:
        for data in (b"\x0a\x05ab", b"\x08", b"\x08" + b"\xff" * 11, b"\x0a\x02\xff\xfe", b"\x0f"):
            with self.subTest(data=data):
                with self.assertRaises(CodecError):
                    self.pool.decode("rpc.v1.Settings", data)


@unittest.skipUnless(PROTOC, "protoc not installed")
class ProtocInteropTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.tmp = tempfile.mkdtemp()
        out = os.path.join(cls.tmp, "set.pb")
        protos = sorted(glob.glob(os.path.join(REPO, "proto", "fieldreport", "v1", "*.proto")))
        subprocess.run(
            [PROTOC, f"--proto_path={os.path.join(REPO, 'proto')}", "--include_imports", f"--descriptor_set_out={out}", *protos],
            check=True,
        )
        with open(out, "rb") as handle:
            cls.pool = DescriptorPool.from_file_descriptor_set(handle.read())

    @classmethod
    def tearDownClass(cls) -> None:
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def protoc(self, mode: str, type_name: str, data: bytes) -> bytes:
        protos = [os.path.relpath(p, os.path.join(REPO, "proto")) for p in glob.glob(os.path.join(REPO, "proto", "fieldreport", "v1", "*.proto"))]
        result = subprocess.run(
            [PROTOC, f"--proto_path={os.path.join(REPO, 'proto')}", f"--{mode}={type_name}", *protos],
            input=data, capture_output=True, check=True,
        )
        return result.stdout

    def test_both_directions_agree_with_protoc(self) -> None:
        request = {
            "idempotencyKey": "k-1",
            "title": "Cây đổ chắn đường",
            "content": "Cần xử lý gấp",
            "categoryId": "GIAO-THONG",
            "location": {"latitude": 18.34, "longitude": -105.9},
            "reportedAtMs": 1772780000000,
            "reporterAllowsPublic": True,
            "reporter": {"fullName": "Lê Thị Hoa", "phone": "0900000000"},
            "attachmentIds": ["a1", "a2"],
        }
        ours = self.pool.encode("fieldreport.v1.SubmitReportRequest", request)
        text = self.protoc("decode", "fieldreport.v1.SubmitReportRequest", ours).decode("utf-8")
        self.assertIn("reported_at_ms: 1772780000000", text)
        self.assertIn('attachment_ids: "a2"', text)
        theirs = self.protoc("encode", "fieldreport.v1.SubmitReportRequest", text.encode("utf-8"))
        self.assertEqual(theirs, ours)
        decoded = self.pool.decode("fieldreport.v1.SubmitReportRequest", theirs)
        for key, value in request.items():
            if isinstance(value, dict):  # decoding also yields the defaults of unset fields
                self.assertEqual({k: decoded[key][k] for k in value}, value, key)
            else:
                self.assertEqual(decoded[key], value, key)
        self.assertEqual(decoded["reporter"]["email"], "")

    def test_repeated_enums_are_packed_like_protoc(self) -> None:
        request = {"states": ["CASE_STATE_RECEIVED", "CASE_STATE_AT_UNIT"], "pageSize": -3}
        ours = self.pool.encode("fieldreport.v1.ListCasesRequest", request)
        text = self.protoc("decode", "fieldreport.v1.ListCasesRequest", ours)
        self.assertEqual(self.protoc("encode", "fieldreport.v1.ListCasesRequest", text), ours)
        self.assertEqual(self.pool.decode("fieldreport.v1.ListCasesRequest", ours)["states"], request["states"])


if __name__ == "__main__":
    unittest.main()
