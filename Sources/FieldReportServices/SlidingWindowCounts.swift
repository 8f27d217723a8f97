/// Event times per key within a sliding window, with a bound on the keys tracked: what the
/// login and submission throttles count (each behind its own lock).
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
  mutating func record(_ key: String, now: Int64, window: Int64) {
    let since = now - window
    if self.times.count >= self.maximumKeys {
      self.times = self.times.filter { $0.value.last.map { $0 > since } ?? false }
      while self.times.count >= self.maximumKeys, let key = self.times.keys.first {
        self.times[key] = nil
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
