import Hummingbird

/// Refuses (403) every request whose `token` query parameter is not the server's,
/// before any route sees it: the API with a JSON error, the page and the images with
/// a line of text a browser shows as it is.
struct TokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: LabellingToken

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        if let given = request.uri.queryParameters["token"], token.matches(String(given)) {
            return try await next(request, context)
        }
        if request.uri.path.hasPrefix("/api/") {
            return LabellingReply.error(.forbidden, LabellingReply.forbiddenMessage)
        }
        return LabellingReply.text(.forbidden, LabellingReply.forbiddenMessage)
    }
}
