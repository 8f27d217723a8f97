import ArgumentParser
import FieldReportClient

#if canImport(Glibc)
  import Glibc
#endif

/// `fieldreport-loadgen`: drives a running fieldreport-server on this machine with a mix of
/// realistic calls and prints throughput and latency percentiles per operation.
@main
struct LoadGenCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "fieldreport-loadgen",
    abstract: "Load a fieldreport-server on this machine and print calls/s and latency percentiles.",
    discussion: """
      Opens --connections connections, each shared by --workers concurrent workers; every worker \
      picks an operation by the --mix weights and calls until --count calls or --duration seconds \
      have passed, whichever comes first. Operations: submit (CaseService.SubmitReport as the \
      platform, API key), dispatch (CaseService.DispatchCase as the IOC operator, of a case this \
      run submitted), get (CaseService.GetCase by id), inbox (CaseService.ListCases, the IOC \
      operator's first page of 20). Before timing, --seed reports are submitted so that get and \
      dispatch have cases.

      Start the server with the demo province: FIELDREPORT_DEMO_PASSWORD=… fieldreport-server \
      --demo; it prints the platform's API key once. Then: FIELDREPORT_DEMO_PASSWORD=… \
      fieldreport-loadgen --platform-api-key KEY.

      Only loopback servers: the generator refuses any other host.
      """
  )

  @Option(help: "The server's host (loopback only).") var host = "127.0.0.1"
  // fieldreport-server listens on 7443 by default (FieldReportServer.swift).
  @Option(help: "The server's port.") var port = 7443
  @Option(help: "Connections (each one a client).") var connections = 4
  @Option(help: "Concurrent workers per connection.") var workers = 8
  @Option(help: "The most calls to make (seeding not counted).") var count = 20_000
  @Option(help: "The longest the run lasts, in seconds.") var duration: Double = 30
  @Option(help: "Operation weights.") var mix = LoadMix.standard.description
  @Option(help: "Reports submitted before timing starts.") var seed = 200
  @Option(help: "The platform's API key (or env FIELDREPORT_PLATFORM_API_KEY).") var platformAPIKey: String?
  @Option(help: "The IOC operator's username.") var iocUsername = "quan.tm"
  @Option(help: "The IOC operator's password (or env FIELDREPORT_DEMO_PASSWORD).") var password: String?
  @Option(help: "The category of submitted reports.") var category = "MOI-TRUONG"
  @Option(help: "The unit cases are dispatched to.") var unit = "UBND-DONGLOC"
  @Option(help: "Per-call deadline in seconds.") var timeout: Double = 10

  func validate() throws {
    guard self.connections >= 1, self.workers >= 1 else { throw ValidationError("--connections and --workers must be at least 1") }
    guard self.count >= 1, self.duration > 0 else { throw ValidationError("--count and --duration must be positive") }
    guard self.seed >= 0, self.timeout > 0 else { throw ValidationError("--seed must be ≥ 0 and --timeout positive") }
  }

  func run() async throws {
    let mix = try LoadMix(parsing: self.mix)
    guard Self.isLoopback(self.host) else { throw LoadGenError.notLoopback(self.host) }
    guard let apiKey = self.platformAPIKey ?? Self.environment("FIELDREPORT_PLATFORM_API_KEY"), !apiKey.isEmpty else {
      throw LoadGenError.missingCredential("the platform's API key: --platform-api-key or FIELDREPORT_PLATFORM_API_KEY")
    }
    guard let password = self.password ?? Self.environment("FIELDREPORT_DEMO_PASSWORD"), !password.isEmpty else {
      throw LoadGenError.missingCredential("the IOC operator's password: --password or FIELDREPORT_DEMO_PASSWORD")
    }
    let address = ServerAddress(host: self.host, port: self.port)
    let callTimeout = Duration.milliseconds(Int64(self.timeout * 1000))
    let clients = (0..<self.connections).map { _ in
      FieldReportClient(server: address, timeout: callTimeout)
    }

    // One session for every connection: the IOC operator logs in once.
    let token: String
    do {
      token = try await clients[0].login(username: self.iocUsername, password: password).sessionToken
    } catch {
      throw LoadGenError.setup("login as \(self.iocUsername): \(error.code) \(error.message)")
    }
    for client in clients { client.credentials = .sessionToken(token) }
    var platformMetadata = Metadata()
    Credentials.apiKey(apiKey).apply(to: &platformMetadata)
    let platformOptions = CallOptions(timeout: callTimeout, metadata: platformMetadata)

    let runID = String(UInt32.random(in: 0...UInt32.max), radix: 36)
    let scenario = LoadScenario(runID: runID, categoryID: self.category, targetUnitID: self.unit)
    let pool = CasePool()
    print("fieldreport-loadgen → \(address): \(self.connections) connections × \(self.workers) workers, at most \(self.count) calls or \(Self.seconds(self.duration)) s, mix \(mix)")

    // Seeding: not timed, and every connection opens here (not inside the measurement).
    if self.seed > 0 {
      let seeded = await Self.seed(self.seed, clients: clients, scenario: scenario, options: platformOptions, pool: pool)
      print("seeded \(seeded) of \(self.seed) reports")
      guard seeded > 0 else { throw LoadGenError.setup("no report could be submitted (check the API key and the category)") }
    }

    let budget = LoadBudget(calls: self.count, duration: .milliseconds(Int64(self.duration * 1000)))
    let started = ContinuousClock.now
    let statistics = await withTaskGroup(of: LoadStatistics.self) { group in
      for (index, client) in clients.enumerated() {
        for worker in 0..<self.workers {
          let loadWorker = LoadWorker(
            client: client, platformOptions: platformOptions, scenario: scenario, pool: pool, mix: mix,
            budget: budget, workerID: index * self.workers + worker)
          group.addTask { await loadWorker.run() }
        }
      }
      var total = LoadStatistics()
      for await part in group { total.merge(part) }
      return total
    }
    let elapsed = ContinuousClock.now - started
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18

    print("")
    print(statistics.table(seconds: seconds))
    print("")
    print("\(statistics.totalCalls) calls in \(String(format2: seconds)) s: \(Int((Double(statistics.totalCalls) / seconds).rounded())) calls/s, \(statistics.totalErrors) errors")
    if statistics.dispatchesWithoutCase > 0 {
      print("(\(statistics.dispatchesWithoutCase) dispatches found no received case left and submitted instead)")
    }
    let errors = statistics.errorLines
    if !errors.isEmpty {
      print("errors by status:")
      for line in errors { print(line) }
    }
    for client in clients { await client.close() }
    if statistics.totalCalls > 0 && statistics.totalErrors == statistics.totalCalls {
      throw ExitCode(1)
    }
  }

  /// Submits `count` reports over every connection at once; returns how many succeeded.
  static func seed(
    _ count: Int, clients: [FieldReportClient], scenario: LoadScenario, options: CallOptions, pool: CasePool
  ) async -> Int {
    await withTaskGroup(of: Int.self) { group in
      let lanes = max(1, min(count, clients.count * 4))
      for lane in 0..<lanes {
        let client = clients[lane % clients.count]
        group.addTask {
          var succeeded = 0
          for sequence in stride(from: lane, to: count, by: lanes) {
            let request = scenario.submitRequest(worker: -1, sequence: sequence)
            if let response = try? await client.cases.submitReport(request, options: options), let summary = response.caseSummary {
              pool.add(caseID: summary.caseId, version: summary.version)
              succeeded += 1
            }
          }
          return succeeded
        }
      }
      return await group.reduce(0, +)
    }
  }

  static func isLoopback(_ host: String) -> Bool {
    host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
  }

  static func seconds(_ value: Double) -> String {
    value == value.rounded() ? String(Int(value)) : String(format2: value)
  }

  static func environment(_ name: String) -> String? {
    getenv(name).map { String(cString: $0) }
  }

}
