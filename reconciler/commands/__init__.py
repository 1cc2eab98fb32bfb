"""One function per command, pre-commit style: typed arguments in, a ``Result`` out.

Commands never print: they return what to print, and ``cli/main.py`` prints it. Progress and
warnings that must appear while a command runs go through the ``Context``'s callbacks.
"""
