"""The same ports in a process's memory: for tests and `--database-url memory://`."""
