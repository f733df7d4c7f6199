/// Punycode (RFC 3492): Unicode code points as the letters, digits and hyphens a DNS label may hold.
///
/// The encoding under IDNA's `xn--` A-labels (RFC 5891 §4.4). Pure and small; the parameters are
/// those RFC 3492 §5 fixes for IDNA.
public enum Punycode {
    private static let base = 36
    private static let tMin = 1
    private static let tMax = 26
    private static let skew = 38
    private static let damp = 700
    private static let initialBias = 72
    private static let initialN = 128

    /// The Punycode form of `input` (without the `xn--` prefix); nil on overflow (RFC 3492 §6.4),
    /// which only absurdly long inputs reach.
    public static func encode(_ input: String) -> String? {
        let scalars = input.unicodeScalars.map { Int($0.value) }
        var output = scalars.filter { $0 < 0x80 }.map { Character(Unicode.Scalar(UInt8($0))) }
        let basicCount = output.count
        var handled = basicCount
        if basicCount > 0 { output.append("-") }
        var n = initialN
        var delta = 0
        var bias = initialBias
        while handled < scalars.count {
            guard let next = scalars.filter({ $0 >= n }).min() else { return nil }
            let (product, overflow) = (next - n).multipliedReportingOverflow(by: handled + 1)
            guard !overflow, delta <= Int(Int32.max) - product else { return nil }
            delta += product
            n = next
            for scalar in scalars {
                if scalar < n {
                    delta += 1
                    guard delta <= Int(Int32.max) else { return nil }
                }
                guard scalar == n else { continue }
                var q = delta
                var k = base
                while true {
                    let t = threshold(k, bias: bias)
                    if q < t { break }
                    output.append(digit(t + (q - t) % (base - t)))
                    q = (q - t) / (base - t)
                    k += base
                }
                output.append(digit(q))
                bias = adapt(delta, points: handled + 1, first: handled == basicCount)
                delta = 0
                handled += 1
            }
            delta += 1
            n += 1
        }
        return String(output)
    }

    /// The Unicode text a Punycode string (without `xn--`) stands for; nil when it is not valid
    /// Punycode (a non-basic code point before the last hyphen, a bad digit, an overflow, a surrogate).
    public static func decode(_ input: String) -> String? {
        let characters = Array(input.unicodeScalars)
        let lastHyphen = characters.lastIndex(of: "-") ?? 0
        var output: [Int] = []
        for scalar in characters[..<lastHyphen] {
            guard scalar.isASCII else { return nil }
            output.append(Int(scalar.value))
        }
        var position = lastHyphen > 0 ? lastHyphen + 1 : 0
        var n = initialN
        var i = 0
        var bias = initialBias
        while position < characters.count {
            let oldI = i
            var weight = 1
            var k = base
            while true {
                guard position < characters.count, let value = digitValue(characters[position]) else { return nil }
                position += 1
                let (step, overflow) = value.multipliedReportingOverflow(by: weight)
                guard !overflow, i <= Int(Int32.max) - step else { return nil }
                i += step
                let t = threshold(k, bias: bias)
                if value < t { break }
                let (nextWeight, weightOverflow) = weight.multipliedReportingOverflow(by: base - t)
                guard !weightOverflow, nextWeight <= Int(Int32.max) else { return nil }
                weight = nextWeight
                k += base
            }
            bias = adapt(i - oldI, points: output.count + 1, first: oldI == 0)
            n += i / (output.count + 1)
            guard n <= 0x10FFFF else { return nil }
            i %= output.count + 1
            output.insert(n, at: i)
            i += 1
        }
        var text = ""
        for value in output {
            guard let scalar = Unicode.Scalar(UInt32(value)) else { return nil }
            text.unicodeScalars.append(scalar)
        }
        return text
    }

    /// RFC 3492 §6.1: the bias adaptation after each code point.
    private static func adapt(_ delta: Int, points: Int, first: Bool) -> Int {
        var delta = first ? delta / damp : delta / 2
        delta += delta / points
        var k = 0
        while delta > ((base - tMin) * tMax) / 2 {
            delta /= base - tMin
            k += base
        }
        return k + (base - tMin + 1) * delta / (delta + skew)
    }

    private static func threshold(_ k: Int, bias: Int) -> Int {
        k <= bias ? tMin : (k >= bias + tMax ? tMax : k - bias)
    }

    /// 0–25 → a–z, 26–35 → 0–9.
    private static func digit(_ value: Int) -> Character {
        Character(Unicode.Scalar(UInt8(value < 26 ? 0x61 + value : 0x30 + value - 26)))
    }

    /// A digit's value, either case; nil for anything else.
    private static func digitValue(_ scalar: Unicode.Scalar) -> Int? {
        switch scalar.value {
        case 0x30...0x39: Int(scalar.value) - 0x30 + 26
        case 0x41...0x5A: Int(scalar.value) - 0x41
        case 0x61...0x7A: Int(scalar.value) - 0x61
        default: nil
        }
    }
}
