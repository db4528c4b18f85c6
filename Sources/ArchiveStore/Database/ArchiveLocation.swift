import Foundation

/// Where the archive lives: `archive.url` of the configuration file, already checked.
public enum ArchiveLocation: Sendable, Equatable, CustomStringConvertible {
    /// A SQLite file (absolute path).
    case sqlite(path: String)
    /// A PostgreSQL database (`postgres://…` as libpq reads it).
    case postgres(url: String)

    /// Reads `sqlite:PATH` (relative to `baseDirectory`) or `postgres://…` / `postgresql://…`; nil otherwise.
    public init?(url: String, baseDirectory: String) {
        if url.hasPrefix("sqlite:") {
            let path = String(url.dropFirst("sqlite:".count))
            guard !path.isEmpty, !path.hasPrefix("//") else { return nil }
            let absolute = URL(
                fileURLWithPath: path, relativeTo: URL(fileURLWithPath: baseDirectory, isDirectory: true))
            self = .sqlite(path: absolute.standardizedFileURL.path)
        } else if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            self = .postgres(url: url)
        } else {
            return nil
        }
    }

    /// For messages: the file, or the URL without its password.
    public var description: String {
        switch self {
        case .sqlite(let path): "sqlite:\(path)"
        case .postgres(let url): PostgresConnection.withoutPassword(url)
        }
    }

    /// Opens a connection (blocking: call on the owner's thread). `readOnly` opens a SQLite file for reading only
    /// (PostgreSQL: the server's grants decide).
    public func connect(readOnly: Bool = false) throws(DatabaseError) -> any SQLConnection {
        switch self {
        case .sqlite(let path):
            if readOnly, !FileManager.default.fileExists(atPath: path) {
                throw DatabaseError(
                    .unreachable,
                    "the archive \(path) does not exist yet; start `realtime-analytics archive --config FILE` first")
            }
            return try SQLiteConnection(path: path, readOnly: readOnly)
        case .postgres(let url):
            return try PostgresConnection(url: url)
        }
    }
}
