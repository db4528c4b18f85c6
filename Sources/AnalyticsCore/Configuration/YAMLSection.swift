import Foundation
import Yams
import Zones

/// Typed, path-aware access to one YAML mapping of the configuration.
///
/// Every accessor reports problems as a `ConfigurationError` naming the key's full YAML path and line, and a section
/// rejects keys it does not know (with a suggestion) as soon as it is opened, so a typo never silently falls back to
/// a default.
public struct YAMLSection {
    public let file: String
    public let path: String
    let node: Node
    private let entries: [String: Node]

    /// Opens `node` as a mapping that may contain only `allowedKeys`. A missing section is an empty mapping.
    init(_ node: Node?, path: String, file: String, allowedKeys: [String]) throws(ConfigurationError) {
        self.file = file
        self.path = path
        self.node = node ?? Node.mapping(.init([]))
        var entries: [String: Node] = [:]
        switch self.node {
        case .mapping(let mapping):
            for (keyNode, value) in mapping {
                guard let key = keyNode.scalar?.string else {
                    throw ConfigurationError(
                        file: file, line: Self.line(of: keyNode), path: path,
                        message: "keys must be plain strings")
                }
                let keyPath = Self.join(path, key)
                guard allowedKeys.contains(key) else {
                    var message = "unknown key '\(key)'"
                    if let suggestion = KeySuggestion.closest(to: key, in: allowedKeys) {
                        message += "; did you mean '\(suggestion)'?"
                    }
                    message += " (allowed here: \(allowedKeys.joined(separator: ", ")))"
                    throw ConfigurationError(file: file, line: Self.line(of: keyNode), path: keyPath, message: message)
                }
                guard entries[key] == nil else {
                    throw ConfigurationError(
                        file: file, line: Self.line(of: keyNode), path: keyPath,
                        message: "key '\(key)' appears twice; keep one")
                }
                entries[key] = value
            }
        case .scalar(let scalar)
        where node == nil || scalar.string.isEmpty || scalar.string == "~"
            || scalar.string == "null":
            break  // `section:` with nothing under it means "all defaults".
        default:
            throw ConfigurationError(
                file: file, line: Self.line(of: self.node), path: path,
                message:
                    "expected a mapping of keys (\(allowedKeys.joined(separator: ", "))), got \(Self.describe(self.node))"
            )
        }
        self.entries = entries
    }

    public func has(_ key: String) -> Bool { entries[key].map { !Self.isNull($0) } ?? false }

    public func keyPath(_ key: String) -> String { Self.join(path, key) }

    public func error(_ key: String, _ message: String) -> ConfigurationError {
        ConfigurationError(
            file: file, line: entries[key].flatMap(Self.line(of:)) ?? Self.line(of: node),
            path: keyPath(key), message: message)
    }

    public func section(_ key: String, allowedKeys: [String]) throws(ConfigurationError) -> YAMLSection {
        try YAMLSection(entries[key], path: keyPath(key), file: file, allowedKeys: allowedKeys)
    }

    public func bool(_ key: String, default defaultValue: Bool) throws(ConfigurationError) -> Bool {
        try optionalBool(key) ?? defaultValue
    }

    public func optionalBool(_ key: String) throws(ConfigurationError) -> Bool? {
        guard let value = entries[key], !Self.isNull(value) else { return nil }
        guard let scalar = value.scalar, let result = Bool(yamlBoolean: scalar.string) else {
            throw error(key, "got \(Self.describe(value)); allowed: true or false")
        }
        return result
    }

    public func int(
        _ key: String, default defaultValue: Int, in range: ClosedRange<Int>, unit: String = ""
    )
        throws(ConfigurationError) -> Int
    {
        try optionalInt(key, in: range, unit: unit) ?? defaultValue
    }

    public func optionalInt(
        _ key: String, in range: ClosedRange<Int>, unit: String = ""
    ) throws(ConfigurationError) -> Int? {
        guard let value = entries[key], !Self.isNull(value) else { return nil }
        let allowed = "an integer from \(range.lowerBound) to \(range.upperBound)\(unit)"
        guard let scalar = value.scalar, scalar.style == .plain, let result = Int(scalar.string) else {
            throw error(key, "got \(Self.describe(value)); allowed: \(allowed)")
        }
        guard range.contains(result) else {
            throw error(key, "got \(result); allowed: \(allowed)")
        }
        return result
    }

    /// `[x, y]`, each a fraction of the frame (0...1): a corner of a zone or an end of a line.
    func point(_ key: String) throws(ConfigurationError) -> NormalizedPoint? {
        guard let value = entries[key], !Self.isNull(value) else { return nil }
        return try Self.point(value, file: file, path: keyPath(key))
    }

    /// A list of at least one `[x, y]` point.
    func points(_ key: String) throws(ConfigurationError) -> [NormalizedPoint]? {
        guard let value = entries[key], !Self.isNull(value) else { return nil }
        guard case .sequence(let sequence) = value else {
            throw error(
                key,
                "got \(Self.describe(value)); allowed: a list of [x, y] corners, e.g. [[0.1, 0.5], [0.9, 0.5], [0.9, 0.9]]"
            )
        }
        var points: [NormalizedPoint] = []
        for (index, item) in sequence.enumerated() {
            points.append(try Self.point(item, file: file, path: "\(keyPath(key))[\(index)]"))
        }
        return points
    }

    private static func point(_ node: Node, file: String, path: String) throws(ConfigurationError) -> NormalizedPoint {
        let allowed = "[x, y] with x and y from 0 to 1 (fractions of the frame's width and height)"
        guard case .sequence(let pair) = node, pair.count == 2,
            let x = pair[0].scalar.flatMap({ Double($0.string) }),
            let y = pair[1].scalar.flatMap({ Double($0.string) }),
            (0...1).contains(x), (0...1).contains(y)
        else {
            throw ConfigurationError(
                file: file, line: line(of: node), path: path, message: "got \(describe(node)); allowed: \(allowed)")
        }
        return NormalizedPoint(x: x, y: y)
    }

    /// A size written as one number (square) or `[width, height]`, each side accepted by `side`; nil when absent.
    /// `allowed` says what is accepted, for the error.
    public func size(
        _ key: String, allowed: String, side accepts: (Int) -> Bool
    ) throws(ConfigurationError) -> (width: Int, height: Int)? {
        guard let value = entries[key], !Self.isNull(value) else { return nil }
        func side(_ node: Node) -> Int? {
            guard let scalar = node.scalar, scalar.style == .plain, let side = Int(scalar.string), accepts(side)
            else { return nil }
            return side
        }
        if case .sequence(let sequence) = value {
            guard sequence.count == 2, let width = side(sequence[0]), let height = side(sequence[1]) else {
                throw error(key, "got \(Self.describe(value)); allowed: \(allowed)")
            }
            return (width, height)
        }
        guard let square = side(value) else { throw error(key, "got \(Self.describe(value)); allowed: \(allowed)") }
        return (square, square)
    }

    public func double(
        _ key: String, default defaultValue: Double, in range: ClosedRange<Double>, unit: String = ""
    )
        throws(ConfigurationError) -> Double
    {
        try optionalDouble(key, in: range, unit: unit) ?? defaultValue
    }

    public func optionalDouble(
        _ key: String, in range: ClosedRange<Double>, unit: String = ""
    )
        throws(ConfigurationError) -> Double?
    {
        guard let value = entries[key], !Self.isNull(value) else { return nil }
        let allowed = "a number from \(Self.format(range.lowerBound)) to \(Self.format(range.upperBound))\(unit)"
        guard let scalar = value.scalar, scalar.style == .plain, let result = Double(scalar.string),
            result.isFinite
        else {
            throw error(key, "got \(Self.describe(value)); allowed: \(allowed)")
        }
        guard range.contains(result) else {
            throw error(key, "got \(scalar.string); allowed: \(allowed)")
        }
        return result
    }

    public func string(
        _ key: String, default defaultValue: String, allowEmpty: Bool = false
    ) throws(ConfigurationError)
        -> String
    {
        try optionalString(key, allowEmpty: allowEmpty) ?? defaultValue
    }

    public func optionalString(_ key: String, allowEmpty: Bool = false) throws(ConfigurationError) -> String? {
        guard let value = entries[key], !Self.isNull(value) else { return nil }
        guard let scalar = value.scalar else {
            throw error(key, "got \(Self.describe(value)); allowed: a string")
        }
        if !allowEmpty && scalar.string.trimmingCharacters(in: .whitespaces).isEmpty {
            throw error(key, "is empty; allowed: a non-empty string")
        }
        return scalar.string
    }

    public func stringList(_ key: String) throws(ConfigurationError) -> [String] {
        guard let value = entries[key], !Self.isNull(value) else { return [] }
        guard case .sequence(let sequence) = value else {
            throw error(key, "got \(Self.describe(value)); allowed: a list of strings, e.g. [person, car]")
        }
        var result: [String] = []
        for (index, item) in sequence.enumerated() {
            guard let scalar = item.scalar, !scalar.string.isEmpty else {
                throw ConfigurationError(
                    file: file, line: Self.line(of: item), path: "\(keyPath(key))[\(index)]",
                    message: "got \(Self.describe(item)); allowed: a non-empty string")
            }
            result.append(scalar.string)
        }
        return result
    }

    /// A mapping of free-form keys to scalar values (numbers and booleans as written), in file order.
    public func scalarMapping(_ key: String) throws(ConfigurationError) -> [(key: String, value: String)] {
        guard let value = entries[key], !Self.isNull(value) else { return [] }
        guard case .mapping(let mapping) = value else {
            throw error(
                key,
                "got \(Self.describe(value)); allowed: a mapping of names to values, e.g. {security.protocol: SASL_SSL}"
            )
        }
        var result: [(key: String, value: String)] = []
        for (name, item) in mapping {
            guard let nameText = name.scalar?.string, let itemText = item.scalar?.string else {
                throw ConfigurationError(
                    file: file, line: Self.line(of: item), path: keyPath(key),
                    message: "got \(Self.describe(item)) for \(Self.describe(name)); allowed: plain values")
            }
            result.append((nameText, itemText))
        }
        return result
    }

    func sequence(_ key: String) throws(ConfigurationError) -> [(node: Node, path: String)] {
        guard let value = entries[key], !Self.isNull(value) else { return [] }
        guard case .sequence(let sequence) = value else {
            throw error(key, "got \(Self.describe(value)); allowed: a list")
        }
        return sequence.enumerated().map { ($0.element, "\(keyPath(key))[\($0.offset)]") }
    }

    // MARK: helpers

    static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    static func line(of node: Node) -> Int? { node.mark.map { $0.line } }

    static func isNull(_ node: Node) -> Bool {
        guard let scalar = node.scalar, scalar.style == .plain else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    static func describe(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar):
            let text = scalar.string.count > 60 ? String(scalar.string.prefix(57)) + "..." : scalar.string
            return "'\(text)'"
        case .mapping: return "a mapping"
        case .sequence(let sequence):
            // A short list of plain values is shown as written (e.g. a corner [1.2, 0.5]).
            let items = sequence.compactMap { $0.scalar?.string }
            guard items.count == sequence.count, items.count <= 4, items.allSatisfy({ $0.count <= 20 }) else {
                return "a list"
            }
            return "[\(items.joined(separator: ", "))]"
        case .alias: return "an alias"
        }
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}

extension Bool {
    /// YAML 1.1/1.2 booleans as users write them in config files.
    init?(yamlBoolean text: String) {
        switch text.lowercased() {
        case "true", "yes", "on": self = true
        case "false", "no", "off": self = false
        default: return nil
        }
    }
}
