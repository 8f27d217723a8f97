/// Event times per key within a sliding window, with a bound on the keys tracked: what an
/// ``InMemoryAttemptCounter`` keeps (behind its lock).
struct SlidingWindowCounts: ~Copyable {
  private var times: [String: [Int64]] = [:]
  /// The most keys tracked at once; past it, keys with nothing in the window are dropped
  /// first, then arbitrary ones.
  let maximumKeys: Int

  init(maximumKeys: Int) {
    self.maximumKeys = maximumKeys
  }

  /// The key's events after `since`, oldest first.
  func recent(_ key: String, since: Int64) -> [Int64] {
    (self.times[key] ?? []).filter { $0 > since }
  }

  /// How long until `key` is under `limit` again (when its oldest counted event leaves the
  /// window), or nil if it is under the limit now.
  func delay(_ key: String, limit: Int, window: Int64, now: Int64) -> Int64? {
    let recent = self.recent(key, since: now - window)
    guard recent.count >= limit, let oldest = recent.first else { return nil }
    return max(1, oldest + window - now)
  }

  /// Records an event of `key` at `now`, forgetting events older than the window.
  ///
  /// When the map is full, keys with nothing in the window are dropped, then arbitrary ones
  /// until a tenth of the room is free: one scan pays for a tenth of ``maximumKeys`` new keys
  /// (a scan on every insert once full was half the server's CPU at 100k reporters).
  mutating func record(_ key: String, now: Int64, window: Int64) {
    let since = now - window
    if self.times.count >= self.maximumKeys, self.times[key] == nil {
      self.times = self.times.filter { $0.value.last.map { $0 > since } ?? false }
      let target = self.maximumKeys - max(1, self.maximumKeys / 10)
      if self.times.count > target {
        for key in Array(self.times.keys.prefix(self.times.count - target)) { self.times[key] = nil }
      }
    }
    var recent = self.recent(key, since: since)
    recent.append(now)
    self.times[key] = recent
  }

  /// Forgets a key.
  mutating func remove(_ key: String) {
    self.times[key] = nil
  }
}
