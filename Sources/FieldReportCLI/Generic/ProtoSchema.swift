/// The messages, enums and services of a `google.protobuf.FileDescriptorSet`, as plain values:
/// what the descriptor-driven codec (``ProtoJSONCodec``) and `fieldreport call` work from. No
/// generated type is involved, so a method the CLI was built without can be called by name.
///
/// The set is itself decoded by ``ProtoJSONCodec``, bootstrapped from the subset of
/// `descriptor.proto` written out in ``ProtoSchema/descriptorSchema`` (the fields it needs;
/// everything else in a descriptor is skipped as an unknown field).
struct ProtoSchema: Sendable {
  /// Every message by full name (`fieldreport.v1.GetCaseRequest`), nested ones included
  /// (`pkg.Outer.Inner`).
  var messages: [String: MessageSchema] = [:]
  /// Every enum by full name.
  var enums: [String: EnumSchema] = [:]
  /// Every service, in file order.
  var services: [ServiceSchema] = []

  init() {}

  /// A schema from hand-written messages (the descriptor bootstrap, tests).
  init(messages: [MessageSchema], enums: [EnumSchema] = [], services: [ServiceSchema] = []) {
    for message in messages { self.messages[message.fullName] = message }
    for value in enums { self.enums[value.fullName] = value }
    self.services = services
  }

  /// The message named `name` (a leading `.` is ignored).
  func message(_ name: String) -> MessageSchema? {
    self.messages[name.hasPrefix(".") ? String(name.dropFirst()) : name]
  }

  /// The enum named `name` (a leading `.` is ignored).
  func enumType(_ name: String) -> EnumSchema? {
    self.enums[name.hasPrefix(".") ? String(name.dropFirst()) : name]
  }

  /// The method at `/service/method` (the leading slash optional).
  func method(path: String) -> (ServiceSchema, MethodSchema)? {
    let trimmed = path.hasPrefix("/") ? String(path.dropFirst()) : path
    for service in self.services {
      for method in service.methods where "\(service.fullName)/\(method.name)" == trimmed { return (service, method) }
    }
    return nil
  }
}

/// The type of a field, numbered as `google.protobuf.FieldDescriptorProto.Type`.
enum ProtoFieldType: Int, Sendable {
  case double = 1, float = 2, int64 = 3, uint64 = 4, int32 = 5, fixed64 = 6, fixed32 = 7, bool = 8
  case string = 9, group = 10, message = 11, bytes = 12, uint32 = 13, enumeration = 14
  case sfixed32 = 15, sfixed64 = 16, sint32 = 17, sint64 = 18

  /// The type as a .proto file spells it (`message` and `enum` fields spell their type name).
  var protoName: String {
    switch self {
    case .enumeration: "enum"
    default: "\(self)"
    }
  }

  /// A number or a bool: may be packed when repeated.
  var isPackable: Bool {
    switch self {
    case .string, .bytes, .message, .group: false
    default: true
    }
  }

  /// The wire type of one value.
  var wireType: Int {
    switch self {
    case .double, .fixed64, .sfixed64: 1
    case .float, .fixed32, .sfixed32: 5
    case .string, .bytes, .message: 2
    case .group: 3
    default: 0
    }
  }
}

/// One field of a message.
struct FieldSchema: Sendable {
  /// The .proto name (`case_id`).
  var name: String
  /// The proto3 JSON name (`caseId`).
  var jsonName: String
  var number: Int
  var type: ProtoFieldType
  /// The message or enum type's full name, without the leading dot; empty for scalars.
  var typeName: String = ""
  var isRepeated = false
  /// Repeated numbers and bools are packed (proto3's default) unless `[packed = false]`.
  var isPacked = true
  /// The index of its oneof in ``MessageSchema/oneofs``: a member of a oneof is written
  /// whenever it is set, even to its default.
  var oneofIndex: Int?
  /// The .proto comment.
  var comment = ""

  init(_ name: String, _ number: Int, _ type: ProtoFieldType, _ typeName: String = "", repeated: Bool = false, oneof: Int? = nil) {
    self.name = name
    self.jsonName = FieldSchema.lowerCamel(name)
    self.number = number
    self.type = type
    self.typeName = typeName
    self.isRepeated = repeated
    self.oneofIndex = oneof
  }

  /// protoc's default JSON name: `case_id` → `caseId`.
  static func lowerCamel(_ name: String) -> String {
    var out = ""
    var upper = false
    for character in name {
      if character == "_" {
        upper = true
      } else if upper {
        out += character.uppercased()
        upper = false
      } else {
        out.append(character)
      }
    }
    return out
  }
}

/// One message type.
struct MessageSchema: Sendable {
  /// The full name, without the leading dot.
  var fullName: String
  /// In declaration order.
  var fields: [FieldSchema]
  /// The oneofs' names, indexed by ``FieldSchema/oneofIndex``.
  var oneofs: [String] = []
  /// A map field's synthetic entry (`key` = 1, `value` = 2).
  var isMapEntry = false
  /// The .proto comment.
  var comment = ""
  /// The oneofs' comments, as ``oneofs``.
  var oneofComments: [String] = []

  private var byNumber: [Int: Int] = [:]
  private var byName: [String: Int] = [:]

  init(_ fullName: String, fields: [FieldSchema], oneofs: [String] = []) {
    self.fullName = fullName
    self.fields = fields
    self.oneofs = oneofs
    self.oneofComments = Array(repeating: "", count: oneofs.count)
    self.index()
  }

  /// Rebuilds the lookups after ``fields`` changed.
  mutating func index() {
    self.byNumber = [:]
    self.byName = [:]
    for (position, field) in self.fields.enumerated() {
      self.byNumber[field.number] = position
      self.byName[field.name] = position
      self.byName[field.jsonName] = position
    }
  }

  /// The field numbered `number`.
  func field(number: Int) -> FieldSchema? { self.byNumber[number].map { self.fields[$0] } }

  /// The field whose JSON name or .proto name is `name`.
  func field(named name: String) -> FieldSchema? { self.byName[name].map { self.fields[$0] } }

  /// The message's short name (`GetCaseRequest`).
  var shortName: String { String(self.fullName.split(separator: ".").last ?? "") }
}

/// One enum type.
struct EnumSchema: Sendable {
  /// One named value.
  struct Value: Sendable {
    var name: String
    var number: Int32
    var comment = ""
  }

  var fullName: String
  /// In declaration order.
  var values: [Value]
  var comment = ""

  /// The first value numbered `number` (an alias is not a new name).
  func name(for number: Int32) -> String? { self.values.first { $0.number == number }?.name }

  /// The number of the value named `name`.
  func number(for name: String) -> Int32? { self.values.first { $0.name == name }?.number }
}

/// One service.
struct ServiceSchema: Sendable {
  var fullName: String
  var methods: [MethodSchema]
  var comment = ""

  /// The service's short name (`CaseService`).
  var shortName: String { String(self.fullName.split(separator: ".").last ?? "") }
}

/// One method of a service.
struct MethodSchema: Sendable {
  var name: String
  /// The request message's full name, without the leading dot.
  var inputType: String
  /// The response message's full name, without the leading dot.
  var outputType: String
  var clientStreaming = false
  var serverStreaming = false
  var comment = ""
}
