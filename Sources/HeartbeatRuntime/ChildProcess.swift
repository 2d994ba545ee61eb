import CSystem
import Glibc

/// Child processes the daemon starts for scripts and checks: every one in its own process group,
/// so that a timeout ends everything it started, with no signal blocked (the daemon blocks its
/// signals for signalfd) and at normal scheduling priority.
enum ChildProcess {
    /// Starts `path arguments…` with exactly `environment` ("NAME=value" entries), stdin on
    /// /dev/null and stdout and stderr both on `output`. Returns the child's pid.
    static func spawn(path: String, arguments: [String], environment: [String], output: Int32) throws(SystemError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, output, 1)
        posix_spawn_file_actions_adddup2(&actions, output, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var defaults = sigset_t()
        sigfillset(&defaults)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        // Realtime priority is the daemon's alone: a script, and the service it starts, runs at normal
        // priority (as under 3.0.6), or a busy database could starve the heartbeats.
        var normal = sched_param(sched_priority: 0)
        posix_spawnattr_setschedpolicy(&attributes, SCHED_OTHER)
        posix_spawnattr_setschedparam(&attributes, &normal)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSCHEDULER))

        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup($0) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        guard result == 0 else { throw SystemError("spawn \(path)", code: result) }
        return pid
    }

    /// The shell's reading of a wait status: the exit code, or 128 + the signal that ended it.
    static func exitCode(fromWaitStatus status: Int32) -> Int32 {
        status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }

    /// The full path of `name` in the PATH of `environment` ("NAME=value" entries), if executable there.
    static func executable(named name: String, environment: [String]) -> String? {
        let path = environment.first { $0.hasPrefix("PATH=") }.map { String($0.dropFirst(5)) } ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }.first { access($0, X_OK) == 0 }
    }
}
