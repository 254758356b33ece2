"""The `bloei` subcommands, one module per group; node/cli.py holds their table and main.

Each module has a `configure_*` function that adds a command's arguments to its parser and a
`run_*` function that runs it and returns the exit code; what a command does beyond reading
its arguments is a plain function that `bloei demo` and `bloei pilot` call too (such as
init.create_node). Imports are at the top of each module: every command opens the node's
app anyway, so importing inside a function would save no time at `bloei --help`. This package
imports nothing itself.
"""
