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
    private let services: Services
    private let views: Views

    /// Keeps the task copies fresh (tests call ``TaskRefresher/refreshDue()``).
    var refresher: TaskRefresher { services.taskRefresher }
    /// The Argon2id queue (tests hold its permits to fill it).
    var passwords: PasswordService { services.passwords }
    /// The Attio call gate (tests watch calls waiting for a slot).
    var attioGate: AttioGate { services.attioGate }

    /// - Parameters:
    ///   - secretKey: seals Attio tokens (``Settings/secretKey``, or the key file's).
    ///   - http: how Attio is reached.
    ///   - passwordHasher: Argon2id parameters for new hashes (tests pass
    ///     weaker ones to check rehashing).
    ///   - concurrentHashes: how many password hashes may run at once.
    ///   - passwordThreads: how many threads may be in password work at once
    ///     (the server's slow lane): they may all wait for a hash, and all
    ///     but `concurrentHashes` of them wait out a log-in delay.
    ///   - concurrentAttioCalls: how many requests may wait on Attio at once;
    ///     keep it below the worker count so a slow Attio leaves workers free.
    ///   - taskFreshness: a task copy older than this falls due when its page
    ///     is shown (SPEC: 30 s; shorter for tests and demos).
    public init(
        database: TaskrDatabase,
        views: Views,
        settings: Settings,
        secretKey: SecretKey,
        http: any HTTPClient,
        clock: any WallClock = SystemClock(),
        random: any RandomSource = SystemRandom(),
        passwordHasher: PasswordHasher = .owasp,
        concurrentHashes: Int = max(2, ProcessInfo.processInfo.activeProcessorCount),
        passwordThreads: Int? = nil,
        concurrentAttioCalls: Int = 4,
        taskFreshness: TimeInterval = 30,
        logger: Logger
    ) throws {
        services = try Services(
            database: database, settings: settings, secretKey: secretKey, http: http, clock: clock,
            random: random, passwordHasher: passwordHasher, concurrentHashes: concurrentHashes,
            passwordThreads: passwordThreads ?? concurrentHashes, concurrentAttioCalls: concurrentAttioCalls,
            taskFreshness: taskFreshness, logger: logger)
        var router = Router<Handler>()
        self.views = views
        for controller in services.controllers(views: views) { controller.addRoutes(to: &router) }
        self.router = router
    }

    /// The page for a client error found before there was a request to
    /// route (a web server's adapter could not decode it: 400, 413), in
    /// Taskr's own style.
    public func errorPage(for error: HTTPError) -> Response {
        Self.notCached(page(for: error))
    }

    /// Routes and answers one request, and counts it (by route pattern,
    /// method and status) and times it for `/metrics`.
    public func respond(to request: Request) -> Response {
        let started = ContinuousClock.now
        let handler: Handler
        let response: Response
        let route: String
        do {
            handler = try router.handler(for: request.method, path: request.path)
            route = request.path  // exact-match routes: the path is the pattern
            response =
                router.isMachine(request.method, path: request.path)
                ? respondToMachine(request, with: handler) : respond(to: request, with: handler)
        } catch {
            route = error.status == .methodNotAllowed ? request.path : "unmatched"
            response = page(for: error)
        }
        Instruments.shared.request(
            route: route, method: request.method.rawValue, status: response.status.code, duration: ContinuousClock.now - started)
        return response
    }

    /// A route another server calls (Attio's webhook): no session is read,
    /// no cookie written, no CSRF asked for; the handler checks its signature.
    private func respondToMachine(_ request: Request, with handler: Handler) -> Response {
        var context = RequestContext(secure: request.isSecure)
        do {
            return Self.notCached(try handler(request, &context))
        } catch {
            return Self.notCached(page(for: error, request))
        }
    }

    /// Whether the request's route waits on the Argon2 queue (sign-up,
    /// log-in, the account page's password steps): the server answers it on
    /// its slow lane, so a burst of them never parks the workers.
    public func waitsOnPasswords(_ request: Request) -> Bool {
        router.isSlow(request.method, path: request.path)
    }

    /// The answer to such a request when the lane is full: 503 with
    /// `Retry-After`, before anything was read or counted (a refusal for
    /// capacity is never a failed log-in), and a security event.
    public func passwordLaneFull(_ request: Request) -> Response {
        services.securityLog.busyPasswordRequest(request)
        Instruments.shared.refusedForCapacity("password_lane")
        return Self.notCached(page(for: Self.busy))
    }

    /// Starts the task refresher's threads (`taskr serve`): never FastCGI workers.
    public func startRefreshing(threads: Int) {
        services.taskRefresher.start(threads: threads)
    }

    /// Stops the refresher threads, waiting up to `wait` seconds; a refresh
    /// still waiting on Attio then is abandoned, and its lease runs out.
    /// - Returns: whether every thread stopped in time.
    @discardableResult
    public func stopRefreshing(waiting wait: TimeInterval) -> Bool {
        services.taskRefresher.stop(waiting: wait)
    }

    /// Deletes expired sessions, OAuth states and stale login failures. Run
    /// from a timer, not on the request path.
    public func removeExpiredData() throws {
        let sessionsRemoved = try services.sessions.removeExpired()
        try services.throttle.removeStale(now: services.clock.now())
        try services.attioConnector.removeExpiredStates()
        services.logger.debug("housekeeping: removed \(sessionsRemoved) expired session(s)")
    }

    /// Loads the context, runs the CSRF checks of a POST, then `handler`,
    /// turning whatever is thrown into a page.
    func respond(to request: Request, with handler: Handler) -> Response {
        var context = RequestContext(secure: request.isSecure)
        var response: Response
        // Whether the session could be looked up: if the database failed
        // before it could say, the cookie is left alone (a database outage
        // must not log everyone out).
        var sessionKnown = false
        do {
            if let found = try services.sessions.session(for: request) {
                context.session = found.session
                context.user = found.user
                context.attio = found.attio
                context.taskCopy = found.taskCopy
            }
            sessionKnown = true
            if request.method == .post {
                do {
                    try CSRFProtection.checkOrigin(request)
                } catch {
                    services.securityLog.refusedPost(request, reason: "cross-site (Origin or Sec-Fetch-Site)")
                    throw error
                }
                context.form = try request.form()
                do {
                    try CSRFProtection.checkToken(context.form, session: context.session, request: request, visitor: services.sessions.visitorCSRF)
                } catch {
                    services.securityLog.refusedPost(request, reason: "missing, expired or wrong _csrf token")
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
            if sessionKnown { try services.sessions.writeCookies(into: &response, for: request, context: context) }
        } catch {
            response = page(for: error, request)
        }
        return Self.notCached(response)
    }

    /// Pages carry CSRF tokens and user data: no cache may keep them,
    /// unless the handler said otherwise.
    private static func notCached(_ response: Response) -> Response {
        var response = response
        if response.headers["Cache-Control"] == nil { response.headers["Cache-Control"] = "no-store" }
        return response
    }

    /// The page for whatever a request threw: an ``HTTPError`` renders its
    /// own; anything else is logged and becomes a generic 500 page.
    private func page(for error: any Error, _ request: Request) -> Response {
        if error is PasswordQueueFull {
            Instruments.shared.refusedForCapacity("password_queue")
            return page(for: Self.busy)
        }
        if let error = error as? DatabaseUnavailable {
            Instruments.shared.databaseUnavailable()
            services.logger.error("\(request.method) \(request.path): \(error)")
            return page(for: Self.databaseUnavailable)
        }
        guard let error = error as? HTTPError else {
            // Details go to the log only: they may name tables, paths or values.
            services.logger.error("unhandled error in \(request.method) \(request.path): \(String(reflecting: error))")
            return page(for: HTTPError(.internalServerError, "Something went wrong on our side. Please try again."))
        }
        return page(for: error)
    }

    /// Answered at once when a bounded queue (passwords, the log-in delay) is full.
    static let busy = HTTPError(
        .serviceUnavailable, "Taskr is busy right now. Please try again in a moment.", headers: ["Retry-After": "5"])

    /// Answered while the database cannot be reached; every host recovers
    /// on its own when it is back.
    static let databaseUnavailable = HTTPError(
        .serviceUnavailable, "Taskr cannot reach its database right now. Nothing was changed; please try again in a moment.",
        headers: ["Retry-After": "10"])

    private func page(for error: HTTPError) -> Response {
        var response = Response.html(views.error(error), status: error.status)
        for (name, value) in error.headers { response.headers.add(name, value) }
        return response
    }
}
