"""agenttasks: GitHub Copilot cloud-agent tasks as code."""

__version__ = "0.1.0"
