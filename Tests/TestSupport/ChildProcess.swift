import Foundation

/// A real process started by a test, with its stdout and stderr captured to files so they can be read while it runs.
/// Always terminated by `stop()` or on deinit, so a failing test leaves nothing running.
public final class ChildProcess: @unchecked Sendable {
    public let process = Process()
    public let stdoutURL: URL
    public let stderrURL: URL
    private let stdoutHandle: FileHandle
    private let stderrHandle: FileHandle

    public init(_ executable: String, _ arguments: [String], directory: URL, label: String = "process") throws {
        stdoutURL = directory.appendingPathComponent("\(label).stdout")
        stderrURL = directory.appendingPathComponent("\(label).stderr")
        _ = FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        stdoutHandle = try FileHandle(forWritingTo: stdoutURL)
        stderrHandle = try FileHandle(forWritingTo: stderrURL)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = stdoutHandle
        process.standardError = stderrHandle
        process.standardInput = FileHandle.nullDevice
        // A child inherits the spawning thread's signal mask, and the test runner's threads may have SIGTERM and
        // SIGINT blocked: a child with them blocked (Python, mosquitto_sub, kcat, FFmpeg) sits out `stop()`'s SIGTERM
        // until the SIGKILL 10 s later. Spawn with them unblocked.
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        sigaddset(&unblocked, SIGTERM)
        sigaddset(&unblocked, SIGINT)
        var previous = sigset_t()
        pthread_sigmask(SIG_UNBLOCK, &unblocked, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        try process.run()
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? stdoutHandle.close()
        try? stderrHandle.close()
    }

    public var stdout: String { (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? "" }
    public var stderr: String { (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "" }

    public var isRunning: Bool { process.isRunning }

    /// Sends `signal` and waits up to `seconds` for the exit. Returns the exit status and how long the exit took,
    /// or nil status when it did not exit in time (it is then killed).
    @discardableResult
    public func stop(signal: Int32 = SIGTERM, waitingAtMost seconds: Double = 10) -> (status: Int32?, seconds: Double) {
        let started = Date()
        if process.isRunning { kill(process.processIdentifier, signal) }
        guard waitForExit(atMost: seconds) else {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return (nil, Date().timeIntervalSince(started))
        }
        return (process.terminationStatus, Date().timeIntervalSince(started))
    }

    /// Waits up to `seconds` for the process to exit by itself.
    public func waitForExit(atMost seconds: Double) -> Bool {
        let deadline = Date(timeIntervalSinceNow: seconds)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        return !process.isRunning
    }

    /// Polls `condition` every 100 ms for up to `seconds`. Returns whether it became true.
    public static func waitUntil(atMost seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date(timeIntervalSinceNow: seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(100_000)
        }
        return condition()
    }

    /// Runs a command to completion (bounded by `seconds`) and returns status, stdout and stderr.
    public static func run(
        _ executable: String, _ arguments: [String], timeout seconds: Double = 60
    ) throws
        -> (status: Int32, stdout: String, stderr: String)
    {
        let directory = try TestEnvironment.makeTemporaryDirectory("run")
        defer { try? FileManager.default.removeItem(at: directory) }
        let child = try ChildProcess(executable, arguments, directory: directory)
        guard child.waitForExit(atMost: seconds) else {
            child.stop(signal: SIGKILL)
            throw TestEnvironment.MissingResource(
                description: "\(executable) \(arguments) did not finish in \(seconds) s")
        }
        return (child.process.terminationStatus, child.stdout, child.stderr)
    }
}
