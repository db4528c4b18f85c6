import Foundation

/// The Mosquitto broker `make test` started on 127.0.0.1 (`REALTIME_ANALYTICS_TEST_MQTT`, `host:port`), for the
/// alerts' MQTT deliveries; tests give their topics a prefix of their own.
public struct MQTTBroker: Sendable {
    public static let environmentKey = "REALTIME_ANALYTICS_TEST_MQTT"
    public let host: String
    public let port: Int

    public init() throws {
        guard let address = ProcessInfo.processInfo.environment[Self.environmentKey],
            let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...])
        else {
            throw TestEnvironment.MissingResource(
                description:
                    "no MQTT broker for the alerts' tests: run `make test` (it starts one), or `scripts/mqtt.sh start 31883` and set \(Self.environmentKey)=127.0.0.1:31883"
            )
        }
        host = String(address[..<colon])
        self.port = port
    }

    /// `mosquitto_sub` (an independent client) printing `topic payload` per message of `filter` at QoS 1.
    public func subscribe(_ filter: String, directory: URL, label: String) throws -> ChildProcess {
        try ChildProcess(
            "/usr/bin/mosquitto_sub", ["-h", host, "-p", String(port), "-q", "1", "-v", "-t", filter],
            directory: directory, label: label)
    }
}
