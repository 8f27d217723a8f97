/// Field checks shared by the decisions; each failure names the field.
enum Validation {
  static func content(_ text: String, policy: WorkflowPolicy, name: String = "content")
    throws(WorkflowRefusal)
  {
    guard text.utf8.count <= policy.maxContentLength else {
      throw .invalidField(name: name, reason: "longer than \(policy.maxContentLength) bytes")
    }
    guard !containsControlCharacters(text) else {
      throw .invalidField(name: name, reason: "contains control characters")
    }
  }

  static func required(_ text: String, name: String, why: String) throws(WorkflowRefusal) {
    guard !isBlank(text) else { throw .invalidField(name: name, reason: why) }
  }

  static func line(_ text: String, name: String, maxLength: Int, required: Bool)
    throws(WorkflowRefusal)
  {
    if required, isBlank(text) { throw .invalidField(name: name, reason: "is required") }
    guard text.utf8.count <= maxLength else {
      throw .invalidField(name: name, reason: "longer than \(maxLength) bytes")
    }
    guard !containsAnyControlCharacter(text)
    else { throw .invalidField(name: name, reason: "contains control characters") }
  }

  /// Whether `text` has a scalar of general category Cc: U+0000–U+001F and U+007F–U+009F,
  /// which is all that category holds (Unicode fixes it: no scalar is ever added to Cc). Bytes
  /// are checked directly; the Unicode property lookup per scalar was 2 % of the store
  /// writer's time on SubmitReport.
  static func containsAnyControlCharacter(_ text: String) -> Bool {
    text.unicodeScalars.contains(where: isControl)
  }

  private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
    scalar.value < 0x20 || (scalar.value >= 0x7F && scalar.value <= 0x9F)
  }

  static func attachments(_ attachments: [AttachmentRef], policy: WorkflowPolicy)
    throws(WorkflowRefusal)
  {
    guard attachments.count <= policy.maxAttachmentsPerAction else {
      throw .invalidField(
        name: "attachments", reason: "at most \(policy.maxAttachmentsPerAction) files")
    }
    for (index, file) in attachments.enumerated() {
      let name = "attachments[\(index)]"
      guard file.hasWellFormedHash else {
        throw .invalidField(name: "\(name).sha256", reason: "must be 64 lowercase hex digits")
      }
      guard file.size > 0, file.size <= policy.maxAttachmentSize else {
        throw .invalidField(
          name: "\(name).size", reason: "must be 1...\(policy.maxAttachmentSize) bytes")
      }
      try line(file.name, name: "\(name).name", maxLength: 255, required: true)
      try line(file.mimeType, name: "\(name).mimeType", maxLength: 255, required: true)
    }
  }

  static func outputProduct(_ product: OutputProduct) throws(WorkflowRefusal) {
    try line(product.number, name: "outputProduct.number", maxLength: 100, required: false)
  }

  /// A new deadline, when given, must be in the future.
  static func futureDue(_ due: Timestamp?, now: Timestamp) throws(WorkflowRefusal) {
    if let due, due <= now { throw .invalidField(name: "newDue", reason: "must be in the future") }
  }

  static func isBlank(_ text: String) -> Bool {
    text.unicodeScalars.allSatisfy { $0.properties.isWhitespace }
  }

  /// Control characters other than tab, line feed and carriage return.
  static func containsControlCharacters(_ text: String) -> Bool {
    text.unicodeScalars.contains { isControl($0) && $0 != "\t" && $0 != "\n" && $0 != "\r" }
  }
}
