public import FieldReportWorkflow

/// Settings of a ``SQLiteFieldReportStore``.
public struct StoreConfiguration: Hashable, Sendable {
  /// The largest attachment accepted, in bytes (default 10 MiB).
  public var maximumAttachmentBytes: Int
  /// Reader connections (and threads) for queries (default 2).
  public var readerCount: Int
  /// How long a statement waits on a lock held by another process before failing.
  public var busyTimeoutMilliseconds: Int32
  /// The workflow policy whose early margin classifies completed tasks for statistics.
  public var policy: WorkflowPolicy
  /// Decoded cases (and their journals) kept in memory per cache generation; two
  /// generations are held, so at most twice this many (default 4,096; 0 turns it off).
  public var decodedCaseCacheSize: Int

  /// The default of ``decodedCaseCacheSize``.
  public static let defaultDecodedCaseCacheSize = 4_096

  /// Creates a configuration.
  public init(
    maximumAttachmentBytes: Int = 10 << 20, readerCount: Int = 2,
    busyTimeoutMilliseconds: Int32 = 5_000, policy: WorkflowPolicy = .standard,
    decodedCaseCacheSize: Int = defaultDecodedCaseCacheSize
  ) {
    self.decodedCaseCacheSize = decodedCaseCacheSize
    self.policy = policy
    self.maximumAttachmentBytes = maximumAttachmentBytes
    self.readerCount = readerCount
    self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
  }
}
