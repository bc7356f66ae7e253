import Foundation
import HTTP
import Logging
import Sodium

/// Every service the routes use, built once from the application's
/// dependencies: the wiring, in one place (hummingbird-examples'
/// `buildApplication`). Handlers get what they need from here through their
/// controllers; nothing else constructs a service.
struct Services: Sendable {
    let stores: Stores
    let sessions: SessionManager
    let throttle: LoginThrottle
    let passwords: PasswordService
    let passwordRules: PasswordRules
    let credentials: CredentialCheck
    let securityLog: SecurityLog
    let attioGate: AttioGate
    let taskRefresher: TaskRefresher
    let taskBoard: TaskBoard
    let attioConnector: AttioConnector
    let taskActions: TaskActions
    let webhooks: AttioWebhooks
    let health: TaskrDatabase
    let clock: any WallClock
    let logger: Logger

    init(
        database: TaskrDatabase, settings: Settings, secretKey: SecretKey, http: any HTTPClient,
        clock: any WallClock, random: any RandomSource, passwordHasher: PasswordHasher,
        concurrentHashes: Int, passwordThreads: Int, concurrentAttioCalls: Int, taskFreshness: TimeInterval = TaskRefresher.freshness,
        logger: Logger
    ) throws {
        let stores = database.stores
        self.stores = stores
        self.clock = clock
        self.logger = logger
        health = database
        sessions = SessionManager(
            store: stores.sessions, policy: settings.sessionPolicy, clock: clock, random: random,
            visitorCSRF: VisitorCSRF(key: secretKey.derived("visitor csrf"), clock: clock, random: random))
        throttle = LoginThrottle(store: stores.loginThrottle)
        // Every password thread may wait for a hash; all but as many as
        // hash at once may wait out a log-in delay, so hashing goes on.
        let pacer = LoginPacer(maximumWaiting: max(concurrentHashes, passwordThreads - concurrentHashes))
        passwords = PasswordService(hasher: passwordHasher, concurrentHashes: concurrentHashes, maximumWaiting: passwordThreads)
        passwordRules = PasswordRules(common: try CommonPasswords.bundled.get())
        securityLog = SecurityLog(logger: logger, digestKey: secretKey.derived("log digest"))
        credentials = CredentialCheck(
            users: stores.users, passwords: passwords, throttle: throttle, pacer: pacer, clock: clock, securityLog: securityLog)
        let sealer = TokenSealer(current: secretKey, previous: settings.previousSecretKeys)
        let client = AttioClient(settings: settings.attio, http: http, clock: clock)
        attioGate = AttioGate(maxConcurrentCalls: concurrentAttioCalls, clock: clock, logger: logger)
        taskRefresher = TaskRefresher(
            client: client, gate: attioGate, sealer: sealer, copies: stores.taskCopies, connections: stores.attioConnections,
            clock: clock, random: random, logger: logger)
        taskBoard = TaskBoard(
            copies: stores.taskCopies, sealer: sealer, refresher: taskRefresher, freshness: taskFreshness, clock: clock, logger: logger)
        webhooks = AttioWebhooks(
            settings: settings.attio, client: client, gate: attioGate, sealer: sealer, connections: stores.attioConnections,
            copies: stores.taskCopies, refresher: taskRefresher, clock: clock, securityLog: securityLog, logger: logger)
        taskActions = TaskActions(
            client: client, gate: attioGate, sealer: sealer, copies: stores.taskCopies, connections: stores.attioConnections,
            refresher: taskRefresher, clock: clock, random: random, logger: logger)
        attioConnector = AttioConnector(
            settings: settings.attio, client: client, gate: attioGate, refresher: taskRefresher, webhooks: webhooks, sealer: sealer,
            connections: stores.attioConnections, states: stores.oauthStates, clock: clock, random: random, logger: logger)
    }

    /// The controllers, each with its own routes, rendering with `views`.
    func controllers(views: Views) -> [any Controller] {
        [
            HomeController(views: views, board: taskBoard),
            HealthController(database: health, clock: clock),
            SignupController(
                form: AccountForm(kind: .signup, views: views, sessions: sessions), users: stores.users, passwords: passwords,
                rules: passwordRules, clock: clock, logger: logger),
            LoginController(
                form: AccountForm(kind: .login, views: views, sessions: sessions), users: stores.users, passwords: passwords,
                credentials: credentials, logger: logger),
            AccountController(
                views: views, sessions: sessions, users: stores.users, passwords: passwords, rules: passwordRules,
                credentials: credentials, attio: attioConnector, logger: logger),
            LogoutController(views: views, sessions: sessions, logger: logger),
            AttioController(views: views, attio: attioConnector, logger: logger),
            TasksController(actions: taskActions, webhooks: webhooks),
            MetricsController(passwords: passwords, copies: stores.taskCopies, clock: clock),
        ]
    }
}
