/// Every store Taskr keeps its data in, opened on one database: what the
/// composition root hands to the routes and services. The tables are
/// written once, over whichever engine `database` runs on.
struct Stores: Sendable {
    let users: any UserStore
    let sessions: any SessionStore
    let attioConnections: any AttioConnectionStore
    let oauthStates: any OAuthStateStore
    let loginThrottle: any LoginThrottleStore
    let taskCopies: any TaskCopyStore

    init(engine: some DatabaseEngine) {
        users = UserTable(engine: engine)
        sessions = SessionTable(engine: engine)
        attioConnections = AttioConnectionTable(engine: engine)
        oauthStates = OAuthStateTable(engine: engine)
        loginThrottle = LoginThrottleTable(engine: engine)
        taskCopies = TaskCopyTable(engine: engine)
    }
}
