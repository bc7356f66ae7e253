import Foundation
import Logging
import Sodium

/// Connecting and disconnecting a user's Attio workspace: the OAuth `state`,
/// redeeming the code server to server, storing the sealed token, and
/// revoking tokens that are replaced or given up.
struct AttioConnector: Sendable {
    static let stateLifetime: TimeInterval = 10 * 60
    /// How long a connection step waits for a free slot of the gate.
    static let slotWait: TimeInterval = 2
    /// How long the callback waits for the first task copy, so the person
    /// lands on their tasks (else on "fetching your tasks").
    static let firstCopyWait: TimeInterval = 5

    let settings: AttioSettings
    let client: AttioClient
    let gate: AttioGate
    let refresher: TaskRefresher
    let webhooks: AttioWebhooks
    let sealer: TokenSealer
    let connections: any AttioConnectionStore
    let states: any OAuthStateStore
    let clock: any WallClock
    let random: any RandomSource
    let logger: Logger

    /// A fresh 256-bit `state` bound to `session`, and the authorize URL that carries it.
    func startConnecting(session: Session) throws -> URL {
        let state = random.token()
        try states.insert(stateHash: SHA256.hash(Array(state.utf8)), sessionHash: session.idHash, at: clock.now())
        return client.authorizeURL(state: state)
    }

    /// Uses up `state`: true only if it was issued to `session` less than
    /// 10 minutes ago and not used before. Called before the code is redeemed.
    func consumeState(_ state: String, session: Session) throws -> Bool {
        guard let issued = try states.consume(stateHash: SHA256.hash(Array(state.utf8))) else { return false }
        return ConstantTime.equals(issued.sessionHash, session.idHash)
            && clock.now().timeIntervalSince(issued.createdAt) < Self.stateLifetime
    }

    /// Redeems `code`, learns the workspace, and stores the sealed token.
    /// Attio tokens never expire, so a token this replaces is revoked once
    /// the new one is stored, and the new one if storing it fails.
    /// - Throws: ``AttioFailure`` when the token endpoint gives no token (or
    ///   is not called: ``AttioFailure/busy``); nothing is stored then.
    func finishConnecting(user: User, code: String) throws {
        let token = try gate.call(for: user.id, waiting: Self.slotWait) { () throws(AttioFailure) in try client.exchange(code: code) }
        // The workspace name is shown on every page: learn it once, now. Not
        // fatal: the tasks still show without it.
        var identity: AttioModels.Identity?
        do {
            identity = try gate.call(for: user.id, waiting: Self.slotWait) { () throws(AttioFailure) in try client.identity(token: token, timeout: 5)
            }
        } catch {
            logger.warning("connected user \(user.id) to Attio, but /v2/self failed: \(error.summary)")
        }
        let previous = try connections.connection(userID: user.id)
        let (webhook, webhookStatus) = webhooks.register(token: token, userID: user.id)
        do {
            try connections.save(
                AttioConnection(
                    userID: user.id, sealedToken: sealer.seal(token, userID: user.id),
                    workspaceID: identity?.workspaceId, workspaceName: identity?.workspaceName, connectedAt: clock.now(),
                    webhook: webhook, webhookStatus: webhookStatus))
        } catch {
            if let webhook { webhooks.delete(webhook, token: token, userID: user.id, why: "its connection could not be stored") }
            revoke(token, of: user, why: "it could not be stored")
            throw error
        }
        // Saving reset the task copy (a new token may open another
        // workspace) and made the first one due: the refresher takes it now.
        refresher.wake()
        logger.info("connected user \(user.id) to Attio")
        if let previous, let (old, _) = sealer.open(previous.sealedToken, userID: user.id), old != token {
            if let webhook = previous.webhook { webhooks.delete(webhook, token: old, userID: user.id, why: "a new connection replaced it") }
            revoke(old, of: user, why: "a new connection replaced it")
        }
        if refresher.isRunning, !refresher.waitForCopy(userID: user.id, timeout: Self.firstCopyWait) {
            logger.info("the first task copy of user \(user.id) is not there yet; the page will show it when it is")
        }
    }

    /// Deletes the webhook and revokes the token at Attio (best effort,
    /// bounded), and forgets both (and, with the connection, the task copy).
    func disconnect(user: User) throws {
        if let connection = try connections.connection(userID: user.id), let (token, _) = sealer.open(connection.sealedToken, userID: user.id) {
            if let webhook = connection.webhook { webhooks.delete(webhook, token: token, userID: user.id, why: "the user disconnected") }
            revoke(token, of: user, why: "the user disconnected")
        }
        try connections.delete(userID: user.id)  // and, with it, the task copy
        logger.info("disconnected user \(user.id) from Attio")
    }

    /// Deletes OAuth states older than their lifetime (housekeeping).
    func removeExpiredStates() throws {
        try states.deleteOlder(than: clock.now().addingTimeInterval(-Self.stateLifetime))
    }

    /// Revokes `token` at Attio, best effort: a failure is logged, never thrown.
    private func revoke(_ token: String, of user: User, why: String) {
        do {
            try gate.call(for: user.id, waiting: Self.slotWait) { () throws(AttioFailure) in
                if let failure = client.revoke(token: token) { throw failure }
            }
            logger.info("revoked an Attio token of user \(user.id): \(why)")
        } catch {
            logger.warning("revoking an Attio token of user \(user.id) (\(why)) failed: \(error.summary)")
        }
    }
}
