// libFuzzer target: see Tests/Fuzz/FuzzHarness and scripts/fuzz.sh. Built only with
// FIELDREPORT_FUZZ=1 and `--sanitize=fuzzer` (libFuzzer provides `main`).
import FuzzHarness

#if canImport(Glibc)
  import Glibc
#endif

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
  FuzzConnection.run(UnsafeRawBufferPointer(start: start, count: count))
  return 0
}

/// With FIELDREPORT_FUZZ_WRITE_SEEDS=DIR, writes the seed corpus into DIR and exits.
@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(
  _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
  guard let dir = getenv("FIELDREPORT_FUZZ_WRITE_SEEDS").map({ String(cString: $0) }) else { return 0 }
  for (index, seed) in FuzzConnection.seeds().enumerated() {
    guard let file = fopen("\(dir)/seed-\(index)", "wb") else { continue }
    _ = seed.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
    fclose(file)
  }
  exit(0)
}
