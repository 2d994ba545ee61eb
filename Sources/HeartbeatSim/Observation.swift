import HeartbeatCore

/// What a scenario needs to know of a simulated run, in the order it happened: the same facts
/// the network-namespace back-end reads from the test resource script's log and the daemons' logs.
public enum Observation: Sendable, Hashable {
    case scriptBegan(node: Int, ScriptRun)
    /// `exitCode` is nil when the script timed out.
    case scriptEnded(node: Int, ScriptRun, exitCode: Int32?)
    case log(node: Int, LogLevel, String)
    /// The node told its neighbours that the group's addresses live there (`Node.Effect.announce`).
    case announced(node: Int, group: String)
    /// A check of the `monitors` file ended and the node was told (`Node.Event.checkFinished`).
    case checkEnded(node: Int, CheckRun, CheckOutcome)
    /// The node crashed or finished shutting down: nothing runs there any more.
    case down(node: Int)
}
