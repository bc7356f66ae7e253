public import FastCGI
public import HTTP
public import TaskrCore

/// The FastCGI adapter: a decoded request goes to the application, a
/// request that could not be decoded gets the application's error page.
extension Application: Responder {
    public func respond(to request: Result<Request, HTTPError>) -> Response {
        switch request {
        case let .success(request): respond(to: request)
        case let .failure(error): errorPage(for: error)
        }
    }

    public func takesSlowLane(_ request: Request) -> Bool { waitsOnPasswords(request) }

    public func slowLaneFull(_ request: Request) -> Response { passwordLaneFull(request) }
}
