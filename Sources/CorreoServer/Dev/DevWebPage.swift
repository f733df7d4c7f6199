import Foundation
import HTTPServer
import NIOHTTP1

/// The web page of `serve --dev`: a list rendered on the server (it works without JavaScript:
/// search is a GET form, delete a POST form), kept up to date by a few lines of script listening to
/// `/api/events`, and a message view with text, HTML (in a sandboxed iframe without scripts, under
/// its own Content-Security-Policy), headers, source and attachments.
///
/// No build step, nothing fetched from elsewhere: the HTML, CSS and script are the strings in this file and
/// `DevWebAssets.swift`.
enum DevWebPage {
    static func addRoutes(to router: inout HTTPRouter, messages: DevMessages) {
        router.get("/") { request in
            let query = DevQuery(request.query)["q"]
            let all = (try? await messages.list()) ?? []
            let shown = query.map { q in all.filter { matches($0, q) } } ?? all
            return page(title: "correo --dev", body: list(shown.prefix(500), query: query, total: all.count))
        }
        router.get("/app.js") { _ in
            HTTPResponse(contentType: "text/javascript; charset=utf-8", body: Array(DevWebAssets.script.utf8))
        }
        router.get("/app.css") { _ in
            HTTPResponse(contentType: "text/css; charset=utf-8", body: Array(DevWebAssets.style.utf8))
        }
        router.route(.GET, "/messages/{id}") { request in
            let id = request.parameters["id"] ?? ""
            guard let found = try? await messages.message(id) else {
                return page(
                    title: "not found",
                    body: "<p>No message \(escape(id)). <a href=\"/\">All messages</a></p>",
                    status: .notFound
                )
            }
            return page(
                title: found.summary.subject,
                body: view(found.parsed.detail(summary: found.summary), raw: found.parsed.bytes)
            )
        }
        router.route(.GET, "/messages/{id}/body.html") { request in
            let id = request.parameters["id"] ?? ""
            guard let found = try? await messages.message(id),
                let html = found.parsed.detail(summary: found.summary).html
            else {
                return .text("no HTML body\n", status: .notFound)
            }
            var response = HTTPResponse(contentType: "text/html; charset=utf-8", body: Array(html.utf8))
            // The sender's HTML: no script, no plugin, no form, nothing loaded from the network.
            response.headers.add(
                name: "Content-Security-Policy",
                value: "default-src 'none'; img-src data: cid:; style-src 'unsafe-inline'; font-src data:; sandbox"
            )
            response.headers.add(name: "X-Content-Type-Options", value: "nosniff")
            return response
        }
        router.route(.POST, "/messages/{id}/delete") { request in
            _ = try? await messages.delete(request.parameters["id"] ?? "")
            return redirect("/")
        }
        router.route(.POST, "/messages/delete") { _ in
            _ = try? await messages.deleteAll()
            return redirect("/")
        }
    }

    /// The search box's rule: the words in recipient, sender or subject.
    static func matches(_ message: DevMessageSummary, _ query: String) -> Bool {
        let fields =
            [message.subject] + (message.from + message.to + message.cc).flatMap { [$0.name, $0.address] }
            + (message.envelope?.recipients ?? [])
        return fields.contains { $0.range(of: query, options: .caseInsensitive) != nil }
    }

    static func redirect(_ location: String) -> HTTPResponse {
        var response = HTTPResponse.text("see \(location)\n", status: .seeOther)
        response.headers.add(name: "Location", value: location)
        return response
    }

    static func page(title: String, body: String, status: HTTPResponseStatus = .ok) -> HTTPResponse {
        let html = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
            <title>\(escape(title))</title><link rel="stylesheet" href="/app.css"><script src="/app.js" defer></script></head>
            <body><header><a href="/" class="home">correo --dev</a>
            <p class="warning" role="alert">\(escape(DevMode.warning))</p></header>
            <main>\(body)</main></body></html>
            """
        var response = HTTPResponse(status: status, contentType: "text/html; charset=utf-8", body: Array(html.utf8))
        response.headers.add(
            name: "Content-Security-Policy",
            value: "default-src 'self'; frame-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'"
        )
        return response
    }

    static func list(_ messages: ArraySlice<DevMessageSummary>, query: String?, total: Int) -> String {
        let rows = messages.map(row).joined(separator: "\n")
        return """
            <form class="search" method="get" action="/"><input type="search" name="q" value="\(escape(query ?? ""))" \
            placeholder="search recipient, sender, subject" aria-label="search"><button>Search</button></form>
            <form class="delete-all" method="post" action="/messages/delete"><button>Delete all</button></form>
            <p class="count"><span id="total">\(total)</span> messages</p>
            <table id="messages"><thead><tr><th>Received</th><th>From</th><th>To</th><th>Subject</th><th></th></tr></thead>
            <tbody>\(rows)</tbody></table>
            """
    }

    static func row(_ message: DevMessageSummary) -> String {
        let recipients = message.envelope?.recipients ?? message.to.map(\.address)
        return """
            <tr data-id="\(escape(message.id))"><td>\(escape(message.received))</td>\
            <td>\(escape(message.from.map(\.address).joined(separator: ", ")))</td>\
            <td>\(escape(recipients.joined(separator: ", ")))</td>\
            <td><a href="/messages/\(escape(message.id))">\(escape(message.subject.isEmpty ? "(no subject)" : message.subject))</a></td>\
            <td><form method="post" action="/messages/\(escape(message.id))/delete"><button>Delete</button></form></td></tr>
            """
    }

    static func view(_ message: DevMessageDetail, raw: [UInt8]) -> String {
        let summary = message.summary
        let id = escape(summary.id)
        let headers = message.headers.map { "<tr><th>\(escape($0.name))</th><td>\(escape($0.value))</td></tr>" }
            .joined()
        let attachments = message.attachments.map { attachment in
            "<li><a href=\"/api/messages/\(id)/attachments/\(attachment.index)\">\(escape(attachment.name.isEmpty ? "part \(attachment.index)" : attachment.name))</a> "
                + "\(escape(attachment.type)), \(attachment.size) bytes</li>"
        }.joined()
        let html =
            message.html == nil
            ? "<p>No HTML part.</p>"
            : "<iframe sandbox src=\"/messages/\(id)/body.html\" title=\"HTML part\" referrerpolicy=\"no-referrer\"></iframe>"
        return """
            <article class="message">
            <h1>\(escape(summary.subject.isEmpty ? "(no subject)" : summary.subject))</h1>
            <p>From \(escape(summary.from.map(\.address).joined(separator: ", "))) to \
            \(escape((summary.envelope?.recipients ?? summary.to.map(\.address)).joined(separator: ", "))), received \(escape(summary.received))</p>
            <p><a href="/api/messages/\(id)/raw">Download .eml</a> · <a href="/api/messages/\(id)">JSON</a></p>
            <form method="post" action="/messages/\(id)/delete"><button>Delete</button></form>
            <section><h2>Text</h2><pre class="text">\(escape(message.text ?? "(no text part)"))</pre></section>
            <section><h2>HTML</h2>\(html)</section>
            <section><h2>Attachments</h2>\(attachments.isEmpty ? "<p>None.</p>" : "<ul>\(attachments)</ul>")</section>
            <section><h2>Headers</h2><table class="headers">\(headers)</table></section>
            <section><h2>Source</h2><pre class="source">\(escape(String(decoding: raw, as: UTF8.self)))</pre></section>
            </article>
            """
    }

    /// Text for HTML element content and quoted attribute values.
    static func escape(_ text: String) -> String { markupEscaped(text) }
}
