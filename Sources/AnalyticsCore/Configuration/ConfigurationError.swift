/// A problem with a configuration file, reported to the user as one line: where, what was found, what is allowed.
public struct ConfigurationError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The file the error was found in, as the user named it.
    public var file: String
    /// 1-based line of the offending node, when the YAML parser knows it.
    public var line: Int?
    /// Dotted YAML path of the offending key, e.g. `kafka.frame_quality` or `streams[3].url`; empty for the document.
    public var path: String
    /// What is wrong and what is allowed.
    public var message: String

    public init(file: String, line: Int?, path: String, message: String) {
        self.file = file
        self.line = line
        self.path = path
        self.message = message
    }

    public var description: String {
        var location = file
        if let line { location += ":\(line)" }
        let subject = path.isEmpty ? "" : "\(path): "
        return "\(location): \(subject)\(message)"
    }
}
