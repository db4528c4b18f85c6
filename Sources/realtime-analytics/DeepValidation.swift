import AnalyticsCore
import Detection
import Foundation
import Logging
import Pipeline
import RuntimeSupport
import VideoIngest

/// `validate --deep`: what only trying can tell. The model is compiled on the configured device and run once (its
/// outputs checked against `model.format`), every distinct source is opened and decoded to its first frame (in
/// parallel, 10 s each at most), the JSON lines folder is checked for writing and the addresses the process will
/// listen on are bound and released. Prints one line per check; returns the problems, one line each.
enum DeepValidation {
    static func run(_ configuration: Configuration, logger: Logger) async -> [String] {
        // FFmpeg's own lines would repeat what each source's problem line says: keep them out of the output.
        var quiet = logger
        quiet.logLevel = .critical
        FFmpegLog.install(logger: quiet)
        var problems: [String] = []
        if configuration.model.path != nil {
            let clock = ServiceClock.system
            let started = clock.now
            let outcome: Result<Void, any Error> = await runOnDedicatedThread(named: "validate model") {
                Result { _ = try DetectorModel(configuration: configuration.model, workers: 1).makeDetector() }
            }
            switch outcome {
            case .success:
                print(
                    String(
                        format: "  deep: model compiled on %@ and run once (%.1f s); outputs match %@",
                        configuration.model.device, started.duration(to: clock.now).seconds,
                        configuration.model.format.rawValue))
            case .failure(let error):
                problems.append("model: \(error)")
            }
        }
        let outcomes = await runOnDedicatedThread(named: "validate sources") {
            SourceCheck.check(
                configuration.streams, settings: IngestSettings(configuration.pipeline), timeoutSeconds: 10,
                logger: logger)
        }
        for outcome in outcomes {
            let users = outcome.streams.count == 1 ? outcome.streams[0] : "\(outcome.streams.count) streams"
            if let size = outcome.frameSize {
                print("  deep: source \(outcome.source) (\(users)): first frame decoded, \(size.width)x\(size.height)")
            } else {
                // The reader's reasons already say what to check.
                problems.append("source \(outcome.source) (\(users)): \(outcome.error ?? "no frame")")
            }
        }
        if configuration.output.jsonlEnabled, configuration.output.jsonlPath != "-" {
            if let problem = writableFolderProblem(for: configuration.output.jsonlPath) {
                problems.append("output.jsonl.path: \(problem)")
            } else {
                print("  deep: output.jsonl.path \(configuration.output.jsonlPath): writable")
            }
        }
        var listeners: [(key: String, host: String, port: Int)] = []
        if configuration.metrics.enabled {
            listeners.append(("metrics", configuration.metrics.host, configuration.metrics.port))
        }
        if configuration.dashboard.enabled {
            listeners.append(("dashboard", configuration.dashboard.host, configuration.dashboard.port))
        }
        for listener in listeners {
            if let problem = bindProblem(host: listener.host, port: listener.port) {
                problems.append("\(listener.key).host/port: \(problem)")
            } else {
                print("  deep: \(listener.key) can listen on \(listener.host):\(listener.port)")
            }
        }
        return problems
    }

    /// Why a file at `path` could not be created or appended to, or nil. The nearest existing folder must be
    /// writable (missing folders are created at start).
    static func writableFolderProblem(for path: String) -> String? {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            if isDirectory.boolValue { return "\(path) is a folder; give a file path" }
            return access(path, W_OK) == 0 ? nil : "\(path) is not writable (\(String(cString: strerror(errno))))"
        }
        var folder = URL(fileURLWithPath: path).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory) {
            folder.deleteLastPathComponent()
        }
        guard isDirectory.boolValue else { return "\(folder.path) is a file, so no folder can be made under it" }
        return access(folder.path, W_OK) == 0
            ? nil : "cannot create \(path): \(folder.path) is not writable (\(String(cString: strerror(errno))))"
    }

    /// Why `host:port` cannot be listened on (unknown host, address not on this machine, port taken), or nil.
    static func bindProblem(host: String, port: Int) -> String? {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE
        var list: UnsafeMutablePointer<addrinfo>?
        let resolved = getaddrinfo(host, String(port), &hints, &list)
        guard resolved == 0, let address = list else {
            return "cannot resolve '\(host)': \(String(cString: gai_strerror(resolved)))"
        }
        defer { freeaddrinfo(list) }
        let socketDescriptor = socket(address.pointee.ai_family, address.pointee.ai_socktype, 0)
        guard socketDescriptor >= 0 else { return "cannot open a socket: \(String(cString: strerror(errno)))" }
        defer { close(socketDescriptor) }
        var reuse: Int32 = 1
        setsockopt(socketDescriptor, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        guard bind(socketDescriptor, address.pointee.ai_addr, address.pointee.ai_addrlen) == 0 else {
            return "cannot listen on \(host):\(port): \(String(cString: strerror(errno)))"
        }
        return nil
    }
}
