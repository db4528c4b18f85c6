import Hummingbird

/// When a token is configured, every request but `/healthz` must carry it: as `Authorization: Bearer TOKEN`, as
/// `?token=TOKEN`, or as the cookie this middleware sets when a URL with the right `?token=` is opened (so the
/// page's scripts, styles and WebSocket, which cannot add headers, are authorised too). Otherwise 401.
struct AccessTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: String?
    static var cookieName: String { "ra_token" }

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        guard let token, request.uri.path != "/healthz" else { return try await next(request, context) }
        let bearer = request.headers[.authorization].flatMap { value -> Substring? in
            value.hasPrefix("Bearer ") ? value.dropFirst("Bearer ".count) : nil
        }
        let query = request.uri.queryParameters["token"]
        let cookie = request.cookies[Self.cookieName].map { Substring($0.value) }
        guard Self.constantTimeEquals(bearer ?? query ?? cookie ?? "", token) else {
            throw HTTPError(
                .unauthorized, message: "missing or wrong access token: open the page with ?token=… in the URL")
        }
        var response = try await next(request, context)
        if query != nil && cookie == nil {
            response.setCookie(
                Cookie(name: Self.cookieName, value: token, path: "/", httpOnly: true, sameSite: .strict))
        }
        return response
    }

    /// Compares without an early exit, so response time does not reveal how much of a guess was right. The whole
    /// length difference takes part: folded into 8 bits (as before 0.7.0), the token followed by 256 NUL bytes
    /// compared equal.
    static func constantTimeEquals(_ lhs: Substring, _ rhs: String) -> Bool {
        let a = Array(lhs.utf8), b = Array(rhs.utf8)
        var bytes: UInt8 = 0
        for index in 0..<max(a.count, b.count) {
            bytes |= (index < a.count ? a[index] : 0) ^ (index < b.count ? b[index] : 0)
        }
        return a.count == b.count && bytes == 0
    }
}
