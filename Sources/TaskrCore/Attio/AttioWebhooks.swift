import Foundation
import HTTP
import Logging
import Sodium

/// Attio's webhooks for task changes, when `TASKR_PUBLIC_URL` is set: one
/// registered per connection at connect (its secret sealed with it),
/// deleted with it, and the deliveries, which only make the copy due (the
/// request never calls Attio).
struct AttioWebhooks: Sendable {
    static let callTimeout: TimeInterval = 5
    /// A connection nobody viewed for this long is not refreshed by events.
    static let viewedWithin: TimeInterval = 24 * 3600

    let settings: AttioSettings
    let client: AttioClient
    let gate: AttioGate
    let sealer: TokenSealer
    let connections: any AttioConnectionStore
    let copies: any TaskCopyStore
    let refresher: TaskRefresher
    let clock: any WallClock
    let securityLog: SecurityLog
    let logger: Logger

    /// Where Attio delivers: `TASKR_PUBLIC_URL/integrations/attio/webhook`.
    var target: URL? { settings.publicURL?.appendingPathComponent("integrations/attio/webhook") }

    /// Registers the webhook for a new token; nil, nil without `TASKR_PUBLIC_URL`.
    func register(token: String, userID: Int64) -> (AttioConnection.Webhook?, AttioConnection.WebhookStatus?) {
        guard let target else { return (nil, nil) }
        do {
            let created = try gate.call(for: userID, waiting: AttioConnector.slotWait) { () throws(AttioFailure) in
                try client.createWebhook(token: token, target: target, timeout: Self.callTimeout)
            }
            logger.info("registered an Attio webhook for user \(userID)")
            let secret = sealer.seal(Array(created.secret.utf8), userID: userID, for: .webhookSecret)
            return (AttioConnection.Webhook(id: created.id.webhookId, sealedSecret: secret), .live)
        } catch .forbidden {
            logger.info("Attio did not grant webhook:read-write for user \(userID): tasks refresh by age")
            return (nil, .noScope)
        } catch {
            logger.warning("registering an Attio webhook for user \(userID) failed: \(error.summary); tasks refresh by age")
            return (nil, .failed)
        }
    }

    /// Deletes `webhook` at Attio (best effort, bounded): a failure is logged, never thrown.
    func delete(_ webhook: AttioConnection.Webhook, token: String, userID: Int64, why: String) {
        do {
            try gate.call(for: userID, waiting: AttioConnector.slotWait) { () throws(AttioFailure) in
                if let failure = client.deleteWebhook(token: token, id: webhook.id, timeout: Self.callTimeout) { throw failure }
            }
            logger.info("deleted the Attio webhook of user \(userID): \(why)")
        } catch {
            logger.warning("deleting the Attio webhook of user \(userID) (\(why)) failed: \(error.summary)")
        }
    }

    /// A delivery: the body as it came and its signature header.
    /// - Returns: whether it made a copy due (false for a redelivery, or a
    ///   connection nobody viewed for a day).
    /// - Throws: ``HTTPError`` 400 for a body that is not a delivery, 401
    ///   for an unknown webhook or a missing or wrong signature; nothing changes then.
    func receive(_ request: Request) throws -> Bool {
        guard
            request.headers["Content-Type"]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
                == "application/json"
        else { throw HTTPError(.unsupportedMediaType, "A webhook delivery is application/json.") }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        // Only the webhook id is read before the signature is checked.
        guard let addressed = try? decoder.decode(AttioModels.DeliveryAddress.self, from: Data(request.body)) else {
            throw HTTPError.badRequest("This is not a webhook delivery (malformed JSON).")
        }
        guard let connection = try connections.connection(webhookID: addressed.webhookId), let webhook = connection.webhook,
            let (secret, _) = sealer.open(webhook.sealedSecret, userID: connection.userID, for: .webhookSecret),
            let signature = request.headers["Attio-Signature"] ?? request.headers["X-Attio-Signature"],
            ConstantTime.equals(
                Array(signature.trimmingCharacters(in: .whitespaces).lowercased().utf8),
                Array(Hex.encode(HMACSHA256.authenticate(request.body, key: secret)).utf8))
        else {
            securityLog.refusedWebhook(request)
            throw HTTPError(.unauthorized, "This webhook delivery is not signed by a webhook Taskr registered.")
        }
        guard let delivery = try? decoder.decode(AttioModels.Delivery.self, from: Data(request.body)) else {
            throw HTTPError.badRequest("This is not a webhook delivery (no events).")
        }
        if let key = request.headers["Idempotency-Key"], !key.isEmpty, try !connections.recordDelivery(userID: connection.userID, key: key) {
            return false  // a redelivery: it was counted once
        }
        let now = clock.now()
        guard try copies.markChanged(userID: connection.userID, at: now, viewedSince: now.addingTimeInterval(-Self.viewedWithin)) else {
            return false
        }
        refresher.wake()
        logger.debug("an Attio webhook delivery (\(delivery.events.count) event(s)) made the task copy of user \(connection.userID) due")
        return true
    }
}
