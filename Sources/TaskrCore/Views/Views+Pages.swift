import HTTP

extension Views {
    /// `GET /` for a visitor who is not logged in.
    func home() -> String {
        render("home", [String: String]())
    }

    /// The page for any error: status, reason and a message safe to show.
    func error(_ error: HTTPError) -> String {
        render("error", [
            "status": String(error.status.code),
            "reason": error.status.reasonPhrase,
            "message": error.message,
        ])
    }
}
