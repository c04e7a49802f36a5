"""The workspace toolkit: what every door that works in a user's repository shares — safe git,
confined file reads and writes, the user's repository and its refusals, whole-file edit
parsing, pytest in the sandbox (see README.md)."""
