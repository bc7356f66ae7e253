import Foundation
import GRDB

/// ``SessionStore`` on the `sessions` table.
struct SQLiteSessionStore: SessionStore {
    let database: AppDatabase

    func insert(_ session: Session, replacing: [UInt8]?) throws {
        try database.pool.write { db in
            if let replacing {
                try db.execute(sql: "DELETE FROM sessions WHERE id_hash = ?", arguments: [Data(replacing)])
            }
            try db.execute(
                sql: "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [Data(session.idHash), session.userID, session.csrfToken, session.createdAt.unixTime, session.lastSeenAt.unixTime])
        }
    }

    func session(idHash: [UInt8]) throws -> Session? {
        try database.pool.read { db in
            try Row.fetchOne(
                db,
                sql: "SELECT user_id, csrf_token, created_at, last_seen_at FROM sessions WHERE id_hash = ?",
                arguments: [Data(idHash)]
            ).map { row in
                Session(
                    idHash: idHash,
                    userID: row["user_id"],
                    csrfToken: row["csrf_token"],
                    createdAt: Date(unixTime: row["created_at"]),
                    lastSeenAt: Date(unixTime: row["last_seen_at"]))
            }
        }
    }

    func touch(idHash: [UInt8], at date: Date) throws {
        try database.pool.write { db in
            try db.execute(sql: "UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?", arguments: [date.unixTime, Data(idHash)])
        }
    }

    func delete(idHash: [UInt8]) throws {
        try database.pool.write { db in
            try db.execute(sql: "DELETE FROM sessions WHERE id_hash = ?", arguments: [Data(idHash)])
        }
    }

    func deleteExpired(idleBefore: Date, createdBefore: Date) throws -> Int {
        try database.pool.write { db in
            try db.execute(
                sql: "DELETE FROM sessions WHERE last_seen_at < ? OR created_at < ?",
                arguments: [idleBefore.unixTime, createdBefore.unixTime])
            return db.changesCount
        }
    }
}
