/// The parsers that see untrusted bytes, one libFuzzer target each.
///
/// `taskr-fuzz` (built with `-sanitize=fuzzer` by `make fuzz`) hands every
/// generated input to ``run(_:)``; `FuzzRegressionTests` replays the seed
/// corpus and every input that once crashed through the same function. A
/// target returns normally for every input and traps when one of its
/// invariants breaks, which libFuzzer reports as a crash.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// A form body as `POST /login` sees it: a `Content-Type` line, then the body.
    case form
    /// A request target (`/path?query`) as `REQUEST_URI` carries it.
    case query
    /// A `Cookie` header.
    case cookies
    /// The FastCGI params block (`NAME=VALUE` entries split by NUL) and stdin
    /// after an empty entry, through the same code the server runs.
    case fastcgiParams = "fastcgi-params"
    /// One body as every Attio endpoint's answer: token, self, tasks,
    /// members, through the dashboard to the rendered home page.
    case attioJSON = "attio-json"

    /// Loads what the targets need before the first input, from async code
    /// (tests). Without it, the first input loads it by blocking on a task,
    /// which is fine for libFuzzer's driver but not inside Swift concurrency.
    public static func prepare() async throws {
        try await AttioFuzzing.prepare()
    }

    public func run(_ input: [UInt8]) {
        switch self {
        case .form: HTTPFuzzing.form(input)
        case .query: HTTPFuzzing.query(input)
        case .cookies: HTTPFuzzing.cookies(input)
        case .fastcgiParams: FastCGIFuzzing.params(input)
        case .attioJSON: AttioFuzzing.shared.answer(input)
        }
    }
}
