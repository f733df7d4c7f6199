import Crypto
import DNS
import _CryptoExtras

/// Verifies every DKIM-Signature of a message (RFC 6376 §6), each on its own: one good signature is
/// enough for DMARC, and a broken one next to it does not spoil it.
///
/// `l=`: a signature whose body length count covers less than the whole canonicalised body is not
/// passed. It is checked (its hash must still match), and then reported as `policy`, because whatever
/// follows the count — a second MIME part, a new text — is unsigned and could be anyone's (§8.2).
public struct DKIMVerifier: Sendable {
    /// Where the key records (`SELECTOR._domainkey.DOMAIN` TXT) are looked up.
    public let resolver: any MailAuthResolving
    /// At most this many signatures are checked (each may cost a DNS query); the rest are ignored.
    public var maxSignatures: Int

    /// Makes a verifier that fetches keys through `resolver` and checks at most `maxSignatures` signatures.
    public init(resolver: any MailAuthResolving, maxSignatures: Int = MailAuthDefaults.maxDKIMSignatures) {
        self.resolver = resolver
        self.maxSignatures = maxSignatures
    }

    /// The result of each signature, top first; empty when there is none.
    ///
    /// `now`: seconds since 1970.
    public func verify(_ message: [UInt8], now: Int) async -> [DKIMResult] {
        let fields = MessageFields(message)
        var results: [DKIMResult] = []
        for field in fields.fields(named: "DKIM-Signature").prefix(maxSignatures) {
            results.append(await verify(field, in: fields, now: now))
        }
        return results
    }

    func verify(_ field: MessageFields.Field, in fields: MessageFields, now: Int) async -> DKIMResult {
        let signature: DKIMSignature
        do {
            signature = try DKIMSignature(parsing: field.value, now: now)
        } catch {
            // Name what can be named, so the A-R header tells which signature it was.
            let tags = try? TagList(parsing: field.value)
            return DKIMResult(
                status: .permerror,
                domain: tags?["d"],
                selector: tags?["s"],
                signaturePrefix: tags?["b"].map { String($0.withoutFWS.prefix(8)) },
                reason: error.description
            )
        }
        let result = DKIMResult(
            status: .fail,
            domain: signature.domain,
            selector: signature.selector,
            identity: signature.identity,
            algorithm: signature.algorithm,
            signaturePrefix: String(signature.signatureText.prefix(8))
        )

        // The key (§6.1.2).
        let record: DKIMKeyRecord
        let answer: DNSResult<TXTRecord>
        do { answer = try await resolver.txt(signature.keyName) } catch {
            return result.with(.permerror, "invalid key name")
        }
        switch answer {
        case .temporaryFailure(let failure): return result.with(.temperror, "key lookup: \(failure)")
        case .nxdomain, .nodata: return result.with(.permerror, "no key for signature")
        case .records(let records):
            var parsed: Result<DKIMKeyRecord, DKIMKeyRecord.Error>?
            for txt in records {
                do {
                    parsed = .success(try DKIMKeyRecord(parsing: txt.text))
                    break
                } catch {
                    parsed = .failure(error)
                }
            }
            switch parsed {
            case .success(let key)?: record = key
            case .failure(let error)?: return result.with(.permerror, error.description)
            case nil: return result.with(.permerror, "no key for signature")
            }
        }
        guard record.fits(signature.algorithm) else { return result.with(.permerror, "key type does not fit a=") }
        if let hashes = record.hashAlgorithms, !hashes.contains("sha256") {
            return result.with(.permerror, "key refuses sha256")
        }
        if record.strictIdentity, !signature.identity.lowercased().hasSuffix("@" + signature.domain) {
            return result.with(.permerror, "key's t=s needs i= in d= exactly")
        }

        // The body (§6.1.3).
        var body = signature.bodyCanonicalization.body(fields.body)
        var unsigned = 0
        if let length = signature.bodyLength {
            guard length <= body.count else { return result.with(.fail, "l= longer than the body") }
            unsigned = body.count - length
            body.removeLast(unsigned)
        }
        guard Array(SHA256.hash(data: body)) == signature.bodyHash else {
            return result.with(.fail, "body hash did not verify")
        }

        // The header fields and the signature field itself, its b= emptied (§3.7).
        var hashed = DKIMHeaderHash.data(
            fields: fields,
            signed: signature.signedHeaders,
            canonicalization: signature.headerCanonicalization
        )
        hashed += signature.headerCanonicalization.header(Self.emptyingSignature(field.bytes), withCRLF: false)
        let digest = SHA256.hash(data: hashed)
        let valid: Bool
        switch record.key {
        case .rsa(let key):
            valid = key.isValidSignature(
                _RSA.Signing.RSASignature(rawRepresentation: signature.signature),
                for: digest,
                padding: .insecurePKCS1v1_5
            )
        case .ed25519(let key):
            valid = key.isValidSignature(signature.signature, for: Array(digest))
        }
        guard valid else { return result.with(.fail, "signature did not verify") }
        if unsigned > 0 { return result.with(.policy, "l= leaves \(unsigned) body octets unsigned") }
        return result.with(.pass, nil)
    }

    /// The field with the value of its `b=` tag removed (the tag and "=" stay), whitespace around it
    /// included: what was signed.
    static func emptyingSignature(_ field: [UInt8]) -> [UInt8] {
        guard let colon = field.firstIndex(of: UInt8(ascii: ":")) else { return field }
        var output = Array(field[...colon])
        var start = colon + 1
        while start <= field.count {
            let end = field[start...].firstIndex(of: UInt8(ascii: ";")) ?? field.count
            let spec = field[start..<end]
            if let equals = spec.firstIndex(of: UInt8(ascii: "=")),
                spec[..<equals].trimmingFWS().elementsEqual("b".utf8)
            {
                output += field[start...equals]
                // A CRLF that ended the field stays, so canonicalisation sees the same end.
                if end == field.count, field.last == 0x0A { output += [13, 10] }
            } else {
                output += spec
            }
            if end < field.count { output.append(UInt8(ascii: ";")) }
            start = end + 1
        }
        return output
    }
}

extension DKIMResult {
    func with(_ status: Status, _ reason: String?) -> DKIMResult {
        var copy = self
        copy.status = status
        copy.reason = reason
        return copy
    }
}
