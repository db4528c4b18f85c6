/// Standard base64 (RFC 4648, with padding), appended straight into a byte buffer: previews are ~20 KB per
/// message, so going through `Data.base64EncodedString` would allocate twice per frame.
public enum Base64 {
    private static let alphabet: [UInt8] = Array(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    public static func encodedCount(_ count: Int) -> Int { (count + 2) / 3 * 4 }

    public static func append(_ input: UnsafeRawBufferPointer, to output: inout [UInt8]) {
        let start = output.count
        output.append(contentsOf: repeatElement(0, count: encodedCount(input.count)))
        alphabet.withUnsafeBufferPointer { table in
            output.withUnsafeMutableBufferPointer { out in
                var o = start
                var i = 0
                while i + 3 <= input.count {
                    let value = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8 | UInt32(input[i + 2])
                    out[o] = table[Int(value >> 18)]
                    out[o + 1] = table[Int(value >> 12 & 63)]
                    out[o + 2] = table[Int(value >> 6 & 63)]
                    out[o + 3] = table[Int(value & 63)]
                    i += 3
                    o += 4
                }
                let rest = input.count - i
                if rest > 0 {
                    let value = UInt32(input[i]) << 16 | (rest == 2 ? UInt32(input[i + 1]) << 8 : 0)
                    out[o] = table[Int(value >> 18)]
                    out[o + 1] = table[Int(value >> 12 & 63)]
                    out[o + 2] = rest == 2 ? table[Int(value >> 6 & 63)] : UInt8(ascii: "=")
                    out[o + 3] = UInt8(ascii: "=")
                }
            }
        }
    }
}
