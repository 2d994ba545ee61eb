extension MonitorSpec.Check {
    /// The check as the `monitors` file writes it, for log lines and `hbctl status`.
    public var text: String {
        switch self {
        case .status: "status"
        case .exec(let path, _): "exec:\(path)"
        case .tcp(let host, let port): host.contains(":") ? "tcp:[\(host)]:\(port)" : "tcp:\(host):\(port)"
        case .http(let url, _, _): url
        }
    }
}

extension MonitorSpec {
    /// The line with its position cleared: what stays the same when only comments or other lines
    /// moved it, so a reload keeps its state.
    var content: MonitorSpec {
        var copy = self
        copy.line = 0
        return copy
    }
}
