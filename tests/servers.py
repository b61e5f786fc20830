"""Real servers on loopback for the remote protocols, started per test session."""
