import CLDAP
import EndpointProbe
import Logging
import Foundation

/// One connection to a directory server, owning one libldap handle.
///
/// The actor runs on its own serial dispatch queue (`QueueExecutor`), so libldap's blocking
/// synchronous calls never occupy a thread of Swift's cooperative pool. One handle is never used
/// by two threads at once. After a timeout or a dropped connection the handle is discarded:
/// later calls fail fast with the original error instead of reusing a connection in an unknown state.
public actor LDAPConnection {
    private nonisolated let executor: QueueExecutor
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    public nonisolated let configuration: LDAPConfiguration
    /// The handle; accessed only on the actor's executor (and in deinit, when nothing else can).
    private nonisolated(unsafe) let handle: OpaquePointer
    /// Registered with the handle as its connect callback; must outlive it (released after deinit).
    private nonisolated let watch: ConnectWatch
    private var brokenBy: LDAPError?
    /// Number of requests sent to the server (binds, searches incl. each page, writes).
    public private(set) var requestCount = 0

    private init(configuration: LDAPConfiguration, handle: OpaquePointer, watch: ConnectWatch) {
        self.configuration = configuration
        self.handle = handle
        self.watch = watch
        self.executor = QueueExecutor(label: "aadkerb.ldap \(configuration.uri)")
    }

    deinit {
        ldap_unbind_ext_s(handle, nil, nil)
    }

    /// Creates the handle, connects and, for `ldap://`, performs StartTLS (unless security is `.none`).
    /// Certificate verification is always on (`demand`); `caFile` replaces the system CAs for this
    /// connection only.
    public static func open(_ configuration: LDAPConfiguration) async throws -> LDAPConnection {
        let watch = ConnectWatch()
        let handle = try makeHandle(configuration, watch: watch)
        let connection = LDAPConnection(configuration: configuration, handle: handle, watch: watch)
        try await connection.establish()
        return connection
    }

    private static func makeHandle(_ configuration: LDAPConfiguration, watch: ConnectWatch) throws -> OpaquePointer {
        let uri = configuration.uri
        let lower = uri.lowercased()
        guard lower.hasPrefix("ldap://") || lower.hasPrefix("ldaps://") else {
            throw LDAPError(code: .paramError, diagnosticMessage: "the URI must start with ldaps:// or ldap://",
                            operation: "connect", target: uri)
        }
        if configuration.security == .ldaps, !lower.hasPrefix("ldaps://") {
            throw LDAPError(code: .paramError, diagnosticMessage: "ldaps security needs an ldaps:// URI",
                            operation: "connect", target: uri)
        }
        if configuration.security != .ldaps, lower.hasPrefix("ldaps://") {
            throw LDAPError(code: .paramError, diagnosticMessage: "an ldaps:// URI always uses TLS",
                            operation: "connect", target: uri)
        }
        var ld: OpaquePointer?
        let rc = ldap_initialize(&ld, uri)
        guard rc == LDAP_SUCCESS, let ld else {
            throw LDAPError(code: LDAPResultCode(rawValue: rc), operation: "connect", target: uri)
        }
        func set(_ option: Int32, _ name: String, _ value: UnsafeRawPointer?) throws {
            let rc = ldap_set_option(ld, option, value)
            guard rc == LDAP_OPT_SUCCESS else {
                ldap_unbind_ext_s(ld, nil, nil)
                throw LDAPError(code: LDAPResultCode(rawValue: rc), diagnosticMessage: "cannot set \(name)",
                                operation: "connect", target: uri)
            }
        }
        guard cldap_watch_install(ld, watch.pointer) == LDAP_OPT_SUCCESS else {
            ldap_unbind_ext_s(ld, nil, nil)
            throw LDAPError(code: .localError, diagnosticMessage: "cannot install the connect callback",
                            operation: "connect", target: uri)
        }
        var version: Int32 = LDAP_VERSION3
        try set(LDAP_OPT_PROTOCOL_VERSION, "protocol version", &version)
        try set(LDAP_OPT_REFERRALS, "referrals", cldap_opt_off())
        var network = configuration.connectTimeout.timeval
        try set(LDAP_OPT_NETWORK_TIMEOUT, "network timeout", &network)
        var operation = configuration.operationTimeout.timeval
        try set(LDAP_OPT_TIMEOUT, "timeout", &operation)
        if configuration.security != .none {
            // the host name check reads the handle's own setting: set on every handle
            var demand: Int32 = LDAP_OPT_X_TLS_DEMAND
            try set(LDAP_OPT_X_TLS_REQUIRE_CERT, "certificate check", &demand)
            var minimum: Int32 = cldap_tls_protocol_tls1_2()
            let key = TLSContextCache.Key(caFile: configuration.caFile, requireCertificate: demand, minimumVersion: minimum)
            try TLSContextCache.shared.attach(to: ld, key: key, use: { try set(LDAP_OPT_X_TLS_CTX, "TLS context", $0) }) {
                if let caFile = configuration.caFile {
                    try caFile.withCString { try set(LDAP_OPT_X_TLS_CACERTFILE, "CA file", $0) }
                }
                try set(LDAP_OPT_X_TLS_PROTOCOL_MIN, "minimum TLS version", &minimum)
                // Must come last: builds the TLS context from the options above.
                var serverContext: Int32 = 0
                try set(LDAP_OPT_X_TLS_NEWCTX, "TLS context", &serverContext)
            }
        }
        return ld
    }

    private func establish() throws {
        let uri = configuration.uri
        // --connect-timeout bounds all of connecting: TCP, the StartTLS exchange and the handshake
        let deadline = configuration.connectTimeout
        let operation = configuration.security == .startTLS ? "StartTLS" : "connect"
        let started = ContinuousClock.now
        let (rc, fired) = watch.guarding(deadline: deadline) {
            configuration.security == .startTLS ? ldap_start_tls_s(handle, nil, nil) : ldap_connect(handle)
        }
        // the connect callback cleared the network timeout so that the handshake blocks instead
        // of spinning (shim.h); any later connect on this handle is bounded again
        var network = configuration.connectTimeout.timeval
        _ = ldap_set_option(handle, LDAP_OPT_NETWORK_TIMEOUT, &network)
        let elapsed = ContinuousClock.now - started
        requestCount += 1
        guard rc != LDAP_SUCCESS else {
            ldapLog.debug("connected", metadata: ["uri": "\(uri)", "security": "\(configuration.security)"])
            return
        }
        var diagnostic = option(LDAP_OPT_DIAGNOSTIC_MESSAGE)
        if diagnostic == "(unknown error code)" { diagnostic = nil }  // GnuTLS's text for "no detail"
        ldapLog.debug("connect failed", metadata: ["uri": "\(uri)", "rc": "\(rc)", "diagnostic": "\(diagnostic ?? "")",
                                                   "tcp": "\(watch.connected)", "fired": "\(fired)"])
        // libldap's "Can't contact LDAP server" / connect error: the cause is for the probe to find
        let lost = rc == LDAPResultCode.serverDown.rawValue || rc == LDAPResultCode.connectError.rawValue
        let error: LDAPError
        if fired {
            error = LDAPError(
                code: .timeout,
                diagnosticMessage: "connected, but no \(configuration.security == .startTLS ? "StartTLS answer or " : "")TLS handshake within \(deadline.secondsText)",
                operation: operation, target: uri, kind: .timeout)
        } else if !watch.connected, elapsed >= deadline * 0.9, let endpoint = Self.endpoint(of: uri) {
            // libldap's own connect timeout: asking again would only wait as long once more
            error = LDAPError(code: .timeout, operation: operation, target: uri,
                              finding: .noAnswer(endpoint, seconds: deadline.timeInterval))
        } else if lost, let finding = probe(), finding.isFault {
            error = LDAPError(code: LDAPResultCode(rawValue: rc), diagnosticMessage: diagnostic,
                              operation: operation, target: uri, finding: finding)
        } else if lost && watch.connected && configuration.security != .none {
            let trust = configuration.caFile.map { "the CA file \($0)" } ?? "the system's CA certificates"
            error = LDAPError(
                code: LDAPResultCode(rawValue: rc),
                diagnosticMessage: (diagnostic.map { $0 + "; " } ?? "")
                    + "TLS handshake failed, and a second connection with OpenSSL found no fault: check that \(trust) holds the CA that signed the server's certificate",
                operation: operation, target: uri, kind: .tls)
        } else {
            error = LDAPError(code: LDAPResultCode(rawValue: rc), diagnosticMessage: diagnostic,
                              operation: operation, target: uri)
        }
        brokenBy = error
        throw error
    }

    /// A second look at the server, after a failed connect (EndpointProbe).
    private func probe() -> EndpointFinding? {
        guard let endpoint = Self.endpoint(of: configuration.uri) else { return nil }
        let security: EndpointProbe.Security = switch configuration.security {
        case .ldaps: .direct
        case .startTLS: .startTLS
        case .none: .none
        }
        let finding = EndpointProbe.diagnose(host: endpoint.host, port: endpoint.port, security: security,
                                             caFile: configuration.caFile, timeout: configuration.connectTimeout.timeInterval)
        ldapLog.debug("probe", metadata: ["uri": "\(configuration.uri)", "finding": "\(finding)"])
        return finding
    }

    /// The host and port of an LDAP URI, as libldap reads it (default ports 389 and 636).
    static func endpoint(of uri: String) -> Endpoint? {
        var description: UnsafeMutablePointer<LDAPURLDesc>?
        guard ldap_url_parse(uri, &description) == LDAP_URL_SUCCESS, let description else { return nil }
        defer { ldap_free_urldesc(description) }
        guard let host = description.pointee.lud_host.map({ String(cString: $0) }), !host.isEmpty else { return nil }
        var port = Int(description.pointee.lud_port)
        if port == 0 { port = uri.lowercased().hasPrefix("ldaps://") ? 636 : 389 }
        return Endpoint(host: host, port: port)
    }

    /// Authenticates the connection.
    public func bind(_ credentials: LDAPCredentials) throws {
        try usable()
        requestCount += 1
        switch credentials {
        case let .simple(name, password):
            guard !password.isEmpty else {
                // An empty password makes a simple bind anonymous (RFC 4513 §5.1.2): refuse it.
                throw LDAPError(code: .inappropriateAuthentication,
                                diagnosticMessage: "empty password (would be an unauthenticated bind)",
                                operation: "bind", target: name)
            }
            let arena = CArena()
            let rc = cldap_simple_bind_s(handle, name, arena.berval(password), nil)
            ldapLog.debug("simple bind", metadata: ["uri": "\(configuration.uri)", "name": "\(name)", "rc": "\(rc)"])
            try check(rc, "bind", name)
        case .gssapi:
            // The service principal is ldap/<host of the URI>, as given: no reverse-DNS
            // canonicalisation, which on split or loopback DNS names the wrong host.
            _ = ldap_set_option(handle, LDAP_OPT_X_SASL_NOCANON, cldap_opt_on())
            if configuration.security != .none {
                // TLS already protects the connection; AD refuses SASL sign/seal on top of it
                // ("Sign or Seal are not allowed if TLS is used").
                _ = "maxssf=0".withCString { ldap_set_option(handle, LDAP_OPT_X_SASL_SECPROPS, $0) }
            }
            let rc = cldap_sasl_gssapi_bind_s(handle)
            ldapLog.debug("SASL GSSAPI bind", metadata: ["uri": "\(configuration.uri)", "rc": "\(rc)"])
            if rc == LDAPResultCode.localError.rawValue {
                // The SASL library failed before anything was sent: no ticket, expired ticket,
                // no service ticket for ldap/<host>. Its message says which.
                throw LDAPError(code: .localError,
                                diagnosticMessage: (option(LDAP_OPT_DIAGNOSTIC_MESSAGE).map { $0 + "; " } ?? "")
                                    + "get a ticket with kinit (KRB5CCNAME names the cache) and name the DC by its host name",
                                operation: "SASL GSSAPI bind", target: configuration.uri, kind: .authentication)
            }
            try check(rc, "SASL GSSAPI bind", configuration.uri)
        }
    }

    /// Searches, following RFC 2696 paged results (for non-base scopes) until the server has sent
    /// everything. `pageSize` 0 disables paging.
    public func search(base: String, scope: LDAPScope = .subtree, filter: LDAPFilter = .present("objectClass"),
                       attributes: [String], controls: [LDAPRequestControl] = [],
                       pageSize: Int = 500) throws -> [LDAPEntry] {
        try usable()
        return try searchPages(base: base, scope: scope, filter: filter, attributes: attributes, controls: controls,
                               pageSize: pageSize, cookie: [])
    }

    /// `search`'s loop, from the page `cookie` names (empty: the first).
    private func searchPages(base: String, scope: LDAPScope, filter: LDAPFilter, attributes: [String],
                             controls: [LDAPRequestControl], pageSize: Int, cookie first: [UInt8]) throws -> [LDAPEntry] {
        let paging = pageSize > 0 && scope != .base
        var entries: [LDAPEntry] = []
        var cookie = first
        let filterString = filter.description
        repeat {
            let arena = CArena()
            var requestControls = controls
            if paging { requestControls.append(try pageControl(size: pageSize, cookie: cookie)) }
            var result: OpaquePointer?
            requestCount += 1
            let rc = ldap_search_ext_s(
                handle, base, scope.rawValue, filterString,
                attributes.isEmpty ? nil : arena.stringArray(attributes), 0,
                arena.controls(requestControls), nil, nil, 0, &result)
            defer { ldap_msgfree(result) }
            ldapLog.debug("search", metadata: ["base": "\(base)", "scope": "\(scope)", "filter": "\(filterString)",
                                              "attributes": "\(attributes.joined(separator: ","))", "rc": "\(rc)"])
            try check(rc, "search", base)
            entries += readEntries(result)
            cookie = paging ? try pageCookie(result, base: base) : []
        } while !cookie.isEmpty
        return entries
    }

    /// Sends every search at once and then collects the answers: one round trip for all of them
    /// instead of one each, over the same connection (libldap's asynchronous `ldap_search_ext`
    /// and `ldap_result`; LDAP lets a client have several operations outstanding, RFC 4511 §4.1.1).
    /// Each element of the result is that search's entries or the error the server answered it
    /// with, in the order of `requests`. A client-side failure (timeout, lost connection) throws
    /// and leaves the connection unusable, as `search` does. A paged search whose first page is
    /// not its last goes on page by page, as `search` does. `operationTimeout` bounds the batch.
    public func searchBatch(_ requests: [LDAPSearchRequest]) throws -> [Result<[LDAPEntry], LDAPError>] {
        try usable()
        let deadline = ContinuousClock.now + configuration.operationTimeout
        var sent: [Int32] = []
        defer {  // on an early exit, nothing is left outstanding
            if sent.count > 0, brokenBy == nil { for id in sent { _ = ldap_abandon_ext(handle, id, nil, nil) } }
        }
        for request in requests {
            let arena = CArena()
            var requestControls = request.controls
            if request.paged { requestControls.append(try pageControl(size: request.pageSize, cookie: [])) }
            var id: Int32 = -1
            requestCount += 1
            let rc = ldap_search_ext(
                handle, request.base, request.scope.rawValue, request.filter.description,
                request.attributes.isEmpty ? nil : arena.stringArray(request.attributes), 0,
                arena.controls(requestControls), nil, nil, Int32(clamping: request.sizeLimit), &id)
            try check(rc, "search", request.base)
            sent.append(id)
        }
        var results: [Result<[LDAPEntry], LDAPError>] = []
        for (request, id) in zip(requests, sent) {
            let left = max(deadline - ContinuousClock.now, .milliseconds(1))
            var timeout = left.timeval
            var message: OpaquePointer?
            let got = ldap_result(handle, id, LDAP_MSG_ALL, &timeout, &message)
            defer { ldap_msgfree(message) }
            let filterString = request.filter.description
            guard got > 0, message != nil else {
                // 0: no answer in time; -1: the connection failed (its code is the handle's)
                var code: Int32 = LDAPResultCode.timeout.rawValue
                if got < 0 { _ = ldap_get_option(handle, LDAP_OPT_RESULT_CODE, &code) }
                ldapLog.debug("search", metadata: ["base": "\(request.base)", "scope": "\(request.scope)", "filter": "\(filterString)",
                                                  "attributes": "\(request.attributes.joined(separator: ","))", "rc": "\(code)", "batched": "true"])
                try check(code < 0 ? code : LDAPResultCode.serverDown.rawValue, "search", request.base)
                continue
            }
            sent.removeFirst()
            // the server's answer: its code, matched DN and diagnostic message (as check() reports them)
            var rc: Int32 = 0
            var matched: UnsafeMutablePointer<CChar>?
            var diagnostic: UnsafeMutablePointer<CChar>?
            let parsed = ldap_parse_result(handle, message, &rc, &matched, &diagnostic, nil, nil, 0)
            defer { ldap_memfree(matched); ldap_memfree(diagnostic) }
            if parsed != LDAP_SUCCESS { rc = parsed }
            ldapLog.debug("search", metadata: ["base": "\(request.base)", "scope": "\(request.scope)", "filter": "\(filterString)",
                                              "attributes": "\(request.attributes.joined(separator: ","))", "rc": "\(rc)", "batched": "true"])
            do {
                if parsed != LDAP_SUCCESS {
                    try check(parsed, "search", request.base)
                } else if rc != LDAP_SUCCESS {
                    throw LDAPError(code: LDAPResultCode(rawValue: rc), diagnosticMessage: diagnostic.map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 },
                                    matchedDN: matched.map { String(cString: $0) }, operation: "search", target: request.base)
                }
                var entries = readEntries(message)
                let cookie = request.paged ? try pageCookie(message, base: request.base) : []
                let limit = request.sizeLimit
                if limit > 0, entries.count > limit || (!cookie.isEmpty && entries.count >= limit) {
                    throw LDAPError(code: .sizeLimitExceeded, diagnosticMessage: "more than \(limit) entries",
                                    operation: "search", target: request.base)
                }
                if !cookie.isEmpty {
                    entries += try searchPages(base: request.base, scope: request.scope, filter: request.filter,
                                               attributes: request.attributes, controls: request.controls,
                                               pageSize: request.pageSize, cookie: cookie)
                }
                if limit > 0, entries.count > limit {
                    throw LDAPError(code: .sizeLimitExceeded, diagnosticMessage: "more than \(limit) entries",
                                    operation: "search", target: request.base)
                }
                results.append(.success(entries))
            } catch let error as LDAPError where brokenBy == nil {
                results.append(.failure(error))
            }
        }
        return results
    }

    /// Reads one object; nil if it does not exist.
    public func read(_ dn: String, attributes: [String], controls: [LDAPRequestControl] = []) throws -> LDAPEntry? {
        do {
            return try search(base: dn, scope: .base, attributes: attributes, controls: controls).first
        } catch let error as LDAPError where error.code == .noSuchObject {
            return nil
        }
    }

    /// The numeric address of the server this connection talks to: other protocols (DRSUAPI)
    /// then reach the same DC, even when the URI's name resolves to several DCs.
    public func peerAddress() -> String? {
        var fd: Int32 = -1
        guard ldap_get_option(handle, LDAP_OPT_DESC, &fd) == LDAP_OPT_SUCCESS, fd >= 0 else { return nil }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &length) }
        }
        guard named == 0 else { return nil }
        var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
        let resolved = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                getnameinfo($0, length, &host, socklen_t(host.count), nil, 0, NI_NUMERICHOST)
            }
        }
        return resolved == 0 ? String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : nil
    }

    /// The root DSE (namingContexts, dnsHostName, supportedControl, ...).
    public func rootDSE(attributes: [String] = ["*"]) throws -> LDAPEntry {
        guard let entry = try read("", attributes: attributes) else {
            throw LDAPError(code: .noSuchObject, diagnosticMessage: "no root DSE", operation: "search", target: "")
        }
        return entry
    }

    public func add(_ dn: String, attributes: [LDAPModification], controls: [LDAPRequestControl] = []) throws {
        try usable()
        let arena = CArena()
        requestCount += 1
        let rc = ldap_add_ext_s(handle, dn, arena.mods(attributes), arena.controls(controls), nil)
        logWrite("add", dn, attributes, controls, rc)
        try check(rc, "add", dn)
    }

    public func modify(_ dn: String, _ modifications: [LDAPModification], controls: [LDAPRequestControl] = []) throws {
        try usable()
        let arena = CArena()
        requestCount += 1
        let rc = ldap_modify_ext_s(handle, dn, arena.mods(modifications), arena.controls(controls), nil)
        logWrite("modify", dn, modifications, controls, rc)
        try check(rc, "modify", dn)
    }

    public func delete(_ dn: String, controls: [LDAPRequestControl] = []) throws {
        try usable()
        let arena = CArena()
        requestCount += 1
        let rc = ldap_delete_ext_s(handle, dn, arena.controls(controls), nil)
        logWrite("delete", dn, [], controls, rc)
        try check(rc, "delete", dn)
    }

    // MARK: - internals

    /// Logs a write by attribute names only: values (unicodePwd!) never reach a log.
    private func logWrite(_ operation: String, _ dn: String, _ modifications: [LDAPModification], _ controls: [LDAPRequestControl], _ rc: Int32) {
        ldapLog.debug("\(operation)", metadata: [
            "dn": "\(dn)", "attributes": "\(modifications.map(\.attribute).joined(separator: ","))",
            "controls": "\(controls.map(\.oid).joined(separator: ","))", "rc": "\(rc)",
        ])
    }

    private func usable() throws {
        if let brokenBy {
            throw LDAPError(code: brokenBy.code,
                            diagnosticMessage: "connection unusable after an earlier failure: \(brokenBy)",
                            operation: brokenBy.operation, target: brokenBy.target)
        }
    }

    private func check(_ rc: Int32, _ operation: String, _ target: String?) throws {
        guard rc != LDAP_SUCCESS else { return }
        let error = LDAPError(code: LDAPResultCode(rawValue: rc), diagnosticMessage: option(LDAP_OPT_DIAGNOSTIC_MESSAGE),
                              matchedDN: option(LDAP_OPT_MATCHED_DN), operation: operation, target: target)
        if rc < 0 { brokenBy = error }  // client-side failure: connection state unknown
        throw error
    }

    private func option(_ option: Int32) -> String? {
        var value: UnsafeMutablePointer<CChar>?
        guard ldap_get_option(handle, option, &value) == LDAP_OPT_SUCCESS, let value else { return nil }
        defer { ldap_memfree(value) }
        return String(cString: value)
    }

    private func pageControl(size: Int, cookie: [UInt8]) throws -> LDAPRequestControl {
        let arena = CArena()
        var value = CLDAP.berval(bv_len: 0, bv_val: nil)
        let rc = ldap_create_page_control_value(handle, ber_int_t(size), arena.berval(cookie), &value)
        try check(rc, "paged search", nil)
        defer { ber_memfree(value.bv_val) }
        let bytes = value.bv_val.map { Array(UnsafeRawBufferPointer(start: $0, count: Int(value.bv_len))) } ?? []
        return LDAPRequestControl(oid: LDAP_CONTROL_PAGEDRESULTS, isCritical: false, value: bytes)
    }

    private func pageCookie(_ result: OpaquePointer?, base: String) throws -> [UInt8] {
        var errorCode: Int32 = 0
        var controls: UnsafeMutablePointer<UnsafeMutablePointer<CLDAP.LDAPControl>?>?
        try check(ldap_parse_result(handle, result, &errorCode, nil, nil, nil, &controls, 0), "search", base)
        defer { ldap_controls_free(controls) }
        try check(errorCode, "search", base)
        guard let control = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, controls, nil) else { return [] }
        var count: ber_int_t = 0
        var cookie = CLDAP.berval(bv_len: 0, bv_val: nil)
        try check(ldap_parse_pageresponse_control(handle, control, &count, &cookie), "search", base)
        defer { ber_memfree(cookie.bv_val) }
        guard let bytes = cookie.bv_val, cookie.bv_len > 0 else { return [] }
        return Array(UnsafeRawBufferPointer(start: bytes, count: Int(cookie.bv_len)))
    }

    private func readEntries(_ result: OpaquePointer?) -> [LDAPEntry] {
        var entries: [LDAPEntry] = []
        var message = ldap_first_entry(handle, result)
        while let entry = message {
            var dn = ""
            if let dnPointer = ldap_get_dn(handle, entry) {
                dn = String(cString: dnPointer)
                ldap_memfree(dnPointer)
            }
            var attributes: [String: [[UInt8]]] = [:]
            var ber: OpaquePointer?
            var attribute = ldap_first_attribute(handle, entry, &ber)
            while let name = attribute {
                var values: [[UInt8]] = []
                if let list = ldap_get_values_len(handle, entry, name) {
                    var i = 0
                    while let bv = list[i] {
                        let v = bv.pointee
                        values.append(v.bv_val.map { Array(UnsafeRawBufferPointer(start: $0, count: Int(v.bv_len))) } ?? [])
                        i += 1
                    }
                    ldap_value_free_len(list)
                }
                attributes[String(cString: name)] = values
                ldap_memfree(name)
                attribute = ldap_next_attribute(handle, entry, ber)
            }
            if let ber { ber_free(ber, 0) }
            entries.append(LDAPEntry(dn: dn, attributes: attributes))
            message = ldap_next_entry(handle, entry)
        }
        return entries
    }
}

/// LDAP operations at debug level: URIs, bind names, bases, filters, attribute names; never values.
let ldapLog = Logger(label: "aadkerb.ldap")
