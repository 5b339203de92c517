"""simsa (심사): the command-line entry point and its subcommands."""

__version__ = "0.1.0"
