#!/usr/bin/env python3
"""Checks the .proto contract under proto/ against the project's rules.

Fails (exit 1, one line per problem) when:
- a service, rpc, message, field, oneof, enum or enum value lacks a leading `//` comment;
- a message or enum is nested, a field is a map or uses proto3 `optional`;
- a file imports google/protobuf/* (protobuf-c 1.4.1 and our Swift generator support
  neither well-known types nor proto3 `optional`);
- an enum value lacks the enum's prefix, or (in the fieldreport contract) an enum's zero value is
  not `<ENUM_NAME>_UNSPECIFIED`;
- (in the fieldreport contract) a method's messages are not `<Method>Request` /
  `<Method>Response` defined for it alone;
- a field name is not snake_case or is a C/Swift keyword or a likely macro name.

Reads protoc's FileDescriptorSet with a small protobuf wire decoder, so it needs only
python3 and protoc. Usage: scripts/check_proto_comments.py [proto_root]   (default: proto)
"""

import glob
import os
import re
import subprocess
import sys
import tempfile

# Names that must never be field names: C and Swift keywords, macros of common C headers,
# and names that collide with protobuf-c struct members or Swift protocol requirements.
FORBIDDEN_FIELD_NAMES = set("""
case default switch type class struct enum protocol extension func var let in is as do if
else for while repeat return break continue fallthrough self super init deinit operator
where static public internal private fileprivate open register signed unsigned char int
long short float double void auto const volatile union typedef sizeof goto extern inline
restrict errno unix linux major minor null nil true false try catch throw throws rethrows
defer guard import subscript associatedtype some any description debug_description
hash_value base descriptor assert bool new delete
""".split())


def read_varint(buf, pos):
    result = 0
    shift = 0
    while True:
        if pos >= len(buf):
            raise ValueError("truncated varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7


def parse(buf):
    """Decodes one message level into {field_number: [raw values]}."""
    fields = {}
    pos = 0
    while pos < len(buf):
        key, pos = read_varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = read_varint(buf, pos)
        elif wire == 1:
            value, pos = buf[pos:pos + 8], pos + 8
        elif wire == 2:
            length, pos = read_varint(buf, pos)
            value, pos = buf[pos:pos + length], pos + length
        elif wire == 5:
            value, pos = buf[pos:pos + 4], pos + 4
        else:
            raise ValueError("unsupported wire type %d" % wire)
        fields.setdefault(number, []).append(value)
    return fields


def text(fields, number):
    values = fields.get(number)
    return values[0].decode("utf-8") if values else ""


def varint(fields, number, default=0):
    values = fields.get(number)
    return values[0] if values else default


def packed_ints(values):
    out = []
    for v in values:
        if isinstance(v, int):
            out.append(v)
        else:
            pos = 0
            while pos < len(v):
                x, pos = read_varint(v, pos)
                out.append(x)
    return out


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "proto"
    files = sorted(glob.glob(os.path.join(root, "**", "*.proto"), recursive=True))
    if not files:
        print("no .proto files under %s" % root)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "fd.pb")
        subprocess.run(
            ["protoc", "-I", root, "--include_source_info", "--descriptor_set_out=" + out] + files,
            check=True,
        )
        with open(out, "rb") as f:
            data = f.read()

    problems = []
    for raw_file in parse(data).get(1, []):
        fd = parse(raw_file)
        fname = text(fd, 1)
        # The API-shape rules (UNSPECIFIED zero values, one Request/Response per method) are
        # the fieldreport contract's. The runtime's own packages mirror gRPC's (StatusCode OK = 0,
        # grpc.health.v1's message names, the interop test service) and keep only the rest.
        contract = fname.startswith("fieldreport/")
        for dep in fd.get(3, []):
            if dep.decode().startswith("google/protobuf/"):
                problems.append("%s: imports %s" % (fname, dep.decode()))
        commented = set()
        for raw_loc in parse(fd[9][0]).get(1, []) if 9 in fd else []:
            loc = parse(raw_loc)
            if loc.get(3) and loc[3][0].decode().strip():
                commented.add(tuple(packed_ints(loc.get(1, []))))

        def need(path, what):
            if tuple(path) not in commented:
                problems.append("%s: %s has no leading comment" % (fname, what))

        messages = {}
        for i, raw_msg in enumerate(fd.get(4, [])):
            msg = parse(raw_msg)
            mname = text(msg, 1)
            messages[mname] = msg
            need([4, i], "message " + mname)
            if msg.get(3) or msg.get(4):
                problems.append("%s: message %s declares nested types" % (fname, mname))
            for k, raw_oneof in enumerate(msg.get(8, [])):
                need([4, i, 8, k], "oneof %s.%s" % (mname, text(parse(raw_oneof), 1)))
            for j, raw_field in enumerate(msg.get(2, [])):
                fld = parse(raw_field)
                name = text(fld, 1)
                need([4, i, 2, j], "field %s.%s" % (mname, name))
                if varint(fld, 17):
                    problems.append("%s: %s.%s uses proto3 optional" % (fname, mname, name))
                if not re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", name):
                    problems.append("%s: %s.%s is not snake_case" % (fname, mname, name))
                if name in FORBIDDEN_FIELD_NAMES or name.startswith("n_"):
                    problems.append("%s: %s.%s is a forbidden name" % (fname, mname, name))

        for i, raw_enum in enumerate(fd.get(5, [])):
            enum = parse(raw_enum)
            ename = text(enum, 1)
            need([5, i], "enum " + ename)
            prefix = re.sub(r"(?<!^)(?=[A-Z])", "_", ename).upper() + "_"
            for j, raw_value in enumerate(enum.get(2, [])):
                value = parse(raw_value)
                vname = text(value, 1)
                need([5, i, 2, j], "enum value " + vname)
                if not vname.startswith(prefix):
                    problems.append("%s: %s lacks the prefix %s" % (fname, vname, prefix))
                if contract and varint(value, 2) == 0 and vname != prefix + "UNSPECIFIED":
                    problems.append("%s: zero value of %s must be %sUNSPECIFIED"
                                    % (fname, ename, prefix))

        used = {}
        for i, raw_svc in enumerate(fd.get(6, [])):
            svc = parse(raw_svc)
            sname = text(svc, 1)
            need([6, i], "service " + sname)
            for j, raw_method in enumerate(svc.get(2, [])):
                method = parse(raw_method)
                mname = text(method, 1)
                need([6, i, 2, j], "rpc %s.%s" % (sname, mname))
                for number, suffix in ((2, "Request"), (3, "Response")) if contract else ():
                    type_name = text(method, number).rsplit(".", 1)[-1]
                    if type_name != mname + suffix:
                        problems.append("%s: rpc %s uses %s, not %s%s"
                                        % (fname, mname, type_name, mname, suffix))
                    if type_name in used:
                        problems.append("%s: %s used by %s and %s"
                                        % (fname, type_name, used[type_name], mname))
                    used[type_name] = mname

    for p in problems:
        print(p)
    if problems:
        print("check_proto_comments: %d problem(s)" % len(problems))
        return 1
    print("check_proto_comments: %d file(s) OK" % len(files))
    return 0


if __name__ == "__main__":
    sys.exit(main())
