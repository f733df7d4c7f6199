import CorreoServer
import HTTPServer
import MailTestSupport
import NIOHTTP1
import Testing

/// The public site's decisions without a socket: which Host gets what, and the documents' exact text.
/// (PublishingEndToEndTests runs the same over real TLS.)
@Suite(.offThePool) struct PublicSiteTests {
    static let configuration: CorreoConfiguration = {
        var configuration = CorreoConfiguration(
            domains: ["b.test", "c.test"],
            hostname: "mail.b.test",
            ports: .init(smtp: 25, submission: 587, smtps: 465, imap: 143, imaps: 0)
        )
        configuration.publishing.mtaSTS = PublishedMTASTSPolicy(
            mode: .testing,
            mx: ["mail.b.test", "*.mx.b.test"],
            maxAge: 3600
        )
        return configuration
    }()

    static func get(
        _ target: String,
        host: String?,
        method: HTTPMethod = .GET,
        body: String = "",
        plain: Bool = false
    ) async -> HTTPResponse {
        var headers = HTTPHeaders()
        if let host { headers.add(name: "Host", value: host) }
        let request = HTTPRequest(method: method, target: target, headers: headers)
        return await PublicSite(configuration: configuration, plainHTTP: plain).respond(
            to: request,
            body: Array(body.utf8)
        )
    }

    @Test func thePolicyOnlyOnMTASTSHostsOfLocalDomains() async {
        let policy = await Self.get("/.well-known/mta-sts.txt", host: "MTA-STS.c.test:443")
        #expect(policy.status == .ok)
        #expect(
            String(decoding: policy.body, as: UTF8.self)
                == "version: STSv1\r\nmode: testing\r\nmx: mail.b.test\r\nmx: *.mx.b.test\r\nmax_age: 3600\r\n"
        )
        #expect(await Self.get("/.well-known/mta-sts.txt", host: "c.test").status == .notFound)
        #expect(await Self.get("/.well-known/mta-sts.txt", host: "mta-sts.d.test").status == .notFound)
        #expect(await Self.get("/.well-known/mta-sts.txt", host: nil).status == .notFound)
        #expect(await Self.get("/.well-known/mta-sts.txt", host: "mta-sts.c.test", plain: true).status == .notFound)
        #expect(
            await Self.get("/.well-known/mta-sts.txt", host: "mta-sts.c.test", method: .PUT).status == .methodNotAllowed
        )
    }

    @Test func autoconfigListsTheListenersThatAreOn() async {
        let response = await Self.get("/mail/config-v1.1.xml?emailaddress=bob%40C.test", host: "mail.b.test")
        #expect(response.status == .ok)
        let text = String(decoding: response.body, as: UTF8.self)
        #expect(text.contains(#"<emailProvider id="c.test">"#))
        // IMAPS is off (port 0): only IMAP with STARTTLS is offered; SMTPS first, then submission.
        #expect(text.components(separatedBy: "<incomingServer").count == 2)
        #expect(text.contains("<port>143</port>\n      <socketType>STARTTLS</socketType>"))
        #expect(text.range(of: "<port>465</port>")!.lowerBound < text.range(of: "<port>587</port>")!.lowerBound)
        #expect(!text.contains("<port>25</port>"))
        #expect(
            await Self.get("/mail/config-v1.1.xml?emailaddress=bob%40d.test", host: "autoconfig.b.test").status
                == .notFound
        )
        #expect(
            await Self.get("/mail/config-v1.1.xml?emailaddress=nobody", host: "autoconfig.b.test").status == .badRequest
        )
        #expect(await Self.get("/mail/config-v1.1.xml", host: "www.b.test").status == .notFound)
    }

    @Test func autodiscoverAnswersPostsForLocalAddresses() async {
        let request = "<Autodiscover><Request><EMailAddress> bob@b.test </EMailAddress></Request></Autodiscover>"
        let response = await Self.get(
            "/Autodiscover/Autodiscover.xml",
            host: "autodiscover.b.test",
            method: .POST,
            body: request
        )
        #expect(response.status == .ok)
        let text = String(decoding: response.body, as: UTF8.self)
        #expect(text.contains("<LoginName>bob@b.test</LoginName>"))
        #expect(text.contains("<Type>SMTP</Type>\n        <Server>mail.b.test</Server>\n        <Port>465</Port>"))
        #expect(
            await Self.get("/autodiscover/autodiscover.xml", host: "b.test", method: .POST, body: "<x/>").status
                == .badRequest
        )
        #expect(await Self.get("/autodiscover/autodiscover.xml", host: "b.test").status == .methodNotAllowed)
        #expect(
            await Self.get("/autodiscover/autodiscover.xml", host: "b.test", method: .POST, body: request, plain: true)
                .status == .notFound
        )
    }

    @Test func theOperatorsRoutesAreNotThere() async {
        #expect(await Self.get("/metrics", host: "b.test").status == .notFound)
        #expect(await Self.get("/healthz", host: "mail.b.test").status == .notFound)
    }

    @Test func queryValuesAreFormDecoded() {
        let request = HTTPRequest(method: .GET, target: "/x?a=1&emailaddress=J%C3%BCrgen+M%40b.test&bad=%zz&empty")
        #expect(request.queryValue("emailaddress") == "Jürgen M@b.test")
        #expect(request.queryValue("a") == "1")
        #expect(request.queryValue("bad") == nil)
        #expect(request.queryValue("empty") == "")
        #expect(request.queryValue("missing") == nil)
    }

    @Test func thePolicyIDFollowsThePolicy() {
        let policy = PublishedMTASTSPolicy(mode: .enforce, mx: [], maxAge: 86400)
        // The first 20 hex digits of SHA-256("version: STSv1\r\nmode: enforce\r\nmx: mail.b.test\r\nmax_age: 86400\r\n").
        #expect(policy.id(hostname: "mail.b.test") == "c95f97178faed180e905")
        #expect(
            PublishedMTASTSPolicy(mode: .testing, mx: [], maxAge: 86400).id(hostname: "mail.b.test")
                != policy.id(hostname: "mail.b.test")
        )
        #expect(policy.record(hostname: "mail.b.test") == "v=STSv1; id=c95f97178faed180e905")
    }
}
