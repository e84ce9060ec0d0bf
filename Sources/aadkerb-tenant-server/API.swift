import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Basics
import TenantAPI
import Tickets

/// The request context: the connection (so that fault injection can drop it) and what the
/// bearer token middleware found (BearerTokenMiddleware; the routes ask with `requireRole`).
struct TenantRequestContext: RequestContext {
    typealias Source = ApplicationRequestContextSource
    var coreContext: CoreRequestContextStorage
    let channel: any Channel
    var authentication: Authentication = .none

    enum Authentication: Sendable {
        /// No `Authorization: Bearer` header.
        case none
        /// A token that verified for the tenant of the path.
        case verified(TokenIssuer.Claims)
        /// A token that did not verify, and why.
        case refused(TokenIssuer.Failure)
    }

    init(source: Source) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// The token's claims, when it grants one of `allowed`: else 401 (no token, or a token that
    /// did not verify) or 403 (a token without the role), as problems.
    func requireRole(anyOf allowed: [String]) throws -> TokenIssuer.Claims {
        switch authentication {
        case .none: throw Problem(title: "Unauthorized", status: 401, detail: "a Bearer access token is required")
        case let .refused(failure): throw Problem(title: "Unauthorized", status: 401, detail: failure.description)
        case let .verified(claims):
            guard claims.roles.contains(where: allowed.contains) else {
                throw Problem(title: "Forbidden", status: 403, detail: "client \(claims.sub.value) lacks the role \(allowed[0])")
            }
            return claims
        }
    }

    func requireRole(write: Bool) throws -> TokenIssuer.Claims {
        try requireRole(anyOf: write ? [TenantRole.readWrite] : [TenantRole.readWrite, TenantRole.read])
    }
}

/// The tenant API's handlers and what they share. Routes are set up in one place, `buildRouter`
/// (Application+build.swift); the middleware is in Middleware.swift.
struct TenantAPIServer: Sendable {
    let store: Store
    let tokens: TokenIssuer
    let clients: ClientRegistry
    let faults: Faults?
    let assertions = AssertionVerifier()
    let deviceCodes: DeviceCodes
    let vault: KeyVault
    /// What the /_emulator routes require in X-Emulator-Secret (nil: the routes are not served).
    let emulatorSecret: [UInt8]?
    let limiter: RateLimiter

    static let json: HTTPFields = [.contentType: "application/json"]

    /// The OAuth2 endpoints of each tenant (/:tenant/oauth2/v2.0/...): no bearer token there.
    func addOAuthRoutes(to group: RouterGroup<TenantRequestContext>) {
        group.post("/:tenant/oauth2/v2.0/token", use: tokenEndpoint)
        group.post("/:tenant/oauth2/v2.0/devicecode") { request, context in
            try await deviceCode(request, tenant: context.parameters.require("tenant"))
        }
    }

    /// The KerberosDomain API under /v1/tenants/:tenant (the group carries the bearer token middleware).
    func addDomainRoutes(to group: RouterGroup<TenantRequestContext>) {
        group.get("/syncConfig", use: syncConfig)
        group.get("/kerberosDomains", use: listDomains)
        group.get("/kerberosDomains/:domain", use: getDomain)
        group.put("/kerberosDomains/:domain", use: putDomain)
        group.delete("/kerberosDomains/:domain", use: deleteDomain)
        group.post("/kerberosDomains/:domain/partialTickets", use: partialTicket)
    }

    /// The test routes (with --enable-fault-injection and --emulator-secret-file only): faults,
    /// and the device code flow's sign-in, each only with the secret in X-Emulator-Secret.
    func addEmulatorRoutes(to router: Router<TenantRequestContext>) {
        guard let faults, let emulatorSecret else { return }
        // compared in constant time; then any thrown problem as problem+json
        let emulator = router.group("/_emulator")
            .add(middleware: EmulatorSecretMiddleware(secret: emulatorSecret))
            .add(middleware: ProblemMiddleware())
        emulator.post("/faults") { request, _ in
            let rule = try await Self.decodeBody(FaultRule.self, request)
            await faults.add(rule)
            return Response(status: .noContent)
        }
        emulator.delete("/faults") { _, _ in
            await faults.clear()
            return Response(status: .noContent)
        }
        // Stands in for the browser sign-in of the device code flow.
        emulator.get("/device/pending") { _, _ in
            Self.respond(.ok, ["userCodes": await deviceCodes.pendingUserCodes()])
        }
        emulator.post("/device/approve") { request, _ in
            struct Decision: Decodable { var userCode: String; var userPrincipalName: String?; var deny: Bool? }
            let d = try await Self.decodeBody(Decision.self, request)
            // the user must belong to the tenant that started the code
            let tenant = await deviceCodes.tenant(ofUserCode: d.userCode)
            let user = d.deny == true ? nil : clients.users?.first { $0.userPrincipalName == d.userPrincipalName && $0.tenant == tenant }
            guard d.deny == true || user != nil else {
                throw Problem(title: "Bad Request", status: 400, detail: "no such user in the code's tenant")
            }
            guard await deviceCodes.decide(userCode: d.userCode, user: user) else {
                throw Problem(title: "Not Found", status: 404, detail: "no pending code \(d.userCode)")
            }
            return Response(status: .noContent)
        }
    }

    // MARK: - Handlers

    func tokenEndpoint(_ request: Request, context: TenantRequestContext) async throws -> Response {
        let tenant = try context.parameters.require("tenant")
        let form = try await form(request)
        // per client (and device code), so one noisy client does not lock out the others
        let key = "\(tenant)|\(form["client_id"] ?? "-")|\(form["device_code"].map { String($0.prefix(16)) } ?? "")"
        if let retryAfter = await limiter.take(key) {
            var headers = Self.json
            headers[.retryAfter] = String(retryAfter)
            return Self.respond(.tooManyRequests, TokenError(error: "slow_down", error_description: "too many token requests; retry after \(retryAfter) s"),
                                headers: headers)
        }
        return try await token(form, tenant: tenant)
    }

    func syncConfig(_ request: Request, context: TenantRequestContext) async throws -> Response {
        let tenant = try context.parameters.require("tenant")
        _ = try context.requireRole(write: false)
        let key = try await vault.tenantKey(tenant)
        return Self.respond(.ok, SyncConfig(keyEncryption: .init(
            algorithm: EncryptedKey.algorithm, publicKey: Data(key.publicKey).base64EncodedString(),
            keyId: KeyEnvelope.keyID(key.publicKey))))
    }

    func listDomains(_ request: Request, context: TenantRequestContext) async throws -> Response {
        let tenant = try context.parameters.require("tenant")
        _ = try context.requireRole(write: false)
        return Self.respond(.ok, KerberosDomainList(value: try await store.list(tenant: tenant)))
    }

    func getDomain(_ request: Request, context: TenantRequestContext) async throws -> Response {
        let (tenant, domain) = try names(context)
        _ = try context.requireRole(write: false)
        guard let (value, version) = try await store.get(tenant: tenant, domain: domain) else {
            throw Problem(title: "Not Found", status: 404, detail: "no KerberosDomain \(domain) in tenant \(tenant)")
        }
        return Self.respond(.ok, value, etag: version)
    }

    func deleteDomain(_ request: Request, context: TenantRequestContext) async throws -> Response {
        let (tenant, domain) = try names(context)
        _ = try context.requireRole(write: true)
        let precondition = try Self.precondition(ifMatch: request.headers[.ifMatch])
        switch try await store.delete(tenant: tenant, domain: domain, precondition: precondition) {
        case .deleted: return Response(status: .noContent)
        case .notFound: throw Problem(title: "Not Found", status: 404, detail: "no KerberosDomain \(domain) in tenant \(tenant)")
        case let .preconditionFailed(current):
            throw Problem(title: "Precondition Failed", status: 412,
                          detail: "\(domain) changed since it was read (now version \(current))")
        }
    }

    /// A JSON body of an /_emulator route; one that does not decode is a 400 problem, not a 500.
    static func decodeBody<T: Decodable>(_ type: T.Type, _ request: Request) async throws -> T {
        let body = try await request.body.collect(upTo: 65536)
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer: body))
        } catch {
            throw Problem(title: "Bad Request", status: 400, detail: "the body is not a \(T.self): \(error)")
        }
    }

    static let problemHeaders: HTTPFields = [.contentType: "application/problem+json"]

    static func respond<T: Encodable>(_ status: HTTPResponse.Status, _ value: T, etag: Int64? = nil,
                                      headers: HTTPFields = json) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var headers = headers
        if let etag { headers[.eTag] = "\"\(etag)\"" }
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers,
                        body: .init(byteBuffer: ByteBuffer(bytes: (try? encoder.encode(value)) ?? Data())))
    }

    private func names(_ context: TenantRequestContext) throws -> (String, String) {
        let tenant = try context.parameters.require("tenant")
        let domain = try context.parameters.require("domain").lowercased()
        guard DNSName.isValid(domain) else {
            throw Problem(title: "Bad Request", status: 400, detail: "'\(domain)' is not a DNS domain name")
        }
        return (tenant, domain)
    }

    /// What If-Match asks for. Exactly `*` or one ETag of this API (`"<version>"`); anything else,
    /// an empty value included, is a malformed precondition (400) for PUT and DELETE alike.
    enum Precondition: Equatable {
        case none, exists, version(Int64)
    }

    static func precondition(ifMatch raw: String?) throws -> Precondition {
        guard let raw else { return .none }
        let value = raw.trimmingCharacters(in: .whitespaces)
        if value == "*" { return .exists }
        let digits = value.dropFirst().dropLast()
        guard value.count >= 3, value.first == "\"", value.last == "\"", digits.count <= 18,
              digits.allSatisfy({ $0.isASCII && $0.isNumber }), let version = Int64(digits)
        else {
            throw Problem(title: "Bad Request", status: 400,
                          detail: "If-Match '\(raw)' is not * or an ETag of this API (a quoted version number such as \"3\")")
        }
        return .version(version)
    }

    /// If-None-Match on a PUT: only `*` (create) is meaningful here; anything else is a 400.
    static func createOnly(ifNoneMatch raw: String?) throws -> Bool {
        guard let raw else { return false }
        guard raw.trimmingCharacters(in: .whitespaces) == "*" else {
            throw Problem(title: "Bad Request", status: 400, detail: "If-None-Match '\(raw)' is not *: send If-None-Match: * to create")
        }
        return true
    }

    func putDomain(_ request: Request, context: TenantRequestContext) async throws -> Response {
        let (tenant, domain) = try names(context)
        _ = try context.requireRole(write: true)
        let createOnly = try Self.createOnly(ifNoneMatch: request.headers[.ifNoneMatch])
        let precondition = try Self.precondition(ifMatch: request.headers[.ifMatch])
        guard createOnly || precondition != .none else {
            throw Problem(title: "Precondition Required", status: 428,
                          detail: "send If-None-Match: * to create, or If-Match with the ETag you read to replace")
        }
        var value = try Self.decodeDomain(Data(buffer: try await request.body.collect(upTo: 1 << 20)), domain: domain)
        guard value.domainDnsName.lowercased() == domain else {
            throw Problem(title: "Bad Request", status: 400, detail: "domainDnsName \(value.domainDnsName) does not match the URL (\(domain))")
        }
        guard value.id > 0, !value.displayName.isEmpty, value.keyVersion >= 0 else {
            throw Problem(title: "Bad Request", status: 400, detail: "id must be positive, displayName non-empty, keyVersion not negative")
        }
        // Key slots are the server's: keep what is stored, and rotate them only for a new key.
        let previous = try await store.get(tenant: tenant, domain: domain)?.0
        value.currentKey = previous?.currentKey
        value.previousKey = previous?.previousKey
        var sealedKey: (kvno: Int64, sealed: [UInt8])?
        if let upload = value.newKey {
            guard upload.encryptionType == "aes256-cts-hmac-sha1-96" else {
                throw Problem(title: "Bad Request", status: 400, detail: "only aes256-cts-hmac-sha1-96 keys are accepted")
            }
            let key: Secret
            do {
                key = try KeyEnvelope.open(upload.envelope, with: try await vault.tenantKey(tenant), context: KeyEnvelope.context(
                    tenant: tenant, domain: domain, kvno: upload.kvno, keyVersion: upload.keyVersion, encryptionType: upload.encryptionType))
            } catch {
                throw Problem(title: "Bad Request", status: 400, detail: "\(error)")
            }
            guard key.count == 32 else { throw Problem(title: "Bad Request", status: 400, detail: "an AES-256 key is 32 bytes, not \(key.count)") }
            let slot = KeySlot(kvno: upload.kvno, keyVersion: upload.keyVersion, encryptionType: upload.encryptionType,
                               checkValue: KeyEnvelope.checkValue(key))
            if let current = value.currentKey, current.kvno != slot.kvno { value.previousKey = current }
            value.currentKey = slot
            sealedKey = (upload.kvno, try key.withUnsafeBytes {
                try vault.seal(Array($0), label: KeyVault.keyLabel(tenant: tenant, domain: domain, kvno: upload.kvno))
            })
            value.newKey = nil
        }
        let outcome = try await store.put(tenant: tenant, domain: domain, value: value,
                                          precondition: precondition, createOnly: createOnly, key: sealedKey)
        switch outcome {
        case let .created(version), let .updated(version):
            guard let (stored, _) = try await store.get(tenant: tenant, domain: domain) else {
                throw Problem(title: "Internal Server Error", status: 500, detail: "write not readable")
            }
            if case .created = outcome { return Self.respond(.created, stored, etag: version) }
            return Self.respond(.ok, stored, etag: version)
        case let .alreadyExists(current):
            throw Problem(title: "Conflict", status: 409, detail: "\(domain) already exists (version \(current)); read it and send If-Match")
        case let .preconditionFailed(current):
            throw Problem(title: "Precondition Failed", status: 412,
                          detail: current.map { "\(domain) changed since it was read (now version \($0))" } ?? "\(domain) does not exist")
        }
    }

    /// A PUT body: a KerberosDomain whose domainDnsName may be left out (the URL names the domain).
    static func decodeDomain(_ body: Data, domain: String) throws -> KerberosDomain {
        do {
            guard var object = try JSONSerialization.jsonObject(with: body) as? [String: Any] else {
                throw Problem(title: "Bad Request", status: 400, detail: "the body is not a JSON object")
            }
            if object["domainDnsName"] == nil { object["domainDnsName"] = domain }
            return try JSONDecoder().decode(KerberosDomain.self, from: JSONSerialization.data(withJSONObject: object))
        } catch let problem as Problem {
            throw problem
        } catch {
            throw Problem(title: "Bad Request", status: 400, detail: "the body is not a KerberosDomain: \(error)")
        }
    }

    /// Mints a partial TGT for a synced user as the cloud does at sign-in: with the domain's
    /// current key, under kvno (Id << 16) | CloudKeyKvno. The key never leaves the server.
    func partialTicket(_ request: Request, context: TenantRequestContext) async throws -> Response {
        let (tenant, domain) = try names(context)
        _ = try context.requireRole(anyOf: [TenantRole.issueTickets])
        let body = try await request.body.collect(upTo: 65536)
        let user: PartialTicketRequest
        let sid: SecurityIdentifier
        do {
            user = try JSONDecoder().decode(PartialTicketRequest.self, from: Data(buffer: body))
            guard Self.isSID(user.onPremisesSecurityIdentifier) else { throw Problem(title: "Bad Request", status: 400, detail: "") }
            sid = try SecurityIdentifier(user.onPremisesSecurityIdentifier)
        } catch {
            throw Problem(title: "Bad Request", status: 400, detail: "the body is not a PartialTicketRequest with a valid SID: \(error)")
        }
        guard (1...256).contains(user.onPremisesSamAccountName.unicodeScalars.count) else {
            throw Problem(title: "Bad Request", status: 400, detail: "onPremisesSamAccountName must be 1 to 256 characters")
        }
        guard let (value, _) = try await store.get(tenant: tenant, domain: domain) else {
            throw Problem(title: "Not Found", status: 404, detail: "no KerberosDomain \(domain) in tenant \(tenant)")
        }
        guard let current = value.currentKey else {
            throw Problem(title: "Conflict", status: 409, detail: "\(domain) holds no key yet: publish one (aadkerb set --tenant)")
        }
        guard let sealed = try await store.sealedKeys(tenant: tenant, domain: domain).first(where: { $0.kvno == current.kvno })?.sealed else {
            throw Problem(title: "Internal Server Error", status: 500, detail: "the key of kvno \(current.kvno) is missing from the store")
        }
        var raw = try vault.open(sealed, label: KeyVault.keyLabel(tenant: tenant, domain: domain, kvno: current.kvno))
        let key = Secret(bytes: raw)
        wipe(&raw)
        let tgt: PartialTGT
        do {
            tgt = try PartialTGT.mint(realm: domain.uppercased(), userName: user.onPremisesSamAccountName, userSID: sid,
                                      rodcNumber: Int(value.id), keyVersion: Int(current.kvno & 0xffff), key: key)
        } catch {
            throw Problem(title: "Bad Request", status: 400, detail: "cannot mint a ticket for \(domain): \(error)")
        }
        let clientKey = tgt.sessionKey.withUnsafeBytes { Data($0).base64EncodedString() }
        return Self.respond(.ok, PartialTicketResponse(tgt_client_key: clientKey, tgt_key_type: 18,
                                                       tgt_message_buffer: Data(tgt.asRep).base64EncodedString(), kvno: Int64(tgt.kvno)))
    }

    /// The SID pattern of docs/openapi.yaml (PartialTicketRequest): revision 1, an authority below
    /// 10^14, two to fifteen 32-bit sub-authorities, decimal without leading zeros.
    static let sidPattern = "^S-1-(0|[1-9][0-9]{0,13})(-(0|[1-9][0-9]{0,8}|[1-3][0-9]{9}|4[01][0-9]{8}|42[0-8][0-9]{7}|429[0-3][0-9]{6}|4294[0-8][0-9]{5}|42949[0-5][0-9]{4}|429496[0-6][0-9]{3}|4294967[01][0-9]{2}|42949672[0-8][0-9]|429496729[0-5])){2,15}$"
    static let sidRegex = try! NSRegularExpression(pattern: sidPattern)

    static func isSID(_ text: String) -> Bool {
        // the whole text: ICU's $ also matches before a final newline
        let whole = NSRange(text.startIndex..., in: text)
        return sidRegex.firstMatch(in: text, range: whole)?.range == whole
    }

    private func form(_ request: Request) async throws -> [String: String] {
        let body = String(buffer: try await request.body.collect(upTo: 65536))
        var form: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            if kv.count == 2 { form[kv[0]] = kv[1] }
        }
        return form
    }

    private func deviceCode(_ request: Request, tenant: String) async throws -> Response {
        let form = try await form(request)
        guard let clientID = form["client_id"],
              clients.clients.contains(where: { $0.tenant == tenant && $0.clientId == clientID && $0.publicClient == true })
        else {
            throw TokenError(error: "invalid_client", error_description: "client \(form["client_id"] ?? "-") is not a public client of tenant \(tenant)")
        }
        let (deviceCode, userCode) = await deviceCodes.start(tenant: tenant, clientID: clientID)
        let uri = "\(tokens.issuerBase)/\(tenant)/device"
        struct Answer: Encodable {
            let device_code: String, user_code: String, verification_uri: String, expires_in: Int, interval: Int, message: String
        }
        return Self.respond(.ok, Answer(
            device_code: deviceCode, user_code: userCode, verification_uri: uri, expires_in: Int(deviceCodes.lifetime),
            interval: deviceCodes.interval, message: "To sign in, open \(uri) and enter the code \(userCode)."))
    }

    private func token(_ form: [String: String], tenant: String) async throws -> Response {
        if form["grant_type"] == "urn:ietf:params:oauth:grant-type:device_code" {
            guard let clientID = form["client_id"], let code = form["device_code"] else {
                throw TokenError(error: "invalid_request", error_description: "client_id and device_code are required")
            }
            switch await deviceCodes.poll(deviceCode: code, tenant: tenant, clientID: clientID) {
            case .pending: throw TokenError(error: "authorization_pending", error_description: "the user has not signed in yet")
            case .slowDown: throw TokenError(error: "slow_down", error_description: "poll at most every \(deviceCodes.interval) s")
            case .expired: throw TokenError(error: "expired_token", error_description: "the device code has expired; start again")
            case .denied: throw TokenError(error: "access_denied", error_description: "the user declined the sign-in")
            case .unknown: throw TokenError(error: "invalid_grant", error_description: "unknown device code")
            case let .approved(user):
                let (token, expiresIn) = await tokens.issue(tenant: tenant, clientID: user.userPrincipalName, roles: user.roles)
                return Self.respond(.ok, TokenResponse(access_token: token, expires_in: expiresIn))
            }
        }
        guard form["grant_type"] == "client_credentials" else {
            throw TokenError(error: "unsupported_grant_type", error_description: "grant_type must be client_credentials or urn:ietf:params:oauth:grant-type:device_code")
        }
        let client: ClientRegistry.Client
        if let assertion = form["client_assertion"] {
            guard form["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" else {
                throw TokenError(error: "invalid_request", error_description: "client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
            }
            do {
                client = try await assertions.verify(assertion, tenant: tenant, audience: "\(tokens.issuerBase)/\(tenant)/oauth2/v2.0/token",
                                                     clientIDHint: form["client_id"], registry: clients)
            } catch {
                throw TokenError(error: "invalid_client", error_description: "\(error)")
            }
        } else {
            guard let clientID = form["client_id"], let secret = form["client_secret"],
                  let found = clients.authenticate(tenant: tenant, clientID: clientID, secret: secret)
            else {
                throw TokenError(error: "invalid_client", error_description: "unknown client or wrong secret for tenant \(tenant)")
            }
            client = found
        }
        let (token, expiresIn) = await tokens.issue(tenant: tenant, clientID: client.clientId, roles: client.roles)
        return Self.respond(.ok, TokenResponse(access_token: token, expires_in: expiresIn))
    }
}

/// A fixed-window limit per key (tenant, client, device code): at most `perMinute` requests in
/// each minute; beyond, the seconds until the window ends.
actor RateLimiter {
    let perMinute: Int
    private var windows: [String: (start: Date, count: Int)] = [:]

    init(perMinute: Int) { self.perMinute = perMinute }

    func take(_ key: String, now: Date = Date()) -> Int? {
        if windows.count > 10_000 { windows = windows.filter { now.timeIntervalSince($0.value.start) < 60 } }
        var window: (start: Date, count: Int) = windows[key].flatMap { now.timeIntervalSince($0.start) < 60 ? $0 : nil } ?? (start: now, count: 0)
        window.count += 1
        windows[key] = window
        return window.count > perMinute ? max(1, Int((60 - now.timeIntervalSince(window.start)).rounded(.up))) : nil
    }
}
