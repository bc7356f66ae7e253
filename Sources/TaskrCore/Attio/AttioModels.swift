/// The parts of Attio's JSON that Taskr reads (snake_case keys are
/// converted by the decoder). Everything else in the answers is ignored.
enum AttioModels {
    /// `POST /oauth/token`.
    struct TokenResponse: Decodable {
        let accessToken: String
        let tokenType: String?
    }

    /// `GET /v2/tasks`.
    struct TaskList: Decodable {
        let data: [Task]
    }

    struct Task: Decodable {
        struct ID: Decodable {
            let taskId: String
        }
        let id: ID
        let contentPlaintext: String
        /// ISO 8601 with nine fractional digits, a bare date, or null.
        let deadlineAt: String?
        let isCompleted: Bool
        let assignees: [Assignee]
        let createdAt: String?
    }

    struct Assignee: Decodable {
        let referencedActorType: String?
        let referencedActorId: String?
    }

    /// `GET /v2/self`: the token's introspection.
    struct Identity: Decodable {
        let active: Bool
        let workspaceId: String?
        let workspaceName: String?
        /// The member who connected the app.
        let authorizedByWorkspaceMemberId: String?
    }

    /// `GET /v2/workspace_members`.
    struct MemberList: Decodable {
        let data: [Member]
    }

    struct Member: Decodable {
        struct ID: Decodable {
            let workspaceMemberId: String
        }
        let id: ID
        let firstName: String?
        let lastName: String?
        let emailAddress: String?

        var displayName: String {
            let name = [firstName, lastName].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " ")
            return name.isEmpty ? (emailAddress ?? "Unknown member") : name
        }
    }
}
