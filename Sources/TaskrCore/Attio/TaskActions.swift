import Foundation
import HTTP
import Logging

/// What a person asks Taskr to change in Attio: a new task, done, reopen.
/// The only requests besides connecting that wait on Attio: bounded in
/// time, through the gate; on success the copy is changed at once (so the
/// next page on any host shows it) and falls due for a refresh that
/// confirms it. A failure changes nothing in the copy.
struct TaskActions: Sendable {
    static let callTimeout: TimeInterval = 8

    let client: AttioClient
    let gate: AttioGate
    let sealer: TokenSealer
    let copies: any TaskCopyStore
    let connections: any AttioConnectionStore
    let refresher: TaskRefresher
    let clock: any WallClock
    let random: any RandomSource
    let logger: Logger

    /// `POST /tasks`: the fields are checked already.
    func create(_ task: NewTaskFields, for user: User, connection: AttioConnection) throws {
        let token = try openToken(of: user, connection)
        var assignees: [AttioModels.NewAssignee] = []
        if task.assignToMe {
            guard let me = try currentCopy(of: user)?.copy.memberID else {
                throw HTTPError(
                    .conflict, "Taskr does not know yet which Attio member you are, so it cannot assign the task to you. Try again in a moment.")
            }
            assignees = [AttioModels.NewAssignee(referencedActorId: me)]
        }
        let new = AttioModels.NewTask(content: task.content, deadlineAt: task.deadline, assignees: assignees)
        do {
            let created = try call(user) { () throws(AttioFailure) in try client.createTask(token: token, new, timeout: Self.callTimeout) }
            try change(user) { $0.putting(created) }
            logger.info("created an Attio task for user \(user.id)")
        } catch let failure as AttioFailure {
            // A create that got no answer may have happened: the next refresh tells.
            if case .noAnswer = failure { try markChanged(user) }
            throw try page(for: failure, user, doing: .create)
        }
    }

    /// `POST /tasks/complete` and `/tasks/reopen`.
    func setCompleted(_ completed: Bool, taskID: String, for user: User, connection: AttioConnection) throws {
        guard let current = try currentCopy(of: user), current.copy.tasks.contains(where: { $0.id == taskID }) else {
            throw HTTPError(.notFound, "That task is not in your list. Nothing was sent to Attio.")
        }
        let token = try openToken(of: user, connection)
        do {
            let changed = try call(user) { () throws(AttioFailure) in
                try client.setCompleted(token: token, taskID: taskID, completed, timeout: Self.callTimeout)
            }
            try change(user) { $0.putting(changed) }
            logger.info("marked an Attio task of user \(user.id) \(completed ? "done" : "open")")
        } catch AttioFailure.notFound {
            try change(user) { $0.removing(taskID: taskID) }
            throw HTTPError(.notFound, "That task was deleted in Attio meanwhile; it is gone from your list.")
        } catch let failure as AttioFailure {
            throw try page(for: failure, user, doing: completed ? .complete : .reopen)
        }
    }

    private enum Doing { case create, complete, reopen }

    private func call<T>(_ user: User, _ body: () throws(AttioFailure) -> T) throws(AttioFailure) -> T {
        try gate.call(for: user.id, waiting: AttioConnector.slotWait, body)
    }

    /// The page for what Attio answered, after what it means is done (a
    /// 401 drops the token, a 429 pauses the connection).
    private func page(for failure: AttioFailure, _ user: User, doing: Doing) throws -> HTTPError {
        logger.warning("an Attio task change for user \(user.id) failed: \(failure.summary)")
        let nothing = doing == .create ? "No task was created." : "Nothing was changed."
        switch failure {
        case .forbidden:
            return HTTPError(
                .forbidden,
                "Attio did not let Taskr change tasks: the Attio app needs the task:read-write scope. Ask whoever manages it to enable that scope in the app's settings, then connect Attio again. \(nothing)"
            )
        case let .rateLimited(until):
            try connections.pause(userID: user.id, until: until)
            let seconds = max(1, Int(until.timeIntervalSince(clock.now()).rounded(.up)))
            return HTTPError(
                .tooManyRequests, "Attio asked Taskr to slow down. \(nothing) Please try again in about \(seconds) seconds.",
                headers: ["Retry-After": "\(seconds)"])
        case .unauthorized:
            try connections.delete(userID: user.id)
            return HTTPError(.conflict, "Attio no longer accepts this connection (it was revoked). \(nothing) Please connect Attio again.")
        case .busy:
            return HTTPError(
                .serviceUnavailable, "Attio is slow to answer right now. \(nothing) Please try again in a moment.", headers: ["Retry-After": "10"])
        case .noAnswer where doing == .create:
            return HTTPError(
                .badGateway,
                "Attio did not answer in time, so the task may or may not have been created. Your list will show it after the next sync.")
        case .noAnswer, .unavailable, .notFound:
            return HTTPError(.badGateway, "Attio did not answer properly. \(nothing) Please try again in a moment.")
        }
    }

    private func openToken(of user: User, _ connection: AttioConnection) throws -> String {
        guard let (token, _) = sealer.open(connection.sealedToken, userID: user.id) else {
            throw HTTPError(.serviceUnavailable, "Your Attio connection cannot be read by this server right now. Nothing was changed.")
        }
        return token
    }

    /// The stored copy and what it holds, if it opens here.
    private func currentCopy(of user: User) throws -> (stored: SealedTaskCopy, copy: TaskCopy)? {
        guard let stored = try copies.sealedCopy(userID: user.id),
            let (bytes, _) = sealer.open(stored.sealed, userID: user.id, for: .taskCopy), let copy = TaskCopy.decoded(bytes)
        else { return nil }
        return (stored, copy)
    }

    /// Applies `edit` to the stored copy (again on the newer one when a
    /// refresh replaced it meanwhile), and makes it due for a confirming refresh.
    private func change(_ user: User, _ edit: (TaskCopy) -> TaskCopy) throws {
        for _ in 0..<3 {
            guard let (stored, copy) = try currentCopy(of: user) else { break }
            let sealed = SealedTaskCopy(
                userID: user.id, version: TaskRefresher.newVersion(random),
                sealed: sealer.seal(edit(copy).encoded(), userID: user.id, for: .taskCopy))
            if try copies.replace(stored, with: sealed, at: clock.now()) {
                refresher.wake()
                return
            }
        }
        try markChanged(user)  // no copy to change here: the refresh brings it
    }

    private func markChanged(_ user: User) throws {
        let now = clock.now()
        try copies.markChanged(userID: user.id, at: now, viewedSince: .distantPast)
        refresher.wake()
    }
}

/// The fields of `POST /tasks`, checked.
struct NewTaskFields: Sendable, Equatable {
    static let maximumLength = 2000

    let content: String
    /// The end of the chosen day, UTC, as Attio takes it.
    let deadline: String?
    let assignToMe: Bool

    /// - Throws: ``HTTPError`` 400 saying which field is wrong.
    init(_ form: Parameters) throws(HTTPError) {
        let content = (form["content"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !content.isEmpty else { throw .badRequest("Write what the task is (“content”). Nothing was sent to Attio.") }
        guard content.count <= Self.maximumLength else {
            throw .badRequest("A task can be at most \(Self.maximumLength) characters long. Nothing was sent to Attio.")
        }
        self.content = content
        switch form["deadline"]?.trimmingCharacters(in: .whitespaces) {
        case nil, "": deadline = nil
        case let day?:
            guard let end = Self.endOfDay(day) else { throw .badRequest("The deadline must be a date, YYYY-MM-DD. Nothing was sent to Attio.") }
            deadline = end
        }
        switch form["assign_to_me"] {
        case nil: assignToMe = false
        case "1": assignToMe = true
        default: throw .badRequest("“assign_to_me” is 1 or left out. Nothing was sent to Attio.")
        }
    }

    /// `2026-12-24` → `2026-12-24T23:59:59.000000000Z`; nil for anything but a real date.
    static func endOfDay(_ day: String) -> String? {
        let parts = day.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
            day.utf8.allSatisfy({ $0 == UInt8(ascii: "-") || (0x30...0x39).contains($0) }),
            let year = Int(parts[0]), let month = Int(parts[1]), let date = Int(parts[2]), year >= 1970
        else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        guard let parsed = calendar.date(from: DateComponents(year: year, month: month, day: date)),
            calendar.dateComponents([.year, .month, .day], from: parsed) == DateComponents(year: year, month: month, day: date)
        else { return nil }
        return "\(day)T23:59:59.000000000Z"
    }
}
