// libFuzzer target: see Tests/Fuzz/FuzzHarness and scripts/fuzz.sh. Built only with
// FIELDREPORT_FUZZ=1 and `--sanitize=fuzzer` (libFuzzer provides `main`).
import FuzzHarness

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
  FuzzDecode.run(UnsafeRawBufferPointer(start: start, count: count))
  return 0
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(
  _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
  writeSeedsIfAsked(FuzzDecode.seeds())
  return 0
}
