import Dispatch
import Synchronization

/// One database connection and the serial queue that alone uses it. SQLite and libpq block; the queue runs them
/// on a thread Dispatch gives it outside Swift's cooperative pool, so `run` never holds a pool thread while the
/// database works. The connection is opened lazily by the caller's body and dropped when it stops working.
public final class DatabaseWorker: Sendable {
    private let queue: DispatchQueue
    /// Touched only on `queue` (the lock is never contended; it makes the confinement checkable).
    private let connection = Mutex<(any SQLConnection)?>(nil)

    public init(label: String) {
        queue = DispatchQueue(label: label)
    }

    /// Runs `body` on the queue with the connection slot (nil until the body opens one; set it to nil to drop it).
    public func run<T: Sendable>(
        _ body: @escaping @Sendable (inout (any SQLConnection)?) throws(DatabaseError) -> T
    ) async throws(DatabaseError) -> T {
        let outcome: Result<T, DatabaseError> = await withCheckedContinuation { continuation in
            queue.async {
                let result = self.connection.withLock { slot -> Result<T, DatabaseError> in
                    do throws(DatabaseError) {
                        return .success(try body(&slot))
                    } catch {
                        return .failure(error)
                    }
                }
                continuation.resume(returning: result)
            }
        }
        return try outcome.get()
    }
}
