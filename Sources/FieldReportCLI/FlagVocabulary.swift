import ArgumentParser
import Synchronization

/// The server names request fields as the contract spells them (`decision_note`,
/// `common.expected_version`, `allow_same_unit`); a person at the CLI knows the command's
/// flags (`--note`, `--version`, `--allow-same-unit`). This tells a field in the command's own
/// words, so error output names what the person can change.
///
/// The flags are read from the running command's help (ArgumentParser's), so the vocabulary
/// never names a flag the command does not have; a field with no matching flag is left as the
/// server named it.
struct FlagVocabulary: Sendable, Equatable {
  /// Every `--flag` of the command.
  let flags: Set<String>

  /// Request fields whose flag is not their name: candidates in order; the first flag the
  /// command has wins.
  static let renamed: [String: [String]] = [
    "decision_note": ["--note"],
    "request_note": ["--note"],
    "position_title": ["--position"],
    "published_text": ["--text"],
    "content": ["--content", "--text", "--note"],
    "period_start_ms": ["--from"],
    "period_end_ms": ["--to"],
    "reported_from_ms": ["--from"],
    "reported_to_ms": ["--to"],
    "text_query": ["--query", "--text"],
    "name_query": ["--query"],
    "event_address": ["--address"],
    "role_kind": ["--role"],
    "unit_kind": ["--kind"],
    "subject_kind": ["--subject"],
    "heartbeat_interval_ms": ["--heartbeat"],
    "duplicate_of_case_id": ["--duplicate-of", "--duplicate", "--of"],
    "routed_to": ["--routed-to"],
    "cannot_be_resolved_reason": ["--cannot-be-resolved"],
    "linked_case_id": ["--rereport-of", "--linked-case", "--link"],
    "attachment_ids": ["--attachment", "--attachments"],
    "recipient_user_ids": ["--recipient"],
    "group_ids": ["--group"],
    "coordinator_user_ids": ["--coordinator"],
    "follower_user_ids": ["--follower"],
    "main_handler_user_id": ["--main", "--officer", "--to"],
  ]

  /// The command's vocabulary, from its help text (hidden options included).
  init(command: any ParsableCommand.Type, root: any ParsableCommand.Type) {
    let help = root.helpMessage(for: command, includeHidden: true, columns: 10_000)
    self.init(flags: Self.flags(in: help))
  }

  init(flags: Set<String>) {
    self.flags = flags
  }

  /// The `--name` tokens of a help text.
  static func flags(in help: String) -> Set<String> {
    let tokens = help.split { !($0.isLetter || $0.isNumber || $0 == "-") }
    return Set(
      tokens.filter { $0.hasPrefix("--") && $0.dropFirst(2).first?.isLetter == true }.map(String.init))
  }

  /// The flag for a request field path (`common.expected_version`, `attachments[0].name`),
  /// or nil when the command has none for it.
  /// - Parameter loose: Also try the field's last word (`task_due_at_ms` → `--due`): for a
  ///   name known to be a field (a field violation's, an "Invalid x:" message's), not for any
  ///   snake_case word of a message (a role such as `unit_leader` is not `--leader`).
  func flag(forField path: String, loose: Bool = true) -> String? {
    guard !flags.isEmpty else { return nil }
    let last = path.split(separator: ".").last.map(String.init) ?? path
    let name = String(last.prefix { $0 != "[" })
    var candidates = Self.renamed[name] ?? []
    var stem = name
    candidates.append(Self.kebab(stem))
    for suffix in ["_ms", "_at", "_id", "_ids", "_user", "_unit", "_case"] where stem.hasSuffix(suffix) {
      stem.removeLast(suffix.count)
      candidates.append(Self.kebab(stem))
    }
    if loose {
      // The field's last meaningful word: `target_unit_id` → `--unit`, `task_due_at_ms` → `--due`.
      var words = name.split(separator: "_")
      while let last = words.last, ["id", "ids", "ms", "at"].contains(last) { words.removeLast() }
      if let last = words.last { candidates.append("--" + last) }
    }
    return candidates.first { flags.contains($0) }
  }

  /// A server message with its snake_case field names told as flags (`set allow_same_unit` →
  /// `set --allow-same-unit`), and the field of an "Invalid x:" message too.
  func translate(_ message: String) -> String {
    guard !flags.isEmpty else { return message }
    var result = ""
    var word = ""
    func flush() {
      guard !word.isEmpty else { return }
      // A sentence's full stop is not part of the field's path.
      var trailing = ""
      while word.hasSuffix(".") {
        word.removeLast()
        trailing += "."
      }
      let named = result.hasSuffix("Invalid ") || result.hasSuffix("invalid ")
      let isField = named || (word.contains("_") && word == word.lowercased())
      result += (isField ? flag(forField: word, loose: named) : nil) ?? word
      result += trailing
      word = ""
    }
    for character in message {
      if character.isLetter || character.isNumber || "_.[]".contains(character) {
        word.append(character)
      } else {
        flush()
        result.append(character)
      }
    }
    flush()
    return result
  }

  private static func kebab(_ name: String) -> String {
    "--" + name.replacingOccurrences(of: "_", with: "-")
  }

  /// The running command's vocabulary, read from its help when first asked (an error is being
  /// printed): `main` names the command once it is parsed.
  static var current: FlagVocabulary {
    storage.withLock { state in
      if let known = state.vocabulary { return known }
      guard let command = state.command else { return FlagVocabulary(flags: []) }
      let vocabulary = FlagVocabulary(command: command, root: FieldReportCommand.self)
      state.vocabulary = vocabulary
      return vocabulary
    }
  }

  /// Names the running command (by `main`, after parsing).
  static func setCommand(_ command: any ParsableCommand.Type) {
    storage.withLock { $0 = State(command: command, vocabulary: nil) }
  }

  private struct State {
    var command: (any ParsableCommand.Type)?
    var vocabulary: FlagVocabulary?
  }

  private static let storage = Mutex(State(command: nil, vocabulary: nil))
}
