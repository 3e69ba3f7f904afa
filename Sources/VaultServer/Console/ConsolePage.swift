import Foundation
import HTTPTypes
import Hummingbird
import Mustache
import NIOCore
import VaultModel

/// Renders console pages: a page template inside `layout.mustache`. Templates are files of
/// this module (`Console/Templates`); Mustache escapes every `{{value}}`, and the only
/// triple-stash, the layout's `{{{content}}}`, takes a page rendered here.
enum ConsolePage {
    static let library: MustacheLibrary = {
        var templates: [String: MustacheTemplate] = [:]
        let directory = Bundle.module.resourceURL!.appendingPathComponent("Templates")
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [] where name.hasSuffix(".mustache") {
            let text = (try? String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)) ?? ""
            if let template = try? MustacheTemplate(string: text) { templates[String(name.dropLast(".mustache".count))] = template }
        }
        return MustacheLibrary(templates: templates)
    }()

    static let stylesheet: ByteBuffer = {
        let url = Bundle.module.resourceURL!.appendingPathComponent("Templates/console.css")
        return ByteBuffer(bytes: (try? Data(contentsOf: url)) ?? Data())
    }()

    static func render(_ template: String, title: String, _ values: [String: Any], context: AppRequestContext, status: HTTPResponse.Status = .ok) -> Response {
        var page = values
        page["csrf"] = context.csrf ?? ""
        let content = library.render(page, withTemplate: template) ?? ""
        return html(layout(title: title, content: content, context: context), status: status)
    }

    /// The page around `content`: the navigation shows what the signed-in role may open.
    static func layout(title: String, content: String, context: AppRequestContext?) -> String {
        let role = context?.principal?.role
        return library.render(
            [
                "title": title, "content": content, "signedIn": context?.principal != nil, "csrf": context?.csrf ?? "",
                "principal": context?.principal?.name ?? "", "role": role?.rawValue ?? "",
                "isCompliance": role == .compliance, "isAdmin": role == .admin,
            ] as [String: Any], withTemplate: "layout") ?? ""
    }

    static func html(_ text: String, status: HTTPResponse.Status = .ok, headers extra: HTTPFields = [:]) -> Response {
        var headers = extra
        headers[.contentType] = "text/html; charset=utf-8"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func redirect(to location: String, cookie: String? = nil) -> Response {
        var headers = HTTPFields()
        headers[.location] = location
        if let cookie { headers[.setCookie] = cookie }
        return Response(status: .seeOther, headers: headers)
    }

    /// An error page; with the request's `context`, signed-in users keep their navigation.
    static func error(status: HTTPResponse.Status, _ message: String, context: AppRequestContext? = nil) -> Response {
        let content =
            library.render(
                ["message": message, "status": Int(status.code), "signedIn": context?.principal != nil] as [String: Any],
                withTemplate: "error") ?? ""
        return html(
            layout(title: status.code == 404 ? "Not found" : status.code == 403 ? "Not allowed for your role" : "Not done", content: content, context: context),
            status: status)
    }

    static func download(_ data: Data, filename: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[.contentDisposition] = "attachment; filename=\"\(filename)\""
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
