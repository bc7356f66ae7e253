import Dispatch
import Foundation
import HTTP
import Sodium
import Synchronization
import Testing

@testable import TaskrCore

@Suite("Attio: connect")
struct AttioConnectTests {
    @Test(arguments: StoreEngine.available) func loggedOutGoesToLogin(engine: StoreEngine) async throws {
        let test = try await TestApp(engine: engine)
        var browser = test.browser()
        let response = try browser.get("/integrations/attio/connect")
        #expect(response.status == .seeOther)
        #expect(response.headers["Location"] == "/login")
    }

    @Test(arguments: StoreEngine.available) func notConfiguredExplainsWhichVariablesToSet(engine: StoreEngine) async throws {
        var settings = TestApp.configured
        settings.attio.clientSecret = nil
        let test = try await TestApp(settings: settings, engine: engine)
        var browser = try loggedIn(test)
        let response = try browser.get("/integrations/attio/connect")
        #expect(response.status == .ok)
        #expect(response.text.contains("Attio is not configured"))
        #expect(response.text.contains("<code>ATTIO_CLIENT_SECRET</code>"))
        #expect(!response.text.contains("<code>ATTIO_CLIENT_ID</code>"))
    }

    @Test func redirectsToAuthorizeWithAFreshStateBoundToTheSession() async throws {
        let test = try await TestApp()
        var browser = try loggedIn(test)
        let response = try browser.get("/integrations/attio/connect")
        #expect(response.status == .seeOther)
        let location = try #require(response.headers["Location"])
        let url = try #require(URLComponents(string: location))
        #expect(url.scheme == "https" && url.host == "app.attio.com" && url.path == "/authorize")
        let query = Dictionary(uniqueKeysWithValues: (url.queryItems ?? []).map { ($0.name, $0.value ?? "") })
        #expect(query["response_type"] == "code")
        #expect(query["client_id"] == "test-client")
        #expect(query["redirect_uri"] == "http://localhost:3050/integrations/attio/callback")
        #expect(location.contains("redirect_uri=http%3A%2F%2Flocalhost%3A3050%2Fintegrations%2Fattio%2Fcallback"))
        #expect(query["state"]?.count == 43)
        #expect(query["scope"] == nil && query["code_challenge"] == nil)
        #expect(oauthState(in: try browser.get("/integrations/attio/connect")) != query["state"], "a fresh state every time")
        // Only the state's hash is stored.
        let stored = try test.database.blobs("SELECT state_hash FROM oauth_states")
        #expect(stored.contains(SHA256.hash(Array(query["state"]!.utf8))))
        #expect(try test.databaseBytes().range(of: Data(query["state"]!.utf8)) == nil)
    }
}

@Suite("Attio: callback")
struct AttioCallbackTests {
    @Test(arguments: StoreEngine.available) func successStoresTheSealedTokenAndGoesHome(engine: StoreEngine) async throws {
        let test = try await TestApp(engine: engine)
        var browser = try loggedIn(test)
        let response = try connect(&browser)
        #expect(response.status == .seeOther)
        #expect(response.headers["Location"] == "/")
        #expect(response.headers["Referrer-Policy"] == "no-referrer")
        let exchange = try #require(test.attio.requests(to: "/oauth/token").first)
        #expect(exchange.method == "POST")
        #expect(exchange.headers["Content-Type"] == "application/x-www-form-urlencoded")
        let form = try Parameters(urlEncoded: Array(exchange.body ?? Data()))
        #expect(form["grant_type"] == "authorization_code")
        #expect(form["code"] == "the-code")
        #expect(form["redirect_uri"] == "http://localhost:3050/integrations/attio/callback")
        #expect(form["client_id"] == "test-client")
        #expect(form["client_secret"] == "test-client-secret")
        #expect(try test.count("attio_connections") == 1)
        let home = try browser.get("/")
        #expect(home.text.contains("Your Attio tasks in Acme &lt;Corp&gt;"))
    }

    @Test func plaintextTokenIsNeverInTheDatabaseOrItsWAL() async throws {
        let test = try await TestApp()
        var browser = try loggedIn(test)
        try connect(&browser)
        try browser.get("/")
        let token = test.attio.lastIssuedToken
        #expect(try test.databaseBytes().range(of: Data(token.utf8)) == nil)
        let keyID = try test.database.texts("SELECT key_id FROM attio_connections").first
        #expect(keyID == test.secretKey.id)
        #expect(!test.logs.text.contains(token))
        #expect(!test.logs.text.contains("test-client-secret"))
    }

    @Test(arguments: StoreEngine.available) func loggedOutGoesToLogin(engine: StoreEngine) async throws {
        let test = try await TestApp(engine: engine)
        var browser = test.browser()
        let response = try browser.get("/integrations/attio/callback?code=x&state=y")
        #expect(response.status == .seeOther)
        #expect(response.headers["Location"] == "/login")
    }

    @Test(arguments: [
        "/integrations/attio/callback?code=x", "/integrations/attio/callback?code=x&state=", "/integrations/attio/callback?code=x&state=unknown",
    ])
    func missingOrUnknownStateIs403(_ target: String) async throws {
        let test = try await TestApp()
        var browser = try loggedIn(test)
        let response = try browser.get(target)
        #expect(response.status == .forbidden)
        #expect(response.headers["Referrer-Policy"] == "no-referrer")
        #expect(test.attio.requests(to: "/oauth/token").isEmpty)
    }

    @Test(arguments: StoreEngine.available) func usedStateIs403(engine: StoreEngine) async throws {
        let test = try await TestApp(engine: engine)
        var browser = try loggedIn(test)
        let state = try #require(oauthState(in: try browser.get("/integrations/attio/connect")))
        #expect(try browser.get("/integrations/attio/callback?code=a&state=\(state)").status == .seeOther)
        #expect(try browser.get("/integrations/attio/callback?code=b&state=\(state)").status == .forbidden)
        #expect(test.attio.requests(to: "/oauth/token").count == 1)
    }

    /// A state lives 10 minutes: a second short of them it still connects,
    /// at 10 minutes and after it is refused.
    @Test(arguments: StoreEngine.available, [(599, true), (600, false), (601, false)])
    func aStateLivesTenMinutes(engine: StoreEngine, age: (seconds: Int, connects: Bool)) async throws {
        let test = try await TestApp(engine: engine)
        var browser = try loggedIn(test)
        let state = try #require(oauthState(in: try browser.get("/integrations/attio/connect")))
        test.clock.advance(by: TimeInterval(age.seconds))
        try browser.get("/")  // keep the session alive
        let callback = try browser.get("/integrations/attio/callback?code=a&state=\(state)")
        #expect(callback.status == (age.connects ? .seeOther : .forbidden))
        #expect(test.attio.requests(to: "/oauth/token").count == (age.connects ? 1 : 0))
        #expect(try test.count("attio_connections") == (age.connects ? 1 : 0))
    }

    @Test(arguments: StoreEngine.available) func stateOfAnotherSessionIs403(engine: StoreEngine) async throws {
        let test = try await TestApp(engine: engine)
        var attacker = try loggedIn(test, "mallory")
        let state = try #require(oauthState(in: try attacker.get("/integrations/attio/connect")))
        var victim = try loggedIn(test, "ann")
        #expect(try victim.get("/integrations/attio/callback?code=attackers-code&state=\(state)").status == .forbidden)
        #expect(try test.count("attio_connections") == 0)
    }

    @Test(arguments: StoreEngine.available) func deniedConsentIsA200PageAndStoresNothing(engine: StoreEngine) async throws {
        let test = try await TestApp(engine: engine)
        var browser = try loggedIn(test)
        let state = try #require(oauthState(in: try browser.get("/integrations/attio/connect")))
        let response = try browser.get("/integrations/attio/callback?error=access_denied&state=\(state)")
        #expect(response.status == .ok)
        #expect(response.text.contains("Connection cancelled"))
        #expect(response.text.contains("access_denied"))
        #expect(test.attio.requests(to: "/oauth/token").isEmpty)
        #expect(try test.count("attio_connections") == 0)
    }

    @Test(arguments: StoreEngine.available) func missingCodeIs400(engine: StoreEngine) async throws {
        let test = try await TestApp(engine: engine)
        var browser = try loggedIn(test)
        let state = try #require(oauthState(in: try browser.get("/integrations/attio/connect")))
        #expect(try browser.get("/integrations/attio/callback?state=\(state)").status == .badRequest)
    }

    @Test(arguments: [FakeAttio.Failure.status(500), .status(400, body: #"{"error":"invalid_grant"}"#), .timeout, .malformedJSON])
    func tokenEndpointFailureIs502AndStoresNothing(_ failure: FakeAttio.Failure) async throws {
        let test = try await TestApp()
        var browser = try loggedIn(test)
        test.attio.fail("/oauth/token", with: failure)
        let response = try connect(&browser)
        #expect(response.status == .badGateway)
        #expect(response.text.contains("Attio did not complete the connection"))
        #expect(try test.count("attio_connections") == 0)
    }

    @Test(arguments: StoreEngine.available) func selfFailingStillConnects(engine: StoreEngine) async throws {
        let test = try await TestApp(engine: engine)
        var browser = try loggedIn(test)
        test.attio.fail("/v2/self", with: .status(503))
        #expect(try connect(&browser).status == .seeOther)
        #expect(try browser.get("/").text.contains("Your Attio tasks"))
    }
}
