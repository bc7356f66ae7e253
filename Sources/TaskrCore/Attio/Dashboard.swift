/// What the logged-in home page shows of Attio.
struct Dashboard: Sendable, Hashable {
    /// One task, ready to show (every field is escaped by the template).
    struct Task: Sendable, Hashable {
        let text: String
        let deadline: String?
        let isCompleted: Bool
        let assignees: String?
    }

    /// Whether the user has a stored token (else: "Connect Attio").
    var isConnected: Bool
    var workspaceName: String?
    var tasks: [Task] = []
    /// Why there are no tasks to show (its words are in the views).
    var notice: AttioNotice?

    static let notConnected = Dashboard(isConnected: false)
}
