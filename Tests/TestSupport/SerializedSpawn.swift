import Foundation

#if canImport(Glibc)
  import Glibc
#endif

extension Process {
  /// `run()` with no other spawn of the test suite in progress (in this process or another
  /// test process of the same user).
  ///
  /// The suite runs its tests concurrently, and many start child processes (the server, the
  /// CLI, the load generator, openssl). Foundation's `Process.run()` on Linux crashed now and
  /// then (SIGSEGV inside `run()`, in a different test each time) when several were spawned at
  /// the same moment. An exclusive `flock` on one file serialises the spawn itself, which takes
  /// milliseconds; the children then run concurrently as before.
  public func runSerialized() throws {
    let path = NSTemporaryDirectory() + "/fieldreport-tests-\(getuid())-spawn.lock"
    let descriptor = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
    if descriptor >= 0 {
      while flock(descriptor, LOCK_EX) != 0 && errno == EINTR {}
    }
    defer {
      if descriptor >= 0 {
        _ = flock(descriptor, LOCK_UN)
        _ = close(descriptor)
      }
    }
    try self.run()
  }
}

/// What a child process printed, and how it ended.
public struct ChildOutput: Sendable {
  public let status: Int32
  public let output: String
  public let error: String
}

extension Process {
  /// Runs `executable` with `arguments` to its end (spawned with ``runSerialized()``), draining
  /// both pipes while it runs so neither can fill up and block it.
  public static func runToEnd(_ executable: URL, _ arguments: [String]) async throws -> ChildOutput {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    let output = Pipe()
    let error = Pipe()
    process.standardOutput = output
    process.standardError = error
    try process.runSerialized()
    async let out = Task.detached { output.fileHandleForReading.readDataToEndOfFile() }.value
    async let err = Task.detached { error.fileHandleForReading.readDataToEndOfFile() }.value
    let (outData, errData) = await (out, err)
    process.waitUntilExit()
    return ChildOutput(
      status: process.terminationStatus, output: String(decoding: outData, as: UTF8.self),
      error: String(decoding: errData, as: UTF8.self))
  }
}
