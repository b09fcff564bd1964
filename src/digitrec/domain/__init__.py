"""The domain: types, ports and use cases. Standard library and numpy only."""
