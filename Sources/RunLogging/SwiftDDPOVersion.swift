/// swift-ddpo's version, for what a run records about itself (`run.json`), so a
/// run folder says which release made it. Raised with each release, together with
/// the version `ddpo --version` prints.
public enum SwiftDDPOVersion {
    public static let current = "0.2.0"
}
