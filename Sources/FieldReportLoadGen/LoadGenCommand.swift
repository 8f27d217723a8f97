import ArgumentParser
import FieldReportClient

#if canImport(Glibc)
  import Glibc
#endif

/// `fieldreport-loadgen`: drives a running fieldreport-server with realistic calls, closed or
/// open loop, and reports throughput and latency percentiles per operation (table, JSON, SVG).
@main
struct LoadGenCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "fieldreport-loadgen",
    abstract: "Load a fieldreport-server (demo province) and report calls/s and latency percentiles per operation.",
    discussion: """
      The server must have the demo province: start it with FIELDREPORT_DEMO_PASSWORD=… \
      fieldreport-server --demo (it prints the platform's API key once; for load tests also \
      --reports-per-reporter-hour 0). The generator logs in once as each demo person it acts as \
      (password: --password or FIELDREPORT_DEMO_PASSWORD) and submits as the platform (API key: \
      --platform-api-key or FIELDREPORT_PLATFORM_API_KEY). Any --host and --port; loopback by default.

      SCENARIOS (--scenario)
        mix        Operations picked at random by the --mix weights (default \
      submit=3,dispatch=1,get=4,inbox=2). Operations: submit (SubmitReport as the platform), \
      dispatch (DispatchCase of a received case to --unit, as the IOC operator; when none is \
      left it submits instead, and says so), get (GetCase), inbox (ListCases scope MINE, first \
      page of 20, as the IOC operator), inbox-leader and inbox-officer (the same as Xã Đồng \
      Lộc's leader duong.lv and officer thang.ld), journal (ListJournal), workflow \
      (GetWorkflow), health (rpc.v1.Health/Check without credentials: the server's near-trivial \
      call, a reference for the others). Reads pick a random case this run knows (seeded, prefilled or submitted). \
      One operation alone: --mix get, --mix inbox-leader, …
        lifecycle  Each unit of work is a whole case: submit (platform) → dispatch (IOC \
      operator quan.tm, to the four units in turn) → assign (the unit's leader) → submit-result \
      (the officer, the main handler) → approve (the leader) → publish (IOC operator). Reports \
      each step's latency and the completed cases per second.
        dashboard  What people look at: each role's inbox (IOC operator, leader, officer), \
      GetCase, ListJournal and GetWorkflow, equally often.

      LOOPS
        Closed loop (default): --connections × --workers callers, each calling again as soon \
      as its call returns, until --duration seconds or --count calls. Latency is from each \
      call's start; throughput is what the server sustains at that concurrency.
        Open loop (--rate N): N calls per second in total (lifecycle: N new cases per second) \
      are scheduled at fixed times whatever the server does, spread over the connections. \
      Latency is measured from each call's scheduled start, so queueing is not hidden \
      (coordinated omission). At most --max-in-flight calls run at once; a call that finds no \
      free slot waits for one (the wait counts in its latency), and scheduled calls that \
      could not start before the end are reported as not started.

      DATA
        --prefill N creates N cases before measuring, through the public RPCs, with \
      --prefill-concurrency lanes over every connection: spread over the four units, the five \
      categories, report times over the last four weeks and stages (20 % received at the IOC, \
      20 % at the unit, 20 % in progress, 15 % awaiting approval, 10 % resolved, 15 % \
      published), with progress on stderr. --seed N submits N more reports (received: for \
      dispatch and reads). Reads also choose among up to --discover cases listed from the \
      server (ListCases ALL), so a database filled by an earlier run is read too. None of \
      this is measured.

      OUTPUT
        A Markdown table on stdout (calls, calls/s, p50/p90/p99/p99.9/max per operation). A \
      live line on stderr when it is a terminal (elapsed, calls/s, errors, p99 so far). \
      --json PATH writes {"scenario", "connections", "workers", "duration_s", "operations": \
      {name: {"calls", "calls_per_s", "p50_us", "p90_us", "p99_us", "p999_us", "max_us", \
      "errors": {CODE: n}}}, "all": {…}, "server_rss_kb", …} (lifecycle adds \
      "completed_cases" and "completed_cases_per_s"; open loop "rate", "not_started"; \
      --server-pid adds the server's CPU time over the measured window, in all and per \
      thread name ("server_threads": {name: {"cpu_s", "run_queue_wait_s", "threads", \
      "cpu_us_per_call"}}, from /proc/PID/task: the store's writer is sqlite-writer, its \
      readers sqlite-reader-N, its checkpointer sqlite-checkpt); the generator's own \
      CPU time and the machine's load average are always reported, to tell when the \
      generator or something else on the machine limits the run). --plot PATH.svg draws \
      the latency percentile curves (HDR style, log scales) and the calls per second over time. \
      --server-pid PID reads the server's RSS (/proc/PID/status VmRSS) after the run.

      EXAMPLES (FIELDREPORT_DEMO_PASSWORD and FIELDREPORT_PLATFORM_API_KEY set)
        fieldreport-loadgen --duration 20
        fieldreport-loadgen --mix get --json get.json
        fieldreport-loadgen --mix inbox --connections 1 --workers 1 --prefill 10000
        fieldreport-loadgen --scenario lifecycle --plot lifecycle.svg
        fieldreport-loadgen --scenario dashboard --rate 2000 --max-in-flight 256
        fieldreport-loadgen --host 10.0.0.5 --rate 500 --json run.json
        fieldreport-loadgen --mix submit --server-pid 4242 --json submit.json
      scripts/bench-e2e.sh runs the whole set against the trivial RPC as the reference.
      """
  )

  @Option(help: "The server's host.") var host = "127.0.0.1"
  // fieldreport-server listens on 7443 by default (FieldReportServer.swift).
  @Option(help: "The server's port.") var port = 7443
  @Option(help: "The port of another replica of the same server on --host (repeatable): the connections alternate between --port and these.")
  var replicaPort: [Int] = []
  @Flag(help: "Connect over TLS (implied by --ca, --cert, --key).") var tls = false
  @Option(help: "PEM file of the CAs that signed the server's certificate (default: the system's).") var ca: String?
  @Option(help: "PEM client certificate, for a server that requires mutual TLS.") var cert: String?
  @Option(help: "PEM private key of --cert.") var key: String?
  @Option(help: "The name to check the server's certificate against (default: --host).") var tlsServerName: String?
  @Option(help: "What to run: mix, lifecycle or dashboard.") var scenario = "mix"
  @Option(help: "Operation weights of the mix scenario (name=weight,…; a name alone weighs 1).") var mix = LoadMix.standard.description
  @Option(help: "Connections (each one a client).") var connections = 4
  @Option(help: "Closed loop: concurrent callers per connection.") var workers = 16
  @Option(help: "Open loop: calls per second in total (lifecycle: new cases per second).") var rate: Double?
  @Option(help: "Open loop: the most calls running at once.") var maxInFlight = 1024
  @Option(help: "The longest the measured run lasts, in seconds.") var duration: Double = 30
  @Option(help: "The most calls to make (default: no limit but --duration).") var count: Int?
  @Option(help: "Cases created before measuring, spread over units, stages and days.") var prefill = 0
  @Option(help: "Concurrent lanes of the prefill.") var prefillConcurrency = 64
  @Option(help: "Reports submitted before measuring (received; for dispatch and reads; not with lifecycle).") var seed = 200
  @Option(help: "Case ids learnt from the server before measuring (ListCases ALL), for reads when this run made few cases.") var discover = 2000
  @Option(help: "The platform's API key (or env FIELDREPORT_PLATFORM_API_KEY).") var platformAPIKey: String?
  @Option(help: "The demo people's password (or env FIELDREPORT_DEMO_PASSWORD).") var password: String?
  @Option(help: "The category of reports submitted while measuring.") var category = "MOI-TRUONG"
  @Option(help: "The unit the dispatch operation sends cases to.") var unit = "UBND-DONGLOC"
  @Option(help: "Per-call deadline in seconds.") var timeout: Double = 10
  @Flag(help: "Decode the replies of reads too (by default they are received whole but not decoded).") var decodeReplies = false
  @Option(help: "Write the results as JSON to this file.") var json: String?
  @Option(help: "Draw latency percentiles and throughput over time to this SVG file.") var plot: String?
  @Option(help: "The server's process id (on this machine; repeat it for each replica): their RSS and CPU time, added up, go into the results.")
  var serverPid: [Int32] = []

  func validate() throws {
    guard ["mix", "lifecycle", "dashboard"].contains(self.scenario) else { throw ValidationError("--scenario must be mix, lifecycle or dashboard") }
    guard self.connections >= 1, self.workers >= 1 else { throw ValidationError("--connections and --workers must be at least 1") }
    guard self.duration > 0, (self.count ?? 1) >= 1 else { throw ValidationError("--count and --duration must be positive") }
    guard self.seed >= 0, self.prefill >= 0, self.prefillConcurrency >= 1, self.timeout > 0 else {
      throw ValidationError("--seed and --prefill must be ≥ 0, --prefill-concurrency ≥ 1, --timeout positive")
    }
    if let rate = self.rate { guard rate > 0, self.maxInFlight >= 1 else { throw ValidationError("--rate and --max-in-flight must be positive") } }
  }

  /// The CPU seconds of every `--server-pid`, added up (nil without one, or if one is unreadable).
  func serverCPUSeconds() -> Double? {
    guard !self.serverPid.isEmpty else { return nil }
    var total = 0.0
    for pid in self.serverPid {
      guard let seconds = Terminal.cpuSeconds(pid: pid) else { return nil }
      total += seconds
    }
    return total
  }

  /// The resident memory of every `--server-pid`, added up (nil without one, or if one is unreadable).
  func serverResidentKilobytes() -> Int? {
    guard !self.serverPid.isEmpty else { return nil }
    var total = 0
    for pid in self.serverPid {
      guard let kilobytes = Terminal.residentKilobytes(pid: pid) else { return nil }
      total += kilobytes
    }
    return total
  }

  func run() async throws {
    let workload: Workload =
      switch self.scenario {
      case "lifecycle": .lifecycle
      case "dashboard": .mix(.dashboard)
      default: .mix(try LoadMix(parsing: self.mix))
      }
    guard let apiKey = self.platformAPIKey ?? Self.environment("FIELDREPORT_PLATFORM_API_KEY"), !apiKey.isEmpty else {
      throw LoadGenError.missingCredential("the platform's API key: --platform-api-key or FIELDREPORT_PLATFORM_API_KEY")
    }
    guard let password = self.password ?? Self.environment("FIELDREPORT_DEMO_PASSWORD"), !password.isEmpty else {
      throw LoadGenError.missingCredential("the demo people's password: --password or FIELDREPORT_DEMO_PASSWORD")
    }
    let address = ServerAddress(host: self.host, port: self.port)
    let callTimeout = Duration.milliseconds(Int64(self.timeout * 1000))
    guard (self.cert == nil) == (self.key == nil) else { throw ValidationError("--cert and --key go together") }
    let tls: ClientTLS? =
      self.tls || self.ca != nil || self.cert != nil
      ? ClientTLS(trustRootsPath: self.ca, certificateChainPath: self.cert, privateKeyPath: self.key, serverName: self.tlsServerName)
      : nil
    // Replicas share one database: a session opened through one is valid on every other.
    let addresses = [address] + self.replicaPort.map { ServerAddress(host: self.host, port: $0) }
    let clients = (0..<self.connections).map { index in
      FieldReportClient(server: addresses[index % addresses.count], timeout: callTimeout, tls: tls)
    }

    // Who the run acts as: the IOC operator always; the units' people for the lifecycle,
    // the prefill and the dashboard.
    var people = [DemoPeople.iocOperator]
    let needsUnits: Bool = {
      if case .lifecycle = workload { return true }
      if case .mix(let mix) = workload, mix.weights[.inboxLeader, default: 0] > 0 || mix.weights[.inboxOfficer, default: 0] > 0 { return true }
      return self.prefill > 0
    }()
    if needsUnits { for unit in DemoPeople.units { people += [unit.leader, unit.officer] } }
    let sessions = try await Sessions.open(client: clients[0], apiKey: apiKey, password: password, people: people, timeout: callTimeout)

    let runID = String(UInt32.random(in: 0...UInt32.max), radix: 36)
    let scenario = LoadScenario(runID: runID, categoryID: self.category, targetUnitID: self.unit)
    let pool = CasePool()
    let loop = self.rate.map { "open loop at \(Self.number($0)) \(self.scenario == "lifecycle" ? "cases" : "calls")/s (at most \(self.maxInFlight) in flight) over \(self.connections) connections" }
      ?? "closed loop, \(self.connections) connections × \(self.workers) workers"
    let mixText = if case .mix(let mix) = workload { " (\(mix))" } else { "" }
    print("fieldreport-loadgen → \(address): \(self.scenario)\(mixText), \(loop), \(Self.number(self.duration)) s\(self.count.map { " or \($0) calls" } ?? "")")

    // Not measured: the prefill, the seed; every connection opens here.
    if self.prefill > 0 {
      let recorder = Recorder(origin: .now)
      let actions = LoadActions(sessions: sessions, scenario: scenario, pool: pool, recorder: recorder)
      let outcome = await Prefill.run(count: self.prefill, lanes: self.prefillConcurrency, actions: actions, clients: clients, label: "prefill")
      let stages = LoadActions.Stage.allCases.map { "\(outcome.byStage[$0, default: 0]) \($0)" }.joined(separator: ", ")
      print("prefilled \(outcome.created) of \(self.prefill) cases in \(String(format1: outcome.seconds)) s (\(stages)); \(outcome.failed) failed")
      let errors = recorder.snapshot().errorLines
      if !errors.isEmpty { print("prefill errors by status:\n" + errors.joined(separator: "\n")) }
      guard outcome.created > 0 else { throw LoadGenError.setup("no case could be prefilled (check the API key, the password and the demo province)") }
    }
    let seedCount: Int = if case .lifecycle = workload { 0 } else { self.seed }
    if seedCount > 0 {
      let recorder = Recorder(origin: .now)
      let actions = LoadActions(sessions: sessions, scenario: scenario, pool: pool, recorder: recorder)
      let outcome = await Prefill.run(
        count: seedCount, lanes: self.prefillConcurrency, actions: actions, clients: clients, stages: .received, tagPrefix: "s",
        label: seedCount >= 2000 ? "seed" : nil)
      print("seeded \(outcome.created) of \(seedCount) reports")
      guard outcome.created > 0 else {
        let errors = recorder.snapshot().errorLines
        throw LoadGenError.setup("no report could be submitted (check the API key and the category)\(errors.isEmpty ? "" : ": " + errors.joined(separator: ";"))")
      }
    }

    if case .mix(let mix) = workload, mix.readsCases, self.discover > 0, pool.counts.known < self.discover {
      let found = await Prefill.discover(limit: self.discover, client: clients[0], options: sessions.ioc, pool: pool)
      print("reads choose among \(pool.counts.known) case ids (\(found) listed from the server)")
    }

    // The measured window.
    let cpuBefore = self.serverCPUSeconds()
    let threadsBefore = ServerThreads.read(pids: self.serverPid)
    let ownCPUBefore = Terminal.cpuSeconds(pid: nil)
    let budget = LoadBudget(calls: self.count ?? Int.max, duration: .milliseconds(Int64(self.duration * 1000)))
    let recorder = Recorder(shards: 16, origin: budget.start)
    var actions = LoadActions(sessions: sessions, scenario: scenario, pool: pool, recorder: recorder)
    actions.decodeReplies = self.decodeReplies
    let live = LiveProgress(recorder: recorder, label: self.scenario)
    var openOutcome: OpenLoop.Outcome? = nil
    if let rate = self.rate {
      openOutcome = await OpenLoop.run(
        actions: actions, clients: clients, rate: rate, maxInFlight: self.maxInFlight, count: self.count, budget: budget, workload: workload)
    } else {
      await ClosedLoop.run(actions: actions, clients: clients, workers: self.workers, budget: budget, workload: workload)
    }
    let seconds = Terminal.seconds(ContinuousClock.now - budget.start)
    await live.stop()
    let cpuAfter = self.serverCPUSeconds()
    let threadsAfter = ServerThreads.read(pids: self.serverPid)
    let ownCPUAfter = Terminal.cpuSeconds(pid: nil)
    let loadAverage = Terminal.loadAverage()
    let rss = self.serverResidentKilobytes()
    let statistics = recorder.snapshot()

    print("")
    print(statistics.table(seconds: seconds))
    print("")
    print(
      "\(statistics.totalCalls) calls in \(String(format2: seconds)) s: \(Int((Double(statistics.totalCalls) / seconds).rounded())) calls/s, \(statistics.totalErrors) errors"
    )
    if case .lifecycle = workload {
      print("\(statistics.completedCases) cases completed (submitted to published): \(String(format2: Double(statistics.completedCases) / seconds)) cases/s")
    }
    if let openOutcome {
      print(
        "open loop: \(openOutcome.scheduled) scheduled, \(openOutcome.notStarted) not started (no free slot before the end), \(openOutcome.startedLate) started more than 1 ms late"
      )
    }
    if statistics.dispatchesWithoutCase > 0 {
      print("(\(statistics.dispatchesWithoutCase) dispatches found no received case left and submitted instead: raise --seed)")
    }
    if statistics.readsWithoutCase > 0 { print("(\(statistics.readsWithoutCase) reads found no case and were skipped)") }
    var cpuPerCall: Double? = nil
    if let cpuBefore, let cpuAfter {
      let cpu = cpuAfter - cpuBefore
      cpuPerCall = statistics.totalCalls > 0 ? cpu * 1e6 / Double(statistics.totalCalls) : nil
      print("server: \(String(format2: cpu)) s CPU (\(cpuPerCall.map { String(format1: $0) } ?? "–") µs per call), RSS \(rss.map { "\($0 / 1024) MB" } ?? "unknown")")
    }
    // Which server thread did the work, and which waited for a core.
    var threadUsage: [String: ServerThreads.Usage]? = nil
    if let threadsBefore, let threadsAfter {
      let usage = threadsAfter.usage(since: threadsBefore)
      threadUsage = usage
      print("server threads:")
      for line in ServerThreads.lines(usage, calls: statistics.totalCalls, seconds: seconds) { print("  " + line) }
    }
    // The generator's own CPU: near one core per core of the machine means it, not the
    // server, may be what limits the run.
    var ownCPUPerCall: Double? = nil
    if let ownCPUBefore, let ownCPUAfter {
      let cpu = ownCPUAfter - ownCPUBefore
      ownCPUPerCall = statistics.totalCalls > 0 ? cpu * 1e6 / Double(statistics.totalCalls) : nil
      print(
        "generator: \(String(format2: cpu)) s CPU (\(ownCPUPerCall.map { String(format1: $0) } ?? "–") µs per call, \(Int((cpu / seconds * 100).rounded())) % of a core)\(loadAverage.map { "; machine load average \(String(format2: $0))" } ?? "")"
      )
    }
    let errors = statistics.errorLines
    if !errors.isEmpty {
      print("errors by status:")
      for line in errors { print(line) }
    }

    if let path = self.json {
      var extra: [(String, JSON)] = [
        ("mode", .string(self.rate == nil ? "closed" : "open")),
        ("mix", { if case .mix(let mix) = workload { return .string(mix.description) } else { return .null } }()),
        ("host", .string(self.host)), ("port", .int(self.port)),
        ("replica_ports", .array(self.replicaPort.map { .int($0) })),
        ("rate", self.rate.map { .double($0) } ?? .null),
        ("max_in_flight", self.rate == nil ? .int(self.connections * self.workers) : .int(self.maxInFlight)),
        ("prefill", .int(self.prefill)), ("seed", .int(seedCount)),
        ("errors_total", .int(statistics.totalErrors)),
        ("dispatches_without_case", .int(statistics.dispatchesWithoutCase)),
        ("decode_replies", .bool(self.decodeReplies)),
      ]
      if case .lifecycle = workload {
        extra.append(("completed_cases", .int(statistics.completedCases)))
        extra.append(("completed_cases_per_s", .double(Double(statistics.completedCases) / seconds)))
      }
      if let openOutcome {
        extra.append(("scheduled", .int(openOutcome.scheduled)))
        extra.append(("not_started", .int(openOutcome.notStarted)))
        extra.append(("started_late", .int(openOutcome.startedLate)))
      }
      if let ownCPUBefore, let ownCPUAfter {
        extra.append(("loadgen_cpu_s", .double(ownCPUAfter - ownCPUBefore)))
        extra.append(("loadgen_cpu_us_per_call", ownCPUPerCall.map { .double($0) } ?? .null))
      }
      extra.append(("load_average", loadAverage.map { .double($0) } ?? .null))
      if let cpuBefore, let cpuAfter {
        extra.append(("server_cpu_s", .double(cpuAfter - cpuBefore)))
        extra.append(("server_cpu_us_per_call", cpuPerCall.map { .double($0) } ?? .null))
      }
      if let threadUsage { extra.append(("server_threads", ServerThreads.json(threadUsage, calls: statistics.totalCalls))) }
      let document = Report.document(
        scenario: self.scenario, connections: self.connections, workers: self.rate == nil ? self.workers : 0, seconds: seconds,
        statistics: statistics, serverRSS: rss, extra: extra)
      try Terminal.writeFile(path, document.text + "\n")
      print("wrote \(path)")
    }
    if let path = self.plot {
      let title = "fieldreport-loadgen: \(self.scenario)\(mixText)"
      let subtitle =
        "\(address), \(loop), \(String(format2: seconds)) s, \(statistics.totalCalls) calls, \(statistics.totalErrors) errors"
        + (self.prefill > 0 ? ", prefilled \(self.prefill) cases" : "")
      try Terminal.writeFile(path, Plot.svg(title: title, subtitle: subtitle, statistics: statistics, seconds: seconds, openLoop: self.rate != nil))
      print("wrote \(path)")
    }
    for client in clients { await client.close() }
    if statistics.totalCalls > 0 && statistics.totalErrors == statistics.totalCalls {
      throw ExitCode(1)
    }
  }

  static func number(_ value: Double) -> String {
    value == value.rounded() ? String(Int(value)) : String(format2: value)
  }

  static func environment(_ name: String) -> String? {
    getenv(name).map { String(cString: $0) }
  }
}
