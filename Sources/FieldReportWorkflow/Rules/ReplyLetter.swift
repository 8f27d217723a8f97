/// The unit's reply-letter template (source §3, "Xử lý"), with the unit's name filled in.
///
/// ```
/// Kính gửi: Quý Ông/Bà.
/// Vấn đề quý Ông/Bà phản ánh, UBND Xã Đồng Lộc xin thông báo kết quả như sau:
/// ....Nội dung thực hiện....
/// Chân thành cảm ơn quý Ông/Bà.
/// Trân trọng.
/// ```
public enum ReplyLetter {
  /// The placeholder the template shows where the officer writes what was done.
  public static let placeholderBody = "....Nội dung thực hiện...."

  /// The letter for `unitName` with `body` in place of the placeholder.
  public static func render(unitName: String, body: String = placeholderBody) -> String {
    """
    Kính gửi: Quý Ông/Bà.
    Vấn đề quý Ông/Bà phản ánh, \(unitName) xin thông báo kết quả như sau:
    \(body)
    Chân thành cảm ơn quý Ông/Bà.
    Trân trọng.
    """
  }

  /// The letter for `unit` with `body` in place of the placeholder.
  public static func render(for unit: Unit, body: String = placeholderBody) -> String {
    render(unitName: unit.name, body: body)
  }
}
