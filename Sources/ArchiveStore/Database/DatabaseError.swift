/// A database failure as the archive reacts to it: by kind (retry, wait for space, stop) with a one-line message that
/// names the cause and what to do.
public struct DatabaseError: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// The server or file cannot be reached or opened: retried with backoff.
        case unreachable
        /// No space left (disk full, or SQLite's page limit): retried after a pause, nothing is committed meanwhile.
        case full
        /// Another writer holds the database: retried.
        case busy
        /// The database's schema is newer than this build knows: the process stops.
        case schemaTooNew = "schema_too_new"
        /// Anything else (a bug, a permission, a constraint): logged, retried.
        case other
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
