import Foundation
import TestSupport
import Testing

/// The reader every JSON-lines test relies on must see corrupt output, not skip it.
@Suite("JSON-lines reader of the tests", .timeLimit(.minutes(1)))
struct JSONLinesReaderTests {
    private let good = #"{"stream":"a","frame_id":1}"#

    @Test("a corrupt or interleaved line anywhere is an error naming its line")
    func corruptLineThrows() {
        for text in ["\(good)\n{\"stream\":\"a\",\"fra{\"stream\":\"b\"}\n\(good)\n", "\(good)\nnot json\n", "[1,2]\n"]
        {
            #expect(throws: JSONLines.CorruptLine.self) { try JSONLines.parse(Data(text.utf8)) }
            #expect(throws: JSONLines.CorruptLine.self) { try JSONLines.parse(Data(text.utf8), tail: .mayBePartial) }
        }
        do {
            _ = try JSONLines.parse(Data("\(good)\n\(good)\n{broken\n".utf8))
            Issue.record("a corrupt third line was accepted")
        } catch let error as JSONLines.CorruptLine {
            #expect(error.lineNumber == 3)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test("only an unterminated last line may be forgiven, and only when the writer may still be writing")
    func partialTail() throws {
        let text = Data("\(good)\n\(good)\n{\"stream\":\"a\",\"fr".utf8)
        #expect(try JSONLines.parse(text, tail: .mayBePartial).count == 2)
        #expect(throws: JSONLines.CorruptLine.self) { try JSONLines.parse(text) }
        #expect(try JSONLines.parse(Data("\(good)\n\(good)".utf8)).count == 2, "a complete unterminated line is fine")
        #expect(try JSONLines.parse(Data()).isEmpty)
    }
}
