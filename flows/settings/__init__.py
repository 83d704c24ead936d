"""Settings: each operation's model (CLI options and deployment forms) and the values a run uses."""
