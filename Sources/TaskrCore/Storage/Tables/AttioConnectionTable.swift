import Foundation

/// ``AttioConnectionStore`` on the `attio_connections` table, on either engine.
struct AttioConnectionTable<Engine: DatabaseEngine>: AttioConnectionStore {
    let engine: Engine

    func save(_ connection: AttioConnection) throws {
        // A new token starts without Attio's pause (paused_until NULL), and
        // with a new task copy due at once.
        try engine.write { transaction in
            try transaction.execute(
                upsertConnection,
                [
                    .integer(connection.userID), .text(connection.sealedToken.keyID), .blob(connection.sealedToken.bytes),
                    .text(connection.workspaceID), .text(connection.workspaceName), .integer(connection.connectedAt.unixTime),
                ] + connection.webhookValues)
            try TaskCopyTable<Engine>.reset(userID: connection.userID, at: connection.connectedAt, in: transaction)
        }
    }

    func connection(userID: Int64) throws -> AttioConnection? {
        try engine.first(connectionOfUser, [.integer(userID)]) { try AttioConnection(row: $0) }
    }

    func updateSealedToken(userID: Int64, to sealed: TokenSealer.Sealed) throws {
        try engine.execute(
            "UPDATE attio_connections SET key_id = $1, sealed_token = $2 WHERE user_id = $3",
            [.text(sealed.keyID), .blob(sealed.bytes), .integer(userID)])
    }

    func pause(userID: Int64, until: Date) throws {
        try engine.execute("UPDATE attio_connections SET paused_until = $1 WHERE user_id = $2", [.integer(until.unixTime), .integer(userID)])
    }

    func all() throws -> [AttioConnection] {
        try engine.all(everyConnection, []) { try AttioConnection(row: $0) }
    }

    func replaceSealedToken(userID: Int64, _ old: TokenSealer.Sealed, with new: TokenSealer.Sealed) throws -> Bool {
        try engine.execute(
            "UPDATE attio_connections SET key_id = $1, sealed_token = $2 WHERE user_id = $3 AND key_id = $4 AND sealed_token = $5",
            [.text(new.keyID), .blob(new.bytes), .integer(userID), .text(old.keyID), .blob(old.bytes)]) == 1
    }

    func connection(webhookID: String) throws -> AttioConnection? {
        try engine.first(connectionOfWebhook, [.text(webhookID)]) { try AttioConnection(row: $0) }
    }

    func recordDelivery(userID: Int64, key: String) throws -> Bool {
        try engine.execute(
            "UPDATE attio_connections SET last_delivery = $1 WHERE user_id = $2 AND (last_delivery IS NULL OR last_delivery <> $1)",
            [.text(key), .integer(userID)]) == 1
    }

    func replaceSealedWebhookSecret(userID: Int64, _ old: TokenSealer.Sealed, with new: TokenSealer.Sealed) throws -> Bool {
        try engine.execute(
            """
            UPDATE attio_connections SET webhook_key_id = $1, sealed_webhook_secret = $2
            WHERE user_id = $3 AND webhook_key_id = $4 AND sealed_webhook_secret = $5
            """, [.text(new.keyID), .blob(new.bytes), .integer(userID), .text(old.keyID), .blob(old.bytes)]) == 1
    }

    func delete(userID: Int64) throws {
        try engine.execute("DELETE FROM attio_connections WHERE user_id = $1", [.integer(userID)])
    }
}

// Statements built from the record's column list, once per process (a
// generic type cannot hold stored statics).

private let upsertConnection = """
    INSERT INTO attio_connections (\(AttioConnection.columns())) VALUES ($1, $2, $3, $4, $5, $6, NULL, $7, $8, $9, $10)
    ON CONFLICT (user_id) DO UPDATE SET
        key_id = excluded.key_id, sealed_token = excluded.sealed_token, workspace_id = excluded.workspace_id,
        workspace_name = excluded.workspace_name, connected_at = excluded.connected_at, paused_until = NULL,
        webhook_id = excluded.webhook_id, webhook_key_id = excluded.webhook_key_id,
        sealed_webhook_secret = excluded.sealed_webhook_secret, webhook_status = excluded.webhook_status, last_delivery = NULL
    """

private let connectionOfUser = "SELECT \(AttioConnection.columns("a")) FROM attio_connections a WHERE a.user_id = $1"

private let connectionOfWebhook = "SELECT \(AttioConnection.columns("a")) FROM attio_connections a WHERE a.webhook_id = $1"

private let everyConnection = "SELECT \(AttioConnection.columns("a")) FROM attio_connections a ORDER BY a.user_id"
