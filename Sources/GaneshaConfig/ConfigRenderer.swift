/// The two Ganesha files of one volume: the main config (no EXPORT block, so Ganesha starts
/// without one) and the export file given to AddExport.
public struct RenderedConfig: Sendable, Equatable {
    public let main: String
    public let export: String
}

extension TemplateSet {
    public func renderGanesha(_ settings: GaneshaSettings) -> RenderedConfig {
        let context = settings.templateContext
        return RenderedConfig(main: render(.ganesha, context), export: render(.export, context))
    }

    /// The private system bus for one Ganesha; its socket lives in `runDirectory`, and it
    /// includes Ganesha's own policy from `ganeshaPolicy` (see `GaneshaBusPolicy.locate`).
    public func renderBusConfig(runDirectory: SafePath, ganeshaPolicy: SafePath) -> String {
        render(.bus, ["runDirectory": .text(runDirectory.value), "ganeshaPolicy": .text(ganeshaPolicy.value)])
    }
}
