import Alerting
import Foundation

/// What a restart resumes from: the rules' state after the frames topic's messages below `offsets`, written only
/// once every notification those messages decided was delivered or dead-lettered. A crash loses nothing: the
/// messages after the checkpoint are read again and decide the same notifications, with the same ids.
public struct AlertCheckpoint: Codable, Sendable, Equatable {
    public static let currentVersion = 1

    public var version = AlertCheckpoint.currentVersion
    /// `topic:partition` → the next offset to read.
    public var offsets: [String: Int64]
    public var state: AlertEvaluatorState
    public var saved_at_ms: Int64

    public init(offsets: [String: Int64], state: AlertEvaluatorState, savedAtMs: Int64) {
        self.offsets = offsets
        self.state = state
        saved_at_ms = savedAtMs
    }

    static func key(topic: String, partition: Int32) -> String { "\(topic):\(partition)" }
}

/// The checkpoint file: written whole to a temporary file, synced, then renamed over the old one, so a crash leaves
/// either the old checkpoint or the new one, never a torn one.
public struct CheckpointFile: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    /// The stored checkpoint; nil when there is none yet.
    public func load() throws(AlertsStopped) -> AlertCheckpoint? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw AlertsStopped(
                message: "cannot read the checkpoint \(path) (\(error.localizedDescription)); check its permissions")
        }
        struct Version: Decodable { var version: Int }
        guard let version = try? JSONDecoder().decode(Version.self, from: data) else {
            throw AlertsStopped(
                message: "the checkpoint \(path) is not a checkpoint file; move it away to start from alerts.start_at")
        }
        guard version.version <= AlertCheckpoint.currentVersion else {
            throw AlertsStopped(
                message:
                    "the checkpoint \(path) was written by a newer version (format \(version.version), this one reads \(AlertCheckpoint.currentVersion)); run the newer build or move the file away"
            )
        }
        do {
            return try JSONDecoder().decode(AlertCheckpoint.self, from: data)
        } catch {
            throw AlertsStopped(
                message: "the checkpoint \(path) is damaged (\(error)); move it away to start from alerts.start_at")
        }
    }

    /// Writes `checkpoint` durably (blocking: call off the cooperative pool).
    public func save(_ checkpoint: AlertCheckpoint) throws {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(checkpoint)
        let temporary = path + ".tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else { throw CheckpointError.system("open \(temporary)", errno) }
        defer { close(descriptor) }
        try data.withUnsafeBytes { bytes in
            var written = 0
            while written < bytes.count {
                let count = write(descriptor, bytes.baseAddress! + written, bytes.count - written)
                guard count > 0 else { throw CheckpointError.system("write \(temporary)", errno) }
                written += count
            }
        }
        guard fsync(descriptor) == 0 else { throw CheckpointError.system("fsync \(temporary)", errno) }
        guard rename(temporary, path) == 0 else { throw CheckpointError.system("rename to \(path)", errno) }
        let folder = open(directory.path, O_RDONLY)
        if folder >= 0 {
            fsync(folder)
            close(folder)
        }
    }

    enum CheckpointError: Error, CustomStringConvertible {
        case system(String, Int32)
        var description: String {
            switch self {
            case .system(let what, let code): "\(what): \(String(cString: strerror(code)))"
            }
        }
    }
}

/// A reason the alerts process cannot go on (one line; the command exits 1 with it).
public struct AlertsStopped: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
    public init(message: String) { self.message = message }
}
