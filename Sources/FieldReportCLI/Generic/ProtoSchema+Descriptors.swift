import Foundation

extension ProtoSchema {
  /// Why a descriptor set could not be read.
  struct DescriptorError: Error, CustomStringConvertible {
    let reason: String
    var description: String { self.reason }
  }

  /// The schema of an encoded `google.protobuf.FileDescriptorSet` (what reflection's
  /// GetFileDescriptorSet returns), with the .proto comments if the set kept its source info.
  /// - Throws: ``DescriptorError`` if the bytes are not a descriptor set.
  init(fileDescriptorSet bytes: [UInt8]) throws(DescriptorError) {
    let codec = ProtoJSONCodec(schema: Self.descriptorSchema)
    let set: JSONValue
    do {
      set = try codec.decode(bytes, as: "google.protobuf.FileDescriptorSet")
    } catch {
      throw DescriptorError(reason: "the descriptor set is not a valid google.protobuf.FileDescriptorSet: \(error)")
    }
    self.init()
    for file in set["file"]?.elements ?? [] { self.add(file: file) }
  }

  private mutating func add(file: JSONValue) {
    let package = file["package"]?.string ?? ""
    var comments: [[Int]: String] = [:]
    for location in file["sourceCodeInfo"]?["location"]?.elements ?? [] {
      let path = (location["path"]?.elements ?? []).compactMap { $0.integer }
      let parts = [location["leadingComments"]?.string, location["trailingComments"]?.string].compactMap { $0 }
      let text = parts.map(Self.tidy).filter { !$0.isEmpty }.joined(separator: "\n")
      if !text.isEmpty { comments[path] = text }
    }
    let prefix = package.isEmpty ? "" : package + "."
    for (index, message) in (file["messageType"]?.elements ?? []).enumerated() {
      self.add(message: message, scope: prefix, path: [4, index], comments: comments)
    }
    for (index, value) in (file["enumType"]?.elements ?? []).enumerated() {
      self.add(enum: value, scope: prefix, path: [5, index], comments: comments)
    }
    for (index, service) in (file["service"]?.elements ?? []).enumerated() {
      let name = prefix + (service["name"]?.string ?? "")
      let methods = (service["method"]?.elements ?? []).enumerated().map { position, method in
        MethodSchema(
          name: method["name"]?.string ?? "",
          inputType: Self.strip(method["inputType"]?.string ?? ""),
          outputType: Self.strip(method["outputType"]?.string ?? ""),
          clientStreaming: method["clientStreaming"]?.bool ?? false,
          serverStreaming: method["serverStreaming"]?.bool ?? false,
          comment: comments[[6, index, 2, position]] ?? "")
      }
      self.services.append(ServiceSchema(fullName: name, methods: methods, comment: comments[[6, index]] ?? ""))
    }
  }

  private mutating func add(message json: JSONValue, scope: String, path: [Int], comments: [[Int]: String]) {
    let fullName = scope + (json["name"]?.string ?? "")
    var fields: [FieldSchema] = []
    for (position, field) in (json["field"]?.elements ?? []).enumerated() {
      let type = ProtoFieldType(rawValue: field["type"]?.integer ?? 0) ?? .bytes
      let name = field["name"]?.string ?? ""
      var schema = FieldSchema(
        name, field["number"]?.integer ?? 0, type, Self.strip(field["typeName"]?.string ?? ""),
        repeated: field["label"]?.integer == 3, oneof: field["oneofIndex"]?.integer)
      if let jsonName = field["jsonName"]?.string, !jsonName.isEmpty { schema.jsonName = jsonName }
      if field["options"]?["packed"]?.bool == false { schema.isPacked = false }
      schema.comment = comments[path + [2, position]] ?? ""
      fields.append(schema)
    }
    let oneofs = (json["oneofDecl"]?.elements ?? []).map { $0["name"]?.string ?? "" }
    var message = MessageSchema(fullName, fields: fields, oneofs: oneofs)
    message.isMapEntry = json["options"]?["mapEntry"]?.bool ?? false
    message.comment = comments[path] ?? ""
    message.oneofComments = oneofs.indices.map { comments[path + [8, $0]] ?? "" }
    self.messages[fullName] = message
    for (index, nested) in (json["nestedType"]?.elements ?? []).enumerated() {
      self.add(message: nested, scope: fullName + ".", path: path + [3, index], comments: comments)
    }
    for (index, nested) in (json["enumType"]?.elements ?? []).enumerated() {
      self.add(enum: nested, scope: fullName + ".", path: path + [4, index], comments: comments)
    }
  }

  private mutating func add(enum json: JSONValue, scope: String, path: [Int], comments: [[Int]: String]) {
    let fullName = scope + (json["name"]?.string ?? "")
    let values = (json["value"]?.elements ?? []).enumerated().map { position, value in
      EnumSchema.Value(
        name: value["name"]?.string ?? "", number: Int32(truncatingIfNeeded: value["number"]?.integer ?? 0),
        comment: comments[path + [2, position]] ?? "")
    }
    self.enums[fullName] = EnumSchema(fullName: fullName, values: values, comment: comments[path] ?? "")
  }

  /// A type reference without its leading dot.
  private static func strip(_ name: String) -> String { name.hasPrefix(".") ? String(name.dropFirst()) : name }

  /// A comment's lines without the space after `//` and without blank edges.
  private static func tidy(_ comment: String) -> String {
    comment.split(separator: "\n", omittingEmptySubsequences: false)
      .map { $0.hasPrefix(" ") ? String($0.dropFirst()) : String($0) }
      .joined(separator: "\n")
      .trimmingCharacters(in: .whitespacesAndNewlines)
  }

  /// The part of `google/protobuf/descriptor.proto` the schema is read from, written out by
  /// hand (field numbers as in descriptor.proto). proto2 fields whose presence matters
  /// (`oneof_index`, `packed`) are one-field oneofs here, so that a value of 0 or false is kept.
  static let descriptorSchema: ProtoSchema = {
    let p = "google.protobuf."
    return ProtoSchema(messages: [
      MessageSchema(p + "FileDescriptorSet", fields: [FieldSchema("file", 1, .message, p + "FileDescriptorProto", repeated: true)]),
      MessageSchema(
        p + "FileDescriptorProto",
        fields: [
          FieldSchema("name", 1, .string), FieldSchema("package", 2, .string),
          FieldSchema("dependency", 3, .string, repeated: true),
          FieldSchema("message_type", 4, .message, p + "DescriptorProto", repeated: true),
          FieldSchema("enum_type", 5, .message, p + "EnumDescriptorProto", repeated: true),
          FieldSchema("service", 6, .message, p + "ServiceDescriptorProto", repeated: true),
          FieldSchema("source_code_info", 9, .message, p + "SourceCodeInfo"),
          FieldSchema("syntax", 12, .string),
        ]),
      MessageSchema(
        p + "DescriptorProto",
        fields: [
          FieldSchema("name", 1, .string),
          FieldSchema("field", 2, .message, p + "FieldDescriptorProto", repeated: true),
          FieldSchema("nested_type", 3, .message, p + "DescriptorProto", repeated: true),
          FieldSchema("enum_type", 4, .message, p + "EnumDescriptorProto", repeated: true),
          FieldSchema("options", 7, .message, p + "MessageOptions"),
          FieldSchema("oneof_decl", 8, .message, p + "OneofDescriptorProto", repeated: true),
        ]),
      MessageSchema(
        p + "FieldDescriptorProto",
        fields: [
          FieldSchema("name", 1, .string), FieldSchema("number", 3, .int32), FieldSchema("label", 4, .int32),
          FieldSchema("type", 5, .int32), FieldSchema("type_name", 6, .string),
          FieldSchema("options", 8, .message, p + "FieldOptions"),
          FieldSchema("oneof_index", 9, .int32, oneof: 0), FieldSchema("json_name", 10, .string),
          FieldSchema("proto3_optional", 17, .bool),
        ],
        oneofs: ["oneof_index_presence"]),
      MessageSchema(p + "FieldOptions", fields: [FieldSchema("packed", 2, .bool, oneof: 0)], oneofs: ["packed_presence"]),
      MessageSchema(p + "MessageOptions", fields: [FieldSchema("map_entry", 7, .bool)]),
      MessageSchema(p + "OneofDescriptorProto", fields: [FieldSchema("name", 1, .string)]),
      MessageSchema(
        p + "EnumDescriptorProto",
        fields: [FieldSchema("name", 1, .string), FieldSchema("value", 2, .message, p + "EnumValueDescriptorProto", repeated: true)]),
      MessageSchema(p + "EnumValueDescriptorProto", fields: [FieldSchema("name", 1, .string), FieldSchema("number", 2, .int32)]),
      MessageSchema(
        p + "ServiceDescriptorProto",
        fields: [FieldSchema("name", 1, .string), FieldSchema("method", 2, .message, p + "MethodDescriptorProto", repeated: true)]),
      MessageSchema(
        p + "MethodDescriptorProto",
        fields: [
          FieldSchema("name", 1, .string), FieldSchema("input_type", 2, .string), FieldSchema("output_type", 3, .string),
          FieldSchema("client_streaming", 5, .bool), FieldSchema("server_streaming", 6, .bool),
        ]),
      MessageSchema(p + "SourceCodeInfo", fields: [FieldSchema("location", 1, .message, p + "SourceCodeInfo.Location", repeated: true)]),
      MessageSchema(
        p + "SourceCodeInfo.Location",
        fields: [
          FieldSchema("path", 1, .int32, repeated: true), FieldSchema("leading_comments", 3, .string),
          FieldSchema("trailing_comments", 4, .string),
        ]),
    ])
  }()
}

extension JSONValue {
  /// The member `key` of an object.
  subscript(key: String) -> JSONValue? {
    guard case .object(let members) = self else { return nil }
    return members.first { $0.key == key }?.value
  }

  /// An array's elements.
  var elements: [JSONValue]? {
    guard case .array(let elements) = self else { return nil }
    return elements
  }

  /// A string's text.
  var string: String? {
    guard case .string(let text) = self else { return nil }
    return text
  }

  /// A bool.
  var bool: Bool? {
    guard case .bool(let flag) = self else { return nil }
    return flag
  }

  /// An integer number (or decimal string).
  var integer: Int? {
    switch self {
    case .number(let text), .string(let text): Int(text)
    default: nil
    }
  }
}
