import AnalyticsCore
import Foundation
import Logging
import Messages
import RuntimeSupport
import VideoFrames

/// Writes each result as one JSON line to a file or stdout, from a writer thread of its own.
///
/// Overflow policy: at most `capacity` results wait; when full, the newest result is dropped and counted (the lines
/// already queued keep their order). Write errors (disk full, closed pipe) are logged once and counted as failed.
public final class JSONLinesSink: ResultSink, @unchecked Sendable {
    // @unchecked: the mutable state below is guarded by `condition`.
    public let name = "jsonl"
    private let condition = NSCondition()
    private var queue: [FrameResult] = []
    private var state = SinkCounters()
    private var closing = false
    private var finished = false
    private let capacity: Int
    private let descriptor: Int32
    private let ownsDescriptor: Bool
    private let logger: Logger

    /// Opens `path` for appending (`-` = stdout), creating its folder when missing. A partial last line (the
    /// previous run was killed mid-write) is cut off first, so that every line of the file parses. Throws a
    /// one-line reason when the file cannot be opened.
    public init(path: String, capacity: Int, logger: Logger) throws {
        if path == "-" {
            descriptor = STDOUT_FILENO
            ownsDescriptor = false
        } else {
            let folder = URL(fileURLWithPath: path).deletingLastPathComponent()
            do {
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            } catch {
                throw SinkError(
                    description:
                        "cannot create the folder of output.jsonl.path '\(path)': \(error.localizedDescription); choose a writable path"
                )
            }
            let opened = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            guard opened >= 0 else {
                throw SinkError(
                    description:
                        "cannot open output.jsonl.path '\(path)': \(String(cString: strerror(errno))); check that it is a writable file"
                )
            }
            let removed = Self.cutPartialLastLine(opened)
            if removed > 0 {
                logger.warning(
                    "output.jsonl: removed a partial last line of \(removed) bytes from \(path) (the previous run stopped mid-write)"
                )
            }
            descriptor = opened
            ownsDescriptor = true
        }
        self.capacity = capacity
        self.logger = logger
        queue.reserveCapacity(capacity)
        DedicatedThreads.process.start(named: "jsonl writer") { [self] in writeLoop() }
    }

    public func publish(_ result: FrameResult, frame: Frame, withPreview: Bool) {
        condition.lock()
        state.accepted += 1
        if closing || queue.count >= capacity {
            state.dropped += 1
        } else {
            queue.append(result)
            if queue.count == 1 { condition.signal() }
        }
        condition.unlock()
    }

    public var counters: SinkCounters {
        condition.lock()
        defer { condition.unlock() }
        return state
    }

    public func close(waitingAtMost seconds: Double) {
        let deadline = ServiceClock.conditionDeadline(afterSeconds: seconds)
        condition.lock()
        closing = true
        condition.broadcast()
        while !finished {
            if !condition.wait(until: deadline) { break }
        }
        // Whatever could not be written in time is dropped, and counted.
        state.dropped += queue.count
        queue.removeAll()
        condition.unlock()
    }

    private func writeLoop() {
        var encoder = FrameMessageEncoder()
        var batch: [FrameResult] = []
        var output: [UInt8] = []
        output.reserveCapacity(1 << 16)
        var reportedFailure = false
        while true {
            condition.lock()
            while queue.isEmpty && !closing { condition.wait() }
            if queue.isEmpty && closing {
                finished = true
                condition.broadcast()
                condition.unlock()
                break
            }
            swap(&batch, &queue)
            condition.unlock()

            output.removeAll(keepingCapacity: true)
            for result in batch {
                output.append(contentsOf: encoder.encode(result))
                output.append(0x0A)
                // The frame's zone and line events follow it, one line each (they carry "event").
                for event in result.events {
                    output.append(contentsOf: encoder.encode(event, of: result))
                    output.append(0x0A)
                }
            }
            let failure = writeAll(output)
            if let failure, !reportedFailure {
                reportedFailure = true
                logger.error("JSON lines output failed: \(failure); further results are counted as failed")
            }
            condition.lock()
            if failure == nil { state.written += batch.count } else { state.failed += batch.count }
            condition.unlock()
            batch.removeAll(keepingCapacity: true)
        }
        if ownsDescriptor { Foundation.close(descriptor) }
    }

    /// Truncates a regular file after its last newline when it does not end with one (a line torn by a crash);
    /// returns the bytes removed. Pipes, terminals and empty files are left alone.
    static func cutPartialLastLine(_ descriptor: Int32) -> Int {
        var status = stat()
        guard fstat(descriptor, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG, status.st_size > 0 else {
            return 0
        }
        let size = Int(status.st_size)
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        var end = size
        while end > 0 {
            let start = max(0, end - chunk.count)
            let read = chunk.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, end - start, off_t(start)) }
            guard read == end - start else { return 0 }
            if end == size && chunk[read - 1] == 0x0A { return 0 }  // ends with a newline: whole lines only
            if let newline = chunk[..<read].lastIndex(of: 0x0A) {
                let keep = start + newline + 1
                return ftruncate(descriptor, off_t(keep)) == 0 ? size - keep : 0
            }
            end = start
        }
        return ftruncate(descriptor, 0) == 0 ? size : 0  // one partial line and nothing else
    }

    /// Writes everything, retrying short writes and EINTR. Returns the error text on failure.
    private func writeAll(_ bytes: [UInt8]) -> String? {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    return String(cString: strerror(errno))
                }
                offset += written
            }
            return nil
        }
    }
}

/// A sink that cannot start, as one line for the user.
public struct SinkError: Error, CustomStringConvertible {
    public var description: String
}
