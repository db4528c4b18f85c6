import CRdKafka

/// The librdkafka this process runs with (not the headers it was built against: set-up installs a newer library
/// than Debian's headers, and `RDKAFKA=system` builds against the system's).
public enum KafkaLibrary {
    /// librdkafka's own version string, e.g. `2.16.0`.
    public static var version: String { String(cString: rd_kafka_version_str()) }
}
