#!/usr/bin/env python3
"""Generates the Swift wire bridge (module WireBridge) from protoc's descriptor set.

Input: a FileDescriptorSet written by `protoc-c --descriptor_set_out=F --include_imports
--include_source_info`. Output: one Swift file per .proto file plus `DescriptorSet.swift`
(the set itself, for reflection), and the test fixtures module's sources.

The descriptor set is decoded here with a minimal protobuf wire-format reader (a few dozen
lines, no third-party package), so generation needs nothing beyond python3 and protoc-c.

Supported proto3 subset (anything else is rejected with a clear message):
  top-level messages and enums only (no nested declarations), scalar/string/bytes/enum/message
  fields, `repeated`, `oneof` (a one-field oneof becomes a plain Swift optional), services.
Not supported: proto2, `optional` (protobuf-c 1.4.1 rejects it anyway), maps, groups, nesting.
"""

import base64
import os
import re
import sys

# ---------------------------------------------------------------------------------------
# Minimal protobuf wire-format reader.


def read_varint(buf, pos):
    result = 0
    shift = 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7


def fields_of(buf):
    """Yields (field_number, wire_type, value) for every field in a message's bytes."""
    pos = 0
    end = len(buf)
    while pos < end:
        key, pos = read_varint(buf, pos)
        num, wt = key >> 3, key & 7
        if wt == 0:
            val, pos = read_varint(buf, pos)
        elif wt == 1:
            val = buf[pos:pos + 8]
            pos += 8
        elif wt == 2:
            ln, pos = read_varint(buf, pos)
            val = buf[pos:pos + ln]
            pos += ln
        elif wt == 5:
            val = buf[pos:pos + 4]
            pos += 4
        else:
            raise ValueError("unsupported wire type %d" % wt)
        yield num, wt, val


ENUM_VALUE = {1: ('name', 'str', False), 2: ('number', 'int', False)}
ENUM = {1: ('name', 'str', False), 2: ('value', ENUM_VALUE, True)}
FIELD = {1: ('name', 'str', False), 3: ('number', 'int', False), 4: ('label', 'int', False),
         5: ('type', 'int', False), 6: ('type_name', 'str', False),
         9: ('oneof_index', 'int', False), 17: ('proto3_optional', 'bool', False)}
ONEOF = {1: ('name', 'str', False)}
MESSAGE = {1: ('name', 'str', False), 2: ('field', FIELD, True), 3: ('nested_type', 'int', True),
           4: ('enum_type', 'int', True), 8: ('oneof_decl', ONEOF, True), 7: ('options', 'int', False)}
METHOD = {1: ('name', 'str', False), 2: ('input_type', 'str', False), 3: ('output_type', 'str', False),
          5: ('client_streaming', 'bool', False), 6: ('server_streaming', 'bool', False)}
SERVICE = {1: ('name', 'str', False), 2: ('method', METHOD, True)}
LOCATION = {1: ('path', 'packed', True), 3: ('leading_comments', 'str', False),
            4: ('trailing_comments', 'str', False)}
SOURCE_INFO = {1: ('location', LOCATION, True)}
FILE = {1: ('name', 'str', False), 2: ('package', 'str', False), 3: ('dependency', 'str', True),
        4: ('message_type', MESSAGE, True), 5: ('enum_type', ENUM, True),
        6: ('service', SERVICE, True), 9: ('source_code_info', SOURCE_INFO, False),
        12: ('syntax', 'str', False)}
FILE_SET = {1: ('file', FILE, True)}

def parse(buf, schema):
    """Decodes `buf` by `schema`: {num: (name, kind, repeated)}; kind is 'str', 'int' (a
    varint, or the raw bytes of a length-delimited field), 'bool', 'packed' or a nested schema."""
    out = {}
    for name, kind, rep in schema.values():
        out[name] = [] if rep else None
    for num, wt, val in fields_of(buf):
        if num not in schema:
            continue
        name, kind, rep = schema[num]
        if kind == 'str':
            v = bytes(val).decode('utf-8')
        elif kind == 'int':
            v = val if wt != 2 else bytes(val)
        elif kind == 'bool':
            v = bool(val)
        elif kind == 'packed':
            if wt == 2:
                p = 0
                while p < len(val):
                    x, p = read_varint(val, p)
                    out[name].append(x)
                continue
            v = val
        else:
            v = parse(val, kind)
        if rep:
            out[name].append(v)
        else:
            out[name] = v
    return out


# ---------------------------------------------------------------------------------------
# Names.

SWIFT_KEYWORDS = {
    'associatedtype', 'class', 'deinit', 'enum', 'extension', 'fileprivate', 'func', 'import',
    'init', 'inout', 'internal', 'let', 'open', 'operator', 'private', 'precedencegroup',
    'protocol', 'public', 'rethrows', 'static', 'struct', 'subscript', 'typealias', 'var',
    'break', 'case', 'catch', 'continue', 'default', 'defer', 'do', 'else', 'fallthrough',
    'for', 'guard', 'if', 'in', 'repeat', 'return', 'throw', 'switch', 'where', 'while', 'as',
    'false', 'is', 'nil', 'self', 'Self', 'super', 'throws', 'true', 'try', 'Type', 'Protocol',
    'any', 'some', 'await', 'async', 'consume', 'copy', 'borrowing', 'consuming', 'package',
}
# Names our generated code uses itself inside message types.
RESERVED_MEMBERS = {'protoFullName', 'serializedBytes', 'withSerializedBytes', 'serialize', 'cType'}


def camel_to_lower(name):
    """protobuf-c's CamelToLower: an underscore before each upper-case letter that follows a
    non-upper-case one: 'CaseInfo' -> 'case_info', 'WhoAmIRequest' -> 'who_am_irequest'."""
    out = ''
    was_upper = True
    for ch in name:
        is_upper = 'A' <= ch <= 'Z'
        if is_upper:
            if not was_upper:
                out += '_'
            out += ch.lower()
        else:
            out += ch
        was_upper = is_upper
    return out


def c_type_name(full_name):
    """'fieldreport.v1.CaseInfo' -> 'Fieldreport__V1__CaseInfo' (protobuf-c's FullNameToC)."""
    parts = full_name.split('.')
    return '__'.join(p[0].upper() + p[1:] for p in parts)


def c_func_prefix(full_name):
    """'fieldreport.v1.CaseInfo' -> 'fieldreport__v1__case_info' (protobuf-c's FullNameToLower)."""
    parts = full_name.split('.')
    return '__'.join(camel_to_lower(p) for p in parts)


def swift_type_name(full_name):
    """'fieldreport.v1.CaseInfo' -> 'Fieldreport_V1_CaseInfo'."""
    parts = full_name.split('.')
    pkg = [p[0].upper() + p[1:] for p in parts[:-1]]
    return '_'.join(pkg + [parts[-1]])


def lower_camel(snake):
    parts = [p for p in snake.split('_') if p != '']
    if not parts:
        return '_'
    out = parts[0].lower() if parts[0].isupper() else parts[0][0].lower() + parts[0][1:]
    for p in parts[1:]:
        out += p[0].upper() + p[1:].lower() if p.isupper() else p[0].upper() + p[1:]
    return out


def upper_camel(snake):
    s = lower_camel(snake)
    return s[0].upper() + s[1:]


def swift_ident(name):
    if name in SWIFT_KEYWORDS:
        return '`%s`' % name
    return name


def enum_case_name(enum_name, value_name):
    prefix = re.sub(r'(?<!^)(?=[A-Z])', '_', enum_name).upper() + '_'
    v = value_name
    if v.startswith(prefix):
        v = v[len(prefix):]
    name = lower_camel(v.lower())
    if name[0].isdigit():
        name = '_' + name
    if name == 'unrecognized':
        raise SystemExit('enum %s: value name %s collides with .unrecognized' % (enum_name, value_name))
    return swift_ident(name)


# ---------------------------------------------------------------------------------------
# Model.

T_DOUBLE, T_FLOAT, T_INT64, T_UINT64, T_INT32, T_FIXED64, T_FIXED32, T_BOOL, T_STRING, \
    T_GROUP, T_MESSAGE, T_BYTES, T_UINT32, T_ENUM, T_SFIXED32, T_SFIXED64, T_SINT32, T_SINT64 = range(1, 19)

SWIFT_SCALAR = {
    T_DOUBLE: 'Double', T_FLOAT: 'Float', T_INT64: 'Int64', T_UINT64: 'UInt64', T_INT32: 'Int32',
    T_FIXED64: 'UInt64', T_FIXED32: 'UInt32', T_BOOL: 'Bool', T_STRING: 'String',
    T_BYTES: '[UInt8]', T_UINT32: 'UInt32', T_SFIXED32: 'Int32', T_SFIXED64: 'Int64',
    T_SINT32: 'Int32', T_SINT64: 'Int64',
}
NUMERIC = {T_DOUBLE, T_FLOAT, T_INT64, T_UINT64, T_INT32, T_FIXED64, T_FIXED32, T_UINT32,
           T_SFIXED32, T_SFIXED64, T_SINT32, T_SINT64}


class Ctx:
    def __init__(self, files):
        self.files = files
        self.enums = {}     # full name -> (file, enum)
        self._recursive = None
        self.messages = {}  # full name -> (file, message)
        for f in files:
            pkg = f['package'] or ''
            for e in f['enum_type']:
                self.enums['.' + pkg + '.' + e['name']] = (f, e)
            for m in f['message_type']:
                self.messages['.' + pkg + '.' + m['name']] = (f, m)


def may_recurse(ctx, full):
    """Whether message `full` ('.pkg.Name') can reach a cycle of message fields, so that
    its encodings can nest without bound."""
    edges = {n: [fld['type_name'] for fld in m['field'] if fld['type'] == T_MESSAGE]
             for n, (_, m) in ctx.messages.items()}

    def reaches(start, target):
        seen, stack = set(), list(edges.get(start, []))
        while stack:
            n = stack.pop()
            if n == target:
                return True
            if n not in seen:
                seen.add(n)
                stack.extend(edges.get(n, []))
        return False

    seen, stack = set(), [full]
    while stack:
        n = stack.pop()
        if n in seen:
            continue
        seen.add(n)
        if reaches(n, n):
            return True
        stack.extend(edges.get(n, []))
    return False


def singular_reaches(ctx, start, target):
    """Whether message `start` contains `target` through singular (non-repeated) message
    fields, i.e. whether a stored property of type `start` inside `target` makes the struct
    infinitely large, so it must be boxed."""
    seen, stack = set(), [start]
    while stack:
        n = stack.pop()
        if n == target:
            return True
        if n in seen or n not in ctx.messages:
            continue
        seen.add(n)
        _, m = ctx.messages[n]
        stack.extend(fld['type_name'] for fld in m['field']
                     if fld['type'] == T_MESSAGE and fld['label'] != 3)
    return False


def comments_for(f, path):
    info = f['source_code_info']
    if not info:
        return None
    for loc in info['location']:
        if loc['path'] == path:
            c = loc['leading_comments'] or loc['trailing_comments']
            return c
    return None


def doc(comment, indent):
    if not comment:
        return ''
    lines = comment.rstrip('\n').split('\n')
    # strip the single leading space protoc keeps after `//`
    lines = [l[1:] if l.startswith(' ') else l for l in lines]
    while lines and not lines[-1].strip():
        lines.pop()
    return ''.join('%s///%s\n' % (indent, (' ' + l) if l else '') for l in lines)


INT64_TYPES = {T_INT64, T_UINT64, T_SINT64, T_FIXED64, T_SFIXED64}


def json_type(ctx, fld, repeated):
    """The type a JSON field decodes as: bytes via base64, 64-bit integers from a number or
    a string (proto3 JSON writes them as strings)."""
    t = field_swift_type(ctx, fld)
    if fld['type'] == T_BYTES:
        t = '_Base64'
    elif fld['type'] in INT64_TYPES:
        t = '_JSONInt64<%s>' % t
    return ('[%s].self' % t) if repeated else ('%s.self' % t)


def json_wrap(fld, expr, repeated):
    if fld['type'] == T_BYTES:
        return ('%s.map(_Base64.init)' % expr) if repeated else ('_Base64(%s)' % expr)
    return expr


def json_unwrap(fld, expr, repeated):
    if fld['type'] == T_BYTES:
        return ('%s.map(\\.bytes)' % expr) if repeated else ('%s.bytes' % expr)
    if fld['type'] in INT64_TYPES:
        return ('%s.map(\\.value)' % expr) if repeated else ('%s.value' % expr)
    return expr


def non_default(fld, pid):
    t = fld['type']
    if t == T_STRING or t == T_BYTES:
        return '!%s.isEmpty' % pid
    if t == T_BOOL:
        return pid
    if t == T_ENUM:
        return '%s.rawValue != 0' % pid
    return '%s != 0' % pid


def field_swift_type(ctx, fld):
    t = fld['type']
    if t == T_MESSAGE:
        return swift_type_name(fld['type_name'][1:])
    if t == T_ENUM:
        return swift_type_name(fld['type_name'][1:])
    return SWIFT_SCALAR[t]


def default_value(ctx, fld):
    t = fld['type']
    if t == T_STRING:
        return '""'
    if t == T_BYTES:
        return '[]'
    if t == T_BOOL:
        return 'false'
    if t == T_ENUM:
        return '.init(rawValue: 0)'
    return '0'


class Gen:
    def __init__(self, ctx):
        self.ctx = ctx

    # -- enums ----------------------------------------------------------------------------
    def gen_enum(self, f, idx, e):
        pkg = f['package']
        full = pkg + '.' + e['name']
        name = swift_type_name(full)
        out = doc(comments_for(f, [5, idx]), '')
        out += 'public enum %s: Hashable, Sendable, CaseIterable {\n' % name
        seen = set()
        cases = []
        for vi, v in enumerate(e['value']):
            if v['number'] in seen:
                raise SystemExit('%s: enum value aliases are not supported' % full)
            seen.add(v['number'])
            cname = enum_case_name(e['name'], v['name'])
            cases.append((cname, v['number'], v['name']))
            out += doc(comments_for(f, [5, idx, 2, vi]), '  ')
            out += '  case %s\n' % cname
        out += '  /// A value this version of the contract does not know; kept so it round-trips.\n'
        out += '  case unrecognized(Int32)\n\n'
        out += '  /// The known cases, in declaration order.\n'
        out += '  public static let allCases: [%s] = [%s]\n\n' % (name, ', '.join('.' + c[0] for c in cases))
        out += '  /// Creates the case for a wire number; unknown numbers become `.unrecognized`.\n'
        out += '  public init(rawValue: Int32) {\n    switch rawValue {\n'
        for cname, num, _ in cases:
            out += '    case %d: self = .%s\n' % (num, cname.strip('`'))
        out += '    default: self = .unrecognized(rawValue)\n    }\n  }\n\n'
        out += '  /// The wire number.\n'
        out += '  public var rawValue: Int32 {\n    switch self {\n'
        for cname, num, _ in cases:
            out += '    case .%s: return %d\n' % (cname.strip('`'), num)
        out += '    case .unrecognized(let v): return v\n    }\n  }\n\n'
        out += '  /// The value\'s name in the .proto file (`nil` for unrecognized values).\n'
        out += '  public var protoName: String? {\n    switch self {\n'
        for cname, num, pname in cases:
            out += '    case .%s: return "%s"\n' % (cname.strip('`'), pname)
        out += '    case .unrecognized: return nil\n    }\n  }\n'
        out += '}\n\n'
        out += 'extension %s: Codable {\n' % name
        out += '  /// Decodes the value\'s proto name (`"%s"`) or its number.\n' % (cases[0][2] if cases else '')
        out += '  public init(from decoder: any Decoder) throws {\n'
        out += '    let c = try decoder.singleValueContainer()\n'
        out += '    if let n = try? c.decode(Int32.self) { self.init(rawValue: n); return }\n'
        out += '    let s = try c.decode(String.self)\n'
        out += '    guard let v = Self.allCases.first(where: { $0.protoName == s }) else {\n'
        out += '      throw DecodingError.dataCorruptedError(in: c, debugDescription: "unknown %s value \\(s)")\n    }\n' % full
        out += '    self = v\n  }\n\n'
        out += '  /// Encodes the value\'s proto name, or its number when this version does not know it.\n'
        out += '  public func encode(to encoder: any Encoder) throws {\n'
        out += '    var c = encoder.singleValueContainer()\n'
        out += '    if let name = protoName { try c.encode(name) } else { try c.encode(rawValue) }\n  }\n}\n\n'
        return out

    # -- messages -------------------------------------------------------------------------
    def message_shape(self, m):
        """Splits a message's fields into plain fields and oneof groups, in declaration order."""
        groups = []
        oneofs = {}
        for fld in m['field']:
            if fld['type'] == T_GROUP:
                raise SystemExit('groups are not supported')
            if fld['proto3_optional']:
                raise SystemExit('proto3 optional is not supported (protobuf-c 1.4.1)')
            if fld['oneof_index'] is not None:
                oi = fld['oneof_index']
                if oi not in oneofs:
                    oneofs[oi] = ('oneof', oi, m['oneof_decl'][oi]['name'], [])
                    groups.append(oneofs[oi])
                oneofs[oi][3].append(fld)
            else:
                groups.append(('field', fld))
        return groups

    def gen_message(self, f, idx, m):
        ctx = self.ctx
        pkg = f['package']
        full = pkg + '.' + m['name']
        if m['nested_type'] or m['enum_type']:
            raise SystemExit('%s: nested declarations are not supported; declare them at top level' % full)
        name = swift_type_name(full)
        ctype = c_type_name(full)
        cfn = c_func_prefix(full)
        groups = self.message_shape(m)
        field_index = {id(fld): i for i, fld in enumerate(m['field'])}

        props = []   # (swift decl lines)
        nested = []  # nested oneof enums
        fill = []    # lines filling the C struct
        read = []    # lines reading the C struct
        members = set()
        jenc = []    # JSON encode lines
        jdec = []    # JSON decode lines

        def prop_name(n):
            p = lower_camel(n)
            if p in RESERVED_MEMBERS:
                p += '_'
            if p in members:
                raise SystemExit('%s: two fields map to Swift name %s' % (full, p))
            members.add(p)
            return p

        for g in groups:
            if g[0] == 'field':
                fld = g[1]
                fi = field_index[id(fld)]
                pn = prop_name(fld['name'])
                pid = swift_ident(pn)
                ft = field_swift_type(ctx, fld)
                cm = doc(comments_for(f, [4, idx, 2, fi]), '  ')
                fname = '%s.%s' % (full, fld['name'])
                cf = fld['name']
                jk = lower_camel(fld['name'])
                if fld['label'] == 3:
                    jenc.append('    if !%s.isEmpty { try c.encode(%s, forKey: "%s") }\n' % (pid, json_wrap(fld, pid, True), jk))
                    jdec.append('    if let v = try c.decodeIfPresent(%s, forKey: "%s") { self.%s = %s }\n' % (json_type(ctx, fld, True), jk, pid, json_unwrap(fld, 'v', True)))
                elif fld['type'] == T_MESSAGE:
                    jenc.append('    if let v = %s { try c.encode(v, forKey: "%s") }\n' % (pid, jk))
                    jdec.append('    if let v = try c.decodeIfPresent(%s.self, forKey: "%s") { self.%s = v }\n' % (ft, jk, pid))
                else:
                    jenc.append('    if %s { try c.encode(%s, forKey: "%s") }\n' % (non_default(fld, pid), json_wrap(fld, pid, False), jk))
                    jdec.append('    if let v = try c.decodeIfPresent(%s, forKey: "%s") { self.%s = %s }\n' % (json_type(ctx, fld, False), jk, pid, json_unwrap(fld, 'v', False)))
                if fld['label'] == 3:
                    props.append('%s  public var %s: [%s] = []\n' % (cm, pid, ft))
                    fill.append(self.fill_repeated(fld, cf, 'self.%s' % pid, fname))
                    read.append(self.read_repeated(fld, cf, pid, fname))
                elif fld['type'] == T_MESSAGE and singular_reaches(ctx, fld['type_name'], '.' + full):
                    # A struct cannot contain itself: keep the value in an immutable box.
                    props.append('%s  public var %s: %s? {\n    get { _%s?.value }\n    set { _%s = newValue.map(_Indirect.init) }\n  }\n  private var _%s: _Indirect<%s>? = nil\n'
                                 % (cm, pid, ft, pn, pn, pn, ft))
                    fill.append('    if let v = self.%s { c.pointee.%s = try v._toC(arena) }\n' % (pid, cf))
                    read.append('    if let p = c.pointee.%s { m.%s = try %s(_c: p) }\n' % (cf, pid, ft))
                elif fld['type'] == T_MESSAGE:
                    props.append('%s  public var %s: %s? = nil\n' % (cm, pid, ft))
                    fill.append('    if let v = self.%s { c.pointee.%s = try v._toC(arena) }\n' % (pid, cf))
                    read.append('    if let p = c.pointee.%s { m.%s = try %s(_c: p) }\n' % (cf, pid, ft))
                else:
                    props.append('%s  public var %s: %s = %s\n' % (cm, pid, ft, default_value(ctx, fld)))
                    fill.append(self.fill_singular(fld, 'c.pointee.%s' % cf, 'self.%s' % pid, fname, oneof=False))
                    read.append('    m.%s = %s\n' % (pid, self.read_singular(fld, 'c.pointee.%s' % cf, fname)))
            else:
                _, oi, oname, flds = g
                ocm = comments_for(f, [4, idx, 8, oi])
                case_field = '%s_case' % oname
                if len(flds) == 1:
                    fld = flds[0]
                    fi = field_index[id(fld)]
                    pn = prop_name(fld['name'])
                    pid = swift_ident(pn)
                    ft = field_swift_type(ctx, fld)
                    cm = doc(comments_for(f, [4, idx, 2, fi]) or ocm, '  ')
                    fname = '%s.%s' % (full, fld['name'])
                    if fld['type'] == T_MESSAGE and singular_reaches(ctx, fld['type_name'], '.' + full):
                        props.append('%s  public var %s: %s? {\n    get { _%s?.value }\n    set { _%s = newValue.map(_Indirect.init) }\n  }\n  private var _%s: _Indirect<%s>? = nil\n'
                                     % (cm, pid, ft, pn, pn, pn, ft))
                    else:
                        props.append('%s  public var %s: %s? = nil\n' % (cm, pid, ft))
                    jk = lower_camel(fld['name'])
                    jenc.append('    if let v = %s { try c.encode(%s, forKey: "%s") }\n' % (pid, json_wrap(fld, 'v', False), jk))
                    jdec.append('    if let v = try c.decodeIfPresent(%s, forKey: "%s") { self.%s = %s }\n' % (json_type(ctx, fld, False), jk, pid, json_unwrap(fld, 'v', False)))
                    fill.append('    if let v = self.%s {\n  %s      c.pointee.%s = .init(rawValue: %d)\n    }\n'
                                % (pid, self.fill_singular(fld, 'c.pointee.%s' % fld['name'], 'v', fname, oneof=True).replace('\n    ', '\n      '),
                                   case_field, fld['number']))
                    read.append('    if c.pointee.%s.rawValue == %d { m.%s = %s }\n'
                                % (case_field, fld['number'], pid, self.read_singular(fld, 'c.pointee.%s' % fld['name'], fname)))
                else:
                    pn = prop_name(oname)
                    pid = swift_ident(pn)
                    en = upper_camel(oname)
                    if en in ('Element', 'CType'):
                        en += '_'
                    enum = doc(ocm, '  ')
                    rec = any(fl['type'] == T_MESSAGE and singular_reaches(ctx, fl['type_name'], '.' + full) for fl in flds)
                    enum += '  public %senum %s: Hashable, Sendable {\n' % ('indirect ' if rec else '', en)
                    fcases = []
                    for fld in flds:
                        fi = field_index[id(fld)]
                        cn = swift_ident(lower_camel(fld['name']))
                        enum += doc(comments_for(f, [4, idx, 2, fi]), '    ')
                        enum += '    case %s(%s)\n' % (cn, field_swift_type(ctx, fld))
                        fcases.append((cn, fld))
                    enum += '  }\n\n'
                    nested.append(enum)
                    props.append('%s  public var %s: %s? = nil\n' % (doc(ocm, '  '), pid, en))
                    je = '    switch %s {\n    case nil: break\n' % pid
                    for cn, fld in fcases:
                        jk = lower_camel(fld['name'])
                        je += '    case .%s(let v)?: try c.encode(%s, forKey: "%s")\n' % (cn.strip('`'), json_wrap(fld, 'v', False), jk)
                        jdec.append('    if let v = try c.decodeIfPresent(%s, forKey: "%s") { self.%s = .%s(%s) }\n' % (json_type(ctx, fld, False), jk, pid, cn.strip('`'), json_unwrap(fld, 'v', False)))
                    jenc.append(je + '    }\n')
                    s = '    switch self.%s {\n    case nil: break\n' % pid
                    for cn, fld in fcases:
                        fname = '%s.%s' % (full, fld['name'])
                        s += '    case .%s(let v)?:\n  %s      c.pointee.%s = .init(rawValue: %d)\n' % (
                            cn.strip('`'),
                            self.fill_singular(fld, 'c.pointee.%s' % fld['name'], 'v', fname, oneof=True).replace('\n    ', '\n      '),
                            case_field, fld['number'])
                    s += '    }\n'
                    fill.append(s)
                    r = '    switch c.pointee.%s.rawValue {\n' % case_field
                    for cn, fld in fcases:
                        fname = '%s.%s' % (full, fld['name'])
                        r += '    case %d: m.%s = .%s(%s)\n' % (fld['number'], pid, cn.strip('`'),
                                                            self.read_singular(fld, 'c.pointee.%s' % fld['name'], fname))
                    r += '    default: break\n    }\n'
                    read.append(r)

        out = doc(comments_for(f, [4, idx]), '')
        out += 'public struct %s: WireMessage {\n' % name
        out += '  /// The message\'s full name in the .proto files.\n'
        out += '  public static let protoFullName = "%s"\n\n' % full
        out += ''.join(nested)
        out += '\n'.join(props)
        out += '\n  /// Creates a message with every field at its default.\n  public init() {}\n\n'
        out += '  /// Decodes the protobuf encoding of this message.\n'
        out += '  /// - Throws: `WireError` if the bytes are not a valid encoding.\n'
        out += '  public init(serializedBytes bytes: [UInt8]) throws {\n'
        out += '    self = try bytes.withUnsafeBytes { try _wireDecode(Self.self, $0) }\n  }\n\n'
        out += '  /// Decodes the protobuf encoding of this message.\n'
        out += '  /// - Throws: `WireError` if the bytes are not a valid encoding.\n'
        out += '  public init(serializedBytes bytes: UnsafeRawBufferPointer) throws {\n'
        out += '    self = try _wireDecode(Self.self, bytes)\n  }\n\n'
        out += '  /// Encodes this message.\n'
        out += '  /// - Throws: `WireError` if a string field holds a NUL character.\n'
        out += '  public func serializedBytes() throws -> [UInt8] { try _wireEncode(self) }\n\n'
        out += '  /// Encodes this message into a temporary buffer valid only inside `body`.\n'
        out += '  public func withSerializedBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {\n'
        out += '    try _wireWithEncoded(self, body)\n  }\n\n'
        out += '  /// Encodes this message straight into memory `write` provides for the exact size.\n'
        out += '  public func serialize(_ write: (_ size: Int, _ pack: (UnsafeMutableRawPointer) -> Int) throws -> Void) throws {\n'
        out += '    try _wireSerialize(self, write)\n  }\n'
        out += '}\n\n'

        out += 'extension %s: Codable {\n' % name
        out += '  /// Decodes the proto3 JSON form (lowerCamelCase field names; enums by name or number;\n'
        out += '  /// bytes as base64). Unknown fields are ignored.\n'
        out += '  public init(from decoder: any Decoder) throws {\n'
        if jdec:
            out += '    let c = try decoder.container(keyedBy: _JSONKey.self)\n    self.init()\n' + ''.join(jdec)
        else:
            out += '    _ = decoder\n    self.init()\n'
        out += '  }\n\n'
        out += '  /// Encodes the proto3 JSON form; fields at their default are left out.\n'
        out += '  public func encode(to encoder: any Encoder) throws {\n'
        if jenc:
            out += '    var c = encoder.container(keyedBy: _JSONKey.self)\n' + ''.join(jenc)
        else:
            out += '    _ = encoder.container(keyedBy: _JSONKey.self)\n'
        out += '  }\n}\n\n'
        out += 'extension %s: _CBridged {\n' % name
        out += '  typealias CType = %s\n' % ctype
        out += '  static let _mayRecurse = %s\n\n' % ('true' if may_recurse(ctx, '.' + full) else 'false')
        out += '  static func _cInit(_ c: UnsafeMutablePointer<CType>) { %s__init(c) }\n' % cfn
        out += '  static func _cPackedSize(_ c: UnsafePointer<CType>) -> Int { %s__get_packed_size(c) }\n' % cfn
        out += '  static func _cPack(_ c: UnsafePointer<CType>, _ out: UnsafeMutablePointer<UInt8>) -> Int { %s__pack(c, out) }\n' % cfn
        out += '  static func _cUnpack(_ allocator: UnsafeMutablePointer<ProtobufCAllocator>, _ n: Int, _ data: UnsafePointer<UInt8>) -> UnsafeMutablePointer<CType>? {\n'
        out += '    %s__unpack(allocator, n, data)\n  }\n\n' % cfn
        body_fill = ''.join(fill)
        out += '  func _fill(_ c: UnsafeMutablePointer<CType>, _ arena: Arena) throws {\n%s  }\n\n' % (body_fill or '    _ = (c, arena)\n')
        body_read = ''.join(read)
        out += '  init(_c c: UnsafePointer<CType>) throws {\n'
        if body_read:
            out += '    var m = Self()\n%s    self = m\n  }\n' % body_read
        else:
            out += '    _ = c\n    self.init()\n  }\n'
        out += '}\n\n'
        return out

    def fill_singular(self, fld, dst, src, fname, oneof):
        t = fld['type']
        if t == T_STRING:
            if oneof:
                return '    %s = try arena.string(%s, field: "%s")\n' % (dst, src, fname)
            return '    if !%s.isEmpty { %s = try arena.string(%s, field: "%s") }\n' % (src, dst, src, fname)
        if t == T_BYTES:
            if oneof:
                return '    %s = arena.bytes(%s)\n' % (dst, src)
            return '    if !%s.isEmpty { %s = arena.bytes(%s) }\n' % (src, dst, src)
        if t == T_BOOL:
            return '    %s = %s ? 1 : 0\n' % (dst, src)
        if t == T_ENUM:
            return '    %s = .init(rawValue: .init(truncatingIfNeeded: %s.rawValue))\n' % (dst, src)
        if t == T_MESSAGE:
            return '    %s = try %s._toC(arena)\n' % (dst, src)
        return '    %s = %s\n' % (dst, src)

    def read_singular(self, fld, src, fname):
        t = fld['type']
        if t == T_STRING:
            return 'try _readString(%s, field: "%s")' % (src, fname)
        if t == T_BYTES:
            return '_readBytes(%s)' % src
        if t == T_BOOL:
            return '(%s != 0)' % src
        if t == T_ENUM:
            return '%s(rawValue: Int32(truncatingIfNeeded: %s.rawValue))' % (field_swift_type(self.ctx, fld), src)
        if t == T_MESSAGE:
            # A oneof message member may be NULL only if the case is unset; still be defensive.
            return 'try _readMessage(%s.self, %s, field: "%s")' % (field_swift_type(self.ctx, fld), src, fname)
        return src

    def fill_repeated(self, fld, cf, src, fname):
        t = fld['type']
        head = '    if !%s.isEmpty {\n      let vs = %s\n      c.pointee.n_%s = vs.count\n' % (src, src, cf)
        if t == T_STRING:
            body = '      c.pointee.%s = try arena.array(vs) { try arena.string($0, field: "%s") }\n' % (cf, fname)
        elif t == T_BYTES:
            body = '      c.pointee.%s = arena.array(vs) { arena.bytes($0) }\n' % cf
        elif t == T_BOOL:
            body = '      c.pointee.%s = arena.array(vs) { $0 ? 1 : 0 }\n' % cf
        elif t == T_ENUM:
            body = '      c.pointee.%s = arena.array(vs) { .init(rawValue: .init(truncatingIfNeeded: $0.rawValue)) }\n' % cf
        elif t == T_MESSAGE:
            body = '      c.pointee.%s = try arena.array(vs) { Optional(try $0._toC(arena)) }\n' % cf
        else:
            body = '      c.pointee.%s = arena.array(vs) { $0 }\n' % cf
        return head + body + '    }\n'

    def read_repeated(self, fld, cf, pid, fname):
        t = fld['type']
        src = 'c.pointee.%s' % cf
        n = 'c.pointee.n_%s' % cf
        if t == T_STRING:
            conv = 'try _readString($0, field: "%s")' % fname
        elif t == T_BYTES:
            conv = '_readBytes($0)'
        elif t == T_BOOL:
            conv = '$0 != 0'
        elif t == T_ENUM:
            conv = '%s(rawValue: Int32(truncatingIfNeeded: $0.rawValue))' % field_swift_type(self.ctx, fld)
        elif t == T_MESSAGE:
            conv = 'try _readMessage(%s.self, $0, field: "%s")' % (field_swift_type(self.ctx, fld), fname)
        else:
            return '    m.%s = _readArray(%s, %s) { $0 }\n' % (pid, src, n)
        throwing = 'try ' if t in (T_STRING, T_MESSAGE) else ''
        return '    m.%s = %s_readArray(%s, %s) { %s }\n' % (pid, throwing, src, n, conv)

    # -- services -------------------------------------------------------------------------
    def gen_services(self, f):
        out = ''
        pkg = f['package']
        for si, s in enumerate(f['service']):
            full = pkg + '.' + s['name']
            name = swift_type_name(full)
            out += doc(comments_for(f, [6, si]), '')
            out += 'public enum %s {\n' % name
            out += '  /// The service\'s full name, as used in method paths.\n'
            out += '  public static let serviceName = "%s"\n\n' % full
            for mi, meth in enumerate(s['method']):
                if meth['client_streaming']:
                    raise SystemExit('%s.%s: client streaming is not supported' % (full, meth['name']))
                out += doc(comments_for(f, [6, si, 2, mi]), '  ')
                out += '  public enum %s: WireMethod {\n' % meth['name']
                out += '    public typealias Input = %s\n' % swift_type_name(meth['input_type'][1:])
                out += '    public typealias Output = %s\n' % swift_type_name(meth['output_type'][1:])
                out += '    public static let path = "/%s/%s"\n' % (full, meth['name'])
                out += '    public static let isServerStreaming = %s\n' % ('true' if meth['server_streaming'] else 'false')
                out += '  }\n'
            out += '\n  /// Every method of the service, for registries and reflection.\n'
            out += '  public static let methods: [WireMethodInfo] = [\n%s  ]\n' % ''.join(
                '    WireMethodInfo(%s.self),\n' % meth['name'] for meth in s['method'])
            out += '}\n\n'
        return out

    def gen_file(self, f):
        if f['syntax'] != 'proto3':
            raise SystemExit('%s: only proto3 is supported' % f['name'])
        out = '// DO NOT EDIT. Generated by scripts/bridge_gen.py from %s.\n' % f['name']
        out += '// Regenerate with scripts/generate.sh.\n\n'
        out += 'internal import CFieldReportWire\n\n'
        for i, e in enumerate(f['enum_type']):
            out += self.gen_enum(f, i, e)
        for i, m in enumerate(f['message_type']):
            out += self.gen_message(f, i, m)
        out += self.gen_services(f)
        return out.rstrip('\n') + '\n'


# ---------------------------------------------------------------------------------------
# Fixtures: a non-trivial value of every message, for round-trip and leak tests.

class FixtureGen:
    def __init__(self, ctx, gen):
        self.ctx = ctx
        self.gen = gen

    def scalar(self, fld, variant):
        t = fld['type']
        v = variant
        if t == T_STRING:
            samples = ['"Lê Đại Thắng – phản ánh tại 81 Ngô Quyền 🚧"', '""', '"Buôn bán hàng rong 🍜 Đường"',
                       '"tab\\tCR\\rLF\\n✓"']
            return samples[v % len(samples)]
        if t == T_BYTES:
            samples = ['[0, 1, 2, 255, 254, 0]', '[]', '[UInt8](repeating: 0xAB, count: 300)']
            return samples[v % len(samples)]
        if t == T_BOOL:
            return 'true' if v % 2 == 0 else 'false'
        if t == T_ENUM:
            _, e = self.ctx.enums[fld['type_name']]
            nums = [x['number'] for x in e['value'] if x['number'] != 0] or [0]
            if v % 4 == 3:
                return '.init(rawValue: 4242)'
            return '.init(rawValue: %d)' % nums[v % len(nums)]
        sw = SWIFT_SCALAR[t]
        extremes = {
            'Int64': ['.min', '.max', '-1', '1_700_000_000_000'],
            'UInt64': ['.max', '0', '1', '1 << 40'],
            'Int32': ['.min', '.max', '-7', '42'],
            'UInt32': ['.max', '0', '7', '1 << 20'],
            'Double': ['-1.5e300', '3.25', '0', '-0.125'],
            'Float': ['1.5e30', '-2.5', '0', '0.125'],
        }[sw]
        return '%s(%s)' % (sw, extremes[v % 4]) if not extremes[v % 4].startswith('.') else '%s%s' % (sw, extremes[v % 4])

    def value(self, fld, variant, depth):
        if fld['type'] == T_MESSAGE:
            tn = swift_type_name(fld['type_name'][1:])
            if depth >= 2:
                return '%s()' % tn
            return '%s.fixture(%d, depth: %d)' % (tn, variant, depth + 1)
        return self.scalar(fld, variant)

    def gen_message(self, f, m):
        full = f['package'] + '.' + m['name']
        name = swift_type_name(full)
        groups = self.gen.message_shape(m)
        out = 'extension %s {\n' % name
        out += '  /// A value with every field set to something non-trivial; `variant` picks\n'
        out += '  /// different values and a different oneof case; `depth` bounds recursion.\n'
        out += '  public static func fixture(_ variant: Int, depth: Int = 0) -> Self {\n'
        if not groups:
            out += '    _ = (variant, depth)\n    return Self()\n  }\n}\n\n'
            return out
        out += '    var m = Self()\n'
        for g in groups:
            if g[0] == 'field':
                fld = g[1]
                pid = swift_ident(lower_camel(fld['name']))
                if fld['type'] == T_MESSAGE and fld['type_name'][1:] == full:
                    out += '    if depth < 2 { m.%s%s }\n' % (
                        pid, ' = [Self.fixture(variant &+ 1, depth: depth + 1)]' if fld['label'] == 3
                        else ' = Self.fixture(variant &+ 1, depth: depth + 1)')
                    continue
                if fld['label'] == 3:
                    vals = ', '.join(self.value(fld, i, 1 if fld['type'] == T_MESSAGE else 0) for i in range(3))
                    out += '    m.%s = variant %% 3 == 1 ? [] : [%s]\n' % (pid, vals)
                else:
                    out += '    m.%s = %s\n' % (pid, self.value(fld, 0, 0).replace('fixture(0', 'fixture(variant'))
                    if fld['type'] != T_MESSAGE:
                        out += '    if variant %% 2 == 1 { m.%s = %s }\n' % (pid, self.value(fld, 1, 0))
            else:
                _, oi, oname, flds = g
                if len(flds) == 1:
                    fld = flds[0]
                    pid = swift_ident(lower_camel(fld['name']))
                    out += '    if variant %% 3 != 2 { m.%s = %s }\n' % (pid, self.value(fld, 1, 1))
                else:
                    pid = swift_ident(lower_camel(oname))
                    out += '    switch variant %% %d {\n' % (len(flds) + 1)
                    for i, fld in enumerate(flds):
                        cn = lower_camel(fld['name'])
                        out += '    case %d: m.%s = .%s(%s)\n' % (i, pid, cn, self.value(fld, i + 1, 1))
                    out += '    default: m.%s = nil\n    }\n' % pid
        out += '    return m\n  }\n}\n\n'
        return out

    def gen_all(self, files):
        out = '// DO NOT EDIT. Generated by scripts/bridge_gen.py.\n// Regenerate with scripts/generate.sh.\n\n'
        out += 'public import WireBridge\n\n'
        names = []
        for f in files:
            for m in f['message_type']:
                out += self.gen_message(f, m)
                names.append(swift_type_name(f['package'] + '.' + m['name']))
        out += '/// Every message type of every .proto file.\n'
        out += 'public let allMessageTypes: [any WireMessage.Type] = [\n'
        out += ''.join('  %s.self,\n' % n for n in names)
        out += ']\n\n'
        out += '/// Fixtures of every message type in three variants (different values and oneof cases).\n'
        out += 'public func allFixtures() -> [any WireMessage] {\n'
        out += '  var all: [any WireMessage] = []\n'
        out += '  for v in 0..<4 {\n'
        out += ''.join('    all.append(%s.fixture(v))\n' % n for n in names)
        out += '  }\n  return all\n}\n'
        return out


# ---------------------------------------------------------------------------------------
# Service stubs: for each service of the packages named, a handler protocol (the server side
# implements it and gets `RPCService` registration for free) and a typed client.

def lower_first(name):
    i = 0
    while i < len(name) and name[i].isupper():
        i += 1
    if i == 0:
        return name
    if i == 1 or i == len(name):
        return name[:i].lower() + name[i:]
    return name[:i - 1].lower() + name[i - 1:]


def gen_stubs(files, packages):
    out = '// DO NOT EDIT. Generated by scripts/bridge_gen.py from the service blocks of %s.\n' % ', '.join(packages)
    out += '// Regenerate with scripts/generate.sh.\n\n'
    out += 'public import RPCCore\npublic import WireBridge\n\n'
    for f in files:
        if f['package'] not in packages:
            continue
        for si, svc in enumerate(f['service']):
            full = f['package'] + '.' + svc['name']
            base = swift_type_name(full)
            sdoc = comments_for(f, [6, si])
            # Method constants.
            out += '/// The methods of `%s`, as the runtime names them.\n' % full
            out += 'public enum %sMethods {\n' % base
            for mi, m in enumerate(svc['method']):
                kind = 'ServerStreamingMethod' if m['server_streaming'] else 'UnaryMethod'
                out += '  /// `/%s/%s`.\n' % (full, m['name'])
                out += '  public static let %s = %s<%s, %s>(service: "%s", method: "%s")\n' % (
                    swift_ident(lower_first(m['name'])), kind, swift_type_name(m['input_type'][1:]),
                    swift_type_name(m['output_type'][1:]), full, m['name'])
            out += '}\n\n'
            # Handler protocol.
            out += doc(sdoc, '')
            out += '///\n/// Server side: implement every method; conformance registers them all with a router.\n'
            out += 'public protocol %sHandler: RPCService {\n' % base
            for mi, m in enumerate(svc['method']):
                out += doc(comments_for(f, [6, si, 2, mi]), '  ')
                name = swift_ident(lower_first(m['name']))
                inp = swift_type_name(m['input_type'][1:])
                outp = swift_type_name(m['output_type'][1:])
                if m['server_streaming']:
                    out += '  func %s(_ request: %s, context: ServerContext, responses: ResponseWriter<%s>) async throws\n' % (name, inp, outp)
                else:
                    out += '  func %s(_ request: %s, context: ServerContext) async throws -> %s\n' % (name, inp, outp)
            out += '}\n\n'
            out += 'extension %sHandler {\n' % base
            out += '  /// Registers every method of `%s` with `router`.\n' % full
            out += '  public func register(into router: inout RPCRouter) {\n'
            for m in svc['method']:
                name = swift_ident(lower_first(m['name']))
                if m['server_streaming']:
                    out += '    router.register(%sMethods.%s) { try await self.%s($0, context: $1, responses: $2) }\n' % (base, name, name.strip('`'))
                else:
                    out += '    router.register(%sMethods.%s) { try await self.%s($0, context: $1) }\n' % (base, name, name.strip('`'))
            out += '  }\n}\n\n'
            # Client.
            out += doc(sdoc, '')
            out += '///\n/// Client side: one typed async method per RPC over any transport.\n'
            out += 'public struct %sClient: Sendable {\n' % base
            out += '  /// The transport every call goes through.\n'
            out += '  public let transport: any ClientTransport\n\n'
            out += '  /// Creates a client over `transport`.\n'
            out += '  public init(_ transport: any ClientTransport) { self.transport = transport }\n'
            for mi, m in enumerate(svc['method']):
                out += '\n' + doc(comments_for(f, [6, si, 2, mi]), '  ')
                name = swift_ident(lower_first(m['name']))
                inp = swift_type_name(m['input_type'][1:])
                outp = swift_type_name(m['output_type'][1:])
                if m['server_streaming']:
                    out += '  /// - Returns: the trailers; each response goes to `onResponse` as it arrives.\n'
                    out += '  @discardableResult\n'
                    out += '  public func %s(\n    _ request: %s, options: CallOptions = .defaults,\n    onResponse: (%s) async throws -> Void\n  ) async throws(RPCError) -> Metadata {\n' % (name, inp, outp)
                    out += '    try await transport.serverStreaming(%sMethods.%s, request: request, options: options, onResponse: onResponse)\n  }\n' % (base, name)
                else:
                    out += '  public func %s(_ request: %s, options: CallOptions = .defaults) async throws(RPCError) -> %s {\n' % (name, inp, outp)
                    out += '    try await transport.call(%sMethods.%s, request, options: options)\n  }\n' % (base, name)
            out += '}\n\n'
    return out.rstrip('\n') + '\n'


def main():
    if len(sys.argv) != 6:
        raise SystemExit('usage: bridge_gen.py DESCRIPTOR_SET OUT_BRIDGE_DIR OUT_FIXTURES_DIR OUT_STUBS_DIR PKG[,PKG]')
    ds_path, out_dir, fix_dir, stubs_dir, stub_pkgs = sys.argv[1:]
    data = open(ds_path, 'rb').read()
    fs = parse(data, FILE_SET)
    files = [f for f in fs['file'] if not f['name'].startswith('google/')]
    ctx = Ctx(files)
    gen = Gen(ctx)
    os.makedirs(out_dir, exist_ok=True)
    os.makedirs(fix_dir, exist_ok=True)
    for f in files:
        base = f['name'][:-len('.proto')].replace('/', '_')
        parts = [p[0].upper() + p[1:] for p in base.split('_')]
        fname = ''.join(parts) + '.swift'
        with open(os.path.join(out_dir, fname), 'w') as fh:
            fh.write(gen.gen_file(f))
    b64 = base64.b64encode(data).decode('ascii')
    chunks = [b64[i:i + 100] for i in range(0, len(b64), 100)]
    with open(os.path.join(out_dir, 'DescriptorSet.swift'), 'w') as fh:
        fh.write('// DO NOT EDIT. Generated by scripts/bridge_gen.py from every .proto under proto/.\n')
        fh.write('// Regenerate with scripts/generate.sh.\n\n')
        fh.write('/// The protobuf `FileDescriptorSet` of every .proto file (with comments), base64-encoded,\n')
        fh.write('/// as `protoc-c --descriptor_set_out --include_imports --include_source_info` wrote it.\n')
        fh.write('/// Reflection serves it so that generic tools can call any method by name.\n')
        fh.write('public enum WireDescriptorSet {\n')
        fh.write('  /// The base64 text of the descriptor set.\n')
        fh.write('  public static let base64: String = """\n')
        for i, c in enumerate(chunks):
            fh.write('    %s%s\n' % (c, '\\' if i + 1 < len(chunks) else ''))
        fh.write('    """\n}\n')
    with open(os.path.join(fix_dir, 'Fixtures.swift'), 'w') as fh:
        fh.write(FixtureGen(ctx, gen).gen_all(files))
    os.makedirs(stubs_dir, exist_ok=True)
    with open(os.path.join(stubs_dir, 'Services.swift'), 'w') as fh:
        fh.write(gen_stubs(files, stub_pkgs.split(',')))


if __name__ == '__main__':
    main()
