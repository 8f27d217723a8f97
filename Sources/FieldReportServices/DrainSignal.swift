import Synchronization

/// Tells long-running handlers (WatchEvents streams) that the server has begun to drain, so
/// they end with UNAVAILABLE — "reconnect and resume from your last cursor" — instead of being
/// cut when the drain's grace period runs out.
///
/// # Thread safety
/// Safe from any thread.
public final class DrainSignal: Sendable {
  private let draining = Mutex(false)

  /// Creates a signal that has not fired.
  public init() {}

  /// Marks the server as draining; idempotent.
  public func begin() { draining.withLock { $0 = true } }

  /// Whether the server is draining.
  public var isDraining: Bool { draining.withLock { $0 } }
}
