import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TenantAPI

/// Turns what a route throws into a response: a Problem into application/problem+json (a 401
/// with `WWW-Authenticate: Bearer error="invalid_token"`), an OAuth2 TokenError into its JSON
/// (401 for invalid_client, else 400), and anything else into a 500 problem.
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let problem as Problem {
            var headers = TenantAPIServer.problemHeaders
            if problem.status == 401 { headers[.wwwAuthenticate] = #"Bearer error="invalid_token""# }
            return TenantAPIServer.respond(HTTPResponse.Status(code: problem.status), problem, headers: headers)
        } catch let error as TokenError {
            return TenantAPIServer.respond(error.error == "invalid_client" ? .unauthorized : .badRequest, error)
        } catch {
            return TenantAPIServer.respond(.internalServerError, Problem(title: "Internal Server Error", status: 500, detail: "\(error)"),
                                           headers: TenantAPIServer.problemHeaders)
        }
    }
}

/// Verifies an `Authorization: Bearer` token for the tenant of the path and puts the outcome in
/// the context; the route then asks for the role it needs (`requireRole`), so that a request's
/// own faults (a bad domain name: 400) still come before a missing or refused token (401).
struct BearerTokenMiddleware: RouterMiddleware {
    typealias Context = TenantRequestContext
    let tokens: TokenIssuer

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") {
            do {
                let tenant = try context.parameters.require("tenant")
                context.authentication = .verified(try await tokens.verify(String(header.dropFirst(7)), tenant: tenant))
            } catch let failure as TokenIssuer.Failure {
                context.authentication = .refused(failure)
            }
        }
        return try await next(request, context)
    }
}

/// The faults a test injected (POST /_emulator/faults), applied before the route runs: a delay,
/// then an error status (with Retry-After or Location) or a dropped connection.
struct FaultInjectionMiddleware: RouterMiddleware {
    typealias Context = TenantRequestContext
    let faults: Faults?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let faults, let rule = await faults.take(method: request.method.rawValue, path: request.uri.path) {
            if let delay = rule.delayMs { try await Task.sleep(for: .milliseconds(delay)) }
            if rule.drop == true {
                // Close the connection without an answer, as a crashed or cut-off server would.
                try await context.channel.close()
                return Response(status: .internalServerError)
            }
            if let status = rule.status {
                var headers = TenantAPIServer.problemHeaders
                if let retryAfter = rule.retryAfter { headers[.retryAfter] = String(retryAfter) }
                if let location = rule.location { headers[.location] = location }
                return TenantAPIServer.respond(HTTPResponse.Status(code: status),
                                               Problem(title: "Injected fault", status: status, detail: "fault injection"), headers: headers)
            }
        }
        return try await next(request, context)
    }
}

/// The server's paths (":name" or "{name}" matches one segment) and the methods each answers.
struct RouteTable: Sendable {
    private(set) var entries: [(segments: [Substring], methods: [HTTPRequest.Method])] = []

    init() {}

    /// Every route of a router, as `Router.routes` describes them: what a route registers is in
    /// the table without a second list to keep in step.
    init<Context: RequestContext>(_ routes: [Router<Context>.RouteDescription]) {
        for route in routes { add(route.path.description, [route.method]) }
    }

    mutating func add(_ path: String, _ methods: [HTTPRequest.Method]) {
        entries.append((path.split(separator: "/"), methods))
    }

    private static func isCapture(_ segment: Substring) -> Bool {
        segment.hasPrefix(":") || (segment.hasPrefix("{") && segment.hasSuffix("}"))
    }

    /// The methods of the path, or nil when no route has that path.
    func methods(for path: String) -> [HTTPRequest.Method]? {
        let given = path.split(separator: "/")
        let found = entries.filter { entry in
            entry.segments.count == given.count && zip(entry.segments, given).allSatisfy { Self.isCapture($0) || $0 == $1 }
        }
        return found.isEmpty ? nil : Self.inOrder(found.flatMap(\.methods))
    }

    /// Methods in RFC 9110's order (GET, HEAD, POST, PUT, DELETE, ...; then PATCH and others by
    /// name), so that Allow reads the same however the routes were registered.
    static func inOrder(_ methods: [HTTPRequest.Method]) -> [HTTPRequest.Method] {
        let order: [HTTPRequest.Method] = [.get, .head, .post, .put, .delete, .connect, .options, .trace, .patch]
        return methods.sorted { a, b in
            let (i, j) = (order.firstIndex(of: a) ?? order.count, order.firstIndex(of: b) ?? order.count)
            return i != j ? i < j : a.rawValue < b.rawValue
        }
    }
}

/// What no route answered: a known path with another method is 405 with Allow; anything else is
/// 404. Both as problem+json.
struct MethodNotAllowedMiddleware<Context: RequestContext>: RouterMiddleware {
    let routes: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            if let methods = routes.methods(for: request.uri.path), !methods.contains(request.method) {
                var headers = TenantAPIServer.problemHeaders
                headers[.allow] = methods.map(\.rawValue).joined(separator: ", ")
                return TenantAPIServer.respond(.methodNotAllowed, Problem(title: "Method Not Allowed", status: 405,
                                                                          detail: "\(request.method.rawValue) is not allowed here; allowed: \(headers[.allow]!)"),
                                               headers: headers)
            }
            return TenantAPIServer.respond(.notFound, Problem(title: "Not Found", status: 404, detail: "no such resource"),
                                           headers: TenantAPIServer.problemHeaders)
        }
    }
}

/// Refuses a request to the /_emulator routes without the right X-Emulator-Secret (403).
struct EmulatorSecretMiddleware<Context: RequestContext>: RouterMiddleware {
    let secret: [UInt8]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let given = Array((request.headers[HTTPField.Name("X-Emulator-Secret")!] ?? "").utf8)
        guard given.count == secret.count, Crypto.equal(given, secret) else {
            return TenantAPIServer.respond(.forbidden, Problem(title: "Forbidden", status: 403, detail: "the emulator routes need X-Emulator-Secret"),
                                           headers: TenantAPIServer.problemHeaders)
        }
        return try await next(request, context)
    }
}

