import CLibPQ
import Foundation

/// One PostgreSQL connection through libpq (the server's own client library). Owns the connection and the names of
/// the statements prepared on it; confined to one thread.
public final class PostgresConnection: SQLConnection {
    public let dialect = SQLDialect.postgres
    /// The URL without its password, for messages.
    public let displayURL: String
    private let connection: OpaquePointer
    private var statements: [String: String] = [:]

    /// Connects to `url` (`postgres://user[:password]@host[:port]/database[?options]`; libpq also reads PGPASSWORD
    /// and ~/.pgpass). Gives up after `timeoutSeconds`.
    public init(url: String, timeoutSeconds: Int = 5) throws(DatabaseError) {
        displayURL = Self.withoutPassword(url)
        let separator = url.contains("?") ? "&" : "?"
        let withTimeout =
            url.contains("connect_timeout=") ? url : "\(url)\(separator)connect_timeout=\(max(timeoutSeconds, 2))"
        guard let connection = PQconnectdb(withTimeout) else {
            throw DatabaseError(.unreachable, "cannot connect to \(displayURL): out of memory")
        }
        guard PQstatus(connection) == CONNECTION_OK else {
            let reason = Self.firstLine(PQerrorMessage(connection))
            PQfinish(connection)
            throw DatabaseError(
                .unreachable,
                "cannot connect to PostgreSQL at \(displayURL) (\(reason)); check archive.url and that the server runs")
        }
        self.connection = connection
        // Messages as the archive writes them: warnings-free, UTC.
        _ = PQsetClientEncoding(connection, "UTF8")
        do {
            try execute("SET client_min_messages = warning", [])
            try execute("SET TIME ZONE 'UTC'", [])
        } catch {
            PQfinish(connection)
            throw error
        }
    }

    deinit {
        PQfinish(connection)
    }

    public var isUsable: Bool { PQstatus(connection) == CONNECTION_OK }

    @discardableResult
    public func execute(_ sql: String, _ parameters: [SQLValue]) throws(DatabaseError) -> Int {
        let result = try run(sql, parameters)
        defer { PQclear(result) }
        return Int(String(cString: PQcmdTuples(result))) ?? 0
    }

    public func query(_ sql: String, _ parameters: [SQLValue]) throws(DatabaseError) -> [[SQLValue]] {
        let result = try run(sql, parameters)
        defer { PQclear(result) }
        let rowCount = PQntuples(result)
        let columnCount = PQnfields(result)
        let types = (0..<columnCount).map { PQftype(result, $0) }
        var rows: [[SQLValue]] = []
        rows.reserveCapacity(Int(rowCount))
        for row in 0..<rowCount {
            var values: [SQLValue] = []
            values.reserveCapacity(Int(columnCount))
            for column in 0..<columnCount {
                if PQgetisnull(result, row, column) == 1 {
                    values.append(.null)
                    continue
                }
                let text = String(cString: PQgetvalue(result, row, column))
                switch types[Int(column)] {
                case 20, 21, 23:  // int8, int2, int4
                    values.append(Int64(text).map(SQLValue.integer) ?? .text(text))
                case 700, 701, 1700:  // float4, float8, numeric
                    values.append(Double(text).map(SQLValue.real) ?? .text(text))
                case 16:  // bool
                    values.append(.integer(text == "t" ? 1 : 0))
                default:
                    values.append(.text(text))
                }
            }
            rows.append(values)
        }
        return rows
    }

    /// Runs `sql` as a statement prepared once per connection (parameters in text form).
    private func run(_ sql: String, _ parameters: [SQLValue]) throws(DatabaseError) -> OpaquePointer {
        let texts: [String?] = parameters.map { value in
            switch value {
            case .null: nil
            case .integer(let number): String(number)
            case .real(let number): number.isFinite ? String(number) : nil
            case .text(let text): text
            }
        }
        // Statements without parameters (BEGIN, COMMIT, DDL) go as they are; the others are prepared and reused.
        if parameters.isEmpty, statements[sql] == nil, !sql.contains("$1") {
            return try check(PQexec(connection, sql), sql)
        }
        let name: String
        if let known = statements[sql] {
            name = known
        } else {
            name = "s\(statements.count + 1)"
            let prepared = try check(PQprepare(connection, name, sql, Int32(parameters.count), nil), sql)
            PQclear(prepared)
            statements[sql] = name
        }
        let cStrings = texts.map { $0.flatMap { strdup($0) } }
        defer { for pointer in cStrings { free(pointer) } }
        let values = cStrings.map { UnsafePointer<CChar>($0) }
        let result = values.withUnsafeBufferPointer { buffer in
            PQexecPrepared(connection, name, Int32(parameters.count), buffer.baseAddress, nil, nil, 0)
        }
        return try check(result, sql)
    }

    private func check(_ result: OpaquePointer?, _ sql: String) throws(DatabaseError) -> OpaquePointer {
        guard let result else {
            throw DatabaseError(
                .unreachable,
                "lost PostgreSQL at \(displayURL) (\(Self.firstLine(PQerrorMessage(connection)))); reconnecting")
        }
        let status = PQresultStatus(result)
        if status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK { return result }
        let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) } ?? ""
        let reason = Self.firstLine(PQresultErrorMessage(result))
        PQclear(result)
        let statement = (sql.split(separator: "\n").first.map(String.init) ?? sql).prefix(80)
        if PQstatus(connection) != CONNECTION_OK || state.hasPrefix("08") || state.hasPrefix("57P") {
            throw DatabaseError(.unreachable, "lost PostgreSQL at \(displayURL) (\(reason)); reconnecting")
        }
        switch state {
        case "53100", "53200":
            throw DatabaseError(
                .full,
                "PostgreSQL at \(displayURL) is out of space (\(reason)); free disk space: the archive retries and loses nothing"
            )
        case "40001", "40P01", "55P03", "23505":
            throw DatabaseError(.busy, "PostgreSQL at \(displayURL): \(reason) (another writer); retrying")
        default:
            throw DatabaseError(.other, "PostgreSQL error on `\(statement)`: \(reason)")
        }
    }

    private static func firstLine(_ text: UnsafePointer<CChar>?) -> String {
        guard let text else { return "unknown error" }
        return String(cString: text).split(separator: "\n").first.map {
            $0.trimmingCharacters(in: .whitespaces)
        } ?? "unknown error"
    }

    /// `postgres://user:secret@host/db` as `postgres://user:***@host/db`.
    static func withoutPassword(_ url: String) -> String {
        guard let scheme = url.range(of: "://"), let at = url[scheme.upperBound...].firstIndex(of: "@") else {
            return url
        }
        let credentials = url[scheme.upperBound..<at]
        guard let colon = credentials.firstIndex(of: ":") else { return url }
        return String(url[..<colon]) + ":***" + String(url[at...])
    }
}
