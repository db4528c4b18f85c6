import CSQLite
import Foundation

/// One SQLite database file, opened in WAL mode (readers never block the writer). Owns the handle and its prepared
/// statements; confined to one thread.
public final class SQLiteConnection: SQLConnection {
    public let dialect = SQLDialect.sqlite
    public let path: String
    private let handle: OpaquePointer
    private var statements: [String: OpaquePointer] = [:]

    /// Opens (and with `readOnly` false creates, with its folder) the file at `path`.
    public init(path: String, readOnly: Bool = false) throws(DatabaseError) {
        self.path = path
        if !readOnly {
            let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            } catch {
                throw DatabaseError(
                    .unreachable,
                    "cannot create the folder \(folder) for the archive; check archive.url and permissions")
            }
        }
        var handle: OpaquePointer?
        let flags =
            (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) | SQLITE_OPEN_NOMUTEX
        let opened = sqlite3_open_v2(path, &handle, flags, nil)
        guard opened == SQLITE_OK, let handle else {
            let reason = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            if let handle { sqlite3_close_v2(handle) }
            throw DatabaseError(
                .unreachable,
                readOnly
                    ? "cannot open the archive \(path) (\(reason)); run `realtime-analytics archive` first, or check archive.url"
                    : "cannot open the archive \(path) (\(reason)); check archive.url and the folder's permissions")
        }
        self.handle = handle
        sqlite3_extended_result_codes(handle, 1)
        // A writer that waits for another (a second archive, a report during a write) waits instead of failing.
        sqlite3_busy_timeout(handle, 10_000)
        do {
            if !readOnly {
                // WAL: reports and the dashboard read while the archive writes. NORMAL: a commit survives a process
                // crash (what exactly-once needs); only a power loss may take the last commits back, offsets with them.
                _ = try query("PRAGMA journal_mode = WAL", [])
                try execute("PRAGMA synchronous = NORMAL", [])
            }
        } catch {
            sqlite3_close_v2(handle)
            throw error
        }
    }

    deinit {
        for statement in statements.values { sqlite3_finalize(statement) }
        sqlite3_close_v2(handle)
    }

    public var isUsable: Bool { true }

    @discardableResult
    public func execute(_ sql: String, _ parameters: [SQLValue]) throws(DatabaseError) -> Int {
        let statement = try prepared(sql, parameters)
        defer { sqlite3_reset(statement) }
        var step = sqlite3_step(statement)
        while step == SQLITE_ROW { step = sqlite3_step(statement) }
        guard step == SQLITE_DONE else { throw failure(step, sql) }
        return Int(sqlite3_changes(handle))
    }

    public func query(_ sql: String, _ parameters: [SQLValue]) throws(DatabaseError) -> [[SQLValue]] {
        let statement = try prepared(sql, parameters)
        defer { sqlite3_reset(statement) }
        var rows: [[SQLValue]] = []
        let columns = sqlite3_column_count(statement)
        while true {
            let step = sqlite3_step(statement)
            if step == SQLITE_DONE { break }
            guard step == SQLITE_ROW else { throw failure(step, sql) }
            var row: [SQLValue] = []
            row.reserveCapacity(Int(columns))
            for column in 0..<columns {
                switch sqlite3_column_type(statement, column) {
                case SQLITE_INTEGER: row.append(.integer(sqlite3_column_int64(statement, column)))
                case SQLITE_FLOAT: row.append(.real(sqlite3_column_double(statement, column)))
                case SQLITE_NULL: row.append(.null)
                default:
                    row.append(.text(sqlite3_column_text(statement, column).map { String(cString: $0) } ?? ""))
                }
            }
            rows.append(row)
        }
        return rows
    }

    /// The statement for `sql` (prepared once, then reused), with `parameters` bound.
    private func prepared(_ sql: String, _ parameters: [SQLValue]) throws(DatabaseError) -> OpaquePointer {
        let statement: OpaquePointer
        if let cached = statements[sql] {
            statement = cached
            sqlite3_clear_bindings(statement)
        } else {
            var made: OpaquePointer?
            let code = sqlite3_prepare_v3(
                handle, Self.sqliteText(sql), -1, UInt32(SQLITE_PREPARE_PERSISTENT), &made, nil)
            guard code == SQLITE_OK, let made else { throw failure(code, sql) }
            statements[sql] = made
            statement = made
        }
        for (index, value) in parameters.enumerated() {
            let position = Int32(index + 1)
            switch value {
            case .null: sqlite3_bind_null(statement, position)
            case .integer(let number): sqlite3_bind_int64(statement, position, number)
            case .real(let number): sqlite3_bind_double(statement, position, number)
            case .text(let text): sqlite3_bind_text(statement, position, text, -1, Self.transient)
            }
        }
        return statement
    }

    /// SQLITE_TRANSIENT: SQLite copies the text before the bind returns.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    /// `$1`-style placeholders as SQLite's numbered `?1` (the same numbers, so one text serves both databases).
    public static func sqliteText(_ sql: String) -> String {
        var result = ""
        result.reserveCapacity(sql.utf8.count)
        var previous: Character = " "
        for character in sql {
            if previous == "$", character.isNumber {
                result.removeLast()
                result.append("?")
            }
            result.append(character)
            previous = character
        }
        return result
    }

    private func failure(_ code: Int32, _ sql: String) -> DatabaseError {
        let reason = String(cString: sqlite3_errmsg(handle))
        let statement = sql.split(separator: "\n").first.map(String.init) ?? sql
        switch code & 0xff {
        case SQLITE_FULL:
            return DatabaseError(
                .full, "the archive \(path) is full (\(reason)); free disk space: the archive retries and loses nothing"
            )
        case SQLITE_BUSY, SQLITE_LOCKED:
            return DatabaseError(.busy, "the archive \(path) is locked by another writer (\(reason)); retrying")
        case SQLITE_IOERR, SQLITE_CANTOPEN, SQLITE_READONLY:
            return DatabaseError(
                .unreachable, "cannot write the archive \(path) (\(reason)); check the disk and permissions")
        default:
            return DatabaseError(.other, "SQLite error on `\(statement.prefix(80))`: \(reason)")
        }
    }
}
