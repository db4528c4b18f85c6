import Foundation

/// The two Kafka-compatible brokers the tests run against (both installed by `scripts/broker.sh install`). Every test
/// about Kafka behaviour takes one as its argument and runs on both, or says why a broker cannot run it.
public enum BrokerKind: String, CaseIterable, Sendable, CustomStringConvertible {
    /// noida-db 0.2.3: persists to disk; never expires a silent group member; loses about its last second of
    /// acknowledged writes when killed.
    case noida
    /// Tansu 0.6.0: memory storage (a restart loses every message); expires silent members; IPv4 only.
    case tansu

    public var description: String { self == .noida ? "noida-db" : "Tansu" }

    /// The variable through which `make test` passes the address of the broker it started for the whole run.
    var environmentKey: String { self == .noida ? "REALTIME_ANALYTICS_TEST_BROKER" : "REALTIME_ANALYTICS_TEST_TANSU" }

    var binary: String {
        TestEnvironment.packageRoot.appendingPathComponent(
            self == .noida ? "runtime/bin/noida-db" : "runtime/bin/tansu"
        )
        .path
    }

    func arguments(port: Int, data: String) -> [String] {
        switch self {
        case .noida:
            ["start", "--data-dir", data, "--host", "127.0.0.1", "--only", "kafka", "--kafka-port", "\(port)"]
        case .tansu:
            [
                "broker", "--listener-url", "tcp://127.0.0.1:\(port)", "--advertised-listener-url",
                "tcp://127.0.0.1:\(port)",
            ]
        }
    }
}

/// A real Kafka-compatible broker process on 127.0.0.1, for tests. Each instance has a fresh data folder; `stop` and
/// `start` again on the same port simulate an outage (Tansu comes back empty: its storage is memory).
public final class KafkaBroker: @unchecked Sendable {
    public let kind: BrokerKind
    public let port: Int
    public let directory: URL
    private var process: ChildProcess?

    public var bootstrapServers: String { "127.0.0.1:\(port)" }

    /// The broker of `kind` that `make test` started for the whole run, if any.
    public static func sharedBootstrapServers(_ kind: BrokerKind = .noida) -> String? {
        ProcessInfo.processInfo.environment[kind.environmentKey]
    }

    /// A broker address for tests that need no fault injection: the shared one, or a private one started now
    /// (kept alive by the returned value, which is nil when the shared broker is used).
    public static func addressForTest(_ kind: BrokerKind = .noida) throws -> (address: String, owned: KafkaBroker?) {
        if let shared = sharedBootstrapServers(kind) { return (shared, nil) }
        let broker = try KafkaBroker(kind)
        return (broker.bootstrapServers, broker)
    }

    public init(_ kind: BrokerKind = .noida, port: Int? = nil) throws {
        self.kind = kind
        self.port = try port ?? TestEnvironment.freePort()
        directory = try TestEnvironment.makeTemporaryDirectory("broker")
        try start()
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Starts the broker (again) on the same port and data folder and waits until it accepts connections.
    public func start() throws {
        guard FileManager.default.isExecutableFile(atPath: kind.binary) else {
            throw TestEnvironment.MissingResource(
                description: "\(kind.binary) is missing; run scripts/setup.sh (make test does)")
        }
        let data = directory.appendingPathComponent("data").path
        process = try ChildProcess(
            kind.binary, kind.arguments(port: port, data: data), directory: directory, label: "broker")
        guard Self.waitForPort(port, seconds: 10) else {
            throw TestEnvironment.MissingResource(
                description: "the broker did not listen on \(port) within 10 s: \(process?.stderr ?? "")")
        }
    }

    /// Stops the broker abruptly (SIGKILL), like a crash or a network cut.
    public func stop() {
        process?.stop(signal: SIGKILL, waitingAtMost: 5)
        process = nil
    }

    /// True when a TCP connection to 127.0.0.1:port succeeds within `seconds`.
    public static func waitForPort(_ port: Int, seconds: Double) -> Bool {
        ChildProcess.waitUntil(atMost: seconds) {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { return false }
            defer { close(fd) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = UInt16(port).bigEndian
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            return withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
                }
            }
        }
    }

    /// kcat, the independent client the tests read topics with, run on set-up's librdkafka 2.16 (Debian's kcat
    /// links Debian's librdkafka 2.0.2, which cannot talk to Tansu). A shell command prefix.
    public static var kcat: String {
        "LD_LIBRARY_PATH=\(TestEnvironment.packageRoot.appendingPathComponent("runtime/librdkafka/kcat").path) kcat"
    }

    /// A topic name no other test uses.
    public static func uniqueTopic(_ label: String) -> String {
        "test.\(label).\(UUID().uuidString.prefix(8).lowercased())"
    }
}
