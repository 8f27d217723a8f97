/// Why a message could not be decoded or encoded.
public struct WireError: Error, Hashable, Sendable, CustomStringConvertible {
  /// The kind of failure.
  public enum Kind: Hashable, Sendable {
    /// The bytes are not a valid protobuf encoding of the message (truncated, garbage,
    /// wrong wire type). protobuf-c gives no more detail than this.
    case malformed
    /// A `string` field holds bytes that are not valid UTF-8.
    case invalidUTF8
    /// A `string` field holds a NUL character, which protobuf-c's C strings cannot carry:
    /// refused when encoding, and when decoding before protobuf-c would cut the string at it.
    /// When decoding, the subject is the message's name followed by the field's path, e.g.
    /// `fieldreport.v1.SubmitReportRequest.report.title`.
    case embeddedNUL
    /// The input is larger than ``WireLimits/maxMessageBytes``.
    case tooLarge
    /// Messages are nested deeper than ``WireLimits/maxNestingDepth``.
    case tooDeep
  }

  /// The kind of failure.
  public let kind: Kind
  /// The message type or `message.field` concerned, e.g. `fieldreport.v1.CaseInfo.title`.
  public let subject: String

  /// Creates an error.
  public init(_ kind: Kind, _ subject: String) {
    self.kind = kind
    self.subject = subject
  }

  public var description: String {
    switch kind {
    case .malformed: return "\(subject): not a valid protobuf encoding"
    case .invalidUTF8: return "\(subject): string is not valid UTF-8"
    case .embeddedNUL: return "\(subject): string contains a NUL character"
    case .tooLarge: return "\(subject): message larger than \(WireLimits.maxMessageBytes) bytes"
    case .tooDeep: return "\(subject): messages nested deeper than \(WireLimits.maxNestingDepth)"
    }
  }
}

/// Limits applied to every decode, before protobuf-c sees the bytes.
public enum WireLimits {
  /// The largest encoding accepted by a decode (64 MiB). Transports apply their own,
  /// usually smaller, frame limits first.
  public static let maxMessageBytes = 64 << 20
  /// The deepest nesting of messages accepted by a decode. protobuf-c itself has no limit
  /// and recurses on the C stack, so a hostile input could otherwise overflow it.
  public static let maxNestingDepth = 64
}
