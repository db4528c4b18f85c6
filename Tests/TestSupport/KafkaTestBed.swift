import Foundation

/// What a process test against the broker starts with: a broker address (the shared one, or a private one kept
/// alive by this value), a topic of its own, and a temporary folder removed when the value goes.
public final class KafkaTestBed: @unchecked Sendable {
    public let broker: String
    public let topic: String
    public let directory: URL
    private let owned: KafkaBroker?

    public init(_ label: String, on kind: BrokerKind = .noida) throws {
        (broker, owned) = try KafkaBroker.addressForTest(kind)
        topic = KafkaBroker.uniqueTopic(label)
        directory = try TestEnvironment.makeTemporaryDirectory(label)
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
    }

    /// A file in the folder.
    public func file(_ name: String) -> URL { directory.appendingPathComponent(name) }
}
