extension AttioNotice {
    /// The notice in words for the user (escaped by the template like any value).
    var words: String {
        switch self {
        case .noTasks: "No tasks in this workspace yet."
        case .slow: "Attio is slow to answer right now. Your tasks will be back shortly."
        case .unavailable: "Attio is not answering properly right now, so your tasks cannot be shown. Please try again in a moment."
        case let .rateLimited(seconds): "Attio asked Taskr to slow down. Your tasks will be back in about \(seconds) seconds."
        case .tokenRefused: "Attio no longer accepts this connection (it was revoked or expired). Please connect Attio again."
        case .tokenUnreadable: "Your Attio connection can no longer be read. Please connect Attio again."
        case .tokenUnderUnknownKey: "Your Attio connection cannot be read by this server right now. If this stays, connect Attio again."
        }
    }
}
