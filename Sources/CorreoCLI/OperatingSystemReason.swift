import Foundation

/// The operating system's reason inside a Foundation error, such as "Permission denied".
///
/// Foundation's own descriptions on Linux ("The operation could not be completed") tell a user nothing.
func operatingSystemReason(_ error: any Error) -> String {
    let nsError = error as NSError
    if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
        return String(cString: strerror(Int32(underlying.code)))
    }
    if nsError.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(nsError.code))) }
    return nsError.localizedDescription
}
