import Crypto
import Dispatch
import Synchronization
import Testing

import FieldReportStore

@Suite("Attachment content: hashed once, large content away from the caller's executor")
struct AttachmentContentTests {
  /// A task executor that counts the jobs it is given and runs them on Dispatch's global queue.
  final class CountingExecutor: TaskExecutor, @unchecked Sendable {
    let jobs = Mutex(0)

    func enqueue(_ job: consuming ExecutorJob) {
      jobs.withLock { $0 += 1 }
      let job = UnownedJob(job)
      DispatchQueue.global().async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
  }

  @Test("the digest is SHA-256 of the bytes, whichever way it was hashed")
  func digest() async {
    for count in [0, 1, AttachmentContent.offloadThreshold - 1, AttachmentContent.offloadThreshold, 1 << 20] {
      let bytes = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31) }
      let hashed = await AttachmentContent.hashing(bytes)
      #expect(hashed.sha256 == Array(SHA256.hash(data: bytes)))
      #expect(hashed.bytes == bytes)
      #expect(AttachmentContent(bytes).sha256 == hashed.sha256)
    }
  }

  @Test("content of the threshold or more is hashed on the given executor, smaller content in place")
  func offloads() async {
    let executor = CountingExecutor()
    _ = await AttachmentContent.hashing([UInt8](repeating: 1, count: AttachmentContent.offloadThreshold - 1), on: executor)
    #expect(executor.jobs.withLock { $0 } == 0)
    _ = await AttachmentContent.hashing([UInt8](repeating: 1, count: AttachmentContent.offloadThreshold), on: executor)
    #expect(executor.jobs.withLock { $0 } >= 1)
  }
}
