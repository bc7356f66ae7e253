import ArgumentParser
import Curl
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
            listening socket, as spawn-fcgi leaves it. SIGTERM or SIGINT hands \
            over and exits 0: requests in flight finish (up to --drain-timeout), \
            kept connections close with their next answer, and what is queued \
            on the socket is answered unless systemd holds the socket for the \
            next process. Upgrades: docs/operating.md, "Upgrading".
            """
    )

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Listen on a unix socket at this path. A stale socket file left by a crash is replaced; one another process listens on is refused.",
            valueName: "path"))
    var socket: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Permissions of the --socket file, in octal. The web server's user must be able to write it.",
            valueName: "mode"))
    var socketMode = "0660"

    @Option(name: .long, help: ArgumentHelp("Listen on TCP at HOST:PORT, e.g. 127.0.0.1:9000 or [::1]:9000.", valueName: "host:port"))
    var bind: String?

    @Flag(
        name: .long,
        help: ArgumentHelp(
            "Allow --bind on an address other hosts can reach. FastCGI has no authentication: whoever connects can send any request as any client. Limit who may connect with FCGI_WEB_SERVER_ADDRS and a firewall."
        ))
    var allowRemote = false

    @Option(
        name: .long,
        help: ArgumentHelp("Worker threads, i.e. requests answered at once. (default: \(Server.defaultWorkerCount) on this machine)", valueName: "n"))
    var workers: Int?

    @Option(name: .long, help: ArgumentHelp("Seconds that requests in flight may take to finish after SIGTERM.", valueName: "seconds"))
    var drainTimeout = 30

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Seconds a FastCGI peer may stay silent mid-request (or before its first) before its connection is closed.", valueName: "seconds"
        ))
    var readTimeout = 5

    @Option(name: .long, help: ArgumentHelp("Seconds a kept FastCGI connection may wait for its next request.", valueName: "seconds"))
    var idleTimeout = 75

    @Option(
        name: .long,
        help: ArgumentHelp(
            "FastCGI connections that may wait without a worker; one more closes the one waiting longest. (default: \(ConnectionLimits.standard.maximumIdle) here)",
            valueName: "n"))
    var maxIdleConnections: Int?

    @Option(
        name: .long,
        help: ArgumentHelp("Threads that keep the task copies fresh from Attio (never FastCGI workers).", valueName: "n"))
    var refreshThreads = 4

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Seconds after which a task copy falls due when its page is shown (SPEC: 30; shorter only for tests and demos).",
            valueName: "seconds"))
    var taskFreshness = 30

    func validate() throws {
        if !(1...64).contains(refreshThreads) { throw ValidationError("--refresh-threads must be between 1 and 64.") }
        if !(1...86400).contains(taskFreshness) { throw ValidationError("--task-freshness must be between 1 and 86400 seconds.") }
        if socket != nil, bind != nil { throw ValidationError("Pass --socket or --bind, not both.") }
        if let workers, !(1...1024).contains(workers) { throw ValidationError("--workers must be between 1 and 1024.") }
        if UInt32(socketMode, radix: 8).map({ $0 <= 0o777 }) != true { throw ValidationError("--socket-mode must be an octal mode such as 0660.") }
        if drainTimeout < 0 { throw ValidationError("--drain-timeout must not be negative.") }
        if !(1...3600).contains(readTimeout) || !(1...3600).contains(idleTimeout) {
            throw ValidationError("--read-timeout and --idle-timeout must be between 1 and 3600 seconds.")
        }
        if let maxIdleConnections, !(1...65536).contains(maxIdleConnections) {
            throw ValidationError("--max-idle-connections must be between 1 and 65536.")
        }
        if let bind, !allowRemote, (try? ListenTarget.tcp(parsing: bind))?.isLocalOnly == false {
            throw ValidationError(
                """
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
        let settings = try await Startup.loadSettings()
        let logger = Startup.bootstrapLogging(settings)
        let target = try listenTarget()
        let (peers, limits) = try connectionLimits(logger: logger)
        let workerCount = workers ?? Server.defaultWorkerCount
        // Sign-ups, log-ins and password steps run on a lane of their own,
        // so a burst of them never parks the workers.
        let slowLane = SlowLane.Limits.standard(workers: workerCount)
        let application = try await Self.application(
            settings: settings, workers: workerCount, passwordThreads: slowLane.threads, taskFreshness: TimeInterval(taskFreshness),
            logger: logger)

        // Started in this order, stopped in reverse.
        let housekeeping = Housekeeping(every: .seconds(600), logger: logger) { try application.removeExpiredData() }
        defer { housekeeping.stop() }
        application.startRefreshing(threads: refreshThreads)
        // After the workers drained: a refresh between Attio's pages gives
        // its lease back; one still waiting on Attio is abandoned unwritten.
        defer { application.stopRefreshing(waiting: 2) }
        let listener = try ListeningSocket.open(target)
        // Explicitly, not at deinit: the signal thread keeps the server alive.
        defer { listener.close() }
        let server = try Server(
            socket: listener, workers: workerCount, peers: peers, limits: limits, slowLane: slowLane, responder: application, logger: logger)
        if let peers { logger.info("FastCGI peers limited to FCGI_WEB_SERVER_ADDRS=\(peers)") }
        let signals = SignalWatcher(signals: [SIGTERM, SIGINT]) { signal in
            let name = signal == SIGTERM ? "SIGTERM" : "SIGINT"
            logger.info("received \(name): handing over (answering what reaches this process until the web server lets go)")
            server.shutdown()
        }
        let drained = await runOnDedicatedThread { server.run(drainTimeout: .seconds(drainTimeout)) }
        withExtendedLifetime(signals) {}
        if !drained { throw ExitCode.failure }
    }

    /// Who may connect (`FCGI_WEB_SERVER_ADDRS`, exit 78 when malformed) and
    /// the timeouts and cap for connections without a worker.
    private func connectionLimits(logger: Logger) throws -> (PeerFilter?, ConnectionLimits) {
        let peers: PeerFilter?
        do {
            peers = try PeerFilter.fromEnvironment(ProcessInfo.processInfo.environment)
        } catch {
            logger.critical("\(error)")
            throw ExitCode(78)
        }
        var limits = ConnectionLimits.standard
        limits.readTimeout = .seconds(readTimeout)
        limits.idleTimeout = .seconds(idleTimeout)
        if let maxIdleConnections { limits.maximumIdle = maxIdleConnections }
        return (peers, limits)
    }

    /// Where to listen: --socket, --bind, systemd's socket, or fd 0.
    private func listenTarget() throws -> ListenTarget {
        if let socket { return .unix(path: socket, mode: UInt32(socketMode, radix: 8)!) }
        if let bind { return try ListenTarget.tcp(parsing: bind) }
        if let inherited = ListenTarget.inherited(environment: ProcessInfo.processInfo.environment) { return inherited }
        throw FastCGIError.noListener
    }

    /// The application on the configured database and key, reaching Attio through libcurl.
    private static func application(
        settings: Settings, workers: Int, passwordThreads: Int, taskFreshness: TimeInterval, logger: Logger
    ) async throws -> Application {
        let database: TaskrDatabase
        let secretKey: SecretKey
        do {
            database = try TaskrDatabase.open(settings.database)
        } catch {
            logger.critical("cannot open the database at \(settings.database): \(error)")
            throw ExitCode.failure
        }
        do {
            if let key = settings.secretKey {
                secretKey = key
            } else if let path = settings.database.keyFilePath {
                secretKey = try SecretKeyFile.loadOrCreate(at: path, logger: logger)
            } else {
                // Settings refuses PostgreSQL without TASKR_SECRET_KEY already.
                preconditionFailure("a PostgreSQL site without TASKR_SECRET_KEY got past Settings")
            }
        } catch {
            logger.critical("\(error)")
            throw ExitCode.failure
        }
        logger.info("Attio tokens are sealed with key \(secretKey.id); \(settings.previousSecretKeys.count) previous key(s) can still open them")
        if !settings.attio.isConfigured {
            logger.warning("ATTIO_CLIENT_ID and ATTIO_CLIENT_SECRET are not both set: Connect Attio explains what to set")
        }
        return try Application(
            database: database, views: try await Views.bundled(), settings: settings, secretKey: secretKey,
            http: CurlClient(), passwordThreads: passwordThreads,
            // Half the workers at most may wait on Attio: the rest keep answering.
            concurrentAttioCalls: max(1, workers / 2), taskFreshness: taskFreshness, logger: logger)
    }
}

/// Runs blocking work on a thread of its own, not on Swift's cooperative executor.
private func runOnDedicatedThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: work()) }.start()
    }
}
