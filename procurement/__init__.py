"""The platform: its kernel (core/: knows no feature), the parties (parties/: organisations,
accounts, memberships, signing in) and the composition root (factory, cli, seed, migrate)
that wires every package together. Importing the kernel imports nothing above it."""
