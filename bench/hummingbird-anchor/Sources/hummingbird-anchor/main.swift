// The Hummingbird 2 anchor of `make bench`, the HTTP twin of
// bench/baseline.c:
//
//   hummingbird-anchor hello  SOCKET PAGE_BYTES            a fixed page of PAGE_BYTES
//   hummingbird-anchor sqlite SOCKET PAGE_BYTES DATABASE   one SQLite primary-key
//                         read per request (a session check), then the page
//
// HTTP/1.1 on a unix socket (nginx: proxy_pass with kept connections). The
// read is the C baseline's: a prepared statement per thread, a fixed 32-byte
// key, step, reset.
import CSQLite3
import Foundation
import Hummingbird
import NIOCore

let arguments = CommandLine.arguments
guard arguments.count >= 4, let bytes = Int(arguments[3]), arguments[1] == "hello" || (arguments[1] == "sqlite" && arguments.count == 5)
else {
    FileHandle.standardError.write(Data("usage: hummingbird-anchor hello SOCKET PAGE_BYTES | sqlite SOCKET PAGE_BYTES DATABASE\n".utf8))
    exit(64)
}
let socketPath = arguments[2]
let databasePath = arguments.count == 5 ? arguments[4] : nil
let page = ByteBuffer(repeating: UInt8(ascii: "x"), count: bytes)

/// One read-only connection and its prepared statement, per thread.
final class SessionReader: @unchecked Sendable {
    private var database: OpaquePointer?
    private var statement: OpaquePointer?

    init(path: String) {
        // The busy timeout before the first statement, as the C baseline's.
        guard sqlite3_open_v2(path, &database, SQLITE_OPEN_READONLY, nil) == SQLITE_OK,
            sqlite3_busy_timeout(database, 5000) == SQLITE_OK,
            sqlite3_prepare_v3(
                database, "SELECT user_id, csrf_token, created_at, last_seen_at FROM sessions WHERE id_hash = ?", -1,
                UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil) == SQLITE_OK
        else { fatalError("cannot open \(path)") }
    }

    func read() -> Bool {
        let key = [UInt8](repeating: 0x42, count: 32)
        let found = key.withUnsafeBytes { key in
            sqlite3_bind_blob(statement, 1, key.baseAddress, 32, nil)
            return sqlite3_step(statement) == SQLITE_ROW
        }
        sqlite3_reset(statement)
        return found
    }
}

/// The calling thread's reader (a pthread key, as NIO's
/// ThreadSpecificVariable is): handlers run on a few threads, each opens one.
nonisolated(unsafe) var readerKey = pthread_key_t()
pthread_key_create(&readerKey, nil)

@Sendable func sessionReader(_ path: String) -> SessionReader {
    if let raw = pthread_getspecific(readerKey) { return Unmanaged<SessionReader>.fromOpaque(raw).takeUnretainedValue() }
    let reader = SessionReader(path: path)
    pthread_setspecific(readerKey, Unmanaged.passRetained(reader).toOpaque())
    return reader
}

@Sendable func answer(_: Request, _: BasicRequestContext) -> Response {
    if let databasePath { _ = sessionReader(databasePath).read() }
    return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: page))
}
let router = Router()
router.get("/", use: answer)
router.get("/**", use: answer)
unlink(socketPath)
// nginx's workers connect as another user.
let app = Application(
    router: router, configuration: .init(address: .unixDomainSocket(path: socketPath), serverName: nil),
    onServerRunning: { _ in chmod(socketPath, 0o666) })
try await app.runService()
