"""xhsgrow: campaign specs as code for Xiaohongshu growth campaigns.

The library is importable without the CLI: ``xhsgrow.specs`` loads and checks campaign
specs, later modules track and report on them.
"""

__version__ = "0.1.0"
