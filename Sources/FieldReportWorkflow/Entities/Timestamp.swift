/// An instant, as whole milliseconds since the Unix epoch (UTC).
///
/// This is the wire's representation (int64 Unix milliseconds) and needs no Foundation or
/// time zone. Calendar questions (which local day?) are answered by ``LocalDay``.
public struct Timestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
  /// Milliseconds since 1970-01-01T00:00:00Z. May be negative for instants before 1970.
  public var millisecondsSince1970: Int64

  /// Creates an instant from Unix milliseconds.
  public init(millisecondsSince1970: Int64) {
    self.millisecondsSince1970 = millisecondsSince1970
  }

  /// One second, in milliseconds.
  public static let millisecondsPerSecond: Int64 = 1000
  /// One minute, in milliseconds.
  public static let millisecondsPerMinute: Int64 = 60_000
  /// One hour, in milliseconds.
  public static let millisecondsPerHour: Int64 = 3_600_000
  /// One day (24 h; Asia/Ho_Chi_Minh has no daylight saving time), in milliseconds.
  public static let millisecondsPerDay: Int64 = 86_400_000

  /// This instant moved by `milliseconds` (negative moves back). Saturates instead of trapping.
  public func adding(milliseconds: Int64) -> Timestamp {
    let (sum, overflow) = millisecondsSince1970.addingReportingOverflow(milliseconds)
    if overflow { return Timestamp(millisecondsSince1970: milliseconds > 0 ? .max : .min) }
    return Timestamp(millisecondsSince1970: sum)
  }

  /// This instant moved by a whole number of days.
  public func adding(days: Int64) -> Timestamp {
    let (ms, overflow) = days.multipliedReportingOverflow(by: Self.millisecondsPerDay)
    if overflow { return Timestamp(millisecondsSince1970: days > 0 ? .max : .min) }
    return adding(milliseconds: ms)
  }

  public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
    lhs.millisecondsSince1970 < rhs.millisecondsSince1970
  }

  /// Local date and time in Asia/Ho_Chi_Minh, to the minute: `2026-12-01 17:30 (UTC+7)`,
  /// as messages for people show an instant.
  public var description: String {
    let (local, overflow) = millisecondsSince1970.addingReportingOverflow(LocalDay.utcOffsetMilliseconds)
    let ms = overflow ? millisecondsSince1970 : local
    let minuteOfDay = (ms - LocalDay.floorDivide(ms, Self.millisecondsPerDay) * Self.millisecondsPerDay)
      / Self.millisecondsPerMinute
    func pad(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
    return "\(LocalDay(of: self)) \(pad(minuteOfDay / 60)):\(pad(minuteOfDay % 60)) (UTC+7)"
  }
}

extension Timestamp: Encodable, Decodable {
  // Encoded as a bare integer, like the wire.
  public init(from decoder: any Decoder) throws {
    let container = try decoder.singleValueContainer()
    self.init(millisecondsSince1970: try container.decode(Int64.self))
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(millisecondsSince1970)
  }
}
