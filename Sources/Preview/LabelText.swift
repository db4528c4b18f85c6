import Messages

/// The text of one box label, composed in a fixed buffer allocated once, so labelling allocates nothing per frame
/// (a `String` built per track could, for long class names). Text beyond the capacity is cut off; a label that long
/// would not fit a preview anyway.
final class LabelText {
    private let storage: UnsafeMutableBufferPointer<UInt8>
    private var count = 0

    init(capacity: Int = 64) {
        storage = .allocate(capacity: capacity)
    }

    deinit {
        storage.deallocate()
    }

    /// The UTF-8 bytes composed so far; valid until the next change.
    var bytes: UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: storage[0..<count])
    }

    /// `7 person`: track id then class name; `class 3` stands in for a missing name, and an untracked detection
    /// (negative track id, -1 by convention) shows the class alone.
    func compose(for track: Track) {
        count = 0
        if track.trackID >= 0 {
            append(track.trackID)
            append(UInt8(ascii: " "))
        }
        if let name = track.className, !name.isEmpty {
            append(name)
        } else {
            append("class ")
            append(track.classID)
        }
    }

    private func append(_ byte: UInt8) {
        guard count < storage.count else { return }
        storage[count] = byte
        count += 1
    }

    private func append(_ text: String) {
        for byte in text.utf8 {
            append(byte)
        }
    }

    /// Decimal digits, written most significant first without an intermediate string.
    private func append(_ number: Int) {
        if number < 0 { append(UInt8(ascii: "-")) }
        var magnitude = number.magnitude
        var divisor: UInt = 1
        while magnitude / divisor >= 10 { divisor *= 10 }
        while divisor > 0 {
            append(UInt8(ascii: "0") + UInt8(magnitude / divisor))
            magnitude %= divisor
            divisor /= 10
        }
    }
}
