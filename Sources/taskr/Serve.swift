import ArgumentParser
import FastCGI
import Foundation
import HTTP
import Logging
import Sodium
import TaskrCore

/// `taskr serve`: the FastCGI responder.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Answer Taskr's routes over FastCGI.",
        discussion: """
            Listens on, in order of preference: --socket or --bind when given; the \
            socket systemd passes (LISTEN_FDS); file descriptor 0 when it is a \
            listening socket, as spawn-fcgi leaves it. SIGTERM or SIGINT stops \
            accepting, lets requests in flight finish (up to --drain-timeout) and \
            exits 0.
            """
    )

    @Option(name: .long, help: ArgumentHelp(
        "Listen on a unix socket at this path. A stale socket file left by a crash is replaced; one another process listens on is refused.",
        valueName: "path"))
    var socket: String?

    @Option(name: .long, help: ArgumentHelp(
        "Permissions of the --socket file, in octal. The web server's user must be able to write it.",
        valueName: "mode"))
    var socketMode = "0660"

    @Option(name: .long, help: ArgumentHelp("Listen on TCP at HOST:PORT, e.g. 127.0.0.1:9000 or [::1]:9000.", valueName: "host:port"))
    var bind: String?

    @Flag(name: .long, help: ArgumentHelp(
        "Allow --bind on an address other hosts can reach. FastCGI has no authentication: whoever connects can send any request as any client. Limit who may connect with FCGI_WEB_SERVER_ADDRS and a firewall."))
    var allowRemote = false

    @Option(name: .long, help: ArgumentHelp("Worker threads, i.e. requests answered at once. (default: \(Server.defaultWorkerCount) on this machine)", valueName: "n"))
    var workers: Int?

    @Option(name: .long, help: ArgumentHelp("Seconds that requests in flight may take to finish after SIGTERM.", valueName: "seconds"))
    var drainTimeout = 30

    func validate() throws {
        if socket != nil, bind != nil { throw ValidationError("Pass --socket or --bind, not both.") }
        if let workers, !(1...1024).contains(workers) { throw ValidationError("--workers must be between 1 and 1024.") }
        if UInt32(socketMode, radix: 8).map({ $0 <= 0o777 }) != true { throw ValidationError("--socket-mode must be an octal mode such as 0660.") }
        if drainTimeout < 0 { throw ValidationError("--drain-timeout must not be negative.") }
        if let bind, !allowRemote, (try? ListenTarget.tcp(parsing: bind))?.isLocalOnly == false {
            throw ValidationError("""
                --bind \(bind) can be reached from other hosts, and FastCGI has no authentication. \
                Pass --allow-remote to mean it, and set FCGI_WEB_SERVER_ADDRS to the web servers' addresses.
                """)
        }
    }

    func run() async throws {
        // With TZ unset, glibc stats /etc/localtime at every local-time
        // conversion, i.e. for every log line's timestamp. Naming the same
        // file once makes it read it once.
        if getenv("TZ") == nil { setenv("TZ", ":/etc/localtime", 1) }
        let settings: Settings
        do {
            settings = try await Settings.load()
        } catch {
            FileHandle.standardError.write(Data("taskr: configuration error: \(error)\n".utf8))
            throw ExitCode(78)  // EX_CONFIG
        }
        LoggingSystem.bootstrap { label in
            // Every value escaped on its way out: no request can forge a log line.
            var handler = EscapingLogHandler(wrapping: StreamLogHandler.standardError(label: label))
            handler.logLevel = settings.logLevel
            return handler
        }
        let logger = Logger(label: "taskr")

        let target: ListenTarget
        if let socket {
            target = .unix(path: socket, mode: UInt32(socketMode, radix: 8)!)
        } else if let bind {
            target = try ListenTarget.tcp(parsing: bind)
        } else if let inherited = ListenTarget.inherited(environment: ProcessInfo.processInfo.environment) {
            target = inherited
        } else {
            throw FastCGIError.noListener
        }

        let workerCount = workers ?? Server.defaultWorkerCount
        let database: AppDatabase
        do {
            database = try AppDatabase(path: settings.databasePath)
        } catch {
            logger.critical("cannot open the database at \(settings.databasePath): \(error)")
            throw ExitCode.failure
        }
        let secretKey: SecretKey
        do {
            secretKey = try settings.secretKey
                ?? SecretKeyFile.loadOrCreate(at: SecretKeyFile.path(forDatabase: settings.databasePath), logger: logger)
        } catch {
            logger.critical("\(error)")
            throw ExitCode.failure
        }
        logger.info("Attio tokens are sealed with key \(secretKey.id); \(settings.previousSecretKeys.count) previous key(s) can still open them")
        if !settings.attio.isConfigured {
            logger.warning("ATTIO_CLIENT_ID and ATTIO_CLIENT_SECRET are not both set: Connect Attio explains what to set")
        }
        let application = try Application(
            database: database, views: try await Views.bundled(), settings: settings,
            secretKey: secretKey, http: CurlHTTPClient(),
            // Half the workers at most may wait on Attio: the rest keep answering.
            concurrentAttioCalls: max(1, workerCount / 2),
            logger: logger)
        startHousekeeping(application, every: .seconds(600), logger: logger)
        let listener = try ListeningSocket.open(target)
        // Explicitly, not at deinit: the signal thread keeps the server alive.
        defer { listener.close() }
        let server = try Server(
            socket: listener,
            workers: workerCount,
            responder: application,
            logger: logger
        )
        let signals = SignalWatcher(signals: [SIGTERM, SIGINT]) { signal in
            logger.info("received \(signal == SIGTERM ? "SIGTERM" : "SIGINT"): finishing requests in flight")
            server.shutdown()
        }
        let drained = await runOnDedicatedThread { server.run(drainTimeout: .seconds(drainTimeout)) }
        withExtendedLifetime(signals) {}
        if !drained { throw ExitCode.failure }
    }
}

/// Deletes expired sessions and stale login failures now and then, on a
/// thread of its own: never a write on the request path for it.
private func startHousekeeping(_ application: Application, every interval: Duration, logger: Logger) {
    let thread = Thread {
        while true {
            do {
                try application.removeExpiredData()
            } catch {
                logger.warning("housekeeping failed: \(error)")
            }
            Thread.sleep(forTimeInterval: Double(interval.components.seconds))
        }
    }
    thread.name = "housekeeping"
    thread.start()
}

/// Runs blocking work on a thread of its own, not on Swift's cooperative executor.
private func runOnDedicatedThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: work()) }.start()
    }
}
