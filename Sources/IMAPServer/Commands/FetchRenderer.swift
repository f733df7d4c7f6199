import Foundation
import MailStore

/// The untagged FETCH data of one message (RFC 3501 §7.4.2), rendered from what the store returned:
/// no store call and no I/O, so the encoding rules are testable on their own.
enum FetchRenderer {
    /// One message's response items.
    struct Rendered {
        /// The items, in the order of the plan's attributes (and FLAGS last when `\Seen` was just set).
        var items: [FetchResponseItem] = []
        /// About how many octets the items take, for cutting responses into batches.
        var bytes = 64
        /// Derived items computed here (not in the store's cache), by index into the plan's
        /// `derivedItems`, for the store to keep.
        var computed: [(index: Int, value: [UInt8])] = []
    }

    /// The items of `message` for `plan`.
    ///
    /// `flags` are the flags to show; `reportsFlags` says this FETCH set `\Seen` on it, so FLAGS is sent even if not
    /// asked for (RFC 3501 §6.4.5). `cached` holds the store's encoding of each of the plan's derived items, nil where
    /// it has none; `loaded` is the content read for the rest, `rangeData` the plan's whole-message range.
    static func render(
        _ plan: FetchPlan,
        message: SelectedMailboxView.Message,
        record: MailboxMessage,
        flags: [Flag],
        reportsFlags: Bool,
        cached: [[UInt8]?],
        loaded: LoadedMessage?,
        rangeData: [UInt8]?
    ) -> Rendered {
        var loaded = loaded
        var rendered = Rendered()
        var sentFlags = false
        // A derived item from the store's cache, or computed from the content read (and handed back
        // for the store to keep, once even when asked for twice); nil when neither is there.
        func derived(_ k: Int) -> [UInt8]? {
            if let known = cached[k] ?? rendered.computed.first(where: { $0.index == k })?.value { return known }
            guard var m = loaded else { return nil }
            let encoded = plan.derivedItems[k].encoded(&m)
            loaded = m
            rendered.computed.append((k, encoded))
            return encoded
        }
        for (index, attribute) in plan.attributes.enumerated() {
            switch attribute {
            case .uid: rendered.items.append(.uid(message.uid))
            case .flags:
                rendered.items.append(.flags(flags))
                sentFlags = true
            case .internalDate:
                // The store read the date for a FETCH that asks for it (`messages(uids:withInternalDates:)`).
                rendered.items.append(.internalDate(record.internalDate ?? Date(timeIntervalSince1970: 0)))
            case .rfc822Size: rendered.items.append(.rfc822Size(record.size))
            case .modSeq: rendered.items.append(.modSeq(message.modSeq))
            case .envelope, .body, .bodyStructure:
                guard let k = plan.derivedIndex[index], let encoded = derived(k) else { continue }
                rendered.items.append(.encoded(encoded))
                rendered.bytes += encoded.count
            case .rfc822:
                if let m = loaded { rendered.items.append(.section(name: "RFC822", origin: nil, data: m.bytes)) }
            case .rfc822Header:
                if let m = loaded {
                    rendered.items.append(
                        .section(name: "RFC822.HEADER", origin: nil, data: FetchEngine.headerBytes(m.bytes))
                    )
                }
            case .rfc822Text:
                if var m = loaded {
                    let data = FetchEngine.sectionData(BodySection(kind: .text), in: &m)
                    rendered.items.append(.section(name: "RFC822.TEXT", origin: nil, data: data))
                    loaded = m
                }
            case .bodySection(let section, _, let partial):
                let name = plan.sectionNames[index] ?? FetchEngine.sectionName(section)
                if let k = plan.derivedIndex[index] {
                    if let data = derived(k) {
                        rendered.items.append(
                            .section(name: name, origin: partial?.offset, data: FetchEngine.partial(data, partial))
                        )
                        rendered.bytes += data.count
                    }
                } else if let rangeData {
                    rendered.items.append(
                        .section(name: name, origin: partial?.offset, data: rangeData)
                    )
                    rendered.bytes += rangeData.count
                } else if var m = loaded {
                    let data = FetchEngine.sectionData(section, in: &m)
                    loaded = m
                    rendered.items.append(
                        .section(
                            name: name,
                            origin: partial?.offset,
                            data: data.map { FetchEngine.partial($0, partial) }
                        )
                    )
                }
            }
        }
        if reportsFlags, !sentFlags { rendered.items.append(.flags(flags)) }
        return rendered
    }
}
