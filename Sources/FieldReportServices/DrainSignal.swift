import Synchronization

/// Tells long-running handlers (WatchEvents streams) that the server has begun to drain, so
/// they end with UNAVAILABLE — "reconnect and resume from your last cursor" — instead of being
/// cut when the drain's grace period runs out.
///
/// # Thread safety
/// Safe from any thread.
public final class DrainSignal: Sendable {
  private let draining = Mutex(false)
  private let onBegin: @Sendable () -> Void

  /// Creates a signal that has not fired.
  /// - Parameter onBegin: called when it fires (the environment rings the store's event bell,
  ///   so idle streams see the drain at once rather than at their next fallback read).
  public init(onBegin: @escaping @Sendable () -> Void = {}) {
    self.onBegin = onBegin
  }

  /// Marks the server as draining; idempotent.
  public func begin() {
    draining.withLock { $0 = true }
    onBegin()
  }

  /// Whether the server is draining.
  public var isDraining: Bool { draining.withLock { $0 } }
}
