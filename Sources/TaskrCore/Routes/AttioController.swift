import HTTP
import Logging

/// `GET /integrations/attio/connect`, `GET /integrations/attio/callback` and
/// `POST /integrations/attio/disconnect`.
struct AttioController: Controller {
    let views: Views
    let attio: AttioConnector
    let logger: Logger

    /// Logged out: to the log-in page. Not configured: a page naming the
    /// variables to set. Else: to Attio's authorize page with a fresh state.
    func connect(_ request: Request, _ context: inout RequestContext) throws -> Response {
        guard context.user != nil, let session = context.session else { return .redirect(to: "/login") }
        guard attio.settings.isConfigured else {
            return .html(views.attioNotConfigured(missing: attio.settings.missingVariables))
        }
        return .redirect(to: try attio.startConnecting(session: session).absoluteString)
    }

    /// Where Attio sends the browser back. Checks, in order: logged in, the
    /// state (used up here, before the code is redeemed), Attio's `error`,
    /// the code; then redeems the code server to server and stores the
    /// sealed token. The URL carries the code: no `Referer` may leak it.
    func callback(_ request: Request, _ context: inout RequestContext) throws -> Response {
        do {
            var response = try answerCallback(request, &context)
            response.headers["Referrer-Policy"] = "no-referrer"
            return response
        } catch let error as HTTPError {
            var headers = error.headers
            headers["Referrer-Policy"] = "no-referrer"
            throw HTTPError(error.status, error.message, headers: headers)
        }
    }

    private func answerCallback(_ request: Request, _ context: inout RequestContext) throws -> Response {
        guard let user = context.user, let session = context.session else { return .redirect(to: "/login") }
        guard let state = request.query["state"], !state.isEmpty, try attio.consumeState(state, session: session) else {
            throw HTTPError(.forbidden, "This Attio sign-in link has expired or was already used. Go back to Taskr and connect Attio again.")
        }
        if let error = request.query["error"] {
            // Only the codes of RFC 6749 §4.1.2.1 reach the log; the page shows
            // what was sent (escaped), the log line never does.
            let code = Self.oauthErrorCodes.contains(error) ? error : "an unknown error code"
            logger.info("user \(user.id) did not connect Attio (\(code))")
            return .html(views.attioCancelled(reason: error))
        }
        guard let code = request.query["code"], !code.isEmpty else {
            throw HTTPError.badRequest("Attio sent no authorization code. Please connect Attio again.")
        }
        do {
            try attio.finishConnecting(user: user, code: code)
        } catch AttioFailure.busy {
            logger.warning("Attio token exchange for user \(user.id) not tried: too many calls under way, or Attio is in its quiet period")
            throw HTTPError(
                .serviceUnavailable, "Attio is slow to answer right now. Nothing was saved; please connect Attio again in a moment.",
                headers: ["Retry-After": "10"])
        } catch let failure as AttioFailure {
            logger.warning("Attio token exchange for user \(user.id) failed: \(failure)")
            throw HTTPError(.badGateway, "Attio did not complete the connection. Nothing was saved; please try again in a moment.")
        }
        return .redirect(to: "/")
    }

    static let oauthErrorCodes: Set<String> = [
        "access_denied", "invalid_request", "unauthorized_client", "unsupported_response_type", "invalid_scope",
        "server_error", "temporarily_unavailable",
    ]

    /// Revokes and forgets the user's token, then home.
    func disconnect(_ request: Request, _ context: inout RequestContext) throws -> Response {
        guard let user = context.user else { return .redirect(to: "/login") }
        try attio.disconnect(user: user)
        return .redirect(to: "/")
    }
}

extension AttioController {
    func addRoutes(to router: inout Router<Application.Handler>) {
        router.add(.get, "/integrations/attio/connect", connect)
        router.add(.get, "/integrations/attio/callback", callback)
        router.add(.post, "/integrations/attio/disconnect", disconnect)
    }
}
