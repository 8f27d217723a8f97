import FieldReportWorkflow

/// Search helpers over the workflow's Vietnamese folding (lower case, no diacritics, đ → d),
/// so "thang" matches "Lê Đại Thắng" and "duong" matches "Lê Văn Đường".
///
/// The stored folded columns (`users.folded_name`, `cases.search_text`) and search queries
/// are folded by the same function.
package enum TextFolding {
  package static func fold(_ text: String) -> String {
    VietnameseFolding.fold(text)
  }

  /// Escapes `%`, `_` and the escape character itself for a `LIKE … ESCAPE '\'` pattern.
  package static func likePattern(containing text: String) -> String {
    var escaped = ""
    for character in text {
      if character == "%" || character == "_" || character == "\\" { escaped.append("\\") }
      escaped.append(character)
    }
    return "%" + escaped + "%"
  }
}
