import Testing

@testable import NNTPServer

/// The Message-ID scan of ARTICLE's status line finds what the full header parse finds.
@Suite struct MessageIDFieldTests {
    /// What the full header parse finds: the overview line's Message-ID field (empty when there is none).
    private func parsed(_ text: String) -> String {
        String(Overview.line(of: Array(text.utf8)).split(separator: "\t", omittingEmptySubsequences: false)[3])
    }

    @Test(arguments: [
        "Subject: x\r\nMessage-ID: <a@b>\r\n\r\nbody\r\n",
        "message-id:<a@b>\r\n\r\n",
        "MESSAGE-ID \t: \t <a@b> \t\r\n\r\n",
        "Message-ID:\r\n <folded@b>\r\n\t more\r\nSubject: y\r\n\r\n",
        "Message-ID: <first@b>\r\nMessage-ID: <second@b>\r\n\r\n",
        "Message-ID:\r\n\r\n",
        "Message-ID: <in\tside@b>\r\n\r\n",
        "Subject: a\r\n Message-ID: <continuation@b>\r\n\r\n",
        " Message-ID: <leading-space@b>\r\n\r\n",
        "Message-IDs: <other@b>\r\n\r\n",
        "Message-ID x: <bad-name@b>\r\n\r\n",
        "Message-ID\r\n : <colon-below@b>\r\n\r\n",
        "Subject: a\r\n\r\nMessage-ID: <in-body@b>\r\n",
        "Subject: a\n\nMessage-ID: <in-body-lf@b>\n",
        "Subject: a\nMessage-ID: <lf@b>\n\nbody\n",
        "Subject: a\r\r\nMessage-ID: <after-cr@b>\r\n\r\n",
        "Message-ID: <no-line-end@b>",
        "Message-ID: <ütf8@b>\r\n\r\n",
        "",
        "\r\n",
    ])
    func findsWhatTheHeaderParserFinds(_ text: String) {
        #expect((MessageIDField.value(in: Array(text.utf8)) ?? "") == parsed(text), "\(text.debugDescription)")
    }

    @Test func absentIsNilAndEmptyIsEmpty() {
        #expect(MessageIDField.value(in: Array("Subject: x\r\n\r\nMessage-ID: <b@c>\r\n".utf8)) == nil)
        #expect(MessageIDField.value(in: Array("Message-ID: \r\nSubject: x\r\n\r\n".utf8)) == "")
    }
}
