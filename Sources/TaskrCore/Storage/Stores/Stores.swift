/// Every store Taskr keeps its data in, opened on one database: what the
/// composition root hands to the routes and services. A second engine is a
/// second initialiser, not a change to anything that uses the stores.
struct Stores: Sendable {
    let users: any UserStore
    let sessions: any SessionStore
    let attioConnections: any AttioConnectionStore
    let oauthStates: any OAuthStateStore
    let loginThrottle: any LoginThrottleStore

    /// The SQLite stores (`Storage/SQLite/`) on `database`.
    init(sqlite database: AppDatabase) {
        users = SQLiteUserStore(database: database)
        sessions = SQLiteSessionStore(database: database)
        attioConnections = SQLiteAttioConnectionStore(database: database)
        oauthStates = SQLiteOAuthStateStore(database: database)
        loginThrottle = SQLiteLoginThrottleStore(database: database)
    }

    /// The PostgreSQL stores (`Storage/Postgres/`) on `database`.
    init(postgres database: PostgresDatabase) {
        users = PostgresUserStore(database: database)
        sessions = PostgresSessionStore(database: database)
        attioConnections = PostgresAttioConnectionStore(database: database)
        oauthStates = PostgresOAuthStateStore(database: database)
        loginThrottle = PostgresLoginThrottleStore(database: database)
    }
}
