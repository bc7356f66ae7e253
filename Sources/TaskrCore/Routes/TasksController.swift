import HTTP

/// `POST /tasks`, `POST /tasks/complete`, `POST /tasks/reopen` (a person's
/// changes, sent to Attio) and `POST /integrations/attio/webhook` (Attio's
/// deliveries: no session, no CSRF, signed instead).
struct TasksController: Controller {
    let actions: TaskActions
    let webhooks: AttioWebhooks

    func create(_ request: Request, _ context: inout RequestContext) throws -> Response {
        guard let (user, connection) = try connected(context) else { return .redirect(to: "/login") }
        let (fields, destination) = (try NewTaskFields(context.form), try back(context))  // checked before Attio is called
        try actions.create(fields, for: user, connection: connection)
        return .redirect(to: destination)
    }

    func complete(_ request: Request, _ context: inout RequestContext) throws -> Response {
        try setCompleted(true, context)
    }

    func reopen(_ request: Request, _ context: inout RequestContext) throws -> Response {
        try setCompleted(false, context)
    }

    /// 200 at once for a delivery signed by a webhook Taskr registered; the
    /// copy it concerns is refreshed soon after, by the refresher.
    func webhook(_ request: Request, _ context: inout RequestContext) throws -> Response {
        _ = try webhooks.receive(request)
        return .text("ok\n")
    }

    private func setCompleted(_ completed: Bool, _ context: RequestContext) throws -> Response {
        guard let (user, connection) = try connected(context) else { return .redirect(to: "/login") }
        guard let taskID = context.form["task_id"], !taskID.isEmpty else {
            throw HTTPError.badRequest("Which task? (“task_id” is missing.) Nothing was sent to Attio.")
        }
        let destination = try back(context)
        try actions.setCompleted(completed, taskID: taskID, for: user, connection: connection)
        return .redirect(to: destination)
    }

    /// The user and their connection; nil when logged out (to the log-in page).
    private func connected(_ context: RequestContext) throws -> (User, AttioConnection)? {
        guard let user = context.user else { return nil }
        guard let connection = context.attio else {
            throw HTTPError(.conflict, "Connect Attio first: Taskr has no Attio connection for you. Nothing was sent to Attio.")
        }
        return (user, connection)
    }

    /// The home page with the filters and page the form came from.
    private func back(_ context: RequestContext) throws -> String {
        let query = try TaskQuery(context.form)
        return query.link(page: query.page)
    }
}

extension TasksController {
    func addRoutes(to router: inout Router<Application.Handler>) {
        router.add(.post, "/tasks", create)
        router.add(.post, "/tasks/complete", complete)
        router.add(.post, "/tasks/reopen", reopen)
        router.add(.post, "/integrations/attio/webhook", machine: true, webhook)
    }
}
