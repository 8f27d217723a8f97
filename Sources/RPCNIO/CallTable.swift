/// The calls in flight on one connection, by call id.
///
/// An open-addressing table with the id itself as the hash (ids are non-zero and assigned in
/// increasing order, so the calls in flight sit in consecutive slots), linear probing and
/// backward-shift deletion (no tombstones). It replaces a `Dictionary`, whose SipHash of the
/// key and generic bookkeeping cost several hundred instructions on every call's lookups.
/// Grows when half full; never shrinks.
struct CallTable<Value: AnyObject> {
  /// 0 marks an empty slot (call id 0 is never a call).
  private var ids: [UInt32]
  private var values: [Value?]
  private var mask: Int
  /// The number of calls in the table.
  private(set) var count = 0
  /// How many calls sit away from their ideal slot (after a collision). While none does, a
  /// removal only clears its slot: no entry after it can need shifting back.
  private var displaced = 0

  /// Creates an empty table with room for `capacity` calls before it grows (rounded up to a
  /// power of two, at least 16 slots).
  init(capacity: Int = 32) {
    var slots = 16
    while slots < capacity * 2 { slots *= 2 }
    self.ids = Array(repeating: 0, count: slots)
    self.values = Array(repeating: nil, count: slots)
    self.mask = slots - 1
  }

  /// Whether no call is in the table.
  var isEmpty: Bool { self.count == 0 }

  /// The ids in the table (a snapshot, in no particular order).
  var keys: [UInt32] { self.ids.filter { $0 != 0 } }

  /// The non-nil results of `transform` over the calls in the table, in no particular order.
  func compactMap<T>(_ transform: (UInt32, Value) throws -> T?) rethrows -> [T] {
    var results: [T] = []
    for slot in self.ids.indices where self.ids[slot] != 0 {
      if let value = self.values[slot], let result = try transform(self.ids[slot], value) { results.append(result) }
    }
    return results
  }

  /// The call with `id`, if it is in the table.
  subscript(id: UInt32) -> Value? {
    guard let slot = self.slot(of: id) else { return nil }
    return self.values[slot]
  }

  /// Adds (or replaces) the call with `id`.
  mutating func insert(_ value: Value, for id: UInt32) {
    precondition(id != 0, "call id 0 is never a call")
    if (self.count + 1) * 2 > self.ids.count { self.grow() }
    var slot = Int(id) & self.mask
    while true {
      let occupant = self.ids[slot]
      if occupant == 0 {
        self.ids[slot] = id
        self.values[slot] = value
        self.count += 1
        if slot != Int(id) & self.mask { self.displaced += 1 }
        return
      }
      if occupant == id {
        self.values[slot] = value
        return
      }
      slot = (slot + 1) & self.mask
    }
  }

  /// Removes the call with `id`; returns it, or `nil` if it was not in the table.
  @discardableResult
  mutating func removeValue(forKey id: UInt32) -> Value? {
    guard var hole = self.slot(of: id) else { return nil }
    let removed = self.values[hole]
    self.count -= 1
    if hole != Int(id) & self.mask { self.displaced -= 1 }
    guard self.displaced > 0 else {
      self.ids[hole] = 0
      self.values[hole] = nil
      return removed
    }
    // Backward-shift deletion: move later entries of the probe run into the hole when their
    // ideal slot does not lie (cyclically) after the hole.
    var next = (hole + 1) & self.mask
    while self.ids[next] != 0 {
      let ideal = Int(self.ids[next]) & self.mask
      let distanceToNext = (next - ideal) & self.mask
      let distanceToHole = (hole - ideal) & self.mask
      if distanceToHole < distanceToNext {
        self.ids[hole] = self.ids[next]
        self.values[hole] = self.values[next]
        if hole == ideal { self.displaced -= 1 }
        hole = next
      }
      next = (next + 1) & self.mask
    }
    self.ids[hole] = 0
    self.values[hole] = nil
    return removed
  }

  /// Removes every call.
  mutating func removeAll() {
    for slot in self.ids.indices where self.ids[slot] != 0 {
      self.ids[slot] = 0
      self.values[slot] = nil
    }
    self.count = 0
    self.displaced = 0
  }

  private func slot(of id: UInt32) -> Int? {
    guard id != 0 else { return nil }
    var slot = Int(id) & self.mask
    while true {
      let occupant = self.ids[slot]
      if occupant == id { return slot }
      if occupant == 0 { return nil }
      slot = (slot + 1) & self.mask
    }
  }

  private mutating func grow() {
    let oldIDs = self.ids
    let oldValues = self.values
    let slots = oldIDs.count * 2
    self.ids = Array(repeating: 0, count: slots)
    self.values = Array(repeating: nil, count: slots)
    self.mask = slots - 1
    self.count = 0
    self.displaced = 0
    for slot in oldIDs.indices where oldIDs[slot] != 0 {
      self.insert(oldValues[slot]!, for: oldIDs[slot])
    }
  }
}
