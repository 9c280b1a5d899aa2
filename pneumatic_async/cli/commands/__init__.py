"""The ``pneumatic`` commands, one module per command group; each has ``register(commands,
common)`` adding its parsers, whose ``handler`` default is the async function that runs it."""
