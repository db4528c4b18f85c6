import Foundation

/// A real PostgreSQL server on 127.0.0.1 for the archive's tests: the one `make test` started
/// (`REALTIME_ANALYTICS_TEST_POSTGRES`, a server URL without a database). Each test gets a database of its own.
public final class PostgresServer: Sendable {
    /// `postgres://postgres@127.0.0.1:PORT` (no database).
    public let serverURL: String

    public static let environmentKey = "REALTIME_ANALYTICS_TEST_POSTGRES"

    public init() throws {
        guard let shared = ProcessInfo.processInfo.environment[Self.environmentKey], !shared.isEmpty else {
            // Not started from here: a server started by a test process outlives it (Foundation's Process then waits
            // on the daemon's inherited descriptors), so the suite's runner owns it.
            throw TestEnvironment.MissingResource(
                description:
                    "no PostgreSQL for the archive's tests: run `make test` (it starts one), or `scripts/postgres.sh start 39432` and set \(Self.environmentKey)=postgres://postgres@127.0.0.1:39432"
            )
        }
        serverURL = shared
    }

    /// A new empty database; returns its URL.
    public func makeDatabase(_ label: String) throws -> String {
        let name = "\(label)_\(UUID().uuidString.prefix(8).lowercased())".replacingOccurrences(of: "-", with: "_")
        let made = try ChildProcess.run(
            "/usr/bin/env",
            ["psql", "\(serverURL)/postgres", "-v", "ON_ERROR_STOP=1", "-qc", "CREATE DATABASE \(name)"],
            timeout: 30)
        guard made.status == 0 else {
            throw TestEnvironment.MissingResource(description: "cannot create database \(name): \(made.stderr)")
        }
        return "\(serverURL)/\(name)"
    }

    /// Runs `sql` with psql (an independent client); returns its rows as tab-separated lines.
    public static func psql(_ url: String, _ sql: String) throws -> [String] {
        let result = try ChildProcess.run(
            "/usr/bin/env", ["psql", url, "-v", "ON_ERROR_STOP=1", "-At", "-F", "\t", "-c", sql], timeout: 60)
        guard result.status == 0 else {
            throw TestEnvironment.MissingResource(description: "psql failed: \(result.stderr)")
        }
        return result.stdout.split(separator: "\n").map(String.init)
    }
}

/// The databases the archive runs on; the archive's tests take both as arguments.
public enum DatabaseKind: String, CaseIterable, CustomStringConvertible, Sendable {
    case sqlite, postgres
    public var description: String { rawValue == "sqlite" ? "SQLite" : "PostgreSQL" }
}
