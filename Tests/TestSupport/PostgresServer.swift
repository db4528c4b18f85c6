import Foundation

/// A real PostgreSQL server on 127.0.0.1 for the archive's tests: the one `make test` started
/// (`REALTIME_ANALYTICS_TEST_POSTGRES`, a server URL without a database), else a private one started here through
/// scripts/postgres.sh and stopped when this value goes. Each test gets a database of its own.
public final class PostgresServer: @unchecked Sendable {
    /// `postgres://postgres@127.0.0.1:PORT` (no database).
    public let serverURL: String
    private let ownedPort: Int?

    public static let environmentKey = "REALTIME_ANALYTICS_TEST_POSTGRES"

    public init() throws {
        if let shared = ProcessInfo.processInfo.environment[Self.environmentKey], !shared.isEmpty {
            serverURL = shared
            ownedPort = nil
            return
        }
        let port = try TestEnvironment.freePort()
        let started = try ChildProcess.run(
            "/usr/bin/env", [TestEnvironment.script("postgres.sh"), "start", String(port)], timeout: 120)
        guard started.status == 0 else {
            throw TestEnvironment.MissingResource(
                description:
                    "scripts/postgres.sh start \(port) failed: \(started.stderr.suffix(800)); run scripts/setup.sh")
        }
        serverURL = "postgres://postgres@127.0.0.1:\(port)"
        ownedPort = port
    }

    deinit {
        if let ownedPort {
            _ = try? ChildProcess.run(
                "/usr/bin/env", [TestEnvironment.script("postgres.sh"), "stop", String(ownedPort)], timeout: 60)
        }
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
