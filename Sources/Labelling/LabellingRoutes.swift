import DDPO
import Hummingbird
import NIOCore

/// The labelling server's routes: the page, the state it polls, the images and the
/// label it posts. Every request has passed `TokenMiddleware` first.
enum LabellingRoutes {
    /// The largest label body read: a label is about 50 bytes.
    static let maximumBodyBytes = 4096

    static func router(store: LabellingStore, token: LabellingToken) -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: TokenMiddleware(token: token))

        router.get("/") { _, _ in
            LabellingReply.html(LabellingPage.html)
        }

        router.get("/api/state") { _, _ in
            do {
                return LabellingReply.json(try store.state())
            } catch {
                return LabellingReply.error(.internalServerError, "\(error)")
            }
        }

        router.get("/images/:epoch/:name") { _, context in
            guard let epoch = context.parameters.get("epoch", as: Int.self),
                let name = context.parameters.get("name")
            else { return LabellingReply.text(.notFound, "no such image") }
            do {
                guard let bytes = try store.image(epoch: epoch, name: name) else {
                    return LabellingReply.text(.notFound, "epoch \(epoch) has no image '\(name)'")
                }
                return LabellingReply.png(bytes)
            } catch {
                return LabellingReply.text(.internalServerError, "\(error)")
            }
        }

        router.post("/api/label") { request, _ in
            let body: ByteBuffer
            do {
                body = try await request.body.collect(upTo: maximumBodyBytes)
            } catch is NIOTooManyBytesError {
                return LabellingReply.error(
                    .contentTooLarge, "the body is larger than \(maximumBodyBytes) bytes; a label is one small object")
            } catch {
                return LabellingReply.error(.badRequest, "the body could not be read: \(error)")
            }
            do {
                let label = try LabelRequest.parse(Array(buffer: body))
                return LabellingReply.json(try await store.record(label))
            } catch let refusal as LabellingRefusal {
                return LabellingReply.refusal(refusal)
            } catch {
                return LabellingReply.error(.internalServerError, "\(error)")
            }
        }
        return router
    }
}
