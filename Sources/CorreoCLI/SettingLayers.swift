import Foundation

/// Where a setting comes from when no flag gives it: the `CORREO_…` environment, then the configuration
/// file.
///
/// Every option's fallback goes through `environment(_:)`, which reads the layers in force, so the file slots in under
/// the environment without any option knowing about it.
struct SettingLayers: Sendable {
    /// The process environment; nil reads the live one.
    var environment: [String: String]?
    /// The configuration file, if one was named.
    var file: ConfigFile?

    /// The layers the options read; a server command sets them while it resolves its configuration.
    @TaskLocal static var current = SettingLayers(environment: nil, file: nil)

    /// `CORREO_<name>` from the environment if set and not empty, else the file's value for that key.
    func value(_ name: String) -> String? {
        if let value = (environment ?? ProcessInfo.processInfo.environment)["CORREO_" + name], !value.isEmpty {
            return value
        }
        return file?.value(variable: name)
    }

    /// Where `CORREO_<name>`'s value comes from, for error messages: the variable, or the file's line.
    func origin(_ name: String) -> String {
        if let value = (environment ?? ProcessInfo.processInfo.environment)["CORREO_" + name], !value.isEmpty {
            return "CORREO_\(name)"
        }
        if let file, let key = ConfigKey.named(variable: name), let entry = file.entry(key.name) {
            return "\(file.path):\(entry.line): \(key.name)"
        }
        return "CORREO_\(name)"
    }
}

/// Reads `CORREO_NAME` from the environment, else the configuration file: the fallback for every long option.
func environment(_ name: String) -> String? {
    SettingLayers.current.value(name)
}
