import Foundation
import HTTPServer
import SMTPServer

extension DevAPI {
    /// `/api/faults`: the SMTP faults being played (`SMTPFault`'s one-line form), replaced at run time.
    ///
    /// `GET` lists them; `PUT` replaces them all with the body's lines (text, one fault a line, or a JSON
    /// array of lines), every count starting afresh; `DELETE` stops them. A line that does not parse
    /// refuses the whole request with 400 and leaves the script as it was.
    static func addFaultRoutes(to router: inout HTTPRouter, faults: SMTPFaultScript) {
        router.route(.GET, "/api/faults") { _ in
            json(FaultList(faults: faults.faults.map(\.description)))
        }
        router.route(.PUT, "/api/faults") { request in
            await answering {
                guard !request.body.isEmpty else {
                    throw DevAPIError(
                        .badRequest,
                        "give the faults in the body, one a line; DELETE /api/faults stops them all"
                    )
                }
                let parsed = try parseFaults(request.body)
                faults.replace(with: parsed)
                return json(FaultList(faults: parsed.map(\.description)))
            }
        }
        router.route(.DELETE, "/api/faults") { _ in
            faults.replace(with: [])
            return json(FaultList(faults: []))
        }
    }

    /// The faults the API lists and takes.
    struct FaultList: Codable {
        var faults: [String]
    }

    /// The body as fault lines: a JSON array of strings, `{"faults": […]}`, or plain text, one a line.
    static func parseFaults(_ body: [UInt8]) throws -> [SMTPFault] {
        let data = Data(body)
        let lines: [String]
        if let list = try? JSONDecoder().decode([String].self, from: data) {
            lines = list
        } else if let object = try? JSONDecoder().decode(FaultList.self, from: data) {
            lines = object.faults
        } else {
            guard let text = String(bytes: body, encoding: .utf8) else {
                throw DevAPIError(.badRequest, "the faults are UTF-8 text, one a line, or a JSON array of lines")
            }
            lines = text.split(whereSeparator: \.isNewline).map(String.init)
        }
        return try lines.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && !$0.hasPrefix("#") }
            .map { line in
                do {
                    return try SMTPFault(parsing: line)
                } catch {
                    throw DevAPIError(.badRequest, "\(error)")
                }
            }
    }
}
