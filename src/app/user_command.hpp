// `chatstream user add|list|passwd|disable|enable`: account administration on the command line,
// against the same database the server uses (--data-dir / --database / --config / environment).
#pragma once

namespace chatstream::app {

// `argv[1]` is "user". Returns the process exit code: 0 done, 1 failed (unknown user, name
// taken, database error), 2 usage error (bad arguments, weak password, passwords differ).
int run_user_command(int argc, const char* const* argv);

}  // namespace chatstream::app
