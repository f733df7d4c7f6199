// libFuzzer harness: bytes from a client, cut into reads of fuzzer-chosen sizes and framed into lines as
// NNTPChannelHandler does, through NNTPServer's command grammar (wildmats, ranges, dates, message-ids)
// and session state machine (pipelining, POST collection, AUTHINFO, STARTTLS). The harness plays the
// handler and a store whose answers are built from the input, and checks every response: a status line
// of three digits and a space with no stray CR or LF (no response injection), multi-line responses
// dot-stuffed (no lone "." before the end), and at most one store request outstanding.
//
// Input: byte 0 picks the configuration, byte 1 seeds the read sizes and answers, the rest is the client.
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNNTPSession(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    guard input.count >= 2 else { return 0 }
    let flags = input[0]
    var random = FuzzRandom(seed: input[1])
    let client = Array(input[2...])
    let configuration = NNTPSessionConfiguration(
        isTLS: flags & 0x01 != 0,
        startTLSAvailable: flags & 0x02 != 0,
        allowPlaintextAuth: flags & 0x04 != 0,
        maximumArticleBytes: flags & 0x08 != 0 ? 64 : NNTPDefaults.maximumArticleBytes,
        isPeer: flags & 0x10 != 0
    )
    var model = NNTPHandlerModel(session: NNTPSession(configuration: configuration), payload: client)
    model.perform(model.session.received(.connected, now: model.now), random: &random)
    var offset = 0
    while offset < client.count, !model.closed {
        let length = min(random.next(upTo: 64) + 1, client.count - offset)
        model.read(client[offset..<(offset + length)], random: &random)
        offset += length
    }
    return 0
}

/// What NNTPChannelHandler does with the session, with a pretend store.
struct NNTPHandlerModel {
    var session: NNTPSession
    let payload: [UInt8]
    var buffer: [UInt8] = []
    var closed = false
    var pending: NNTPRequest?
    /// A `.pause` is under way: `.resumed` comes next, as the event loop's timer would send it.
    var paused = false
    let now = Date(timeIntervalSince1970: 1_796_000_000)

    mutating func read(_ bytes: ArraySlice<UInt8>, random: inout FuzzRandom) {
        buffer += bytes
        var start = 0
        while !closed, let end = buffer[start...].firstIndex(of: 0x0A) {
            var line = Array(buffer[start..<end])
            if line.last == 0x0D { line.removeLast() }
            start = end + 1
            if perform(session.received(.line(line), now: now), random: &random) {
                buffer = []
                return
            }
        }
        buffer.removeFirst(start)
        // The store answers between reads, as the event loop would.
        var steps = 0
        while pending != nil || paused, !closed {
            steps += 1
            fuzzCheck(steps < 10_000, "the session never settles")
            if paused {
                paused = false
                perform(session.received(.resumed, now: now), random: &random)
            } else if let request = pending {
                pending = nil
                perform(session.received(.reply(answer(request, random: &random)), now: now), random: &random)
            }
        }
    }

    /// Returns whether TLS started.
    @discardableResult
    mutating func perform(_ actions: [NNTPSession.Action], random: inout FuzzRandom) -> Bool {
        var tls = false
        for action in actions {
            fuzzCheck(!closed, "action after close")
            switch action {
            case .send(let bytes): check(bytes)
            case .request(let request):
                fuzzCheck(pending == nil, "a second request before the first was answered")
                pending = request
            case .startTLS:
                fuzzCheck(session.isTLS, "STARTTLS without the session knowing")
                tls = true
            case .close: closed = true
            case .pause:
                fuzzCheck(pending == nil && !paused, "a pause while a request or another pause is out")
                paused = true
            }
        }
        return tls
    }

    func answer(_ request: NNTPRequest, random: inout FuzzRandom) -> NNTPReply {
        let cut = payload.isEmpty ? 0 : random.next(upTo: payload.count)
        let bytes = Array(payload[cut...].prefix(300))
        let text = String(decoding: bytes.prefix(40), as: UTF8.self)
        if random.next(upTo: 16) == 0 { return .failure("disk") }
        switch request {
        case .group(let name):
            if random.next(upTo: 4) == 0 { return .group(nil) }
            let numbers = (0..<random.next(upTo: 6)).map { UInt32($0 * 2 + 1) }
            return .group(GroupSnapshot(name: name, numbers: numbers, next: UInt32(numbers.count * 2 + 1)))
        case .article(_, let number, _):
            return random.next(upTo: 3) == 0 ? .article(nil) : .article(Article(number: number, messageID: "<\(number)@x>", bytes: bytes))
        case .articleByID(let id, _):
            return .article(random.next(upTo: 2) == 0 ? nil : Article(number: 0, messageID: id, bytes: bytes))
        case .overview, .overviewByID:
            return .overview((0..<random.next(upTo: 3)).map { (UInt32($0), text) })
        case .header, .headerByID:
            return .header((0..<random.next(upTo: 3)).map { (UInt32($0), text) })
        case .groups:
            return .groups(
                [GroupSummary(name: text, low: 1, high: 0, count: 0, readOnly: true, description: text, created: now, creator: text)]
            )
        case .newNews: return .newNews([(text, text)])
        case .authenticate:
            switch random.next(upTo: 4) {
            case 0: return .authenticated(true)
            case 1: return .authenticated(false)
            case 2: return .loginRefused(backOff: .seconds(2))
            default: return .loginThrottled
            }
        case .post(let article, _):
            fuzzCheck(article.count <= session.configuration.maximumArticleBytes, "a posted article past the limit")
            return .posted(random.next(upTo: 2) == 0 ? .accepted(messageID: "<p@x>") : .refused(text))
        case .transfer(let article, let id):
            fuzzCheck(article.count <= session.configuration.maximumArticleBytes, "a transferred article past the limit")
            return .posted(random.next(upTo: 2) == 0 ? .accepted(messageID: id) : .refused(text))
        }
    }

    /// One response: a clean status line, and for multi-line codes a dot-stuffed block ending in ".".
    func check(_ bytes: [UInt8]) {
        fuzzCheck(bytes.count >= 6, "response too short")
        fuzzCheck(bytes[0...2].allSatisfy { $0 >= 0x30 && $0 <= 0x39 } && bytes[3] == 0x20, "no status code")
        guard let firstEnd = bytes.firstIndex(of: 0x0A) else { return fuzzCheck(false, "status line without LF") }
        fuzzCheck(firstEnd > 0 && bytes[firstEnd - 1] == 0x0D, "status line not ended by CRLF")
        fuzzCheck(!bytes[..<(firstEnd - 1)].contains(0x0D), "CR inside the status line")
        let code = Int(String(decoding: bytes[0...2], as: UTF8.self))!
        let multiline: Set<Int> = [100, 101, 215, 220, 221, 222, 224, 225, 230, 231]
        let listGroup = code == 211 && firstEnd + 1 < bytes.count
        guard multiline.contains(code) || listGroup else {
            return fuzzCheck(firstEnd == bytes.count - 1, "text after a single-line response")
        }
        let block = bytes[(firstEnd + 1)...]
        fuzzCheck(block.count >= 3 && Array(block.suffix(3)) == [0x2E, 0x0D, 0x0A], "data block not ended by .CRLF")
        // Every line of the block but the last is not a lone "." and ends in CRLF.
        var lineStart = block.startIndex
        var index = block.startIndex
        while index < block.endIndex {
            if block[index] == 0x0A {
                fuzzCheck(index > lineStart && block[index - 1] == 0x0D, "bare LF in a data block")
                let line = block[lineStart..<(index - 1)]
                if index + 1 < block.endIndex { fuzzCheck(line != [0x2E], "a lone dot inside a data block") }
                lineStart = index + 1
            }
            index += 1
        }
    }
}
