extension RefreshFailure {
    /// What the home page says when the last refresh failed: the copy
    /// below is the last one Taskr has, and why it may be out of date.
    var words: String {
        switch self {
        case .noAnswer: "Attio is not answering right now, so this list may be out of date. Taskr keeps trying."
        case .unavailable: "Attio is not answering properly right now, so this list may be out of date. Taskr keeps trying."
        case .rateLimited: "Attio asked Taskr to slow down, so this list may be out of date for a little while."
        case .quiet: "Attio is slow to answer right now, so this list may be out of date. Taskr tries again shortly."
        case .unknownKey:
            "Your Attio connection cannot be read by this server right now, so this list may be out of date. If this stays, connect Attio again."
        }
    }
}
