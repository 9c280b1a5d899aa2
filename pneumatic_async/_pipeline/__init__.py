"""The send pipeline: the retry loop, the limiter, the exchange and the chain of steps."""
