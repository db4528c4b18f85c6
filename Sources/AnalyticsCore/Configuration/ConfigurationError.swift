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
    /// Further problems found in the same pass, in file order (`all` lists this one and them).
    public var others: [ConfigurationError] = []

    public init(file: String, line: Int?, path: String, message: String) {
        self.file = file
        self.line = line
        self.path = path
        self.message = message
    }

    /// This problem and the others found with it, in file order, one line each.
    public var all: [ConfigurationError] {
        var first = self
        first.others = []
        return [first] + others
    }

    /// Several problems as one error (the first in file order carries the rest); nil for none.
    public static func combined(_ errors: [ConfigurationError]) -> ConfigurationError? {
        let ordered = errors.enumerated().sorted { a, b in
            (a.element.line ?? .max, a.offset) < (b.element.line ?? .max, b.offset)
        }.map(\.element)
        guard var first = ordered.first else { return nil }
        first.others = Array(ordered.dropFirst())
        return first
    }

    /// The first problem's line (`file:line: path: message`); `all` gives every one.
    public var description: String {
        var location = file
        if let line { location += ":\(line)" }
        let subject = path.isEmpty ? "" : "\(path): "
        return "\(location): \(subject)\(message)"
    }
}
