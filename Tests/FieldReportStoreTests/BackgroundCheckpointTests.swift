import Foundation
import Testing

@_spi(Testing) import FieldReportStore
import StoreTestSupport

/// The background checkpointer runs a pass after writes and none while the store is idle.
@Suite("Background checkpoints")
struct BackgroundCheckpointTests {
  /// Waits up to two seconds for `condition`.
  static func eventually(_ condition: () async throws -> Bool) async throws -> Bool {
    for _ in 0..<200 {
      if try await condition() { return true }
      try await Task.sleep(for: .milliseconds(10))
    }
    return try await condition()
  }

  @Test("a pass follows a write; an idle store's checkpointer runs none")
  func passesFollowWrites() async throws {
    let fixture = try await StoreFixture.make()
    let store = fixture.sqlite
    // The seed's writes are checkpointed, then the store is idle.
    #expect(try await Self.eventually { store.checkpointActivityForTesting.passes > 0 })
    try await Task.sleep(for: .milliseconds(100))
    let settled = store.checkpointActivityForTesting
    try await Task.sleep(for: .milliseconds(500))  // two idle ticks at least
    let idle = store.checkpointActivityForTesting
    #expect(idle.transactions == settled.transactions)
    #expect(idle.passes == settled.passes, "passes ran with no write: \(settled) → \(idle)")
    // A write is followed by a pass.
    _ = try await fixture.submit("Phản ánh sau khi nghỉ", at: StoreFixture.at(2))
    // (Counted just after the commit, which may be after the write's caller resumed.)
    #expect(try await Self.eventually { store.checkpointActivityForTesting.transactions > idle.transactions })
    #expect(try await Self.eventually { store.checkpointActivityForTesting.passes > idle.passes })
    await fixture.finish()
  }
}
