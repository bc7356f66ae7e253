/// Maps a method and an exact path to a handler, and answers 404 and 405
/// (with `Allow`) for everything else.
///
/// Generic over the handler so that this layer knows nothing of what a
/// handler takes: the application decides. A `GET` route answers `HEAD` too;
/// the web server drops the body.
public struct Router<Handler: Sendable>: Sendable {
    /// Each route's handler, and how it was added.
    private var routes: [String: [Method: (handler: Handler, slow: Bool, machine: Bool)]] = [:]

    public init() {}

    /// Registers `handler` for `method` on `path`.
    /// - Warning: registering the same method and path twice is a programming
    ///   error and traps.
    /// - Parameters:
    ///   - slow: the handler waits on a small shared pool (a password hash):
    ///     the server answers it on its slow lane.
    ///   - machine: called by another server, not a browser (a webhook): no
    ///     session, no cookies, no CSRF; the handler authenticates it.
    public mutating func add(_ method: Method, _ path: String, slow: Bool = false, machine: Bool = false, _ handler: Handler) {
        precondition(routes[path]?[method] == nil, "route \(method) \(path) registered twice")
        routes[path, default: [:]][method] = (handler, slow, machine)
    }

    /// Whether the route for `method` and `path` was added for machines.
    public func isMachine(_ method: Method, path: String) -> Bool {
        routes[path]?[method]?.machine == true
    }

    /// Whether the route for `method` and `path` was added as slow.
    public func isSlow(_ method: Method, path: String) -> Bool {
        routes[path]?[method]?.slow == true
    }

    /// The handler for this request.
    ///
    /// - Throws: ``HTTPError/notFound`` for an unknown path, and 405 with the
    ///   allowed methods in `Allow` for a known path with another method.
    public func handler(for method: Method, path: String) throws(HTTPError) -> Handler {
        guard let byMethod = routes[path] else { throw HTTPError.notFound }
        if let route = byMethod[method] ?? (method == .head ? byMethod[.get] : nil) {
            return route.handler
        }
        var allowed = Set(byMethod.keys)
        if allowed.contains(.get) { allowed.insert(.head) }
        throw HTTPError.methodNotAllowed(allowed: allowed.sorted())
    }
}
