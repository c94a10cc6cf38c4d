"""Block Kit builders: pure functions, data in, message or view dict out."""
