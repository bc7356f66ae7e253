import Foundation
import HTTP

/// A connection's tasks as the refresher took them from Attio: what is
/// sealed into `task_copies` (as JSON) and what every page is served from.
struct TaskCopy: Codable, Sendable, Equatable {
    /// At most this many tasks are copied (ten of Attio's pages); the page
    /// says so when a workspace has more.
    static let maximumTasks = 5000

    struct Task: Codable, Sendable, Hashable {
        let id: String
        let text: String
        /// As Attio sent it: ISO 8601 with nine fractional digits, a bare date, or nil.
        let deadline: String?
        let isCompleted: Bool
        /// ISO 8601 as Attio sent it (one format, so it sorts as text).
        let createdAt: String
        let assigneeIDs: [String]
        /// The assignees' names, resolved when the copy was taken.
        let assignees: [String]
    }

    var workspaceName: String?
    /// The workspace member who connected (`/v2/self`), for `?assignee=me`.
    var memberID: String?
    var tasks: [Task]
    /// The workspace had more than ``maximumTasks`` tasks.
    var isTruncated: Bool
    /// Member id → name, as the copy was taken (for a task added by Taskr).
    var memberNames: [String: String] = [:]

    /// The copy with `task` in place of the task of the same id (or added
    /// when there is none), as a change through Taskr leaves it.
    func putting(_ task: AttioModels.Task) -> TaskCopy {
        var copy = self
        let shown = Task(task, names: memberNames)
        if let index = copy.tasks.firstIndex(where: { $0.id == shown.id }) {
            copy.tasks[index] = shown
        } else {
            copy.tasks.append(shown)
        }
        return copy
    }

    /// The copy without the task `id` (deleted in Attio meanwhile).
    func removing(taskID id: String) -> TaskCopy {
        var copy = self
        copy.tasks.removeAll { $0.id == id }
        return copy
    }

    func encoded() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return Array((try? encoder.encode(self)) ?? Data())
    }

    static func decoded(_ bytes: [UInt8]) -> TaskCopy? {
        try? JSONDecoder().decode(TaskCopy.self, from: Data(bytes))
    }
}

extension TaskCopy.Task {
    /// Attio's task as the copy keeps it, assignees named from `names`
    /// ("Unknown member" for one not there): the one place this is built.
    init(_ task: AttioModels.Task, names: [String: String]) {
        let ids = task.assignees.compactMap(\.referencedActorId)
        self.init(
            id: task.id.taskId, text: task.contentPlaintext, deadline: task.deadlineAt, isCompleted: task.isCompleted,
            createdAt: task.createdAt ?? "", assigneeIDs: ids, assignees: ids.map { names[$0] ?? "Unknown member" })
    }
}

/// A copy opened and sorted once per process and version: open tasks by
/// deadline (none last), done ones most recently created first.
struct TaskList: Sendable {
    let version: Int64
    let workspaceName: String?
    let memberID: String?
    let isTruncated: Bool
    let open: [TaskCopy.Task]
    let done: [TaskCopy.Task]

    init(_ copy: TaskCopy, version: Int64) {
        self.version = version
        workspaceName = copy.workspaceName
        memberID = copy.memberID
        isTruncated = copy.isTruncated
        open = copy.tasks.filter { !$0.isCompleted }.sorted(by: Self.byDeadline)
        done = copy.tasks.filter(\.isCompleted).sorted { ($0.createdAt, $0.id) > ($1.createdAt, $1.id) }
    }

    /// The tasks `query` asks for, in the page's order.
    func tasks(_ query: TaskQuery) -> [TaskCopy.Task] {
        let shown: [TaskCopy.Task] =
            switch query.show {
            case .open: open
            case .done: done
            case .all: open + done
            }
        guard query.assignee == .me else { return shown }
        guard let memberID else { return [] }
        return shown.filter { $0.assigneeIDs.contains(memberID) }
    }

    /// Deadlines compare as text (`2026-12-24` before `2026-12-24T09:00…`,
    /// both before `2026-12-25`); none sorts last; ties by creation.
    private static func byDeadline(_ a: TaskCopy.Task, _ b: TaskCopy.Task) -> Bool {
        switch (a.deadline, b.deadline) {
        case let (x?, y?) where x != y: x < y
        case (nil, _?): false
        case (_?, nil): true
        default: (a.createdAt, a.id) < (b.createdAt, b.id)
        }
    }
}

/// What `GET /` was asked to show: `?show=open|done|all`,
/// `?assignee=me|anyone`, `?page=N`. Anything else is a 400.
struct TaskQuery: Sendable, Hashable {
    enum Show: String, Sendable, CaseIterable { case open, done, all }
    enum Assignee: String, Sendable, CaseIterable { case anyone, me }

    static let pageSize = 50

    var show = Show.open
    var assignee = Assignee.anyone
    var page = 1

    init(show: Show = .open, assignee: Assignee = .anyone, page: Int = 1) {
        self.show = show
        self.assignee = assignee
        self.page = page
    }

    /// Reads the query of `GET /`; unknown parameters are ignored.
    /// - Throws: ``HTTPError`` 400 naming the parameter for a value it does not know.
    init(_ parameters: Parameters) throws(HTTPError) {
        if let value = parameters["show"] {
            guard let show = Show(rawValue: value) else { throw .badRequest("“show” must be open, done or all.") }
            self.show = show
        }
        if let value = parameters["assignee"] {
            guard let assignee = Assignee(rawValue: value) else { throw .badRequest("“assignee” must be me or anyone.") }
            self.assignee = assignee
        }
        if let value = parameters["page"] {
            // Digits only (no sign, no spaces), and a number a page can have.
            guard (1...9).contains(value.utf8.count), value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let page = Int(value), page >= 1
            else { throw .badRequest("“page” must be a whole number from 1.") }
            self.page = page
        }
    }

    /// The query string of this query on another page (defaults left out).
    func link(page: Int) -> String {
        var parts: [String] = []
        if show != .open { parts.append("show=\(show.rawValue)") }
        if assignee != .anyone { parts.append("assignee=\(assignee.rawValue)") }
        if page != 1 { parts.append("page=\(page)") }
        return parts.isEmpty ? "/" : "/?" + parts.joined(separator: "&")
    }
}
