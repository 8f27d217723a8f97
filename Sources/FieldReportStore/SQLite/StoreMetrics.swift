import Metrics

/// The store's metrics, through swift-metrics (the process bootstraps the back end; without
/// one they are no-ops). Made once per store, so recording allocates nothing.
///
/// - `fieldreport_store_commit_duration_seconds` (timer): one write transaction of the writer
///   thread, `BEGIN IMMEDIATE` to the end of `COMMIT` (a whole group-commit batch).
/// - `fieldreport_store_write_batch_size` (aggregated recorder: a histogram): jobs per batch.
/// - `fieldreport_store_writer_queue_depth` (gauge): write jobs waiting for the writer thread.
/// - `fieldreport_store_reader_wait_seconds` (timer): how long a read waited for a reader
///   connection (queued until one was free).
/// - `fieldreport_store_reader_queue_depth` (gauge): reads waiting for a reader connection.
/// - `fieldreport_store_listings_total` (counter, `answered_from` = `memory` or `database`):
///   case listings answered from the ``ListingCache`` or read by a reader connection.
struct StoreMetrics: Sendable {
  let commitDuration = Metrics.Timer(label: "fieldreport_store_commit_duration_seconds")
  let batchSize = Recorder(label: "fieldreport_store_write_batch_size", aggregate: true)
  let writerQueueDepth = Gauge(label: "fieldreport_store_writer_queue_depth")
  let readerWait = Metrics.Timer(label: "fieldreport_store_reader_wait_seconds")
  let readerQueueDepth = Gauge(label: "fieldreport_store_reader_queue_depth")
  let listingsFromMemory = Counter(label: "fieldreport_store_listings_total", dimensions: [("answered_from", "memory")])
  let listingsFromDatabase = Counter(label: "fieldreport_store_listings_total", dimensions: [("answered_from", "database")])

  /// Batch-size histogram buckets that fit ``WriterThread/maximumBatch`` (for back ends
  /// that take buckets per family, such as swift-prometheus).
  static let batchSizeBuckets: [Double] = [1, 2, 4, 8, 16, 32, 64]
}

extension Metrics.Timer {
  /// Records a `Duration` (the timer API takes nanoseconds).
  func record(_ duration: Duration) {
    let (seconds, attoseconds) = duration.components
    self.recordNanoseconds(seconds &* 1_000_000_000 &+ attoseconds / 1_000_000_000)
  }
}
