"""The small error hierarchy every layer raises and each edge translates once.

The CLI turns a `ClawscopeError` into a one-line message and an exit code; the web app turns it into
the JSON error envelope. Anything else reaching an edge is a bug and keeps its traceback.
"""


class ClawscopeError(Exception):
    """Base of every error clawscope raises on purpose."""

    exit_code = 1
    code = "error"


class UsageError(ClawscopeError):
    """The user asked for something that cannot be done as asked (bad flag value, missing path)."""

    exit_code = 2
    code = "invalid_request"


class ConfigError(ClawscopeError):
    """The configuration (file, environment, flags) is invalid."""

    exit_code = 2
    code = "invalid_config"


class StoreError(ClawscopeError):
    """The database cannot be opened, migrated or written."""

    code = "store_error"


class NotFoundError(ClawscopeError):
    """A requested object does not exist."""

    code = "not_found"


class ReplayedNonceError(StoreError):
    """A webhook nonce was used before, by any server process on the database (the write rolled back)."""

    code = "replayed_nonce"


class SessionOwnedError(StoreError):
    """A pushed session was first stored through another registered instance (the write rolled back)."""

    code = "session_owned_elsewhere"


class WriteConflictError(StoreError):
    """Another process wrote the same rows at the same moment (a unique key, a deadlock): worth a retry."""

    code = "write_conflict"


class UnstorableValueError(StoreError):
    """A value the database cannot hold (PostgreSQL text cannot contain NUL); nothing was written."""

    code = "unstorable_value"
