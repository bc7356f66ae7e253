public import Foundation
public import HTTP
public import Logging
public import Sodium

/// Taskr as a pure function from a ``Request`` to a ``Response``: the one
/// composition root, built from its dependencies (database, clock, random
/// source) and knowing nothing of sockets or FastCGI.
///
/// Before a handler runs, the request's session and user are loaded, and a
/// POST passes the CSRF checks; a POST that fails them gets 403 and its
/// handler never runs. Errors never escape: an ``HTTPError`` renders its own
/// page with its status; anything else is logged and answered with a generic
/// 500 page.
public struct Application: Sendable {
    typealias Handler = @Sendable (Request, inout RequestContext) throws -> Response

    private let router: Router<Handler>
    private let views: Views
    private let sessions: SessionManager
    private let throttle: LoginThrottle
    /// The home page's Attio part (tests look at its caches).
    let taskFeed: TaskFeed
    private let attioGate: AttioGate
    private let attioConnector: AttioConnector
    /// The Argon2id queue (tests hold its permits to fill it).
    let passwords: PasswordService
    private let logger: Logger
    private let securityLog: SecurityLog

    /// - Parameters:
    ///   - secretKey: seals Attio tokens (``Settings/secretKey``, or the key file's).
    ///   - http: how Attio is reached.
    ///   - passwordHasher: Argon2id parameters for new hashes (tests pass
    ///     weaker ones to check rehashing).
    ///   - concurrentHashes: how many password hashes may run at once.
    ///   - concurrentAttioCalls: how many requests may wait on Attio at once;
    ///     keep it below the worker count so a slow Attio leaves workers free.
    public init(
        database: AppDatabase,
        views: Views,
        settings: Settings,
        secretKey: SecretKey,
        http: any HTTPClient,
        clock: any WallClock = SystemClock(),
        random: any RandomSource = SystemRandom(),
        passwordHasher: PasswordHasher = .owasp,
        concurrentHashes: Int = max(2, ProcessInfo.processInfo.activeProcessorCount),
        concurrentAttioCalls: Int = 4,
        logger: Logger
    ) throws {
        let stores = Stores(sqlite: database)
        let users = stores.users
        let sessions = SessionManager(
            store: stores.sessions,
            policy: settings.sessionPolicy,
            clock: clock,
            random: random,
            visitorCSRF: VisitorCSRF(key: secretKey.derived("visitor csrf"), clock: clock, random: random))
        let throttle = LoginThrottle(store: stores.loginThrottle)
        let passwords = try PasswordService(hasher: passwordHasher, concurrentHashes: concurrentHashes)
        let securityLog = SecurityLog(logger: logger, digestKey: secretKey.derived("log digest"))
        let sealer = TokenSealer(current: secretKey, previous: settings.previousSecretKeys)
        let client = AttioClient(settings: settings.attio, http: http, clock: clock)
        let gate = AttioGate(maxConcurrentCalls: concurrentAttioCalls, clock: clock, logger: logger)
        let feed = TaskFeed(
            client: client, gate: gate, sealer: sealer, connections: stores.attioConnections, clock: clock, logger: logger)
        let connector = AttioConnector(
            settings: settings.attio, client: client, gate: gate, feed: feed, sealer: sealer,
            connections: stores.attioConnections, states: stores.oauthStates, clock: clock, random: random, logger: logger)
        self.views = views
        self.taskFeed = feed
        self.attioGate = gate
        self.attioConnector = connector
        self.passwords = passwords
        self.sessions = sessions
        self.throttle = throttle
        self.logger = logger
        self.securityLog = securityLog

        var router = Router<Handler>()
        let home = HomeController(views: views, feed: feed)
        router.add(.get, "/", home.show)
        let health = HealthController(database: database, clock: clock)
        router.add(.get, "/healthz", health.check)
        let signup = SignupController(
            views: views, users: users, passwords: passwords, sessions: sessions, clock: clock, logger: logger)
        router.add(.get, "/signup", signup.form)
        router.add(.post, "/signup", signup.submit)
        let login = LoginController(
            views: views, users: users, passwords: passwords, throttle: throttle,
            pacer: LoginPacer(maximumWaiting: concurrentHashes), sessions: sessions, clock: clock, securityLog: securityLog)
        router.add(.get, "/login", login.form)
        router.add(.post, "/login", login.submit)
        let logout = LogoutController(views: views, sessions: sessions, logger: logger)
        router.add(.get, "/logout", logout.page)
        router.add(.post, "/logout", logout.submit)
        let integration = AttioController(views: views, attio: connector, logger: logger)
        router.add(.get, "/integrations/attio/connect", integration.connect)
        router.add(.get, "/integrations/attio/callback", integration.callback)
        router.add(.post, "/integrations/attio/disconnect", integration.disconnect)
        self.router = router
    }

    /// The page for a client error found before there was a request to
    /// route (a web server's adapter could not decode it: 400, 413), in
    /// Taskr's own style.
    public func errorPage(for error: HTTPError) -> Response {
        var response = page(for: error)
        response.headers["Cache-Control"] = "no-store"
        return response
    }

    /// Routes and answers one request.
    public func respond(to request: Request) -> Response {
        let handler: Handler
        do {
            handler = try router.handler(for: request.method, path: request.path)
        } catch {
            return page(for: error)
        }
        return respond(to: request, with: handler)
    }

    /// Deletes expired sessions, OAuth states and stale login failures. Run
    /// from a timer, not on the request path.
    public func removeExpiredData() throws {
        let sessionsRemoved = try sessions.removeExpired()
        try throttle.removeStale(now: sessions.clock.now())
        try attioConnector.removeExpiredStates()
        taskFeed.removeExpired()
        attioGate.removeExpired()
        logger.debug("housekeeping: removed \(sessionsRemoved) expired session(s)")
    }

    /// Loads the context, runs the CSRF checks of a POST, then `handler`,
    /// turning whatever is thrown into a page.
    func respond(to request: Request, with handler: Handler) -> Response {
        var context = RequestContext(secure: request.isSecure)
        var response: Response
        do {
            if let found = try sessions.session(for: request) {
                context.session = found.session
                context.user = found.user
                context.attio = found.attio
            }
            if request.method == .post {
                do {
                    try CSRFProtection.checkOrigin(request)
                } catch {
                    securityLog.refusedPost(request, reason: "cross-site (Origin or Sec-Fetch-Site)")
                    throw error
                }
                context.form = try request.form()
                do {
                    try CSRFProtection.checkToken(context.form, session: context.session, request: request, visitor: sessions.visitorCSRF)
                } catch {
                    securityLog.refusedPost(request, reason: "missing, expired or wrong _csrf token")
                    throw error
                }
            }
            response = try handler(request, &context)
        } catch {
            // A request that failed changes nothing: its intents are dropped.
            context.forgetIntents()
            response = page(for: error, request)
        }
        do {
            try sessions.writeCookies(into: &response, for: request, context: context)
        } catch {
            response = page(for: error, request)
        }
        // Pages carry CSRF tokens and user data: no cache may keep them.
        if response.headers["Cache-Control"] == nil {
            response.headers["Cache-Control"] = "no-store"
        }
        return response
    }

    /// The page for whatever a request threw: an ``HTTPError`` renders its
    /// own; anything else is logged and becomes a generic 500 page.
    private func page(for error: any Error, _ request: Request) -> Response {
        if error is PasswordQueueFull { return page(for: Self.busy) }
        guard let error = error as? HTTPError else {
            // Details go to the log only: they may name tables, paths or values.
            logger.error("unhandled error in \(request.method) \(request.path): \(String(reflecting: error))")
            return page(for: HTTPError(.internalServerError, "Something went wrong on our side. Please try again."))
        }
        return page(for: error)
    }

    /// Answered at once when a bounded queue (passwords, the log-in delay) is full.
    static let busy = HTTPError(
        .serviceUnavailable, "Taskr is busy right now. Please try again in a moment.", headers: ["Retry-After": "5"])

    private func page(for error: HTTPError) -> Response {
        var response = Response.html(views.error(error), status: error.status)
        for (name, value) in error.headers { response.headers.add(name, value) }
        return response
    }
}
