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

  /// Cases in listing pages kept in memory until the next commit, per cache generation (two are
  /// held; default 2,048; 0 turns it off). SQLite only: ``ListingCache``.
  public var listingCacheSize: Int

  /// The default of ``listingCacheSize``: about a hundred pages of twenty.
  public static let defaultListingCacheSize = 2_048

  /// The default of ``decodedCaseCacheSize``.
  public static let defaultDecodedCaseCacheSize = 4_096

  /// Creates a configuration.
  public init(
    maximumAttachmentBytes: Int = 10 << 20, readerCount: Int = 2,
    busyTimeoutMilliseconds: Int32 = 5_000, policy: WorkflowPolicy = .standard,
    decodedCaseCacheSize: Int = defaultDecodedCaseCacheSize, listingCacheSize: Int = defaultListingCacheSize
  ) {
    self.listingCacheSize = listingCacheSize
    self.decodedCaseCacheSize = decodedCaseCacheSize
    self.policy = policy
    self.maximumAttachmentBytes = maximumAttachmentBytes
    self.readerCount = readerCount
    self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
  }
}
