import Dispatch
import Foundation
import HTTP
import Sodium
import Synchronization
import Testing

@testable import TaskrCore

/// Signs up a user and returns the browser, logged in.
func loggedIn(_ test: TestApp, _ name: String = "ann") throws -> Browser {
    var browser = test.browser()
    try browser.signup(name, "correct horse")
    return browser
}

/// The `state` in a redirect to the authorize URL.
func oauthState(in response: Response) -> String? {
    response.headers["Location"].flatMap { URLComponents(string: $0)?.queryItems?.first { $0.name == "state" }?.value }
}

/// Connects the browser's user through the fake Attio: connect, then the
/// callback with a code; then, unless told not to, the refresher takes the
/// first copy (as `taskr serve`'s callback waits for it).
@discardableResult
func connect(_ browser: inout Browser, refreshing: Bool = true) throws -> Response {
    let redirect = try browser.get("/integrations/attio/connect")
    let state = try #require(oauthState(in: redirect))
    let response = try browser.get("/integrations/attio/callback?code=the-code&state=\(state)")
    if refreshing { try browser.app.refresher.refreshDue() }
    return response
}

/// Every copy falls stale: the clock moves past the freshness interval.
func letCopiesGoStale(_ test: TestApp) {
    test.clock.advance(by: TaskRefresher.freshness)
}
