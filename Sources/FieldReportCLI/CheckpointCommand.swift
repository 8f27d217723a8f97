import ArgumentParser
import FieldReportClient
import Foundation

// `fieldreport journal checkpoint create|list|show|export`: signed checkpoints of the journal
// (issue 14, item 6).

extension JournalCommand {
  /// The checkpoint commands.
  struct Checkpoint: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Signed checkpoints of every case's journal chain head (system admin, IOC).",
      discussion: """
        The server signs (Ed25519) a digest of every case's chain head, periodically and on demand. Export one \
        with `export --out FILE` and give it to an inspector: `fieldreport-server verify --checkpoint FILE \
        --public-key KEY --database DB` proves offline that no journal entry it covers changed since.
        """,
      subcommands: [Create.self, List.self, Show.self, Export.self])
  }
}

extension JournalCommand.Checkpoint {
  /// CreateCheckpoint.
  struct Create: RPCCommand {
    static let configuration = CommandConfiguration(abstract: "Sign a checkpoint now.", aliases: ["create-checkpoint"])

    @OptionGroup var global: GlobalOptions
    @OptionGroup var input: RequestInput

    func build(_ request: inout Fieldreport_V1_CreateCheckpointRequest, session: CLISession) async throws {}

    func call(_ request: Fieldreport_V1_CreateCheckpointRequest, session: CLISession) async throws -> Fieldreport_V1_CreateCheckpointResponse {
      try await session.client.journal.createCheckpoint(request)
    }

    func render(_ response: Fieldreport_V1_CreateCheckpointResponse, session: CLISession) async throws -> String {
      response.checkpoint.map(Render.checkpoint) ?? "(no checkpoint in the answer)"
    }
  }

  /// ListCheckpoints.
  struct List: RPCCommand {
    static let configuration = CommandConfiguration(abstract: "Checkpoints, newest first.", aliases: ["list-checkpoints"])

    @OptionGroup var global: GlobalOptions
    @OptionGroup var input: RequestInput
    @Option(name: .customLong("page-size")) var pageSize: Int32?
    @Option(name: .customLong("page-token")) var pageToken: String?

    func build(_ request: inout Fieldreport_V1_ListCheckpointsRequest, session: CLISession) async throws {
      if let pageSize { request.pageSize = pageSize }
      if let pageToken { request.pageToken = pageToken }
    }

    func call(_ request: Fieldreport_V1_ListCheckpointsRequest, session: CLISession) async throws -> Fieldreport_V1_ListCheckpointsResponse {
      try await session.client.journal.listCheckpoints(request)
    }

    func render(_ response: Fieldreport_V1_ListCheckpointsResponse, session: CLISession) async throws -> String {
      var table = Table(["Id", "Signed", "Trigger", "Cases", "Entries", "Digest"])
      for checkpoint in response.checkpoints {
        table.append([
          checkpoint.checkpointId, Render.time(checkpoint.createdAtMs), checkpoint.trigger, "\(checkpoint.caseCount)",
          "\(checkpoint.entryCount)", String(Render.hex(checkpoint.digest).prefix(16)) + "…",
        ])
      }
      return (response.checkpoints.isEmpty ? "(no checkpoints)" : table.render()) + Render.nextPage(response.nextPageToken)
    }
  }

  /// GetCheckpoint.
  struct Show: RPCCommand {
    static let configuration = CommandConfiguration(abstract: "One checkpoint with its heads (default: the newest).", aliases: ["get-checkpoint"])

    @OptionGroup var global: GlobalOptions
    @OptionGroup var input: RequestInput
    @Argument(help: "The checkpoint id; omitted: the newest.") var checkpointID: String?

    func build(_ request: inout Fieldreport_V1_GetCheckpointRequest, session: CLISession) async throws {
      if let checkpointID { request.checkpointId = checkpointID }
    }

    func call(_ request: Fieldreport_V1_GetCheckpointRequest, session: CLISession) async throws -> Fieldreport_V1_GetCheckpointResponse {
      try await session.client.journal.getCheckpoint(request)
    }

    func render(_ response: Fieldreport_V1_GetCheckpointResponse, session: CLISession) async throws -> String {
      var table = Table(["Case", "Id", "Entries", "Head hash"])
      for head in response.heads {
        table.append([head.reportCode, head.caseId, "\(head.entryCount)", Render.hex(head.headHash)])
      }
      return (response.checkpoint.map(Render.checkpoint) ?? "") + "\n" + table.render()
    }
  }

  /// GetCheckpoint, written to a file for an inspector.
  struct Export: RPCCommand {
    static let configuration = CommandConfiguration(
      abstract: "Write a checkpoint's self-contained file (JSON: time, digest, heads, signature, public key) for fieldreport-server verify --checkpoint.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var input: RequestInput
    @Argument(help: "The checkpoint id; omitted: the newest.") var checkpointID: String?
    @Option(help: "The file to write (refused if it exists, unless --force).") var out: String
    @Flag(help: "Replace --out if it exists.") var force = false

    func build(_ request: inout Fieldreport_V1_GetCheckpointRequest, session: CLISession) async throws {
      if let checkpointID { request.checkpointId = checkpointID }
      if !force, FileManager.default.fileExists(atPath: out) {
        throw CLIError.usage("--out \(out) exists (add --force to replace it)")
      }
    }

    func call(_ request: Fieldreport_V1_GetCheckpointRequest, session: CLISession) async throws -> Fieldreport_V1_GetCheckpointResponse {
      let response = try await session.client.journal.getCheckpoint(request)
      // Written here, so --json writes the file too.
      do {
        try Data((response.exportJson + "\n").utf8).write(to: URL(fileURLWithPath: out), options: .atomic)
      } catch {
        throw CLIError.usage("cannot write --out \(out): \(error.localizedDescription)")
      }
      return response
    }

    func render(_ response: Fieldreport_V1_GetCheckpointResponse, session: CLISession) async throws -> String {
      "Wrote \(out): checkpoint \(response.checkpoint?.checkpointId ?? "?"), \(response.heads.count) cases, "
        + "key fingerprint \(response.checkpoint?.keyFingerprint ?? "?")."
    }
  }
}

extension Render {
  /// Bytes as lowercase hex.
  static func hex(_ bytes: [UInt8]) -> String {
    bytes.map { String(format: "%02x", $0) }.joined()
  }

  /// A checkpoint's facts, one per line.
  static func checkpoint(_ checkpoint: Fieldreport_V1_JournalCheckpoint) -> String {
    [
      "Checkpoint \(checkpoint.checkpointId) (\(checkpoint.trigger))",
      "signed at \(Self.time(checkpoint.createdAtMs))" + (checkpoint.createdBy.map { " by \(Self.user($0))" } ?? ""),
      "covers \(checkpoint.caseCount) cases, \(checkpoint.entryCount) journal entries",
      "digest \(Self.hex(checkpoint.digest))",
      "public key \(Self.hex(checkpoint.publicKey))",
      "key fingerprint \(checkpoint.keyFingerprint)",
    ].joined(separator: "\n")
  }
}
