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

    /// `POST /v2/tasks` and `PATCH /v2/tasks/{id}` answer the task.
    struct TaskEnvelope: Decodable {
        let data: Task
    }

    /// A request body: Attio wraps every one in `data`.
    struct Body<T: Encodable>: Encodable {
        let data: T
    }

    /// What `POST /v2/tasks` sends.
    struct NewTask: Encodable, Equatable {
        let content: String
        var format = "plaintext"
        /// ISO 8601, or null for none (encoded as null, not left out).
        let deadlineAt: String?
        var isCompleted = false
        var linkedRecords: [String] = []
        let assignees: [NewAssignee]

        enum CodingKeys: String, CodingKey { case content, format, deadlineAt, isCompleted, linkedRecords, assignees }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(content, forKey: .content)
            try container.encode(format, forKey: .format)
            try container.encode(deadlineAt, forKey: .deadlineAt)  // null, not absent
            try container.encode(isCompleted, forKey: .isCompleted)
            try container.encode(linkedRecords, forKey: .linkedRecords)
            try container.encode(assignees, forKey: .assignees)
        }
    }

    struct NewAssignee: Encodable, Equatable {
        var referencedActorType = "workspace-member"
        let referencedActorId: String
    }

    /// What `PATCH /v2/tasks/{id}` sends.
    struct Completion: Encodable {
        let isCompleted: Bool
    }

    /// What `POST /v2/webhooks` sends.
    struct NewWebhook: Encodable {
        let targetUrl: String
        let subscriptions: [Subscription]
    }

    struct Subscription: Encodable {
        let eventType: String
        let filter: String?

        enum CodingKeys: String, CodingKey { case eventType, filter }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(eventType, forKey: .eventType)
            try container.encode(filter, forKey: .filter)  // null, not absent
        }
    }

    struct WebhookEnvelope: Decodable {
        let data: CreatedWebhook
    }

    /// The answer of `POST /v2/webhooks`: the only time the secret is shown.
    struct CreatedWebhook: Decodable {
        struct ID: Decodable {
            let webhookId: String
        }
        let id: ID
        let secret: String
    }

    /// The one field of a delivery read before its signature is checked.
    struct DeliveryAddress: Decodable {
        let webhookId: String
    }

    /// A webhook delivery: ids only (`events[].id.task_id`).
    struct Delivery: Decodable {
        struct Event: Decodable {
            struct ID: Decodable {
                let taskId: String?
            }
            let eventType: String
            let id: ID?
        }
        let webhookId: String
        let events: [Event]
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
