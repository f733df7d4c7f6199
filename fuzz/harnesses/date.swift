// libFuzzer harness: RFC 5322 3.3 / 4.3 date-time parsing; what parses must format and parse back.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDate(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let date = MessageDate.parse(bytes) else { return 0 }
    let formatted = date.formatted
    guard let again = MessageDate.parse(formatted) else {
        fatalError("fuzz invariant broken: \(formatted) (from \(bytes)) does not parse")
    }
    fuzzCheck(again == date, "\(formatted) parses as \(again.formatted), not \(date.formatted)")
    fuzzCheck(again.formatted == formatted, "formatting is not stable")
    return 0
}
