"""The `bloei` subcommands, one module per group; node/cli.py holds their table and main.

Each module has a `configure_*` function that adds a command's arguments to its parser and a
`run_*` function that runs it and returns the exit code. Heavy modules are imported inside
the `run_*` functions, so `bloei --help` stays fast. This package imports nothing itself.
"""
