/// A plain-text table: a header row, a rule, then rows; columns padded to their widest cell
/// (in characters: Vietnamese text in NFC is one column per character), long cells cut with
/// an ellipsis.
struct Table: Sendable {
  /// The column titles.
  var columns: [String]
  /// The rows; each has one cell per column (missing cells print empty).
  var rows: [[String]] = []
  /// The widest a cell may print before it is cut.
  var maxCellWidth = 48

  init(_ columns: [String], rows: [[String]] = [], maxCellWidth: Int = 48) {
    self.columns = columns
    self.rows = rows
    self.maxCellWidth = maxCellWidth
  }

  /// Adds a row.
  mutating func append(_ row: [String]) { self.rows.append(row) }

  /// The table as text, without a trailing newline.
  func render() -> String {
    let cells = ([self.columns] + self.rows).map { row in
      (0..<self.columns.count).map { index in
        Self.cut(index < row.count ? Self.oneLine(row[index]) : "", to: self.maxCellWidth)
      }
    }
    var widths = Array(repeating: 0, count: self.columns.count)
    for row in cells {
      for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
    }
    func line(_ row: [String]) -> String {
      var text = ""
      for (index, cell) in row.enumerated() {
        let last = index == row.count - 1
        text += last ? cell : cell + String(repeating: " ", count: widths[index] - cell.count) + "  "
      }
      return text
    }
    var lines = [line(cells[0])]
    lines.append(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  "))
    lines.append(contentsOf: cells.dropFirst().map(line))
    return lines.joined(separator: "\n")
  }

  /// Replaces line breaks and tabs so one cell stays on one line.
  static func oneLine(_ text: String) -> String {
    String(text.map { $0.isNewline || $0 == "\t" ? " " : $0 })
  }

  /// Cuts `text` to `width` characters, ending with `…` when cut.
  static func cut(_ text: String, to width: Int) -> String {
    guard text.count > width, width > 1 else { return text }
    return String(text.prefix(width - 1)) + "…"
  }
}

/// Key–value lines for one object, keys padded to the longest.
struct KeyValueList: Sendable {
  var pairs: [(String, String)] = []

  mutating func add(_ key: String, _ value: String) { self.pairs.append((key, value)) }

  /// Adds the pair only when `value` is not empty.
  mutating func addIfPresent(_ key: String, _ value: String?) {
    if let value, !value.isEmpty { self.pairs.append((key, value)) }
  }

  func render() -> String {
    let width = self.pairs.map(\.0.count).max() ?? 0
    return self.pairs.map { key, value in
      let indent = String(repeating: " ", count: width + 2)
      let shown = value.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\n" + indent)
      return key + ":" + String(repeating: " ", count: width - key.count + 1) + shown
    }.joined(separator: "\n")
  }
}
