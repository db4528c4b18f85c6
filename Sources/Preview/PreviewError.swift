/// Why a preview could not be produced, as one line for the user.
public struct PreviewError: Error, CustomStringConvertible {
    public var description: String

    public init(description: String) {
        self.description = description
    }
}
