import CorreoCLI

// The whole command line lives in CorreoCLI; this target only gives the binary its entry point and,
// in release builds, the self-contained linking (Package.swift's `releaseLinking`).
@main
extension Correo {}
