"""The pure protocol layer: calls into requests, answers into data or typed errors.

Nothing here is awaited or does I/O; every function is tested with bytes and dicts alone.
"""
