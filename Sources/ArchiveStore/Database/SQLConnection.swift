/// A value bound to or read from a statement. The archive stores only these four kinds, which both SQLite and
/// PostgreSQL hold without conversion loss (times are integer milliseconds since the Unix epoch).
public enum SQLValue: Sendable, Equatable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)

    public var int64: Int64? {
        switch self {
        case .integer(let value): value
        case .real(let value): Int64(exactly: value.rounded()) ?? nil
        case .text(let value): Int64(value)
        case .null: nil
        }
    }

    public var double: Double? {
        switch self {
        case .integer(let value): Double(value)
        case .real(let value): value
        case .text(let value): Double(value)
        case .null: nil
        }
    }

    public var string: String? {
        switch self {
        case .text(let value): value
        case .integer(let value): String(value)
        case .real(let value): String(value)
        case .null: nil
        }
    }
}

/// Which database a connection talks to: the few statements whose text differs.
public enum SQLDialect: String, Sendable {
    case sqlite
    case postgres

    /// Starts a write transaction. SQLite takes the write lock at once (a second writer waits at BEGIN instead of
    /// failing at its first write); PostgreSQL locks rows as they are touched.
    var beginWrite: String { self == .sqlite ? "BEGIN IMMEDIATE" : "BEGIN" }

    /// Locks the rows a `SELECT` reads until the transaction ends (PostgreSQL; SQLite's write lock covers it).
    public var forUpdate: String { self == .sqlite ? "" : " FOR UPDATE" }
}

/// One open database connection, confined to one thread (the owner's executor). Statements are written once, with
/// `$1`, `$2`… placeholders, and run unchanged on both databases.
public protocol SQLConnection: AnyObject {
    var dialect: SQLDialect { get }
    /// Runs a statement; returns the rows it changed.
    @discardableResult
    func execute(_ sql: String, _ parameters: [SQLValue]) throws(DatabaseError) -> Int
    /// Runs a query; returns its rows.
    func query(_ sql: String, _ parameters: [SQLValue]) throws(DatabaseError) -> [[SQLValue]]
    /// Whether the connection still works (false after the server went away: open a new one).
    var isUsable: Bool { get }
}

extension SQLConnection {
    /// Runs `body` in a write transaction: committed when it returns, rolled back when it throws.
    public func writeTransaction<T>(_ body: () throws(DatabaseError) -> T) throws(DatabaseError) -> T {
        try execute(dialect.beginWrite, [])
        do {
            let result = try body()
            try execute("COMMIT", [])
            return result
        } catch {
            if isUsable { _ = try? execute("ROLLBACK", []) }
            throw error
        }
    }
}
