import Foundation

/// A real Kafka-compatible broker process (noida-db, installed by `scripts/broker.sh install`) on 127.0.0.1, for
/// tests. Each instance has a fresh data folder; `stop` and `start` again on the same port simulate an outage.
public final class KafkaBroker: @unchecked Sendable {
    public let port: Int
    public let directory: URL
    private var process: ChildProcess?

    public var bootstrapServers: String { "127.0.0.1:\(port)" }

    /// The broker `make test` started for the whole run (REALTIME_ANALYTICS_TEST_BROKER), if any.
    public static var sharedBootstrapServers: String? {
        ProcessInfo.processInfo.environment["REALTIME_ANALYTICS_TEST_BROKER"]
    }

    /// A broker address for tests that need no fault injection: the shared one, or a private one started now
    /// (kept alive by the returned value, which is nil when the shared broker is used).
    public static func addressForTest() throws -> (address: String, owned: KafkaBroker?) {
        if let shared = sharedBootstrapServers { return (shared, nil) }
        let broker = try KafkaBroker()
        return (broker.bootstrapServers, broker)
    }

    public init(port: Int? = nil) throws {
        self.port = try port ?? TestEnvironment.freePort()
        directory = try TestEnvironment.makeTemporaryDirectory("broker")
        try start()
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: directory)
    }

    public static var binary: String {
        TestEnvironment.packageRoot.appendingPathComponent("runtime/bin/noida-db").path
    }

    /// Starts the broker (again) on the same port and data folder and waits until it accepts connections.
    public func start() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binary) else {
            throw TestEnvironment.MissingResource(
                description: "\(Self.binary) is missing; run scripts/setup.sh (make test does)")
        }
        let data = directory.appendingPathComponent("data").path
        process = try ChildProcess(
            Self.binary,
            ["start", "--data-dir", data, "--host", "127.0.0.1", "--only", "kafka", "--kafka-port", "\(port)"],
            directory: directory, label: "broker")
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

    /// A topic name no other test uses.
    public static func uniqueTopic(_ label: String) -> String {
        "test.\(label).\(UUID().uuidString.prefix(8).lowercased())"
    }
}
