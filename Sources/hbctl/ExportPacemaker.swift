import ArgumentParser
import Glibc
import HeartbeatCore
import HeartbeatRuntime

/// `hbctl export`: translations of this cluster's configuration for other cluster managers.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Translate the Heartbeat configuration for another cluster manager.",
        subcommands: [ExportPacemaker.self])
}

/// `hbctl export pacemaker`: ha.cf + haresources as a Pacemaker CIB, `crm` input or `pcs` script.
struct ExportPacemaker: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pacemaker",
        abstract: "Print ha.cf and haresources as a Pacemaker configuration.",
        discussion: """
            Writes the configuration to stdout and every item it could not map to stderr (and, in
            the output, as comments). Exits 0 when everything was mapped, 1 when ha.cf or haresources
            cannot be read or parsed, 3 when the output is complete but some items were not mapped.
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case cib, crm, pcs
    }

    @Option(name: .customLong("config-dir"), help: "The config directory holding ha.cf and haresources.")
    var configDirectory: String?

    @Option(name: .customLong("initd-dir"), help: "Where resource scripts are looked up after resource.d.")
    var initDirectory: String?

    @Option(help: "cib (XML for cibadmin), crm (crm configure input) or pcs (a pcs -f script).")
    var format: Format = .cib

    func run() throws {
        var loader = ConfigLoader()
        if let configDirectory { loader.configDirectory = configDirectory }
        if let initDirectory { loader.initDirectory = initDirectory }
        let input = loader.readInput()

        let haCf: HaCf
        let haResources: HaResources
        do {
            haCf = HaCfParser.parse(try Self.text(input.haCf, input.haCfPath), file: input.haCfPath)
            haResources = HaResourcesParser.parse(try Self.text(input.haResources, input.haResourcesPath), file: input.haResourcesPath)
        } catch let failure as Unreadable {
            Check.write("hbctl: \(failure.message)\n", to: STDERR_FILENO)
            throw ExitCode(1)
        }
        let errors = (haCf.diagnostics + haResources.diagnostics).filter { $0.severity == .error }
        guard errors.isEmpty else {
            for error in errors { Check.write(error.description + "\n", to: STDERR_FILENO) }
            Check.write("hbctl: fix these errors first (hbctl check lists them all)\n", to: STDERR_FILENO)
            throw ExitCode(1)
        }

        let resourceDirectory = loader.configDirectory + "/resource.d"
        let initDirectory = loader.initDirectory
        let config = PacemakerExport.export(
            haCf: haCf, haResources: haResources, haCfFile: input.haCfPath, haResourcesFile: input.haResourcesPath,
            locate: { script in
                if access(resourceDirectory + "/" + script, X_OK) == 0 { return .resourceD }
                if access(initDirectory + "/" + script, X_OK) == 0 { return .initD }
                return .notFound
            })

        let source = "\(input.haCfPath) and \(input.haResourcesPath)"
        let output = switch format {
        case .cib: config.cibXML(source: source)
        case .crm: config.crmCommands(source: source)
        case .pcs: config.pcsCommands(source: source)
        }
        Check.write(output, to: STDOUT_FILENO)
        for item in config.unmapped { Check.write(item.description + "\n", to: STDERR_FILENO) }
        if !config.unmapped.isEmpty { throw ExitCode(3) }
    }

    struct Unreadable: Error { var message: String }

    static func text(_ contents: ConfigInput.Contents, _ path: String) throws -> String {
        switch contents {
        case .text(let text): return text
        case .missing: throw Unreadable(message: "\(path): no such file")
        case .unreadable(let reason): throw Unreadable(message: "\(path): \(reason)")
        }
    }
}
